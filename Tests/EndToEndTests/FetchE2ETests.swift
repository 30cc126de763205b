import Foundation
import TestSupport
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("lmb fetch — the built binary against the Amazon emulator")
    struct FetchE2ETests {
        static func fetched(_ r: LMBRun) throws -> [[String: Any]] {
            try #require((try E2E.json(r.stdout) as? [String: Any])?["fetched"] as? [[String: Any]], "\(r.stdout)\(r.stderr)")
        }

        @Test("3 new settlements: 1 getReports, 3 getReportDocument, 3 downloads, 3 imported; a second fetch downloads nothing")
        func threeThenNothing() async throws {
            let s = try await SandboxHome()
            let ids = try await s.postSettlements(3)
            try await s.amazonConnect()
            let before = try await s.amazonRequests().all.count
            let r = try await s.lmb(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["imported", "imported", "imported"])
            #expect(Set(results.compactMap { $0["settlement"] as? String }) == Set(ids))
            #expect(results.allSatisfy { $0["account"] as? String == "eu" && $0["classification"] as? String == "ok" && $0["reportId"] is String })
            let first = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(before)))
            print("fetch of 3 new settlements: \(first.summary)")
            #expect(first.count("getReports") == 1 && first.count("getReportDocument") == 3 && first.count("download") == 3 && first.count("lwa") == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 3)

            let mark = try await s.amazonRequests().all.count
            let again = try await s.lmb(["fetch"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("eu: nothing new (3 settlement reports"), "\(again.stdout)")
            let second = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
            print("fetch with nothing new: \(second.summary)")
            #expect(second.count("getReports") == 1 && second.count("getReportDocument") == 0 && second.count("download") == 0)
            // The second listing starts from the first fetch, less the overlap: not 89 days back again.
            let queries = second.getReports.compactMap { $0["query"] as? String }
            #expect(queries.count == 1 && queries[0].contains("createdSince="))
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report WHERE outcome = 'imported'", home: s.home) == 3)
            #expect(try await E2E.count("SELECT COUNT(*) FROM event WHERE kind = 'fetch'", home: s.home) == 2)
        }

        @Test("one settlement in two reports is one settlement; a regenerated copy that differs keeps the stored one")
        func sameSettlementTwice() async throws {
            let s = try await SandboxHome()
            try await s.postReport(try AmazonE2E.settlement("30000000001"))
            try await s.postReport(try AmazonE2E.settlement("30000000001"), compression: "GZIP")
            try await s.postReport(try AmazonE2E.settlement("30000000001", variant: true))
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["imported", "known", "known"])
            #expect(results.allSatisfy { $0["settlement"] as? String == "30000000001" })
            #expect((results.last?["message"] as? String)?.contains("differs and was not used") == true)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report", home: s.home) == 3)
            let firstReport = try #require(results[0]["reportId"] as? String)
            #expect(try await E2E.column("SELECT source_file FROM settlement", home: s.home) == ["report \(firstReport)"])
        }

        @Test("250 reports page through nextToken (alone on later pages): 3 getReports, 250 documents, 250 downloads")
        func twoHundredFifty() async throws {
            let s = try await SandboxHome()
            try await s.amazonRates(times: 1000)
            let ids = try await s.postSettlements(250)
            try await s.amazonConnect()
            let mark = try await s.amazonRequests().all.count
            let dry = try await s.lmb(["fetch", "--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry.stderr)")
            let listed = try Self.fetched(dry)
            #expect(listed.count == 250 && listed.allSatisfy { $0["outcome"] as? String == "would_download" })
            let dryRequests = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
            #expect(dryRequests.count("getReports") == 3 && dryRequests.count("download") == 0 && dryRequests.count("getReportDocument") == 0)
            let queries = dryRequests.getReports.compactMap { $0["query"] as? String }
            #expect(queries.first?.contains("pageSize=100") == true)
            for later in queries.dropFirst() {
                #expect(later.hasPrefix("nextToken=") && !later.contains("&"), "\(later)")
            }
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 0)

            let mark2 = try await s.amazonRequests().all.count
            let r = try await s.lmb(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try Self.fetched(r).filter { $0["outcome"] as? String == "imported" }.count == 250)
            let counted = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark2)))
            print("fetch of 250 new settlements: \(counted.summary), 429s \(counted.rateLimited)")
            #expect(counted.count("getReports") == 3 && counted.count("getReportDocument") == 250 && counted.count("download") == 250)
            #expect(counted.rateLimited == 0)
            #expect(Set(try await E2E.column("SELECT id FROM settlement", home: s.home)) == Set(ids))
        }

        @Test("a GZIP + Cp1252 document keeps its accented descriptions (€, –, é, ü)")
        func cp1252() async throws {
            let s = try await SandboxHome()
            try await s.postReport(try AmazonE2E.accentedSettlement(), compression: "GZIP", charset: "Cp1252")
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("[gzip, windows-1252]"), "\(r.stdout)")
            let descriptions = try await E2E.column("SELECT DISTINCT amount_description FROM transaction_row", home: s.home)
            #expect(descriptions.contains("Versandgebühr – Café €"), "\(descriptions)")
            let skus = try await E2E.column("SELECT DISTINCT sku FROM transaction_row", home: s.home)
            #expect(skus == ["Café-Tasse"])
        }

        @Test("a Shift_JIS document keeps its Japanese; one without a charset is detected as UTF-8")
        func shiftJISAndNone() async throws {
            let s = try await SandboxHome()
            try await s.postReport(try AmazonE2E.settlement("30000000001").replacingOccurrences(of: "\tSKU-1\t", with: "\t商品-１\t"), charset: "Shift_JIS")
            try await s.postReport(try AmazonE2E.settlement("30000000002").replacingOccurrences(of: "\tSKU-1\t", with: "\tCafé-Tasse\t"), charset: "none")
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("[Shift_JIS]") && r.stdout.contains("[UTF-8 (detected)]"), "\(r.stdout)")
            #expect(try await E2E.column("SELECT DISTINCT sku FROM transaction_row ORDER BY settlement_id", home: s.home) == ["商品-１", "Café-Tasse"])
        }

        @Test("a pre-signed address S3 calls expired is asked for again, and the document comes")
        func expiredURL() async throws {
            let s = try await SandboxHome()
            try await s.postSettlements(2)
            try await s.amazonConnect()
            try await s.control("scenario", ["scenario": "amazon-url-expired"])
            let mark = try await s.amazonRequests().all.count
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("1 fresh address after S3 said expired"), "\(r.stdout)")
            let counted = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
            #expect(counted.count("getReportDocument") == 4 && counted.count("download") == 4)
            #expect(counted.all.filter { AmazonE2E.Requests.kind($0) == "download" && $0["status"] as? Int == 403 }.count == 2)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 2)
        }

        struct Scenario: Sendable, CustomStringConvertible {
            var scenario: String?
            var classification: String
            var exit: Int32
            var runbook: String
            var description: String { scenario ?? "no Amazon at all" }
        }

        static let scenarios: [Scenario] = [
            Scenario(scenario: "amazon-refresh-revoked", classification: "stale_connection", exit: 77, runbook: "Apps and Services → Develop Apps"),
            Scenario(scenario: "amazon-client-secret-expired", classification: "config", exit: 78, runbook: "Run `lmb amazon secret`"),
            Scenario(scenario: "amazon-role-missing", classification: "permission_denied", exit: 77, runbook: "Finance and Accounting role"),
            Scenario(scenario: "amazon-quota", classification: "rate_limited", exit: 75, runbook: "exit code 75 means: retry later"),
            Scenario(scenario: nil, classification: "network", exit: 75, runbook: "check this machine's internet connection"),
        ]

        @Test("each refusal: its classification, exit code and runbook; nothing recorded; healthy again, the report comes", arguments: scenarios)
        func refusals(c: Scenario) async throws {
            let s = try await SandboxHome()
            try await s.postSettlements(1)
            try await s.amazonConnect()
            // Fast retries after a 429, from config.json's amazon section (a documented setting, not a test hook).
            try s.writeConfig(["amazon": ["rate_limits": ["getReports": ["rate": 50, "burst": 10]], "max_rate_limit_wait_seconds": 5]])
            var env: [String: String] = [:]
            if let scenario = c.scenario { try await s.control("scenario", ["scenario": scenario]) } else { env["LMB_AMAZON_BASE_URL"] = "http://127.0.0.1:1" }
            let mark = try await s.amazonRequests().all.count
            let r = try await s.lmb(["fetch"], env)
            #expect(r.status == c.exit, "\(r.stderr)")
            #expect(r.stderr.contains("Amazon account eu: "), "\(r.stderr)")
            #expect(r.stderr.contains("[\(c.classification)]"), "\(r.stderr)")
            #expect(r.stderr.contains(c.runbook), "\(r.stderr)")
            let json = try await s.lmb(["fetch", "--json"], env)
            #expect(json.status == c.exit)
            let result = try #require(try Self.fetched(json).first)
            #expect(result["outcome"] as? String == "failed")
            #expect(result["classification"] as? String == c.classification)
            #expect(result["reportId"] is NSNull)
            #expect((result["runbook"] as? [String])?.isEmpty == false)
            if c.scenario == "amazon-quota" {
                // Waited out and retried within the bound (3 retries), then stopped: 4 getReports per run.
                let counted = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
                #expect(counted.count("getReports") == 8, "\(counted.summary)")
                #expect(r.stderr.contains("gave up after 3 waits"), "\(r.stderr)")
            }
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report", home: s.home) == 0)
            #expect(try await E2E.column("SELECT last_fetch_at FROM amazon_account", home: s.home) == ["None"])
            try await s.control("scenario", ["scenario": "healthy"])
            let healthy = try await s.lmb(["fetch"])
            #expect(healthy.status == 0, "\(healthy.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 1)
        }

        @Test("a 429 in the middle stops the fetch with 75; what was imported stays, and the next fetch takes the rest")
        func quotaMidway() async throws {
            let s = try await SandboxHome()
            let ids = try await s.postSettlements(5)
            try await s.amazonConnect()
            // Amazon allows 2 documents now and then one every 1000 s; lmb is told it may do 15 at once.
            try await s.amazonControl("config", ["buckets": ["getReportDocument": ["rate": 0.001, "burst": 2]]])
            let r = try await s.lmb(["fetch", "--json"])
            #expect(r.status == 75, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["imported", "imported", "failed"])
            #expect(results.last?["classification"] as? String == "rate_limited")
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report", home: s.home) == 2)
            #expect(try await E2E.column("SELECT last_fetch_at FROM amazon_account", home: s.home) == ["None"])
            try await s.amazonRates(times: 1000)
            let next = try await s.lmb(["fetch", "--json"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(try Self.fetched(next).map { $0["outcome"] as? String } == ["imported", "imported", "imported"])
            #expect(Set(try await E2E.column("SELECT id FROM settlement", home: s.home)) == Set(ids))
        }

        @Test("a report that does not add up is failed once (exit 65), listed by amazon status, and not downloaded again")
        func doesNotAddUp() async throws {
            let s = try await SandboxHome()
            let bad = try String(contentsOfFile: E2E.fixture("bad-does-not-add-up.txt"), encoding: .utf8)
            try await s.postReport(bad)
            try await s.postSettlements(1)
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch", "--json"])
            #expect(r.status == 65, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["failed", "imported"])
            #expect(results.first?["classification"] as? String == "does_not_add_up")
            let status = try await s.lmb(["amazon", "status", "--json"])
            let account = try #require((try E2E.json(status.stdout) as? [[String: Any]])?.first)
            #expect((account["failedReports"] as? [Any])?.count == 1)
            let mark = try await s.amazonRequests().all.count
            let again = try await s.lmb(["fetch"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark))).count("download") == 0)
        }

        @Test("a healthy fetch of 40 new settlements, at the emulator's rates × 1000, never receives a 429")
        func fortyWithout429() async throws {
            let s = try await SandboxHome()
            try await s.amazonRates(times: 1000)
            try await s.postSettlements(40)
            try await s.amazonConnect()
            let mark = try await s.amazonRequests().all.count
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            let counted = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
            print("fetch of 40 new settlements: \(counted.summary), 429s \(counted.rateLimited)")
            #expect(counted.rateLimited == 0)
            #expect(counted.count("getReportDocument") == 40)
            #expect(!r.stderr.contains("429"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 40)
        }

        @Test("kill -9 at random points during a fetch of 20, then a fetch: every settlement once, whole, with its report")
        func killNine() async throws {
            let s = try await SandboxHome()
            try await s.amazonRates(times: 300)
            let ids = try await s.postSettlements(20)
            try await s.amazonConnect()
            var rng = SeededGenerator("kill -9 during fetch")
            var afterKills: [Int] = []
            var landed = 0
            for _ in 0..<6 {
                // Killed once it has downloaded a few more documents: between a download and its import's commit, or
                // inside the import — a state mid-fetch, not a guess at how long the fetch takes.
                let downloaded = try await s.amazonRequests().count("download")
                let target = downloaded + Int.random(in: 1...3, using: &rng)
                let p = try LMBProcess(["fetch", "--quiet"], home: s.home, environment: s.amazonEnv)
                if try await E2E.sigkill(p, when: "\(target) documents downloaded", { try await s.amazonRequests().count("download") >= target }) {
                    landed += 1
                }
                afterKills.append(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home))
            }
            print("kill -9 during fetch: settlements stored after each kill: \(afterKills)")
            #expect(landed > 0 && afterKills.contains { $0 < 20 }, "no kill landed before the fetch had finished: \(afterKills)")
            let final = try await s.lmb(["fetch"])
            #expect(final.status == 0, "\(final.stderr)")
            #expect(Set(try await E2E.column("SELECT id FROM settlement", home: s.home)) == Set(ids))
            // No settlement half-imported: every one has all its rows and the report it came from.
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement s WHERE s.row_count != (SELECT COUNT(*) FROM transaction_row t WHERE t.settlement_id = s.id)", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM amazon_report r WHERE r.settlement_id = s.id)", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(DISTINCT settlement_id) FROM amazon_report", home: s.home) == 20)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: s.home).filter { $0.hasPrefix(".fetch-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }

        @Test("--verbose --trace-bodies traces every exchange with Amazon, never a token, a secret or a pre-signed address")
        func verbose() async throws {
            let s = try await SandboxHome()
            try await s.postSettlements(1)
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch", "--verbose", "--trace-bodies"])
            #expect(r.status == 0, "\(r.stderr)")
            for what in ["/auth/o2/token", "/reports/2021-06-30/reports", "/reports/2021-06-30/documents/", "/tortuga-prod-na/"] {
                #expect(r.stderr.contains(what), "no trace of \(what): \(r.stderr)")
            }
            #expect(r.stderr.contains("x-amzn-ratelimit-limit="))
            #expect(!r.stderr.contains("X-Amz-Signature") && !r.stderr.contains("Atza|") && !r.stderr.contains("Atzr|"), "\(r.stderr)")
            for secret in try await s.amazonSecrets() { #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret)) }
        }

        @Test("not connected to Amazon is exit 78 with the connect steps; --account naming nothing is 78 too")
        func notConnected() async throws {
            let s = try await SandboxHome()
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 78)
            #expect(r.stderr.contains("[not_connected]") && r.stderr.contains("lmb amazon connect"), "\(r.stderr)")
            try await s.amazonConnect()
            let wrong = try await s.lmb(["fetch", "--account", "nowhere"])
            #expect(wrong.status == 78)
            #expect(wrong.stderr.contains("no Amazon selling account is labelled 'nowhere'"), "\(wrong.stderr)")
        }
    }
}
