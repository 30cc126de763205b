import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension SandboxHome {
    /// The sandbox's invoices by number: their status.
    func invoiceStatuses() async throws -> [String: String] {
        var out: [String: String] = [:]
        for inv in try await invoices() {
            if let n = inv["InvoiceNumber"] as? String { out[n] = inv["Status"] as? String ?? "" }
        }
        return out
    }

    /// Points a mapping category at another account in mapping.json.
    func remap(_ category: String, account: String) throws {
        let path = home + "/mapping.json"
        var mapping = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var categories = mapping["categories"] as? [String: Any] ?? [:]
        var entry = categories[category] as? [String: Any] ?? [:]
        entry["account"] = account
        categories[category] = entry
        mapping["categories"] = categories
        try JSONSerialization.data(withJSONObject: mapping, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
    }
}

extension EndToEnd {
    @Suite("lmb rollback — the built binary against the sandbox")
    struct RollbackE2ETests {
        static let id = "10000000001"

        @Test("a DRAFT is deleted; with a changed mapping the next send posts -r2; log shows both generations")
        func draftThenResend() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let sent = try await s.run(["send", Self.id])
            #expect(sent.status == 0, "\(sent.stderr)")
            let number = try #require(try await s.invoiceStatuses().keys.first)

            let dry = try await s.run(["rollback", Self.id, "--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let planned = try #require((try E2E.json(dry.stdout) as? [String: Any])?["results"] as? [[String: Any]])
            #expect(planned.first?["outcome"] as? String == "planned")
            #expect(try await s.invoiceStatuses()[number] == "DRAFT")

            let r = try await s.run(["rollback", Self.id])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("rolled back \(Self.id)"))
            #expect(r.stdout.contains("\(number)-r2"))
            #expect(try await s.invoiceStatuses()[number] == "DELETED")
            #expect(try await s.run(["settlements", "--json"]).stdout.contains("\"ready\""))

            // A second rollback has nothing left to take back.
            let again = try await s.run(["rollback", Self.id])
            #expect(again.status == 0)
            #expect(again.stdout.contains("nothing to take back"))

            #expect(try await s.run(["mapping", "init"]).status == 0)
            try s.remap("sales", account: "200")
            let resent = try await s.run(["send", Self.id])
            #expect(resent.status == 0, "\(resent.stderr)")
            let statuses = try await s.invoiceStatuses()
            #expect(statuses["\(number)-r2"] == "DRAFT")
            #expect(statuses.count == 2)
            let r2 = try #require(try await s.invoices().first { $0["InvoiceNumber"] as? String == "\(number)-r2" })
            let accounts = (r2["LineItems"] as? [[String: Any]] ?? []).compactMap { $0["AccountCode"] as? String }
            #expect(accounts.contains("200"))
            // Sending again posts nothing new.
            #expect(try await s.run(["send", Self.id]).stdout.contains("already sent"))
            #expect(try await s.invoices().count == 2)

            let log = try await s.run(["log", "--settlement", Self.id])
            #expect(log.status == 0, "\(log.stderr)")
            #expect(log.stdout.contains("generation 1 rolled back"))
            #expect(log.stdout.contains("\(number)-r2"))
        }

        @Test("an AUTHORISED document is voided, --json says so; a second rollback of -r2 makes -r3")
        func authorisedVoided() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            #expect(try await s.run(["send", Self.id, "--status", "authorised"]).status == 0)
            let number = try #require(try await s.invoiceStatuses().keys.first)
            let r = try await s.run(["rollback", Self.id, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try #require((try E2E.json(r.stdout) as? [String: Any])?["results"] as? [[String: Any]])
            #expect(results.first?["outcome"] as? String == "rolled-back")
            let docs = results.first?["documents"] as? [[String: Any]] ?? []
            #expect(docs.first?["from"] as? String == "AUTHORISED")
            #expect(docs.first?["to"] as? String == "VOIDED")
            #expect(results.first?["generation"] as? Int == 2)
            #expect(try await s.invoiceStatuses()[number] == "VOIDED")

            #expect(try await s.run(["send", Self.id, "--status", "authorised"]).status == 0)
            #expect(try await s.run(["rollback", Self.id]).status == 0)
            #expect(try await s.run(["send", Self.id]).status == 0)
            let statuses = try await s.invoiceStatuses()
            #expect(statuses == [number: "VOIDED", "\(number)-r2": "VOIDED", "\(number)-r3": "DRAFT"])
        }

        @Test("an id never imported is a usage error (64); a settlement never sent has nothing to take back")
        func usage() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            #expect(try await s.run(["rollback", "999"]).status == 64)
            let r = try await s.run(["rollback", Self.id])
            #expect(r.status == 0)
            #expect(r.stdout.contains("never sent"))
        }

        @Test("kill -9 during a rollback of 12 settlements, then rollback again and send: one live set of documents each")
        func killDuringRollback() async throws {
            let s = try await SandboxHome.connected([])
            let files = try SendE2ETests.manySettlements(12, home: s.home)
            #expect(try await s.run(["import"] + files).status == 0)
            let ids = (0..<12).map { String(20_000_000_000 + $0) }
            let sent = try await s.run(["send", "--all", "--status", "authorised"])
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(try await s.invoices().count == 12)

            try await s.control("scenario", ["scenario": "slow", "delay_seconds": 0.15])
            var landed = 0
            for round in 0..<3 {
                let target = 3 * (round + 1)
                let p = try LMBProcess(["rollback", "--quiet"] + ids, home: s.home, environment: s.env.merging(["LMB_HTTP_TIMEOUT": "20"]) { $1 })
                if try await E2E.sigkill(p, when: "\(target) documents voided", { try await s.invoiceStatuses().values.filter { $0 == "VOIDED" }.count >= target }) {
                    landed += 1
                }
            }
            #expect(landed > 0, "no kill landed while lmb was rolling back")
            try await s.control("scenario", ["scenario": "healthy"])
            // send refuses what is halfway; rollback finishes it.
            let finish = try await s.run(["rollback"] + ids)
            #expect(finish.status == 0, "\(finish.stderr)")
            #expect(try await s.invoiceStatuses().values.allSatisfy { $0 == "VOIDED" })
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting_history", home: s.home) == 12)

            let resend = try await s.run(["send", "--all"])
            #expect(resend.status == 0, "\(resend.stderr)")
            let statuses = try await s.invoiceStatuses()
            for id in ids {
                let live = statuses.filter { $0.key.contains(id) && $0.value != "VOIDED" && $0.value != "DELETED" }
                #expect(live.count == 1, "settlement \(id): \(live)")
                #expect(live.keys.allSatisfy { $0.hasSuffix("-r2") })
            }
        }

        @Test("rollback takes the cost-of-goods journal back with the invoice (POSTED voided, DRAFT deleted); -r2 after it includes a new journal")
        func journalRolledBack() async throws {
            let s = try await COGSFixture.ready()
            #expect(try await s.run(["setup"]).status == 0)
            let id = COGSFixture.id
            #expect(try await s.run(["send", id, "--status", "authorised"]).status == 0)
            #expect(try await s.manualJournals().map { $0["Status"] as? String } == ["POSTED"])

            let dry = try await s.run(["rollback", id, "--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let planned = ((try E2E.json(dry.stdout) as? [String: Any])?["results"] as? [[String: Any]])?.first?["documents"] as? [[String: Any]] ?? []
            #expect(planned.contains { $0["invoiceNumber"] as? String == "AMZ-\(id)-COGS" && $0["to"] as? String == "VOIDED" }, "\(dry.stdout)")

            let r = try await s.run(["rollback", id])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("AMZ-\(id)-COGS-r2"), "\(r.stdout)")
            #expect(try await s.manualJournals().map { $0["Status"] as? String } == ["VOIDED"])
            #expect(try await s.invoiceStatuses()["AMZ-\(id)"] == "VOIDED")
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting_history WHERE type = 'MANUALJOURNAL'", home: s.home) == 1)

            // The next send posts generation 2: the invoice and a new journal, both -r2.
            let resent = try await s.run(["send", id])
            #expect(resent.status == 0, "\(resent.stderr)")
            let journals = try await s.manualJournals()
            #expect(journals.count == 2)
            let live = journals.filter { $0["Status"] as? String == "DRAFT" }
            #expect(live.count == 1)
            #expect((live.first?["Narration"] as? String ?? "").hasPrefix("AMZ-\(id)-COGS-r2 "))
            let amounts = (live.first?["JournalLines"] as? [[String: Any]] ?? []).compactMap { SandboxHome.minor($0["LineAmount"]) }
            #expect(amounts.reduce(0, +) == 0 && amounts.filter { $0 > 0 }.reduce(0, +) == COGSFixture.fbaMinor + COGSFixture.merchantMinor)
            #expect(try await s.invoiceStatuses()["AMZ-\(id)-r2"] == "DRAFT")

            // A DRAFT journal is deleted.
            #expect(try await s.run(["rollback", id]).status == 0)
            #expect(try await s.manualJournals().compactMap { $0["Status"] as? String }.sorted() == ["DELETED", "VOIDED"])
        }

        @Test("a rollback stopped halfway makes send refuse the settlement with the rollback runbook")
        func sendRefusesHalfway() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            #expect(try await s.run(["send", Self.id]).status == 0)
            try s.sql("UPDATE posting SET state = 'rolling-back'")
            let r = try await s.run(["send", Self.id])
            #expect(r.status == 65)
            #expect(r.stderr.contains("lmb rollback \(Self.id)"))
            #expect(try await s.run(["settlements", "--json"]).stdout.contains("\"rolling-back\""))
            let fixed = try await s.run(["rollback", Self.id])
            #expect(fixed.status == 0, "\(fixed.stderr)")
            #expect(try await s.run(["send", Self.id]).status == 0)
            #expect(Set(try await s.invoiceStatuses().values) == ["DELETED", "DRAFT"])
        }
    }
}
