import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

/// A bookkeeping firm's home: many organisations, each a custom connection of its own, each with one Amazon selling
/// account bound to it whose reports only its own refresh token sees.
struct FirmHome {
    struct Client {
        var tenantID: String
        var clientID: String
        var name: String
        var label: String
        var refreshToken: String
        var settlements: [String]
    }

    let s: SandboxHome
    var clients: [Client] = []
    static let xeroSecret = "firm-secret-\(UUID().uuidString)"

    /// `n` clients, each with `settlements` new reports waiting at Amazon.
    static func make(_ n: Int, settlements: Int = 2) async throws -> FirmHome {
        var firm = FirmHome(s: try await SandboxHome())
        try await firm.s.amazonRates(times: 1000)
        for i in 0..<n {
            let org = try await firm.post("organisations", ["name": "Client \(i) Ltd", "base_currency": "USD"])
            let tenantID = try #require(org["tenantId"] as? String)
            let clientID = try #require(org["client_id"] as? String)
            let c = try await firm.s.run(["connect", "--client-credentials", "--client-id", clientID], environment: firm.xeroEnv)
            #expect(c.status == 0, "\(c.stderr)")
            let refresh = "Atzr|IwEBI-firm-\(i)-\(UUID().uuidString)"
            let label = "acct-\(i)"
            let a = try await firm.s.lmb(["amazon", "connect", "--client-id", AmazonE2E.clientID, "--region", "eu", "--name", label, "--tenant", tenantID],
                                         ["LMB_AMAZON_REFRESH_TOKEN": refresh, "LMB_XERO_CLIENT_SECRET": xeroSecret])
            #expect(a.status == 0, "\(a.stderr)")
            var ids: [String] = []
            for k in 0..<settlements {
                let id = String(31_000_000_000 + i * 100 + k)
                try await firm.postReport(try AmazonE2E.settlement(id), refreshToken: refresh)
                ids.append(id)
            }
            firm.clients.append(Client(tenantID: tenantID, clientID: clientID, name: "Client \(i) Ltd", label: label, refreshToken: refresh, settlements: ids))
        }
        return firm
    }

    var xeroEnv: [String: String] { ["LMB_XERO_CLIENT_SECRET": Self.xeroSecret] }

    func lmb(_ args: [String]) async throws -> LMBRun { try await s.lmb(args, xeroEnv) }

    func post(_ path: String, _ body: [String: Any]) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: s.sandbox.baseURL + "/_sandbox/" + path)!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(path): \(String(decoding: data, as: UTF8.self))")
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    func postReport(_ text: String, refreshToken: String) async throws {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let token = refreshToken.addingPercentEncoding(withAllowedCharacters: allowed) ?? refreshToken
        var request = URLRequest(url: URL(string: s.sandbox.baseURL + "/_sandbox/amazon/reports?refresh_token=" + token)!)
        request.httpMethod = "POST"
        request.httpBody = Data(text.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
    }

    /// The sandbox's figures for each organisation.
    func organisations() async throws -> [String: [String: Any]] {
        let list = try await s.state()["organisations"] as? [[String: Any]] ?? []
        return Dictionary(list.compactMap { o in (o["tenantId"] as? String).map { ($0, o) } }, uniquingKeysWith: { a, _ in a })
    }

    /// Invoice numbers per organisation, from the sandbox's own books.
    func invoiceCounts() async throws -> [String: Int] {
        try await organisations().mapValues { ($0["invoices"] as? Int) ?? -1 }
    }
}

extension EndToEnd {
    @Suite("a bookkeeper's many clients: concurrent sync, failures kept to their client, one view of all", .serialized)
    struct ManyClientsE2ETests {
        /// Runs `lmb sync --json` and returns (run, wall seconds).
        static func timedSync(_ firm: FirmHome, _ extra: [String] = []) async throws -> (LMBRun, Double) {
            let start = Date()
            let r = try await firm.lmb(["sync", "--json"] + extra)
            return (r, Date().timeIntervalSince(start))
        }

        @Test("50 accounts bound to 50 organisations, 100 settlements: each sent once, per-organisation limits kept, wall times printed")
        func fiftyClients() async throws {
            // One client alone, for the yardstick.
            let one = try await FirmHome.make(1)
            _ = try await one.post("config", ["latency_ms": 100])
            let (single, singleWall) = try await Self.timedSync(one)
            #expect(single.status == 0, "\(single.stderr)")
            #expect(try await one.invoiceCounts()[one.clients[0].tenantID] == 2)

            let firm = try await FirmHome.make(50)
            _ = try await firm.post("config", ["latency_ms": 100])
            let (r, wall) = try await Self.timedSync(firm, ["--jobs", "50"])
            #expect(r.status == 0, "\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            let sent = try #require((json["send"] as? [String: Any])?["results"] as? [[String: Any]])
            #expect(sent.filter { $0["outcome"] as? String == "sent" }.count == 100)
            let clients = try #require(json["clients"] as? [[String: Any]])
            #expect(clients.filter { $0["kind"] as? String == "account" }.count == 50)
            #expect(clients.filter { $0["kind"] as? String == "organisation" }.count == 50)
            #expect(clients.allSatisfy { $0["outcome"] as? String == "ok" })
            // Each settlement in its own organisation, exactly once.
            let orgs = try await firm.organisations()
            for c in firm.clients {
                let o = try #require(orgs[c.tenantID], "no organisation \(c.tenantID) in the sandbox's state")
                #expect(o["invoices"] as? Int == 2, "\(c.name): \(o)")
                #expect((o["peak_concurrent"] as? Int ?? 99) <= 5, "\(c.name): \(o)")
                #expect((o["peak_calls_per_minute"] as? Int ?? 99) <= 60, "\(c.name): \(o)")
            }
            let xeroRequests = try await firm.s.state()["requests"] as? [[String: Any]] ?? []
            #expect(!xeroRequests.contains { $0["status"] as? Int == 429 })
            #expect(try await firm.s.amazonRequests().rateLimited == 0)
            let peakConcurrent = orgs.values.compactMap { $0["peak_concurrent"] as? Int }.max() ?? -1
            let peakMinute = orgs.values.compactMap { $0["peak_calls_per_minute"] as? Int }.max() ?? -1
            print("many-clients: one client \(String(format: "%.2f", singleWall)) s; 50 clients \(String(format: "%.2f", wall)) s (ratio \(String(format: "%.2f", wall / singleWall))); peak per organisation: \(peakConcurrent) at once, \(peakMinute) a minute")
            // Wall times are printed, not asserted: a shared two-core machine makes any bound flaky (the brief keeps
            // speed in benchmarks). The issue's figure (at most 3× one client) is measured by `make bench` against a
            // release-built sandbox; in this debug test binary the emulator's own header parsing costs ~35 ms of CPU a
            // request (FlyingFox unoptimised), which dominates. What is asserted above is what must hold: each
            // settlement once, in its own organisation, within every organisation's limits.

            // Again: nothing new, nothing sent twice.
            let again = try await firm.lmb(["sync", "--json", "--jobs", "50"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await firm.invoiceCounts().values.reduce(0, +) == 100)
        }

        @Test("one organisation's connection removed and one account's refresh token revoked: the other 48 finish, exit 77, --json names the two")
        func failuresStayWithTheirClient() async throws {
            let firm = try await FirmHome.make(50, settlements: 1)
            let broken = firm.clients[7], revoked = firm.clients[23]
            _ = try await firm.post("scenario", ["scenario": "app-disconnected", "tenant": broken.tenantID])
            _ = try await firm.post("scenario", ["scenario": "amazon-refresh-revoked", "refresh_token": revoked.refreshToken])
            let config = #"{"notify": {"webhook": "\#(firm.s.sandbox.baseURL)/_sandbox/notifications"}}"#
            try Data(config.utf8).write(to: URL(fileURLWithPath: firm.s.home + "/config.json"))
            chmod(firm.s.home + "/config.json", 0o600)
            let r = try await firm.lmb(["sync", "--json"])
            #expect(r.status == 77, "\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            let clients = try #require(json["clients"] as? [[String: Any]])
            let failed = clients.filter { $0["outcome"] as? String != "ok" }
            #expect(Set(failed.compactMap { $0["name"] as? String }) == [broken.name, revoked.label], "\(failed)")
            let org = try #require(failed.first { $0["name"] as? String == broken.name })
            #expect(org["tenantId"] as? String == broken.tenantID)
            #expect(["stale_connection", "permission_denied"].contains(org["classification"] as? String ?? ""))
            #expect(org["exitCode"] as? Int == 77)
            #expect(((org["runbook"] as? [String]) ?? []).joined().contains("Connected apps"))
            let account = try #require(failed.first { $0["name"] as? String == revoked.label })
            #expect(account["exitCode"] as? Int == 77)
            #expect(!((account["runbook"] as? [String]) ?? []).isEmpty)
            // The 48 others: each settlement sent once to its own organisation.
            let counts = try await firm.invoiceCounts()
            for c in firm.clients where c.tenantID != broken.tenantID && c.tenantID != revoked.tenantID {
                #expect(counts[c.tenantID] == 1, "\(c.name)")
            }
            #expect(counts[revoked.tenantID] == 0)
            // The webhook hears of both failed clients, in one message.
            let notes = try #require(try await firm.s.state()["notifications"] as? [[String: Any]])
            #expect(notes.count == 1)
            let named = (notes.first?["failedClients"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(Set(named) == [broken.name, revoked.label], "\(notes)")
            #expect((notes.first?["text"] as? String ?? "").contains(broken.name))
            // No secret in what a script reads.
            for secret in [FirmHome.xeroSecret, revoked.refreshToken, AmazonE2E.clientSecret] {
                #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
            }
            // The firm's view: both problems named, each with the command that fixes it.
            let view = try await firm.lmb(["clients", "--json"])
            let list = try #require((try E2E.json(view.stdout) as? [String: Any])?["clients"] as? [[String: Any]])
            #expect(list.count == 50)
            let row = try #require(list.first { $0["tenantId"] as? String == broken.tenantID })
            #expect((row["accounts"] as? [[String: Any]])?.first?["label"] as? String == broken.label)
            #expect((row["settlements"] as? [String: Any])?["failed"] as? Int == 1, "\(row)")
            #expect(row["health"] as? String == "action")
            #expect(row["nextAction"] as? String == "lmb reconnect --tenant \(broken.tenantID)", "\(row)")
            let fine = try #require(list.first { $0["tenantId"] as? String == firm.clients[0].tenantID })
            #expect(fine["health"] as? String == "ok" && (fine["settlements"] as? [String: Any])?["sent"] as? Int == 1, "\(fine)")
            // diagnose --all: one verdict per client, the two failing ones named.
            let d = try await firm.lmb(["diagnose", "--all", "--json"])
            #expect(d.status == 77, "\(d.stderr)")
            let verdicts = try #require((try E2E.json(d.stdout) as? [String: Any])?["clients"] as? [[String: Any]])
            #expect(verdicts.count == 50)
            let bad = verdicts.filter { $0["verdict"] as? String != "ok" }.compactMap { $0["tenantId"] as? String }
            #expect(Set(bad) == [broken.tenantID, revoked.tenantID], "\(verdicts.filter { $0["verdict"] as? String != "ok" })")
        }

        @Test("four overlapping lmb sync --jobs 8 runs over 10 clients: each settlement fetched once and sent once, to its own organisation")
        func overlapping() async throws {
            let firm = try await FirmHome.make(10)
            let runs = try await withThrowingTaskGroup(of: LMBRun.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await firm.s.lmb(["sync", "--jobs", "8"], firm.xeroEnv.merging(["LMB_LOCK_WAIT": "120", "LMB_BATCH_SIZE": "1"]) { $1 }) }
                }
                var out: [LMBRun] = []
                for try await r in group { out.append(r) }
                return out
            }
            for r in runs { #expect(r.status == 0 || r.status == 75, "\(r.status): \(r.stderr)") }
            let counts = try await firm.invoiceCounts()
            for c in firm.clients { #expect(counts[c.tenantID] == 2, "\(c.name): \(counts[c.tenantID] ?? -1)") }
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: firm.s.home) == 20)
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_report", home: firm.s.home) == 20)
        }

        @Test("kill -9 during a sync of 10 clients, then sync again: every settlement once, each in its own organisation")
        func killNine() async throws {
            let firm = try await FirmHome.make(10)
            _ = try await firm.post("config", ["latency_ms": 150])
            var landed = 0
            for target in [3, 9] {
                let p = try LMBProcess(["sync", "--jobs", "8", "--quiet"], home: firm.s.home,
                                       environment: firm.s.amazonEnv.merging(firm.xeroEnv) { $1 }.merging(["LMB_BATCH_SIZE": "1"]) { $1 })
                if try await E2E.sigkill(p, when: "\(target) invoices in Xero", { try await firm.invoiceCounts().values.reduce(0, +) >= target }) { landed += 1 }
            }
            #expect(landed > 0, "no kill landed while lmb was syncing")
            _ = try await firm.post("config", ["latency_ms": 0])
            let final = try await firm.lmb(["sync"])
            #expect(final.status == 0, "\(final.stderr)")
            let counts = try await firm.invoiceCounts()
            for c in firm.clients { #expect(counts[c.tenantID] == 2, "\(c.name): \(counts[c.tenantID] ?? -1)") }
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: firm.s.home) == 20)
        }
    }
}
