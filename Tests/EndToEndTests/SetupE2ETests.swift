import Foundation
import TestSupport
import Testing

extension EndToEnd {
    @Suite("lmb setup: the organisation made ready (accounts, contacts, tracking), send's account checks, foreign-currency references — the built binary against the sandbox")
    struct SetupE2ETests {
        /// A sandbox organisation set up with `organisation`, connected asking for the settings scope, `fixtures` imported.
        static func home(_ organisation: [String: Any], fixtures: [String]) async throws -> SandboxHome {
            let s = try await SandboxHome()
            if !organisation.isEmpty { try await s.control("organisation", organisation) }
            let c = try await s.connect(extra: ["--setup"])
            #expect(c.status == 0, "\(c.stderr)")
            if !fixtures.isEmpty {
                let i = try await s.run(["import"] + fixtures.map(E2E.fixture))
                #expect(i.status == 0, "\(i.stderr)")
            }
            return s
        }

        static func object(_ r: LMBRun) throws -> [String: Any] {
            try #require(try E2E.json(r.stdout) as? [String: Any], "\(r.stdout)\n\(r.stderr)")
        }

        static func items(_ o: [String: Any], _ key: String, kind: String? = nil) -> [[String: Any]] {
            (o[key] as? [[String: Any]] ?? []).filter { kind == nil || $0["kind"] as? String == kind }
        }

        func requests(_ s: SandboxHome) async throws -> [(method: String, path: String)] {
            ((try await s.state()["requests"] as? [[String: Any]]) ?? []).map { ($0["method"] as? String ?? "", $0["path"] as? String ?? "") }
        }

        @Test("an empty chart: send refuses with the lmb setup runbook (78, nothing sent); setup creates the 13 accounts and the contact; send posts; setup again creates nothing")
        func emptyChart() async throws {
            let s = try await Self.home(["version": "UK", "chart": "empty"], fixtures: ["v2-uk-vat.txt"])
            let refused = try await s.run(["send", "41000000041"])
            #expect(refused.status == 78, "\(refused.stdout)\n\(refused.stderr)")
            #expect(refused.stderr.contains("lmb setup"), "\(refused.stderr)")
            #expect(refused.stderr.contains("LMB1") && refused.stderr.contains("does not exist"))
            #expect(try await s.invoices().isEmpty)
            #expect(try await requests(s).filter { $0.method == "PUT" }.isEmpty)

            let dry = try await s.run(["setup", "--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let planned = try Self.object(dry)
            #expect(Self.items(planned, "created", kind: "account").count == 13)
            #expect(try await requests(s).filter { $0.method == "PUT" }.isEmpty)

            let before = try await requests(s).count
            let made = try await s.run(["setup", "--json"])
            #expect(made.status == 0, "\(made.stdout)\n\(made.stderr)")
            let result = try Self.object(made)
            let accounts = Self.items(result, "created", kind: "account")
            #expect(accounts.count == 13)
            #expect(Self.items(result, "created", kind: "contact").map { $0["name"] as? String } == ["Amazon.co.uk"])
            #expect(Self.items(result, "conflicts").isEmpty)
            let sent = (result["requests"] as? [String]) ?? []
            #expect(sent.filter { $0.hasPrefix("PUT Accounts") }.count == 13)
            #expect(sent.filter { $0.hasPrefix("GET") }.count == 6)
            #expect(try await requests(s).count - before == sent.count)
            #expect((try await s.state()["xero"] as? [String: Any])?["accounts_created"] as? [String]
                    == ["LMB1", "LMB2", "LMB3", "LMB4", "LMB5", "LMB6", "LMB7", "LMB8", "LMB10", "LMB9", "LMB11", "LMB13", "LMB12"])
            func createdDetail(_ code: String) -> String { accounts.first { $0["name"] as? String == code }?["detail"] as? String ?? "" }
            #expect(createdDetail("LMB1").contains("REVENUE") && createdDetail("LMB3").contains("OTHERINCOME") && createdDetail("LMB4").contains("DIRECTCOSTS"))
            #expect(createdDetail("LMB7").contains("EXPENSE") && createdDetail("LMB8").contains("CURRLIAB") && createdDetail("LMB10").contains("CURRENT"))

            let posted = try await s.run(["send", "41000000041"])
            #expect(posted.status == 0, "\(posted.stderr)")
            #expect(try await s.invoices().count == 1)

            let again = try await s.run(["setup", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            let second = try Self.object(again)
            #expect(Self.items(second, "created").isEmpty)
            #expect(((second["requests"] as? [String]) ?? []).allSatisfy { $0.hasPrefix("GET") })
            let existing = Self.items(second, "existing", kind: "account")
            #expect(existing.count == 13)
            // The types the categories need, as Xero holds them now (GET /Accounts of the second run).
            func type(_ code: String) -> String { existing.first { $0["name"] as? String == code }?["detail"] as? String ?? "" }
            #expect(type("LMB1").hasSuffix("(REVENUE)") && type("LMB2").hasSuffix("(REVENUE)") && type("LMB3").hasSuffix("(OTHERINCOME)"))
            #expect(type("LMB4").hasSuffix("(DIRECTCOSTS)") && type("LMB7").hasSuffix("(EXPENSE)") && type("LMB8").hasSuffix("(CURRLIAB)"))
            #expect(type("LMB9").hasSuffix("(CURRLIAB)") && type("LMB10").hasSuffix("(CURRENT)") && type("LMB12").hasSuffix("(CURRENT)"))
            let text = try await s.run(["setup"])
            #expect(text.status == 0 && text.stdout.contains("Nothing created"), "\(text.stdout)")
        }

        @Test("an account with the mapping's code but another type is reported, never changed (78); --map checks and points a category at an existing account")
        func conflictAndMap() async throws {
            let s = try await Self.home(["version": "UK", "chart": "empty"], fixtures: ["v2-uk-vat.txt"])
            try #"{"categories": {"sales": {"account": "400", "taxType": "NONE", "name": "Amazon Sales"}}}"#
                .write(toFile: s.home + "/mapping.json", atomically: true, encoding: .utf8)
            let r = try await s.run(["setup", "--json"])
            #expect(r.status == 78, "\(r.stdout)\n\(r.stderr)")
            let conflicts = Self.items(try Self.object(r), "conflicts", kind: "account")
            #expect(conflicts.count == 1 && conflicts.first?["name"] as? String == "400")
            #expect((conflicts.first?["detail"] as? String)?.contains("Type OVERHEADS") == true)
            #expect(((try await s.state()["xero"] as? [String: Any])?["accounts_created"] as? [String])?.contains("400") == false)

            // --map: a revenue account for sales is taken; a bank account and an unknown category are not.
            let mapped = try await s.run(["setup", "--map", "sales=200"])
            #expect(mapped.status == 0, "\(mapped.stderr)")
            let file = try String(contentsOfFile: s.home + "/mapping.json", encoding: .utf8)
            #expect(file.contains("\"200\""))
            let bank = try await s.run(["setup", "--map", "sales=090"])
            #expect(bank.status == 78 && bank.stderr.contains("BANK"), "\(bank.stderr)")
            let wrongType = try await s.run(["setup", "--map", "sales=429"])
            #expect(wrongType.status == 78 && wrongType.stderr.contains("OVERHEADS"), "\(wrongType.stderr)")
            let missing = try await s.run(["setup", "--map", "sales=999"])
            #expect(missing.status == 78 && missing.stderr.contains("no account 999"), "\(missing.stderr)")
            let unknown = try await s.run(["setup", "--map", "fees=200"])
            #expect(unknown.status == 64, "\(unknown.stderr)")
            let after = try String(contentsOfFile: s.home + "/mapping.json", encoding: .utf8)
            #expect(after == file)
            // The first run created the 12 other accounts despite the conflict; with sales on 200 nothing is left to do.
            let made = try await s.run(["setup", "--json"])
            #expect(made.status == 0, "\(made.stdout)\n\(made.stderr)")
            let o = try Self.object(made)
            #expect(Self.items(o, "created").isEmpty && Self.items(o, "conflicts").isEmpty)
            #expect(Self.items(o, "existing", kind: "account").contains { $0["name"] as? String == "200" })
        }

        @Test("--tracking: one category \"Sales channel\" with an option per marketplace; every invoice line carries it; a second run creates nothing")
        func tracking() async throws {
            let s = try await Self.home([:], fixtures: ["v2-us.txt"])
            let r = try await s.run(["setup", "--tracking", "--json"])
            #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
            let o = try Self.object(r)
            #expect(Self.items(o, "created", kind: "tracking-category").map { $0["name"] as? String } == ["Sales channel"])
            #expect(Self.items(o, "created", kind: "tracking-option").map { $0["name"] as? String } == ["Amazon.com"])
            #expect(Self.items(o, "created", kind: "account").isEmpty)   // the demo chart has them all
            let mapping = try String(contentsOfFile: s.home + "/mapping.json", encoding: .utf8)
            #expect(mapping.contains("\"tracking\" : \"Sales channel\"") || mapping.contains("\"tracking\": \"Sales channel\""), "\(mapping)")
            let sent = try await s.run(["send", "10000000001"])
            #expect(sent.status == 0, "\(sent.stderr)")
            let invoice = try #require(try await s.invoices().first)
            let lines = invoice["LineItems"] as? [[String: Any]] ?? []
            #expect(!lines.isEmpty)
            for line in lines {
                let t = (line["Tracking"] as? [[String: Any]])?.first
                #expect(t?["Name"] as? String == "Sales channel" && t?["Option"] as? String == "Amazon.com", "\(line)")
            }
            let again = try await s.run(["setup", "--tracking", "--json"])
            #expect(again.status == 0)
            #expect(Self.items(try Self.object(again), "created").isEmpty)
        }

        @Test("a EUR settlement in a GBP organisation: its Reference carries the amount at the organisation's rate for its date")
        func foreignCurrency() async throws {
            let s = try await Self.home(["version": "UK"], fixtures: ["v2-de-comma.txt"])
            try await s.control("currencies", ["EUR": "1.1865"])
            let setup = try await s.run(["setup", "--json"])
            #expect(setup.status == 0, "\(setup.stdout)\n\(setup.stderr)")
            #expect((try Self.object(setup)["missingCurrencies"] as? [String]) == [])
            let sent = try await s.run(["send", "20000000002"])
            #expect(sent.status == 0, "\(sent.stderr)")
            let invoice = try #require(try await s.invoices().first)
            #expect(invoice["CurrencyCode"] as? String == "EUR")
            let reference = invoice["Reference"] as? String ?? ""
            #expect(reference.hasSuffix("(EUR 1090.57 = GBP 919.15)"), "\(reference)")
            let preview = try await s.run(["preview", "20000000002"])
            #expect(preview.stdout.contains("EUR 1090.57 = GBP 919.15"), "\(preview.stdout)")
            // Sent once: a second send posts nothing and does not touch the reference again.
            let again = try await s.run(["send", "20000000002"])
            #expect(again.status == 0)
            #expect(try await s.invoices().count == 1)
            #expect(try await s.invoices().first?["Reference"] as? String == reference)
        }

        @Test("a currency the organisation lacks: setup lists it (78) with where to add it")
        func missingCurrency() async throws {
            let s = try await Self.home(["version": "UK"], fixtures: ["v2-jp.txt"])
            let setup = try await s.run(["setup", "--json"])
            #expect(setup.status == 78)
            #expect((try Self.object(setup)["missingCurrencies"] as? [String]) == ["JPY"])
            let text = try await s.run(["setup"])
            #expect(text.stdout.contains("Missing currency: JPY") && text.stdout.contains("Settings → Currencies"))
        }
    }
}
