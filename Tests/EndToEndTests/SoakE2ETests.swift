import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Soak and overlap: exactly once, whatever happens")
    struct SoakE2ETests {
        static let faults = ["healthy", "lose-response", "drop-connection", "slow", "rate-limit-minute", "organisation-offline", "access-token-expired"]

        /// LMB_SOAK_SENDS sends (a short run in `make test`, 200 in `make soak`), the sandbox switching faults at
        /// random and lmb killed with SIGKILL at random moments; then a healthy `lmb send --all`.
        @Test("fault soak with kill -9, then a healthy send: every settlement in Xero once, the store agrees, the refresh token lives")
        func soak() async throws {
            let sends = ProcessInfo.processInfo.environment["LMB_SOAK_SENDS"].flatMap(Int.init) ?? 16
            let s = try await SandboxHome.connected([])
            let files = try SendE2ETests.manySettlements(30, home: s.home)
            #expect(try await s.run(["import"] + files).status == 0)
            let ids = (0..<30).map { String(20_000_000_000 + $0) }
            var rng = SeededGenerator("fault soak")
            var killed = 0, exits: [Int32: Int] = [:], scenarios: [String: Int] = [:]
            let deadline = Date().addingTimeInterval(1500)
            for _ in 0..<sends where Date() < deadline {
                let fault = Self.faults[Int.random(in: 0..<Self.faults.count, using: &rng)]
                scenarios[fault, default: 0] += 1
                try await s.control("scenario", ["scenario": fault, "delay_seconds": 2, "retry_after": 1])
                let chosen = Array(ids.shuffled(using: &rng).prefix(Int.random(in: 1...4, using: &rng)))
                let env = s.env.merging(["LMB_HTTP_TIMEOUT": "1", "LMB_BATCH_SIZE": "2", "LMB_LOCK_WAIT": "5"]) { $1 }
                let p = try LMBProcess(["send", "--quiet"] + chosen, home: s.home, environment: env)
                if Bool.random(using: &rng) {
                    try await Task.sleep(nanoseconds: UInt64.random(in: 5_000_000...300_000_000, using: &rng))
                    kill(p.process.processIdentifier, SIGKILL)
                    killed += 1
                }
                let r = try await p.finish(timeout: 60)
                exits[r.status, default: 0] += 1
                if r.status != 9 && r.status != 0 && r.status != 75 {
                    Issue.record("unexpected exit \(r.status) under \(fault): \(r.stderr)")
                }
            }
            try await s.control("scenario", ["scenario": "healthy"])
            let final = try await s.run(["send", "--all"])
            #expect(final.status == 0, "\(final.stderr)")
            let invoices = try await s.invoices()
            let numbers = invoices.compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.count == 30)
            #expect(Set(numbers) == Set(ids.map { "AMZ-\($0)" }))
            // The store agrees with Xero: the same InvoiceIDs, every posting sent.
            let stored = try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home)
            #expect(stored == 30)
            let idsInXero = Set(invoices.compactMap { $0["InvoiceID"] as? String })
            let json = try await s.run(["send", "--all", "--json"])
            #expect(json.status == 0)
            let results = ((try E2E.json(json.stdout) as? [String: Any])?["results"] as? [[String: Any]]) ?? []
            #expect(results.isEmpty || results.allSatisfy { $0["outcome"] as? String == "skipped" })
            let idsInStore = Set(try await E2E.column("SELECT xero_invoice_id FROM posting", home: s.home))
            #expect(idsInStore == idsInXero)
            // No refresh token was lost: the stored one still renews.
            let d = try await s.run(["diagnose", "--json"])
            #expect(d.status == 0, "\(d.stdout)")
            print("soak: \(sends) sends, \(killed) SIGKILLs sent (\(exits[9] ?? 0) landed before lmb finished), exits \(exits.sorted { $0.key < $1.key }), faults \(scenarios.sorted { $0.key < $1.key }); \(numbers.count) invoices, each once")
        }

        @Test("eight overlapping send --all runs (cron overlap), with diagnose refreshing alongside: each settlement once, no invalid_grant")
        func overlap() async throws {
            let s = try await SandboxHome.connected([])
            #expect(try await s.run(["import"] + (try SendE2ETests.manySettlements(12, home: s.home))).status == 0)
            try s.sql("UPDATE credential SET access_expires_at = 0")   // every run starts by needing a refresh
            let runs = try await withThrowingTaskGroup(of: (String, LMBRun).self) { group in
                for _ in 0..<8 { group.addTask { ("send", try await s.run(["send", "--all"], environment: ["LMB_BATCH_SIZE": "3", "LMB_LOCK_WAIT": "60"])) } }
                for _ in 0..<3 { group.addTask { ("diagnose", try await s.run(["diagnose", "--json"])) } }
                var out: [(String, LMBRun)] = []
                for try await r in group { out.append(r) }
                return out
            }
            for (kind, r) in runs {
                #expect(r.status == 0, "\(kind): \(r.stdout) \(r.stderr)")
                #expect(!(r.stdout + r.stderr).contains("invalid_grant"))
            }
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.count == 12)
            #expect(Set(numbers).count == 12)
            let refreshes = (try await s.state()["requests"] as? [[String: Any]] ?? []).filter { $0["path"] as? String == "/connect/token" && $0["status"] as? Int != 200 }
            #expect(refreshes.isEmpty)
            #expect(try await s.run(["diagnose"]).status == 0)
        }
    }
}
