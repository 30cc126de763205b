import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("lmb diagnose — the built binary against the sandbox")
    struct DiagnoseE2ETests {
        struct Case: Sendable, CustomStringConvertible {
            var scenario: String?
            var verdict: String
            var exit: Int32
            var failing: String?
            var description: String { scenario ?? "no server" }
        }

        static let cases: [Case] = [
            Case(scenario: "healthy", verdict: "ok", exit: 0, failing: nil),
            Case(scenario: "user-role-readonly", verdict: "permission_denied", exit: 77, failing: "user"),
            Case(scenario: "user-role-invoice-only", verdict: "permission_denied", exit: 77, failing: "user"),
            Case(scenario: "app-disconnected", verdict: "stale_connection", exit: 77, failing: "connection"),
            Case(scenario: "organisation-inactive", verdict: "stale_connection", exit: 77, failing: "organisation"),
            Case(scenario: "refresh-token-revoked", verdict: "stale_connection", exit: 77, failing: "fresh_token"),
            Case(scenario: "missing-scope", verdict: "insufficient_scope", exit: 77, failing: "scopes"),
            Case(scenario: "organisation-offline", verdict: "organisation_offline", exit: 75, failing: "organisation"),
            Case(scenario: "rate-limit-day", verdict: "rate_limited", exit: 75, failing: "rate_limit"),
            Case(scenario: nil, verdict: "network", exit: 75, failing: "fresh_token"),
        ]

        @Test("each scenario: the verdict, the exit code and the first failing check", arguments: cases)
        func scenarios(c: Case) async throws {
            let s = try await SandboxHome.connected([])
            var env: [String: String] = [:]
            if let scenario = c.scenario { try await s.control("scenario", ["scenario": scenario]) } else { env["LMB_XERO_BASE_URL"] = "http://127.0.0.1:1" }
            let r = try await s.run(["diagnose", "--json"], environment: env)
            #expect(r.status == c.exit, "\(r.stdout)\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(json["verdict"] as? String == c.verdict)
            let checks = try #require(json["checks"] as? [[String: Any]])
            #expect(checks.allSatisfy { $0["id"] is String && $0["status"] is String && $0["detail"] is String && $0["fix"] is String })
            let firstFail = checks.first { $0["status"] as? String == "fail" }
            #expect(firstFail?["id"] as? String == c.failing)
            let runbook = json["runbook"] as? [String] ?? []
            #expect(runbook.isEmpty == (c.failing == nil))
            if c.verdict == "permission_denied" || c.verdict == "stale_connection" {
                #expect(runbook.first?.contains("Settings → Connected apps") == true)
                #expect(runbook.contains { $0.contains("lmb reconnect") })
            }
            let text = try await s.run(["diagnose"], environment: env)
            #expect(text.status == c.exit)
            #expect(text.stdout.contains("Verdict: \(c.verdict)"))
        }

        @Test("--offline checks only this machine")
        func offline() async throws {
            let s = try await SandboxHome.connected([])
            let r = try await s.run(["diagnose", "--offline", "--json"], environment: ["LMB_XERO_BASE_URL": "http://127.0.0.1:1"])
            #expect(r.status == 0, "\(r.stdout)")
            let checks = (try E2E.json(r.stdout) as? [String: Any])?["checks"] as? [[String: Any]] ?? []
            #expect(checks.map { $0["id"] as? String } == ["configuration", "store", "tokens", "fresh_token", "last_failures", "amazon_credentials"])
        }

        @Test("not connected is exit 78 with the connect step")
        func notConnected() async throws {
            let s = try await SandboxHome()
            let r = try await s.run(["diagnose"])
            #expect(r.status == 78)
            #expect(r.stdout.contains("lmb connect"))
        }

        @Test("a bundle after a failed send holds the settlement, Xero's exact message and the events, and no token")
        func bundle() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("scenario", ["scenario": "user-role-readonly"])
            #expect(try await s.run(["send", "10000000001"]).status == 77)
            let path = s.home + "/bundle.json"
            let r = try await s.run(["diagnose", "--settlement", "10000000001", "--bundle", path])
            #expect(r.status == 77)
            #expect(r.stdout.contains("Last error: [permission_denied] \"You are not permitted to access this resource\""))
            #expect(r.stdout.contains("token_refresh") && r.stdout.contains("send_attempt") && r.stdout.contains("connect"))
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("10000000001"))
            #expect(text.contains("You are not permitted to access this resource"))
            #expect(text.contains("libcurl/"))
            let bundle = try #require(try E2E.json(text) as? [String: Any])
            #expect((bundle["events"] as? [Any])?.isEmpty == false)
            let json = try await s.run(["diagnose", "--settlement", "10000000001", "--json"])
            let focus = try #require((try E2E.json(json.stdout) as? [String: Any])?["settlement"] as? [String: Any])
            #expect(focus["classification"] as? String == "permission_denied")
            #expect(focus["lastMessage"] as? String == "You are not permitted to access this resource")
            #expect((focus["events"] as? [Any])?.isEmpty == false)
            #expect(json.stderr.isEmpty)
            var st = stat()
            #expect(stat(path, &st) == 0 && st.st_mode & 0o077 == 0)
            let secrets = try await s.issuedSecrets()
            #expect(!secrets.isEmpty)
            for secret in secrets { #expect(!text.contains(secret)) }
            for output in [r.stdout, r.stderr] { for secret in secrets { #expect(!output.contains(secret)) } }
        }

        @Test("a mapped account archived in Xero fails the mapping check")
        func archivedAccount() async throws {
            let s = try await SandboxHome.connected([])
            try await s.control("organisation", ["archive_account": "LMB4"])
            let r = try await s.run(["diagnose", "--json"])
            #expect(r.status == 78)
            let checks = (try E2E.json(r.stdout) as? [String: Any])?["checks"] as? [[String: Any]] ?? []
            let mapping = checks.first { $0["id"] as? String == "mapping" }
            #expect(mapping?["status"] as? String == "fail")
            #expect((mapping?["detail"] as? String)?.contains("LMB4 is ARCHIVED") == true)
        }
    }
}
