import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Splits, currencies and lock dates against the sandbox")
    struct AccountingDepthE2ETests {
        func puts(_ s: SandboxHome) async throws -> Int {
            (try await s.state()["requests"] as? [[String: Any]] ?? []).filter { $0["method"] as? String == "PUT" }.count
        }

        @Test("a split settlement goes as one batch, exactly once; each part dated in its month")
        func split() async throws {
            let s = try await SandboxHome.connected(["v2-split-two-months.txt"])
            let preview = try await s.run(["preview", "21000000021"])
            #expect(preview.stdout.contains("Part 1 of 2") && preview.stdout.contains("Part 2 of 2"))
            #expect(try await s.run(["send", "--all"]).status == 0)
            let invoices = try await s.invoices()
            #expect(invoices.compactMap { $0["InvoiceNumber"] as? String }.sorted() == ["AMZ-21000000021-1", "AMZ-21000000021-2"])
            #expect(invoices.compactMap { $0["Date"] as? String }.sorted() == ["2024-10-31", "2024-11-08"])
            #expect(try await puts(s) == 1)
            #expect(try await s.run(["send", "21000000021"]).stdout.contains("skipped"))
            #expect(try await s.invoices().count == 2)
        }

        @Test("a currency the organisation lacks is refused by lmb, in its own words, before Xero sees it")
        func currency() async throws {
            let s = try await SandboxHome.connected(["v2-jp.txt"])
            let r = try await s.run(["send", "11000000010"])
            #expect(r.status == 65)
            #expect(r.stderr.contains("the organisation has no JPY currency enabled"))
            #expect(r.stderr.contains("Settings → Currencies → Add Currency"))
            #expect(try await puts(s) == 0)
            let d = try await s.run(["diagnose", "--json"])
            let checks = (try E2E.json(d.stdout) as? [String: Any])?["checks"] as? [[String: Any]] ?? []
            #expect(checks.first { $0["id"] as? String == "currencies" }?["status"] as? String == "fail")
            try await s.control("organisation", ["currencies": ["USD", "JPY"]])
            #expect(try await s.run(["send", "11000000010"]).status == 0)
        }

        @Test("a document dated before the lock date goes on the first open day, with a note; preview then says so")
        func lockDate() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("organisation", ["period_lock_date": "2024-10-20"])
            let r = try await s.run(["send", "10000000001", "--status", "authorised"])
            #expect(r.status == 0, "\(r.stderr)")
            let invoice = try #require(try await s.invoices().first)
            #expect(invoice["Date"] as? String == "2024-10-21")
            let lines = invoice["LineItems"] as? [[String: Any]] ?? []
            #expect(lines.allSatisfy { ($0["Description"] as? String)?.contains("the period to 2024-10-20 is locked in Xero") == true })
            let preview = try await s.run(["preview", E2E.fixture("v2-us.txt")])
            #expect(preview.stdout.contains("Note: dated 2024-10-21"))
        }
    }
}

extension EndToEnd {
    @Suite("Etsy payouts, imported and sent like Amazon settlements")
    struct EtsyE2ETests {
        @Test("an Etsy statement imports as one settlement per payout, sends once, and re-imports as a no-op")
        func etsy() async throws {
            let s = try await SandboxHome.connected(["etsy-statement.csv"])
            let list = try await s.run(["settlements", "--json"])
            let ids = ((try E2E.json(list.stdout) as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            #expect(ids.sorted() == ["etsy-20251103-6887", "etsy-20251128-128726"])
            #expect(try await s.run(["send", "--all"]).status == 0)
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.sorted() == ["etsy-20251103-6887", "etsy-20251128-128726"])
            let again = try await s.run(["import", E2E.fixture("etsy-statement.csv")])
            #expect(again.stdout.components(separatedBy: "already imported").count == 3)
        }
    }
}
