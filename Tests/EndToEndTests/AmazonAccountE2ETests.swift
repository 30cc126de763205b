import Foundation
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("lmb amazon connect, status, secret, disconnect; the Amazon side of diagnose; no secret anywhere")
    struct AmazonAccountE2ETests {
        @Test("--help of every new command names its flags, environment variables and exit codes")
        func help() async throws {
            let cases: [([String], [String])] = [
                (["fetch"], ["--account", "--dry-run", "Exit codes", "75", "77", "78", "lmb amazon secret"]),
                (["sync"], ["--account", "--tenant", "--status", "Exit codes", "worst"]),
                (["amazon"], ["Develop Apps", "Finance and Accounting", "180 days", "90 days"]),
                (["amazon", "connect"], ["--client-id", "--region", "--name", "--tenant", "LMB_AMAZON_CLIENT_SECRET", "LMB_AMAZON_REFRESH_TOKEN",
                                         "LMB_AMAZON_BASE_URL", "Exit codes"]),
                (["amazon", "status"], ["--account", "90-day", "180-day", "Exit codes"]),
                (["amazon", "secret"], ["--account", "LMB_AMAZON_CLIENT_SECRET", "Exit codes"]),
                (["amazon", "disconnect"], ["--account", "Manage Your Apps", "Exit codes"]),
            ]
            for (command, words) in cases {
                let r = try await E2E.run(command + ["--help"])
                #expect(r.status == 0, "\(command)")
                let text = r.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
                for word in words { #expect(text.contains(word), "\(command) --help lacks \(word)") }
                #expect(!r.stdout.contains("--client-secret"), "a hidden option shows in \(command) --help")
            }
        }

        @Test("connect proves the credentials (LWA, then getReports) before storing them; status shows the account")
        func connectAndStatus() async throws {
            let s = try await SandboxHome.connected([])
            let mark = try await s.amazonRequests().all.count
            let r = try await s.amazonConnect()
            #expect(r.stdout.contains("Connected Amazon selling account eu (Europe"), "\(r.stdout)")
            let proof = AmazonE2E.Requests(all: Array(try await s.amazonRequests().all.dropFirst(mark)))
            #expect(proof.count("lwa") == 1 && proof.count("getReports") == 1)
            var st = stat()
            #expect(stat(s.home + "/lmb.sqlite", &st) == 0 && st.st_mode & 0o077 == 0)
            let status = try await s.lmb(["amazon", "status", "--json"])
            #expect(status.status == 0)
            let account = try #require((try E2E.json(status.stdout) as? [[String: Any]])?.first)
            #expect(account["account"] as? String == "eu" && account["region"] as? String == "eu")
            #expect(account["clientId"] as? String == AmazonE2E.clientID)
            #expect(account["tenantName"] as? String == "Demo Seller Ltd" && account["boundToDefault"] as? Bool == false)
            #expect(account["clientSecretAgeDays"] as? Int == 0 && account["clientSecretLimitDays"] as? Int == 180)
            #expect(account["lastFetchAt"] is NSNull && account["reportWindowDays"] as? Int == 90)
            let text = try await s.lmb(["amazon", "status"])
            #expect(text.stdout.contains("0 of 180 days") && text.stdout.contains("never — the first lmb fetch reads 89 days back"), "\(text.stdout)")
            // A second account in another region, and one connected again under its label: two accounts, not three.
            try await s.amazonConnect(["--name", "us"], region: "na")
            let renewed = try await s.amazonConnect()
            #expect(renewed.stdout.contains("Renewed the credentials of Amazon selling account eu"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_account", home: s.home) == 2)
            #expect(try await E2E.count("SELECT COUNT(*) FROM event WHERE kind = 'amazon_connect'", home: s.home) == 3)
            let sameLabel = try await s.lmb(["amazon", "connect", "--client-id", AmazonE2E.clientID, "--region", "fe", "--name", "eu"])
            #expect(sameLabel.status == 64, "\(sameLabel.stderr)")
        }

        @Test("secrets never come from the command line; a missing one off a terminal is 78; a wrong --tenant is refused first")
        func secretsNotArguments() async throws {
            let s = try await SandboxHome.connected([])
            let onLine = try await s.lmb(["amazon", "connect", "--client-id", "x", "--region", "eu", "--client-secret", "s3cr3t-on-the-line"])
            #expect(onLine.status == 64)
            #expect(onLine.stderr.contains("never takes secrets as arguments"), "\(onLine.stderr)")
            let missing = try await s.run(["amazon", "connect", "--client-id", "x", "--region", "eu"],
                                          environment: ["LMB_AMAZON_BASE_URL": s.sandbox.baseURL])
            #expect(missing.status == 78)
            #expect(missing.stderr.contains("LMB_AMAZON_CLIENT_SECRET"), "\(missing.stderr)")
            let tenant = try await s.lmb(["amazon", "connect", "--client-id", "x", "--region", "eu", "--tenant", "Nobody Ltd"])
            #expect(tenant.status == 78)
            #expect(tenant.stderr.contains("Nobody Ltd"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_account", home: s.home) == 0)
        }

        struct ConnectRefusal: Sendable, CustomStringConvertible {
            var scenario: String?
            var refreshToken: String?
            var classification: String
            var exit: Int32
            var description: String { scenario ?? "refresh token \(refreshToken ?? "")" }
        }

        @Test("a refused proof stores nothing and says why", arguments: [
            ConnectRefusal(scenario: nil, refreshToken: "not-a-refresh-token", classification: "stale_connection", exit: 77),
            ConnectRefusal(scenario: "amazon-client-secret-expired", refreshToken: nil, classification: "config", exit: 78),
            ConnectRefusal(scenario: "amazon-role-missing", refreshToken: nil, classification: "permission_denied", exit: 77),
        ])
        func refusedProof(c: ConnectRefusal) async throws {
            let s = try await SandboxHome.connected([])
            if let scenario = c.scenario { try await s.control("scenario", ["scenario": scenario]) }
            var env: [String: String] = [:]
            if let token = c.refreshToken { env["LMB_AMAZON_REFRESH_TOKEN"] = token }
            let r = try await s.lmb(["amazon", "connect", "--client-id", AmazonE2E.clientID, "--region", "eu"], env)
            #expect(r.status == c.exit, "\(r.stderr)")
            #expect(r.stderr.contains("[\(c.classification)]"), "\(r.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_account", home: s.home) == 0)
        }

        @Test("secret replaces only the client secret, for every account of the app, after proving it")
        func secret() async throws {
            let s = try await SandboxHome.connected([])
            try await s.amazonConnect()
            try await s.amazonConnect(["--name", "us"], region: "na")
            try s.sql("UPDATE amazon_account SET secret_set_at = '2026-01-01T00:00:00.000Z'")
            let old = try await E2E.column("SELECT refresh_token FROM amazon_account ORDER BY label", home: s.home)
            let newSecret = "amzn1.oa2-cs.v1.rotated-\(UUID().uuidString)"
            let r = try await s.lmb(["amazon", "secret"], ["LMB_AMAZON_CLIENT_SECRET": newSecret])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("for eu, us"), "\(r.stdout)")
            #expect(!r.stdout.contains(newSecret) && !r.stderr.contains(newSecret))
            #expect(try await E2E.column("SELECT client_secret FROM amazon_account", home: s.home) == [newSecret, newSecret])
            #expect(try await E2E.column("SELECT refresh_token FROM amazon_account ORDER BY label", home: s.home) == old)
            let status = try await s.lmb(["amazon", "status", "--json"])
            #expect((try E2E.json(status.stdout) as? [[String: Any]])?.allSatisfy { $0["clientSecretAgeDays"] as? Int == 0 } == true)
            // Amazon refusing the new secret changes nothing.
            try await s.control("scenario", ["scenario": "amazon-client-secret-expired"])
            let refused = try await s.lmb(["amazon", "secret"], ["LMB_AMAZON_CLIENT_SECRET": "amzn1.oa2-cs.v1.wrong"])
            #expect(refused.status == 78)
            #expect(try await E2E.column("SELECT client_secret FROM amazon_account", home: s.home) == [newSecret, newSecret])
        }

        @Test("disconnect forgets the credentials; what was fetched stays bound to its organisation")
        func disconnect() async throws {
            let s = try await SandboxHome.connected([])
            try await s.postSettlements(1)
            try await s.amazonConnect()
            #expect(try await s.lmb(["fetch"]).status == 0)
            let r = try await s.lmb(["amazon", "disconnect"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Manage Your Apps"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM amazon_account", home: s.home) == 0)
            #expect(try await E2E.column("SELECT tenant_id FROM amazon_report", home: s.home) == [SyncE2ETests.tenant])
            #expect(try await s.lmb(["amazon", "status"]).status == 78)
            #expect(try await s.lmb(["fetch"]).status == 78)
            #expect(try await s.lmb(["send", "--all"]).status == 0)
            #expect(try await s.invoices().count == 1)
        }

        struct DiagnoseCase: Sendable, CustomStringConvertible {
            var scenario: String
            var verdict: String
            var exit: Int32
            var failing: String?
            var description: String { scenario }
        }

        @Test("diagnose: the LWA exchange, reports listable, the role, the window and the secret's age", arguments: [
            DiagnoseCase(scenario: "healthy", verdict: "ok", exit: 0, failing: nil),
            DiagnoseCase(scenario: "amazon-role-missing", verdict: "permission_denied", exit: 77, failing: "amazon_role"),
            DiagnoseCase(scenario: "amazon-refresh-revoked", verdict: "stale_connection", exit: 77, failing: "amazon_lwa"),
            DiagnoseCase(scenario: "amazon-client-secret-expired", verdict: "config", exit: 78, failing: "amazon_lwa"),
        ])
        func diagnose(c: DiagnoseCase) async throws {
            let s = try await SandboxHome.connected([])
            try await s.amazonConnect()
            try await s.control("scenario", ["scenario": c.scenario])
            let r = try await s.lmb(["diagnose", "--json"])
            #expect(r.status == c.exit, "\(r.stdout)\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(json["verdict"] as? String == c.verdict)
            let checks = try #require(json["checks"] as? [[String: Any]])
            #expect(checks.first { $0["status"] as? String == "fail" }?["id"] as? String == c.failing)
            for id in ["amazon_credentials", "amazon_window", "amazon_secret_age"] {
                #expect(checks.first { $0["id"] as? String == id }?["status"] as? String == "pass", "\(id)")
            }
            if c.failing == nil {
                #expect(checks.first { $0["id"] as? String == "amazon_role" }?["status"] as? String == "pass")
                #expect(try await s.lmb(["diagnose"]).stdout.contains("Verdict: ok — lmb can fetch from Amazon and send to Xero."))
            } else {
                let text = try await s.lmb(["diagnose"])
                #expect(text.stdout.contains("Verdict: \(c.verdict)"))
                #expect(text.stdout.contains("What to do:"))
            }
        }

        @Test("diagnose warns of a fetch far back in the window and of a client secret near its 180 days; --offline asks Amazon nothing")
        func diagnoseAges() async throws {
            let s = try await SandboxHome.connected([])
            try await s.amazonConnect()
            try s.sql("UPDATE amazon_account SET secret_set_at = '\(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-120 * 86_400)))', last_fetch_at = '\(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-40 * 86_400)))'")
            let mark = try await s.amazonRequests().all.count
            let r = try await s.lmb(["diagnose", "--offline", "--json"])
            #expect(r.status == 0, "\(r.stdout)")
            #expect(try await s.amazonRequests().all.count == mark)
            let checks = try #require((try E2E.json(r.stdout) as? [String: Any])?["checks"] as? [[String: Any]])
            func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
            #expect(check("amazon_lwa")?["status"] as? String == "warn")
            #expect(check("amazon_window")?["status"] as? String == "warn")
            #expect((check("amazon_window")?["detail"] as? String)?.contains("40 of 90 days") == true)
            #expect(check("amazon_secret_age")?["status"] as? String == "warn")
            #expect((check("amazon_secret_age")?["fix"] as? String)?.contains("lmb amazon secret") == true)
        }

        @Test("no issued token, refresh token or client secret appears in any output, event or bundle")
        func noSecrets() async throws {
            let s = try await SandboxHome.connected([])
            try await s.amazonRates(times: 1000)
            try await s.postSettlements(2)
            // amazon-quota's retries, quickly (config.json's amazon section).
            try s.writeConfig(["amazon": ["rate_limits": ["getReports": ["rate": 50, "burst": 10], "getReportDocument": ["rate": 50, "burst": 15]]]])
            var outputs: [String] = []
            var next = 2
            let connect = try await s.amazonConnect()
            outputs += [connect.stdout, connect.stderr]
            for args in [["fetch", "--json"], ["sync"], ["amazon", "status", "--json"], ["amazon", "status"], ["diagnose", "--json"]] {
                let r = try await s.lmb(args)
                outputs += [r.stdout, r.stderr]
            }
            for scenario in ["amazon-refresh-revoked", "amazon-client-secret-expired", "amazon-role-missing", "amazon-url-expired", "amazon-quota"] {
                try await s.control("scenario", ["scenario": scenario])
                try await s.postSettlements(1, from: next)
                next += 1
                for args in [["fetch", "--json"], ["fetch"], ["diagnose"]] {
                    let r = try await s.lmb(args)
                    outputs += [r.stdout, r.stderr]
                }
            }
            try await s.control("scenario", ["scenario": "healthy"])
            let bundlePath = s.home + "/bundle.json"
            let bundle = try await s.lmb(["diagnose", "--bundle", bundlePath])
            outputs += [bundle.stdout, bundle.stderr, try String(contentsOfFile: bundlePath, encoding: .utf8)]
            outputs += try await E2E.column("SELECT message || ' ' || COALESCE(detail, '') FROM event", home: s.home)
            outputs += try await E2E.column("SELECT COALESCE(message, '') FROM amazon_report", home: s.home)
            let secrets = try await s.amazonSecrets()
            #expect(secrets.count >= 5, "\(secrets.count)")
            for text in outputs { for secret in secrets { #expect(!text.contains(secret)) } }
            // Nor anything shaped like one.
            for text in outputs { #expect(!text.contains("Atza|") && !text.contains("Atzr|") && !text.contains("amzn1.oa2-cs.")) }
            #expect(try String(contentsOfFile: bundlePath, encoding: .utf8).contains("\"amazon\""))
        }
    }
}
