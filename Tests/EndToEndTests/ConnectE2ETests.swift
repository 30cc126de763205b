import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

/// A sandbox in this process and an lmb home pointed at it.
struct SandboxHome {
    let sandbox: SandboxServer
    let home: String
    var env: [String: String] { ["LMB_XERO_BASE_URL": sandbox.baseURL] }

    init(scenario: SandboxScenario = .healthy) async throws {
        sandbox = try await SandboxServer(engine: SandboxEngine(scenario: scenario))
        home = try E2E.newHome()
    }

    func run(_ args: [String], environment: [String: String] = [:]) async throws -> LMBRun {
        let env = self.env.merging(environment) { $1 }
        let home = self.home
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async { c.resume(with: Result { try E2E.runBlocking(args, home: home, environment: env) }) }
        }
    }

    func control(_ path: String, _ body: [String: Any]) async throws {
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/" + path)!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        _ = try await URLSession.shared.data(for: request)
    }

    func state() async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: sandbox.baseURL + "/_sandbox/state")!)
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Every token and secret the sandbox ever issued.
    func issuedSecrets() async throws -> [String] {
        ((try await state()["tokens"] as? [String: Any])?["all"] as? [String]) ?? []
    }

    /// `lmb connect` with PKCE, the browser played by following the authorize redirect into lmb's listener.
    func connect(extra: [String] = [], tamperState: Bool = false) async throws -> LMBRun {
        let p = try LMBProcess(["connect", "--client-id", "e2e-app", "--port", "0", "--timeout", "30"] + extra, home: home, environment: env)
        let url = try await p.waitForStderr("http://127\\.0\\.0\\.1:\\d+/identity/connect/authorize\\S+")
        let authorize = try await rawGet(url)
        var location = try #require(authorize.location)
        if tamperState { location = location.replacingOccurrences(of: "state=", with: "state=x") }
        _ = try await rawGet(location)
        return try await p.finish()
    }
}

extension EndToEnd {
    @Suite("lmb connect, status, disconnect — the built binary against the sandbox")
    struct ConnectE2ETests {
        @Test("the PKCE flow end to end: lmb's listener receives the redirect, the connection is stored, no token is printed")
        func pkce() async throws {
            let s = try await SandboxHome()
            let r = try await s.connect()
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Connected to Demo Seller Ltd"))
            let status = try await s.run(["status", "--json"])
            let list = try #require(try E2E.json(status.stdout) as? [[String: Any]])
            #expect(list.first?["tenantName"] as? String == "Demo Seller Ltd")
            #expect(list.first?["xeroUserId"] as? String == "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14")
            #expect((list.first?["accessTokenExpiresInSeconds"] as? Int ?? 0) > 1700)
            let human = try await s.run(["status"])
            for secret in try await s.issuedSecrets() {
                for text in [r.stdout, r.stderr, status.stdout, status.stderr, human.stdout, human.stderr] { #expect(!text.contains(secret)) }
            }
            #expect(try await E2E.count("SELECT COUNT(*) FROM event WHERE kind = 'connect'", home: s.home) == 1)
        }

        @Test("a redirect whose state does not match is refused and nothing is stored")
        func stateMismatch() async throws {
            let s = try await SandboxHome()
            let r = try await s.connect(tamperState: true)
            #expect(r.status == 78)
            #expect(r.stderr.contains("state does not match"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM xero_connection", home: s.home) == 0)
        }

        @Test("a listener port already taken is a clear error")
        func portTaken() async throws {
            let s = try await SandboxHome()
            let blocker = try LMBProcess(["sandbox", "--port-file", s.home + "/p"], home: s.home)
            defer { blocker.process.interrupt() }
            let port = try await E2E.portFile(s.home + "/p")
            let r = try await s.run(["connect", "--client-id", "x", "--port", port, "--timeout", "5"])
            #expect(r.status == 78)
            #expect(r.stderr.contains("cannot listen on 127.0.0.1:\(port)"))
        }

        @Test("no sign-in coming back times out cleanly")
        func timeout() async throws {
            let s = try await SandboxHome()
            let r = try await s.run(["connect", "--client-id", "x", "--port", "0", "--timeout", "1"])
            #expect(r.status == 75)
            #expect(r.stderr.contains("no sign-in came back within 1 seconds"))
        }

        @Test("--no-browser takes the redirected address on stdin")
        func noBrowser() async throws {
            let s = try await SandboxHome()
            let p = try LMBProcess(["connect", "--client-id", "e2e-app", "--no-browser", "--port", "7777"], home: s.home, environment: s.env)
            let url = try await p.waitForStderr("http://127\\.0\\.0\\.1:\\d+/identity/connect/authorize\\S+")
            let location = try #require(try await rawGet(url).location)
            p.write(location)
            let r = try await p.finish()
            #expect(r.status == 0, "\(r.stderr)")
            #expect(location.hasPrefix("http://127.0.0.1:7777/callback"))
        }

        @Test("client credentials connect a custom connection with the secret from the environment only")
        func clientCredentials() async throws {
            let s = try await SandboxHome()
            let missing = try await s.run(["connect", "--client-id", "cc", "--client-credentials"])
            #expect(missing.status == 78)
            #expect(missing.stderr.contains("LMB_XERO_CLIENT_SECRET"))
            let secret = "sandbox-secret-\(UUID().uuidString)"
            let r = try await s.run(["connect", "--client-id", "cc", "--client-credentials"], environment: ["LMB_XERO_CLIENT_SECRET": secret])
            #expect(r.status == 0, "\(r.stderr)")
            let status = try await s.run(["status", "--json"], environment: ["LMB_XERO_CLIENT_SECRET": secret])
            #expect(status.stdout.contains("client_credentials"))
            for text in [r.stdout, r.stderr, status.stdout] { #expect(!text.contains(secret)) }
            let stored = try String(contentsOfFile: s.home + "/config.json", encoding: .utf8)
            #expect(!stored.contains(secret))
        }

        @Test("disconnect deletes the connection in Xero, revokes the refresh token and forgets the tokens")
        func disconnect() async throws {
            let s = try await SandboxHome()
            #expect(try await s.connect().status == 0)
            let r = try await s.run(["disconnect"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect((try await s.state()["connections"] as? [Any])?.isEmpty == true)
            #expect(try await E2E.count("SELECT COUNT(*) FROM credential", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM event WHERE kind = 'disconnect'", home: s.home) == 1)
            #expect(try await s.run(["status"]).status == 78)
        }
    }
}

extension EndToEnd {
    @Suite("lmb connect --web-app")
    struct WebAppE2ETests {
        @Test("the web-app flow exchanges the code with the client secret (no PKCE) and refreshes with it")
        func webApp() async throws {
            let s = try await SandboxHome()
            let secret = "web-secret-\(UUID().uuidString)"
            let env = s.env.merging(["LMB_XERO_CLIENT_SECRET": secret]) { $1 }
            let p = try LMBProcess(["connect", "--client-id", "web-app", "--web-app", "--port", "0", "--timeout", "30"], home: s.home, environment: env)
            let url = try await p.waitForStderr("http://127\\.0\\.0\\.1:\\d+/identity/connect/authorize\\S+")
            #expect(!url.contains("code_challenge"))
            _ = try await rawGet(try #require(try await rawGet(url).location))
            let r = try await p.finish()
            #expect(r.status == 0, "\(r.stderr)")
            let d = try await s.run(["diagnose", "--json"], environment: ["LMB_XERO_CLIENT_SECRET": secret])
            #expect(d.status == 0, "\(d.stdout)")
            for text in [r.stdout, r.stderr, d.stdout, d.stderr] { #expect(!text.contains(secret)) }
        }
    }
}
