import Foundation
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("lmb sync, and each settlement to its bound organisation")
    struct SyncE2ETests {
        static let tenant = "6f2a9c1e-3b7d-4e8a-9f10-5c2b7d4e8a91"   // the sandbox's organisation

        @Test("sync fetches, then sends each settlement to its account's organisation; --json holds both; once only")
        func sync() async throws {
            let s = try await SandboxHome.connected([])
            let ids = try await s.postSettlements(3)
            let connect = try await s.amazonConnect(["--name", "eu-main"])
            #expect(connect.stdout.contains("go to Demo Seller Ltd (tenant \(Self.tenant))"), "\(connect.stdout)")
            let r = try await s.lmb(["sync", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            let fetched = try #require((json["fetch"] as? [String: Any])?["fetched"] as? [[String: Any]])
            #expect(fetched.map { $0["outcome"] as? String } == ["imported", "imported", "imported"])
            let sent = try #require((json["send"] as? [String: Any])?["results"] as? [[String: Any]])
            #expect(Set(sent.compactMap { $0["settlement"] as? String }) == Set(ids))
            #expect(sent.allSatisfy { $0["outcome"] as? String == "sent" && $0["tenantId"] as? String == Self.tenant && $0["tenantName"] as? String == "Demo Seller Ltd" })
            #expect(try await s.invoices().count == 3)
            let again = try await s.lmb(["sync"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("eu-main: nothing new") && again.stdout.contains("Nothing to send"), "\(again.stdout)")
            #expect(try await s.invoices().count == 3)
        }

        @Test("a settlement bound to an organisation no longer connected is refused (78), not sent to the default; hand imports go to the default; an explicit --tenant overrides")
        func routing() async throws {
            let s = try await SandboxHome.connected(["v2-negative.txt"])
            try await s.postSettlements(2)
            try await s.amazonConnect()
            #expect(try await s.lmb(["fetch"]).status == 0)
            // As if the account had been bound to another organisation when 30000000000 was fetched.
            try s.sql("UPDATE amazon_report SET tenant_id = 'aaaaaaaa-0000-4000-8000-000000000001' WHERE settlement_id = '30000000000'")
            let r = try await s.lmb(["send", "--all", "--json"])
            #expect(r.status == 78, "\(r.stderr)")
            let results = try #require((try E2E.json(r.stdout) as? [String: Any])?["results"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: results.compactMap { r in (r["settlement"] as? String).map { ($0, r) } })
            #expect(byID["30000000000"]?["outcome"] as? String == "failed")
            #expect(byID["30000000000"]?["classification"] as? String == "config")
            #expect((byID["30000000000"]?["message"] as? String)?.contains("the Amazon account 'eu'") == true)
            #expect(byID["30000000001"]?["outcome"] as? String == "sent")
            #expect(byID["60000000006"]?["outcome"] as? String == "sent")   // imported by hand: the default organisation
            #expect(Set(try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }) == ["AMZ-30000000001", "AMZ-60000000006"])
            // send --all --tenant names the organisation for unbound settlements only: the bound one is still refused.
            #expect(try await s.lmb(["send", "--all", "--tenant", "Demo Seller Ltd"]).status == 78)
            // A person naming both the settlement and the organisation decides.
            let explicit = try await s.lmb(["send", "30000000000", "--tenant", "Demo Seller Ltd"])
            #expect(explicit.status == 0, "\(explicit.stderr)")
            #expect(try await s.invoices().count == 3)
        }

        @Test("eight overlapping lmb sync runs post each settlement once")
        func eightOverlapping() async throws {
            let s = try await SandboxHome.connected([])
            try await s.amazonRates(times: 1000)
            let ids = try await s.postSettlements(8)
            try await s.amazonConnect()
            let runs = try await withThrowingTaskGroup(of: LMBRun.self) { group in
                for _ in 0..<8 { group.addTask { try await s.lmb(["sync"], ["LMB_LOCK_WAIT": "120", "LMB_BATCH_SIZE": "2"]) } }
                var out: [LMBRun] = []
                for try await r in group { out.append(r) }
                return out
            }
            for r in runs { #expect(r.status == 0 || r.status == 75, "\(r.status): \(r.stderr)") }
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.count == 8 && Set(numbers) == Set(ids.map { "AMZ-\($0)" }))
            let imported = runs.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.contains(": imported settlement ") }
            #expect(imported.count == 8)
            let sentLines = runs.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.hasPrefix("sent ") }
            #expect(sentLines.count == 8)
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report", home: s.home) == 8)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home) == 8)
        }

        @Test("a sync that Amazon refuses posts one notification naming the account, the classification and the first step, no secret")
        func notifies() async throws {
            let s = try await SandboxHome.connected([])
            try await s.postSettlements(1)
            try await s.amazonConnect()
            try s.writeConfig(["notify": ["webhook": s.sandbox.baseURL + "/_sandbox/notifications"]])
            try await s.control("scenario", ["scenario": "amazon-role-missing"])
            let r = try await s.lmb(["sync"])
            #expect(r.status == 77, "\(r.stderr)")
            let notes = try #require(try await s.state()["notifications"] as? [[String: Any]])
            #expect(notes.count == 1)
            let failure = try #require((notes.first?["failures"] as? [[String: Any]])?.first)
            #expect(failure["classification"] as? String == "permission_denied")
            #expect((failure["message"] as? String)?.contains("Amazon account eu") == true)
            #expect((failure["runbookFirstStep"] as? String)?.contains("Finance and Accounting") == true)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: notes), as: UTF8.self)
            for secret in try await s.amazonSecrets() { #expect(!body.contains(secret)) }
        }

        @Test("sync without an Amazon account still sends what is ready, and exits 78 for the missing account")
        func syncWithoutAmazon() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let r = try await s.lmb(["sync", "--json"])
            #expect(r.status == 78, "\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(((json["fetch"] as? [String: Any])?["error"] as? String)?.contains("no Amazon selling account is connected") == true)
            #expect(try await s.invoices().count == 1)
        }
    }
}
