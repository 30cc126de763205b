import Foundation
import GRDB
import Testing
@testable import LMBCore
@testable import XeroSandbox

/// Connects a fresh lmb home to an in-process sandbox through the real code paths (PKCE, token exchange, store).
struct ConnectedHome {
    let sandbox: SandboxServer
    let home: LMBHome
    let session: XeroSession

    init(transport: (any HTTPTransport)? = nil, scenario: SandboxScenario = .healthy) async throws {
        sandbox = try await SandboxServer(engine: SandboxEngine(scenario: scenario))
        home = try temporaryHome()
        var config = LMBConfig()
        config.xeroBaseURL = sandbox.baseURL
        config.clientID = "lmb-tests"
        try config.save(home: home)
        session = try XeroSession(home: home, environment: [:], store: try Store.open(home: home), transport: transport ?? CurlTransport(), clock: WallClock())
        let oauth = session.oauth
        let pkce = OAuthClient.pkce()
        let state = OAuthClient.randomState()
        let redirect = "http://127.0.0.1:9/callback"
        let authorize = oauth.authorizeURL(clientID: "lmb-tests", redirectURI: redirect, scopes: ScopeSet.broad.scopes, state: state, challenge: pkce.challenge)
        let answer = try await CurlTransport().send(HTTPRequest(method: "GET", url: authorize))
        let code = try OAuthClient.code(fromRedirect: URL(string: answer.header("location")!)!, expectedState: state)
        let tokens = try await oauth.exchange(code: code, verifier: pkce.verifier, redirectURI: redirect, clientID: "lmb-tests", secret: nil)
        let tenants = try await oauth.connections(accessToken: tokens.accessToken)
        try session.store.saveConnection(kind: .pkce, clientID: "lmb-tests", tokens: tokens, user: .from(tokens), now: Date(),
                                         tenants: tenants.map { ($0.tenantId, $0.tenantName ?? "", $0.tenantType, $0.id) })
    }

    func control(_ path: String, _ body: [String: Any]) async throws {
        _ = try await CurlTransport().send(HTTPRequest(method: "POST", url: URL(string: sandbox.baseURL + "/_sandbox/" + path)!,
                                                       body: try JSONSerialization.data(withJSONObject: body)))
    }

    func state() async throws -> [String: Any] {
        let r = try await CurlTransport().send(HTTPRequest(method: "GET", url: URL(string: sandbox.baseURL + "/_sandbox/state")!))
        return try JSONSerialization.jsonObject(with: r.body) as! [String: Any]
    }

    /// Runs blocking work (the token lock, a blocking transport) on a dispatch thread: never on the cooperative
    /// pool, which the in-process sandbox needs to answer.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try work() }) } }
    }

    var credential: StoredCredential { get throws { try session.store.connection(tenant: nil).credential } }
}

/// Passes requests on, but loses the answer to the first token-endpoint call (the request still reached Xero).
final class LosingFirstTokenAnswer: HTTPTransport, @unchecked Sendable {
    let inner = CurlTransport()
    var lost = false
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try self.sendBlocking(request) }) } }
    }
    func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        let r = try inner.sendBlocking(request)
        if request.url.path.hasSuffix("/connect/token"), request.body.map({ String(decoding: $0, as: UTF8.self) })?.contains("refresh_token") == true, !lost {
            lost = true
            throw TransportError.connectionDropped("test: answer lost")
        }
        return r
    }
}

@Suite("Connecting, tokens and the libcurl transport, against the sandbox")
struct XeroConnectionTests {
    @Test("the PKCE flow stores the tenant, the connection id, the user, the scopes and the tokens")
    func connect() async throws {
        let h = try await ConnectedHome()
        let c = try h.session.store.connection(tenant: nil)
        #expect(c.tenantName == "Demo Seller Ltd")
        #expect(c.connectionID != nil && c.connectionID != c.tenantID)
        #expect(c.isDefault)
        #expect(c.credential.xeroUserID == "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14")
        #expect(c.credential.scopes.contains("accounting.transactions"))
        #expect(c.credential.refreshToken != nil)
        #expect(try h.session.store.events().map(\.kind) == ["connect"])
        let org = try await h.session.client(tenant: nil).organisation()
        #expect(org.OrganisationStatus == "ACTIVE")
    }

    @Test("a token about to expire is refreshed, the refresh token rotates, and the new one is saved first")
    func refresh() async throws {
        let h = try await ConnectedHome()
        let before = try h.credential
        // 29 minutes on: one minute of the token's life left, inside lmb's two-minute margin.
        try await h.control("clock", ["advance_seconds": 29 * 60])
        try await h.session.store.dbQueue.write { try $0.execute(sql: "UPDATE credential SET access_expires_at = ?", arguments: [Date().timeIntervalSince1970 + 60]) }
        let token = try await h.offPool { try h.session.tokens(for: before).lockedToken(rejected: nil) }
        let after = try h.credential
        #expect(token != before.accessToken)
        #expect(after.accessToken == token)
        #expect(after.refreshToken != before.refreshToken)
        #expect(try h.session.store.events().map(\.kind).contains("token_refresh"))
        // Not yet due: no second refresh.
        #expect(try await h.offPool { try h.session.tokens(for: before).lockedToken(rejected: nil) } == token)
    }

    @Test("a lost refresh answer is retried with the old token inside Xero's 30-minute grace")
    func lostAnswer() async throws {
        let transport = LosingFirstTokenAnswer()
        let h = try await ConnectedHome(transport: transport)
        let before = try h.credential
        let token = try await h.offPool { try h.session.tokens(for: before).lockedToken(rejected: before.accessToken) }
        #expect(transport.lost)
        #expect(token != before.accessToken)
        #expect(try h.credential.refreshToken != before.refreshToken)
    }

    @Test("a refresh token older than 60 days is a stale connection, without asking Xero")
    func sixtyDays() async throws {
        let h = try await ConnectedHome()
        let c = try h.credential
        try await h.session.store.dbQueue.write { db in
            try db.execute(sql: "UPDATE credential SET refresh_issued_at = refresh_issued_at - 61 * 86400, access_expires_at = 0")
        }
        do { _ = try await h.offPool { try h.session.tokens(for: c).lockedToken(rejected: nil) }; Issue.record("refreshed") } catch let f as RemoteFailure {
            #expect(f.classification == .staleConnection)
        }
    }

    @Test("a revoked authorisation is invalid_grant, classified as a stale connection")
    func revoked() async throws {
        let h = try await ConnectedHome()
        try await h.control("scenario", ["scenario": "refresh-token-revoked"])
        do {
            let c = try h.credential
            _ = try await h.offPool { try h.session.tokens(for: c).lockedToken(rejected: c.accessToken) }
            Issue.record("refreshed a revoked token")
        } catch let f as RemoteFailure {
            #expect(f.classification == .staleConnection)
            #expect(f.message == "invalid_grant")
        }
    }

    @Test("two stores refreshing at once rotate the refresh token once, with no invalid_grant")
    func concurrentRefresh() async throws {
        let h = try await ConnectedHome()
        let credential = try h.credential
        let stale = credential.accessToken
        let second = try Store(path: h.home.storePath)
        let managers = [h.session.tokens(for: credential),
                        OAuthTokenManager(vault: StoredCredentialVault(store: second, credential: credential),
                                          grant: XeroGrant(credential: credential, endpoints: h.session.endpoints, clientSecret: nil),
                                          transport: CurlTransport(), clock: WallClock(), margin: 120)]
        let results = await withTaskGroup(of: Result<String, any Error>.self) { group in
            for m in managers {
                group.addTask {
                    do { return .success(try await h.offPool { try m.lockedToken(rejected: stale) }) } catch { return .failure(error) }
                }
            }
            var out: [Result<String, any Error>] = []
            for await r in group { out.append(r) }
            return out
        }
        let tokens = try results.map { try $0.get() }
        #expect(tokens[0] == tokens[1])
        let refreshes = (try await h.state()["requests"] as! [[String: Any]]).filter { $0["path"] as? String == "/connect/token" }
        #expect(refreshes.count == 2)   // the code exchange, then exactly one refresh
        #expect(try h.session.store.events().filter { $0.kind == "token_refresh" }.count == 1)
    }

    @Test("an expired token met in flight is renewed once and the call succeeds")
    func renewInFlight() async throws {
        let h = try await ConnectedHome()
        try await h.control("scenario", ["scenario": "access-token-expired"])
        let org = try await h.session.client(tenant: nil).organisation()
        #expect(org.Name == "Demo Seller Ltd")
    }

    @Test("transport errors are typed: timeout, dropped connection, refused, and plain http off loopback")
    func transportErrors() async throws {
        let h = try await ConnectedHome()
        let url = URL(string: h.sandbox.baseURL + "/api.xro/2.0/Organisation")!
        // The sandbox holds the answer for ten minutes: the 1 s timeout fires first, with no race between the two.
        try await h.control("scenario", ["scenario": "slow", "delay_seconds": 600])
        await #expect(throws: TransportError.timeout("127.0.0.1: Timeout was reached")) {
            _ = try await CurlTransport(totalTimeout: 1).send(HTTPRequest(method: "GET", url: url))
        }
        try await h.control("scenario", ["scenario": "drop-connection"])
        do { _ = try await CurlTransport().send(HTTPRequest(method: "GET", url: url)); Issue.record("answered") } catch let e as TransportError {
            guard case .connectionDropped = e else { Issue.record("\(e)"); return }
        }
        do { _ = try await CurlTransport().send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:1/")!)); Issue.record("answered") } catch let e as TransportError {
            guard case .connectionRefused = e else { Issue.record("\(e)"); return }
        }
        await #expect(throws: TransportError.insecureURL("http://example.com/x")) {
            _ = try await CurlTransport().send(HTTPRequest(method: "GET", url: URL(string: "http://example.com/x")!))
        }
        #expect(URL(string: "http://127.0.0.5:80")!.isHTTPSOrLoopback)
        #expect(!URL(string: "http://10.0.0.1")!.isHTTPSOrLoopback)
    }

    @Test("the User-Agent names lmb and its version")
    func userAgent() async throws {
        let h = try await ConnectedHome()
        _ = h
        #expect(CurlTransport().userAgent == "lmb/\(LMBVersion.current)")
        #expect(CurlTransport.libcurlVersion.contains("libcurl"))
    }

    @Test("a 403 with the tenant gone from /connections is a stale connection; a read-only user is permission denied")
    func forbidden() async throws {
        let h = try await ConnectedHome()
        let body = try JSONSerialization.data(withJSONObject: ["Invoices": [["Type": "ACCREC"]]])
        try await h.control("scenario", ["scenario": "app-disconnected"])
        do { _ = try await h.session.client(tenant: nil).putInvoices(body, idempotencyKey: "k1"); Issue.record("accepted") } catch let f as RemoteFailure {
            #expect(f.classification == .staleConnection)
            #expect(f.evidence.contains { $0.contains("no longer lists tenant") })
        }
        try await h.control("scenario", ["scenario": "user-role-readonly"])
        do { _ = try await h.session.client(tenant: nil).putInvoices(body, idempotencyKey: "k2"); Issue.record("accepted") } catch let f as RemoteFailure {
            #expect(f.classification == .permissionDenied)
            #expect(f.message == "You are not permitted to access this resource")
            #expect(f.evidence.contains { $0.contains("READONLY") })
            #expect(f.requestID != nil)
        }
        try await h.control("scenario", ["scenario": "organisation-inactive"])
        do { _ = try await h.session.client(tenant: nil).organisation(); Issue.record("answered") } catch let f as RemoteFailure {
            #expect(f.classification == .staleConnection)
            #expect(f.evidence.contains { $0.contains("still lists the tenant") })
        }
    }
}
