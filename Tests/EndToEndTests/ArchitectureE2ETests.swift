import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Local things first: paths, ids, and request sizes, in lmb's words")
    struct LocalFirstE2ETests {
        struct PathCase: Sendable, CustomStringConvertible {
            var name: String
            var make: @Sendable (String) throws -> String   // home → the path to pass
            var message: String
            var description: String { name }
        }

        static let paths: [PathCase] = [
            PathCase(name: "a directory", make: { home in
                try FileManager.default.createDirectory(atPath: home + "/reports", withIntermediateDirectories: true)
                return home + "/reports"
            }, message: "a directory, not a settlement file"),
            PathCase(name: "a FIFO", make: { home in
                guard mkfifo(home + "/pipe.txt", 0o600) == 0 else { throw E2EError.timeout("mkfifo failed") }
                return home + "/pipe.txt"
            }, message: "a pipe (FIFO)"),
            PathCase(name: "a device", make: { _ in "/dev/zero" }, message: "a device, not a settlement file"),
            PathCase(name: "a dangling link", make: { home in
                guard symlink(home + "/gone.txt", home + "/link.txt") == 0 else { throw E2EError.timeout("symlink failed") }
                return home + "/link.txt"
            }, message: "a symbolic link to a file that does not exist"),
        ]

        @Test("a path that is not a readable regular file: one line, exit 66, the store unchanged", arguments: paths)
        func notARegularFile(c: PathCase) async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let before = try await BadInputE2ETests.snapshot(home)
            let path = try c.make(home)
            for command in [["import", path], ["preview", path]] {
                let r = try await E2E.run(command, home: home)
                #expect(r.status == 66, "\(command): \(r.stderr)")
                #expect(r.stderr.hasPrefix("lmb: error: \(path): \(c.message)"), "\(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
            #expect(try await BadInputE2ETests.snapshot(home) == before)
        }

        @Test("a settlement id never imported is a usage error naming it, before anything talks to Xero")
        func unknownID() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let before = (try await s.state()["requests"] as? [Any])?.count ?? -1
            let send = try await s.run(["send", "99999999999"])
            #expect(send.status == 64, "\(send.stderr)")
            #expect(send.stderr.contains("99999999999") && send.stderr.contains("lmb settlements"), "\(send.stderr)")
            #expect(!send.stderr.contains("Xero said"))
            let sendJSON = try await s.run(["send", "--json", "10000000001", "99999999999"])
            #expect(sendJSON.status == 64)
            #expect(try await s.invoices().isEmpty)
            #expect((try await s.state()["requests"] as? [Any])?.count == before)
            let preview = try await s.run(["preview", "99999999999"])
            #expect(preview.status == 64, "\(preview.stderr)")
            #expect(preview.stderr.contains("99999999999"))
            let diagnose = try await s.run(["diagnose", "--offline", "--settlement", "99999999999"])
            #expect(diagnose.status == 64, "\(diagnose.stderr)")
        }

        /// A settlement with `skus` distinct SKUs, one order each.
        static func manySKUs(_ skus: Int, id: String, home: String) throws -> String {
            var lines = ["settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmarketplace-name\tamount-type\tamount-description\tamount\tposted-date\tsku"]
            lines.append("\(id)\t2024-10-01\t2024-10-14\t2024-10-16\t\(skus).00\tUSD\t\t\t\t\t\t\t\t")
            for i in 0..<skus {
                lines.append("\(id)\t\t\t\t\t\tOrder\t111-\(i)\tAmazon.com\tItemPrice\tPrincipal\t1.00\t2024-10-02\tSKU-A-VERY-LONG-PRODUCT-CODE-\(i)")
            }
            let path = home + "/\(id).txt"
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        @Test("one document larger than Xero accepts is refused by lmb before sending; smaller ones go in batches within the size")
        func sizes() async throws {
            let s = try await SandboxHome.connected([])
            #expect(try await s.run(["mapping", "init"]).status == 0)
            let mappingURL = URL(fileURLWithPath: s.home + "/mapping.json")
            var mapping = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: mappingURL)) as? [String: Any])
            mapping["grouping"] = "sku"
            try JSONSerialization.data(withJSONObject: mapping).write(to: mappingURL)
            let big = try Self.manySKUs(30_000, id: "70000000001", home: s.home)
            #expect(try await s.run(["import", big]).status == 0)
            let r = try await s.run(["send", "--json", "70000000001"])
            #expect(r.status == 65, "\(r.stderr)")
            let result = try #require((try E2E.json(r.stdout) as? [String: Any])?["results"] as? [[String: Any]]).first
            #expect(result?["classification"] as? String == "too_large")
            #expect((result?["message"] as? String)?.contains("Xero accepts at most 3.5 MB") == true)
            #expect(try await s.invoices().isEmpty)
            let puts = ((try await s.state()["requests"] as? [[String: Any]]) ?? []).filter { $0["method"] as? String == "PUT" }
            #expect(puts.isEmpty)

            // Five settlements of ~40 SKUs each, with requests capped at 12 kB: several PUTs, every one sent once.
            for i in 0..<5 { #expect(try await s.run(["import", try Self.manySKUs(40, id: "7100000000\(i)", home: s.home)]).status == 0) }
            let batched = try await s.run(["send", "71000000000", "71000000001", "71000000002", "71000000003", "71000000004"],
                                          environment: ["LMB_MAX_BODY_BYTES": "12000"])
            #expect(batched.status == 0, "\(batched.stderr)")
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(Set(numbers).count == 5 && numbers.count == 5)
            let putCount = ((try await s.state()["requests"] as? [[String: Any]]) ?? []).filter { $0["method"] as? String == "PUT" }.count
            #expect(putCount >= 3, "\(putCount) PUTs")
        }

        @Test("Xero's own 413 is too_large: exit 65, never retried by cron, the document free to send again")
        func xero413() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("config", ["max_body_bytes": 200])
            let r = try await s.run(["send", "--json", "10000000001"])
            #expect(r.status == 65, "\(r.stderr)")
            let result = try #require((try E2E.json(r.stdout) as? [String: Any])?["results"] as? [[String: Any]]).first
            #expect(result?["classification"] as? String == "too_large")
            #expect(result?["httpStatus"] as? Int == 413)
            #expect(try await E2E.column("SELECT state FROM posting", home: s.home) == ["failed"])
            try await s.control("config", ["max_body_bytes": 3_500_000])
            #expect(try await s.run(["send", "10000000001"]).status == 0)
            #expect(try await s.invoices().count == 1)
        }
    }
}
