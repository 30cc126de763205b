import Foundation
import Testing

extension EndToEnd {
    @Suite("lmb import, settlements, preview — the built binary")
    struct ImportPreviewE2ETests {
        @Test("import, then settlements --json lists id and status")
        func importAndList() async throws {
            let home = try E2E.newHome()
            let r = try await E2E.run(["import", E2E.fixture("v2-us.txt"), E2E.fixture("v2-unmapped.txt")], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("imported settlement 10000000001"))
            #expect(r.stdout.contains("needs mapping"))
            let list = try await E2E.run(["settlements", "--json"], home: home)
            #expect(list.status == 0)
            let items = try #require(try E2E.json(list.stdout) as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as! String, $0["status"] as! String) })
            #expect(byID == ["10000000001": "ready", "90000000009": "needs-mapping"])
            let filtered = try await E2E.run(["settlements", "--status", "needs-mapping", "--json"], home: home)
            #expect((try E2E.json(filtered.stdout) as? [[String: Any]])?.count == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM transaction_row", home: home) == 20)
        }

        @Test("importing the same file twice says so and changes nothing")
        func twice() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home)
            let again = try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home)
            #expect(again.status == 0)
            #expect(again.stdout.contains("already imported"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM transaction_row", home: home) == 14)
        }

        @Test("a file that does not add up exits 65 with the settlement and the difference; nothing is stored")
        func doesNotAddUp() async throws {
            let home = try E2E.newHome()
            let r = try await E2E.run(["import", E2E.fixture("bad-does-not-add-up.txt")], home: home)
            #expect(r.status == 65)
            #expect(r.stderr.contains("14000000013"))
            #expect(r.stderr.contains("difference 0.01 USD"))
            #expect(r.stdout.isEmpty)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM transaction_row", home: home) == 0)
        }

        @Test("malformed input gets exit 65 and file:line", arguments: [
            ("bad-header-only.txt", ":2: "), ("bad-binary.txt", ":2: "), ("bad-amount.txt", ":5: "), ("bad-wrong-delimiter.txt", ":1: "),
        ])
        func malformed(name: String, position: String) async throws {
            let r = try await E2E.run(["import", E2E.fixture(name)], home: try E2E.newHome())
            #expect(r.status == 65)
            #expect(r.stderr.contains(E2E.fixture(name) + position), "\(r.stderr)")
        }

        @Test("a missing file exits 66")
        func missing() async throws {
            let r = try await E2E.run(["import", "/nonexistent/settlement.txt"], home: try E2E.newHome())
            #expect(r.status == 66)
            #expect(r.stderr.contains("no such file"))
        }

        @Test("preview --json prints exactly the Invoices body, for a file without importing it")
        func previewFile() async throws {
            let home = try E2E.newHome()
            let r = try await E2E.run(["preview", E2E.fixture("v2-negative.txt"), "--json"], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            let body = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(Array(body.keys) == ["Invoices"])
            let invoice = try #require((body["Invoices"] as? [[String: Any]])?.first)
            #expect(invoice["Type"] as? String == "ACCPAY")
            #expect(invoice["InvoiceNumber"] as? String == "AMZ-60000000006")
            #expect(invoice["CurrencyCode"] as? String == "USD")
            let total = (invoice["LineItems"] as! [[String: Any]]).reduce(Decimal(0)) { $0 + ($1["LineAmount"] as! NSNumber).decimalValue }
            #expect(total == Decimal(string: "59.71"))
            #expect(!FileManager.default.fileExists(atPath: home + "/lmb.sqlite"))
        }

        @Test("preview of a stored settlement shows the document and the deposit check")
        func previewStored() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-de-comma.txt")], home: home)
            let r = try await E2E.run(["preview", "20000000002"], home: home)
            #expect(r.status == 0)
            #expect(r.stdout.contains("Invoice (ACCREC) AMZ-20000000002"))
            #expect(r.stdout.contains("Deposit 1090.57 EUR = documents 1090.57 EUR ✓"))
        }

        @Test("preview of a settlement that needs mapping lists the rule to add and exits 65")
        func previewUnmapped() async throws {
            let r = try await E2E.run(["preview", E2E.fixture("v2-unmapped.txt")], home: try E2E.newHome())
            #expect(r.status == 65)
            #expect(r.stderr.contains("Mystery Adjustment"))
            #expect(r.stderr.contains(#""category":"CATEGORY""#))
        }

        @Test("an unknown settlement id is a usage error (64) naming it; a missing file is 66")
        func unknownID() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home)
            let r = try await E2E.run(["preview", "123"], home: home)
            #expect(r.status == 64)
            #expect(r.stderr.contains("no settlement 123 was ever imported"))
            #expect(try await E2E.run(["preview", home + "/missing.txt"], home: home).status == 66)
        }

        @Test("mapping init writes an editable file that mapping show reads back")
        func mapping() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["mapping", "init"], home: home).status == 0)
            #expect(try await E2E.run(["mapping", "init"], home: home).status == 64)
            let shown = try await E2E.run(["mapping", "show", "--json"], home: home)
            let text = try String(contentsOfFile: home + "/mapping.json", encoding: .utf8)
            #expect(shown.stdout == text)
            try Data(text.replacingOccurrences(of: "\"LMB1\"", with: "\"4000\"").utf8).write(to: URL(fileURLWithPath: home + "/mapping.json"))
            let preview = try await E2E.run(["preview", E2E.fixture("v2-us.txt"), "--json"], home: home)
            #expect(preview.stdout.contains("\"AccountCode\": \"4000\""))
            try Data("{ not json".utf8).write(to: URL(fileURLWithPath: home + "/mapping.json"))
            let broken = try await E2E.run(["preview", E2E.fixture("v2-us.txt")], home: home)
            #expect(broken.status == 78)
            #expect(broken.stderr.contains("mapping.json"))
        }

        @Test("--version, --help for every command, and completion scripts")
        func help() async throws {
            let version = try await E2E.run(["--version"])
            #expect(version.status == 0)
            let line = version.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.range(of: #"^lmb \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$"#, options: .regularExpression) != nil, "\(line)")
            for command in [["import"], ["settlements"], ["preview"], ["mapping"], ["mapping", "init"]] {
                let r = try await E2E.run(command + ["--help"])
                #expect(r.status == 0)
                #expect(r.stdout.contains("USAGE:"), "\(command)")
            }
            let completion = try await E2E.run(["--generate-completion-script", "bash"])
            #expect(completion.status == 0)
            #expect(completion.stdout.contains("complete"))
            #expect(try await E2E.run(["import"]).status == 64)
        }
    }
}
