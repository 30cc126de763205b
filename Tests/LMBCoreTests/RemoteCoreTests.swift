import Foundation
import Testing
@testable import LMBCore

// MARK: - Fakes for the flows: a scripted transport for any service, a clock that never waits, a context

/// Answers by "METHOD path-fragment" (the first route that matches wins; the last answer of a route repeats) and
/// records every request. Unscripted requests get a 418 so a test sees them.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: `routes` and `recorded` are read and written only under `lock`.
    private let lock = NSLock()
    private var routes: [(method: String, path: String, answers: [@Sendable (HTTPRequest) -> HTTPResponse])] = []
    private var recorded: [HTTPRequest] = []

    func on(_ method: String, _ path: String, _ answers: HTTPResponse...) {
        let scripted: [@Sendable (HTTPRequest) -> HTTPResponse] = answers.map { a in { @Sendable _ in a } }
        lock.withLock { routes.append((method, path, scripted)) }
    }

    func on(_ method: String, _ path: String, answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        lock.withLock { routes.append((method, path, [answer])) }
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }
    func requests(_ method: String, _ path: String) -> [HTTPRequest] {
        requests.filter { $0.method == method && $0.url.path.contains(path) }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try sendBlocking(request) }

    func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        let answer: (@Sendable (HTTPRequest) -> HTTPResponse)? = lock.withLock {
            recorded.append(request)
            guard let i = routes.firstIndex(where: { $0.method == request.method && request.url.path.contains($0.path) }) else { return nil }
            return routes[i].answers.count > 1 ? routes[i].answers.removeFirst() : routes[i].answers[0]
        }
        return answer?(request) ?? HTTPResponse(status: 418, headers: [:], body: Data("unscripted \(request.method) \(request.url.path)".utf8))
    }

    static func json(_ status: Int, _ body: String, _ headers: [String: String] = [:]) -> HTTPResponse {
        var all = ["content-type": "application/json", "xero-correlation-id": "corr-\(status)"]
        for (k, v) in headers { all[k.lowercased()] = v }
        return HTTPResponse(status: status, headers: all, body: Data(body.utf8))
    }
}

/// A context for a flow: a fresh home, a scripted transport, a fake clock, output collected.
final class FakeWorld: @unchecked Sendable {
    // @unchecked: `lines` is read and written only under `lock`.
    let transport = ScriptedTransport()
    let clock = AmazonFakeClock()
    let home: LMBHome
    private let lock = NSLock()
    private var lines: [String] = []
    var said: [String] { lock.withLock { lines } }

    init() throws {
        home = try temporaryHome()
        var config = LMBConfig()
        config.xeroBaseURL = "http://127.0.0.1:9"
        config.clientID = "lmb-tests"
        try config.save(home: home)
    }

    lazy var ctx: RunContext = {
        let output = Output(json: false, quiet: false, stdoutIsTTY: false, stderrIsTTY: false,
                            out: { [weak self] in self?.note($0) }, err: { [weak self] in self?.note($0) })
        let transport = self.transport
        return RunContext(environment: [:], home: home, clock: clock, output: output, transport: { _ in transport })
    }()

    func note(_ line: String) { lock.withLock { lines.append(line) } }

    /// A connected organisation whose access token is good for an hour of the fake clock.
    func connect(tenant: String = "tenant-1") throws {
        try ctx.store().saveConnection(kind: .pkce, clientID: "lmb-tests",
                                       tokens: TokenSet(accessToken: "access-1", expiresIn: 3600, refreshToken: "refresh-1", scope: "accounting.transactions"),
                                       user: Store.AuthorisingUser(userID: nil, authEventID: nil, scopes: ["accounting.transactions"]),
                                       now: clock.now, tenants: [(tenant, "Org One", "ORGANISATION", "conn-1")])
    }

    /// Xero's organisation and currencies, as a send reads them first.
    func organisationAnswers(currency: String = "USD") {
        transport.on("GET", "/Organisation", ScriptedTransport.json(200, #"{"Organisations":[{"Name":"Org One","BaseCurrency":"\#(currency)"}]}"#))
        transport.on("GET", "/Currencies", ScriptedTransport.json(200, #"{"Currencies":[{"Code":"\#(currency)"}]}"#))
        // The chart send checks its documents' accounts against: the default mapping's LMB1–LMB13, all ACTIVE.
        let chart = (1...13).map { #"{"Code":"LMB\#($0)","Name":"LMB\#($0)","Status":"ACTIVE","Type":"REVENUE"}"# }.joined(separator: ",")
        transport.on("GET", "/Accounts", ScriptedTransport.json(200, #"{"Accounts":[\#(chart)]}"#))
    }
}

// MARK: - The exchange loop

@Suite("One exchange loop for every service")
struct ExchangeLoopTests {
    @Test("a 429 with Retry-After: 30 waits 30 s of fake time, then succeeds", arguments: ["xero", "amazon"])
    func retryAfterWaited(_ service: String) async throws {
        let world = try FakeWorld()
        if service == "xero" {
            try world.connect()
            world.transport.on("GET", "/Organisation",
                               ScriptedTransport.json(429, "", ["Retry-After": "30", "X-Rate-Limit-Problem": "minute"]),
                               ScriptedTransport.json(200, #"{"Organisations":[{"Name":"Org One"}]}"#))
            let org = try await world.ctx.xeroSession().client(tenant: nil).organisation()
            #expect(org.Name == "Org One")
        } else {
            world.transport.on("POST", "/auth/o2/token", AmazonFixture.token("Atza|one"))
            world.transport.on("GET", "/reports/2021-06-30/reports",
                               AmazonFixture.json(429, AmazonFixture.quotaExceeded, ["Retry-After": "30"]),
                               AmazonFixture.json(200, #"{"reports":[]}"#))
            let client = AmazonReportsClient(credentials: AmazonFixture.credentials, endpoints: .amazon(.eu), transport: world.transport,
                                             clock: world.clock, pacing: AmazonFixture.pacing())
            #expect(try await client.getReports(createdSince: AmazonFixture.createdSince).isEmpty)
        }
        #expect(world.clock.sleeps == [30])
    }

    @Test("a Retry-After beyond what lmb waits is not waited: rate_limited at once, exit 75")
    func longRetryAfterGivesUp() async throws {
        let world = try FakeWorld()
        try world.connect()
        world.transport.on("GET", "/Organisation", ScriptedTransport.json(429, "", ["Retry-After": "3600"]))
        do {
            _ = try await world.ctx.xeroSession().client(tenant: nil).organisation()
            Issue.record("answered")
        } catch let f as RemoteFailure {
            #expect(f.classification == .rateLimited && f.exitStatus == .temporary)
            #expect(f.evidence.contains { $0.contains("gave up after 0 waits") })
        }
        #expect(world.clock.sleeps.isEmpty)
    }

    @Test("with fewer than two calls left this minute, the next batch of documents waits for the next minute (fake time)")
    func minuteLimitPacing() async throws {
        let world = try FakeWorld()
        try world.connect()
        world.transport.on("GET", "/Organisation", ScriptedTransport.json(200, #"{"Organisations":[{"Name":"Org One"}]}"#, ["X-MinLimit-Remaining": "1"]))
        let client = try world.ctx.xeroSession().client(tenant: nil)
        world.transport.on("PUT", "/Invoices", ScriptedTransport.json(200, #"{"Invoices":[]}"#))
        _ = try await client.organisation()
        _ = try await client.organisation()   // reads are not paced
        #expect(world.clock.sleeps.isEmpty)
        _ = try await client.putInvoices(Data(#"{"Invoices":[]}"#.utf8), idempotencyKey: "k")
        let wait = try #require(world.clock.sleeps.first)
        #expect(wait > 0 && wait <= 61)
        #expect(world.transport.requests("PUT", "/Invoices").count == 1)
    }

    @Test("an undecodable 2xx is unexpected_answer (65), never a raw decoding error", arguments: ["xero", "amazon"])
    func garbled2xx(_ service: String) async throws {
        let world = try FakeWorld()
        let failure: RemoteFailure?
        if service == "xero" {
            try world.connect()
            world.transport.on("GET", "/Organisation", ScriptedTransport.json(200, "<html>maintenance</html>"))
            failure = await amazonFailure { try await world.ctx.xeroSession().client(tenant: nil).organisation() }
        } else {
            world.transport.on("POST", "/auth/o2/token", AmazonFixture.token("Atza|one"))
            world.transport.on("GET", "/reports/2021-06-30/reports", AmazonFixture.json(200, #"{"reports":"#))
            let client = AmazonReportsClient(credentials: AmazonFixture.credentials, endpoints: .amazon(.eu), transport: world.transport,
                                             clock: world.clock, pacing: AmazonFixture.pacing())
            failure = await amazonFailure { try await client.getReports(createdSince: AmazonFixture.createdSince) }
        }
        #expect(failure?.classification == .unexpectedAnswer)
        #expect(failure?.exitCode == 65)
    }

    @Test("a garbled /connections is unexpected_answer, not an empty list; after a 403 it is no proof of a stale connection")
    func garbledConnections() async throws {
        let world = try FakeWorld()
        try world.connect()
        world.transport.on("GET", "/connections", ScriptedTransport.json(200, #"[{"id": "#))
        let client = try world.ctx.xeroSession().client(tenant: nil)
        let listed = await amazonFailure { try await client.connections() }
        #expect(listed?.classification == .unexpectedAnswer)

        world.transport.on("GET", "/Organisation", ScriptedTransport.json(403, #"{"Title":"Forbidden","Detail":"AuthorizationUnsuccessful: the tenant is not authorised"}"#))
        let refused = await amazonFailure { try await client.organisation() }
        // Before: a garbled list read as "no tenants", a confident stale_connection "the app was removed".
        #expect(refused?.evidence.contains { $0.contains("no longer lists tenant") } == false)
        #expect(refused?.evidence.contains { $0.contains("without a readable list") } == true)
    }
}

// MARK: - The token manager, once for both services

@Suite("One OAuth token manager for Xero and Login with Amazon")
struct TokenManagerTests {
    enum Service: String, CaseIterable { case xero, amazon }

    /// A manager for the service, its vault, and the transport its token endpoint answers on.
    static func manager(_ service: Service, _ world: FakeWorld) throws -> OAuthTokenManager {
        switch service {
        case .xero:
            try world.connect()
            let session = try world.ctx.xeroSession()
            return session.tokens(for: try session.store.connection(tenant: nil).credential)
        case .amazon:
            return LWAGrant.manager(credentials: AmazonFixture.credentials, endpoints: .amazon(.eu), transport: world.transport,
                                    clock: world.clock, margin: 60)
        }
    }

    /// The token the vault holds at first (Xero: the stored one; Amazon: none yet).
    static func held(_ service: Service) -> String { service == .xero ? "access-1" : "none" }

    static func tokenPath(_ service: Service) -> String { service == .xero ? "/connect/token" : "/auth/o2/token" }

    static func answer(_ access: String, refresh: String) -> HTTPResponse {
        ScriptedTransport.json(200, #"{"access_token":"\#(access)","expires_in":1800,"refresh_token":"\#(refresh)","token_type":"Bearer"}"#)
    }

    @Test("a token rejected as expired is renewed once, and the rotated refresh token is kept and used next", arguments: Service.allCases)
    func rotation(_ service: Service) async throws {
        let world = try FakeWorld()
        let manager = try Self.manager(service, world)
        world.transport.on("POST", Self.tokenPath(service), Self.answer("access-2", refresh: "refresh-2"), Self.answer("access-3", refresh: "refresh-3"))
        let first = try await manager.accessToken()
        let renewed = try await manager.renew(rejected: first)
        #expect(renewed != first)
        // Not due and not rejected: the same token, no request.
        let before = world.transport.requests("POST", Self.tokenPath(service)).count
        #expect(try await manager.accessToken() == renewed)
        #expect(world.transport.requests("POST", Self.tokenPath(service)).count == before)
        // The next renewal sends the rotated refresh token.
        _ = try await manager.renew(rejected: renewed)
        let last = try #require(world.transport.requests("POST", Self.tokenPath(service)).last)
        // Xero: refresh-1 gave refresh-2, which the second renewal sends; Amazon's first token came with refresh-2 and the
        // first renewal with refresh-3, which the second renewal sends.
        #expect(AmazonFixture.form(last)["refresh_token"] == (service == .xero ? "refresh-2" : "refresh-3"))
    }

    @Test("a token endpoint's lost answer is asked again once (the old refresh token's grace)", arguments: Service.allCases)
    func graceRetry(_ service: Service) async throws {
        let world = try FakeWorld()
        let manager = try Self.manager(service, world)
        let lost = LosingOnce(inner: world.transport)
        let again = OAuthTokenManager(vault: manager.vault, grant: manager.grant, transport: lost, clock: world.clock, margin: manager.margin)
        world.transport.on("POST", Self.tokenPath(service), Self.answer("access-2", refresh: "refresh-2"))
        #expect(try await again.renew(rejected: Self.held(service)) == "access-2")
        #expect(lost.lostOne)
    }

    @Test("an invalid_grant is a stale connection, without a secret in it", arguments: Service.allCases)
    func invalidGrant(_ service: Service) async throws {
        let world = try FakeWorld()
        let manager = try Self.manager(service, world)
        world.transport.on("POST", Self.tokenPath(service),
                           ScriptedTransport.json(400, #"{"error":"invalid_grant","error_description":"bad refresh_token \#(AmazonFixture.refreshToken)"}"#))
        let failure = await amazonFailure { try await manager.renew(rejected: Self.held(service)) }
        #expect(failure?.classification == .staleConnection)
        #expect(failure?.exitStatus == .mustAct)
        #expect(!(failure?.description.contains(AmazonFixture.refreshToken) ?? true))
    }

    @Test("callers arriving together share one renewal", arguments: Service.allCases)
    func oneRenewal(_ service: Service) async throws {
        let world = try FakeWorld()
        let manager = try Self.manager(service, world)
        world.transport.on("POST", Self.tokenPath(service), Self.answer("access-2", refresh: "refresh-2"), Self.answer("access-3", refresh: "refresh-3"))
        let stale = Self.held(service)
        async let a = manager.renew(rejected: stale)
        async let b = manager.renew(rejected: stale)
        async let c = manager.renew(rejected: stale)
        #expect(Set(try await [a, b, c]) == ["access-2"])
        #expect(world.transport.requests("POST", Self.tokenPath(service)).count == 1)
    }
}

/// Loses the first answer (the request reached the service), then passes everything on.
final class LosingOnce: HTTPTransport, @unchecked Sendable {
    // @unchecked: `lost` is read and written only under `lock`.
    let inner: ScriptedTransport
    private let lock = NSLock()
    private var lost = false
    init(inner: ScriptedTransport) { self.inner = inner }
    var lostOne: Bool { lock.withLock { lost } }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try sendBlocking(request) }
    func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        let answer = try inner.sendBlocking(request)
        let first = lock.withLock { () -> Bool in defer { lost = true }; return !lost }
        if first { throw TransportError.connectionDropped("lost on purpose") }
        return answer
    }
}

// MARK: - The send flow against a fake context

@Suite("The send flow, exactly once, against a fake Xero")
struct SendFlowTests {
    @Test("a garbled 200 to PUT /Invoices leaves the settlement unsure; the next send finds it in Xero and posts nothing twice")
    func garbledPut() async throws {
        let world = try FakeWorld()
        try world.connect()
        _ = try Importer(store: try world.ctx.store()).importFile(path: Paths.fixture("v2-us.txt"))
        let id = try #require(try world.ctx.store().allSettlements().first?.header.id)
        world.organisationAnswers()
        world.transport.on("PUT", "/Invoices", ScriptedTransport.json(200, "<html><body>502 Bad Gateway</body></html>"))
        world.transport.on("GET", "/Invoices") { request in
            let numbers = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "InvoiceNumbers" }?.value ?? ""
            let found = numbers.split(separator: ",").map { #"{"InvoiceID":"inv-\#($0)","InvoiceNumber":"\#($0)","Status":"DRAFT"}"# }
            return ScriptedTransport.json(200, #"{"Invoices":[\#(found.joined(separator: ","))]}"#)
        }
        let flow = SendFlow(ctx: world.ctx, mapping: .defaults, all: false, ids: [id], status: "DRAFT", tenant: nil)

        let first = try #require(try await flow.perform())
        #expect(first.map(\.outcome) == [.failed])
        #expect(first[0].classification == .unexpectedAnswer)
        #expect(first[0].exitStatus == .dataError)
        // Unsure, not refused: the document stays `sending` for the next run to look up.
        #expect(try world.ctx.store().unsurePostings().map(\.settlementID) == [id])

        let second = try #require(try await flow.perform())
        #expect(second.map(\.outcome) == [.skipped])
        #expect(second[0].invoiceIDs.allSatisfy { $0.hasPrefix("inv-") } && !second[0].invoiceIDs.isEmpty)
        #expect(world.transport.requests("PUT", "/Invoices").count == 1)
        #expect(try world.ctx.store().unsurePostings().isEmpty)
        #expect(try world.ctx.store().events().contains { $0.kind == EventKind.recovered.rawValue })
    }

    @Test("a send with nothing connected is not_connected (78) before any request")
    func notConnected() async throws {
        let world = try FakeWorld()
        _ = try Importer(store: try world.ctx.store()).importFile(path: Paths.fixture("v2-us.txt"))
        let flow = SendFlow(ctx: world.ctx, mapping: .defaults, all: true, ids: [], status: "DRAFT", tenant: nil)
        let results = try #require(try await flow.perform())
        #expect(results.allSatisfy { $0.classification == .notConnected && $0.exitStatus == .config })
        #expect(world.transport.requests.isEmpty)
    }
}

// MARK: - Runbooks

@Suite("One runbook shape")
struct RunbookShapeTests {
    @Test("every cause of every provider has steps, and those a person fixes name the command that fixes them")
    func shape() {
        for provider in Provider.allCases {
            for c in Classification.allCases where c != .ok {
                let runbook = Runbook.of(RemoteFailure(c, "words", service: RemoteService(provider, provider.rawValue)))
                #expect(!runbook.steps.isEmpty, "\(provider) \(c)")
                if c.exitStatus == .mustAct { #expect(runbook.fix?.hasPrefix("lmb ") == true, "\(provider) \(c) names no fix") }
                #expect(runbook.check == "lmb diagnose")
            }
        }
    }
}

// MARK: - What the review found

@Suite("Answers that prove nothing are never refusals")
struct UnprovenAnswerTests {
    @Test("a 2xx to PUT /Invoices without the document's element leaves it unsure: looked up, never posted twice")
    func elementMissing() async throws {
        let world = try FakeWorld()
        try world.connect()
        _ = try Importer(store: try world.ctx.store()).importFile(path: Paths.fixture("v2-negative.txt"))
        let id = try #require(try world.ctx.store().allSettlements().first?.header.id)
        world.organisationAnswers(currency: try world.ctx.store().allSettlements()[0].header.currency)
        world.transport.on("PUT", "/Invoices", ScriptedTransport.json(200, #"{"Invoices":[]}"#))
        world.transport.on("GET", "/Invoices") { request in
            let numbers = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "InvoiceNumbers" }?.value ?? ""
            let found = numbers.split(separator: ",").map { #"{"InvoiceID":"inv-\#($0)","InvoiceNumber":"\#($0)","Status":"DRAFT","Type":"ACCPAY"}"# }
            return ScriptedTransport.json(200, #"{"Invoices":[\#(found.joined(separator: ","))]}"#)
        }
        let flow = SendFlow(ctx: world.ctx, mapping: .defaults, all: false, ids: [id], status: "DRAFT", tenant: nil)
        let first = try #require(try await flow.perform())
        #expect(first[0].classification == .unexpectedAnswer)
        #expect(try world.ctx.store().unsurePostings().map(\.settlementID) == [id])
        _ = try await flow.perform()
        #expect(world.transport.requests("PUT", "/Invoices").count == 1)
        #expect(try world.ctx.store().unsurePostings().isEmpty)
    }

    @Test("a garbled 2xx from the token endpoint is asked again once with the refresh token held", arguments: TokenManagerTests.Service.allCases)
    func garbledTokenAnswer(_ service: TokenManagerTests.Service) async throws {
        let world = try FakeWorld()
        let manager = try TokenManagerTests.manager(service, world)
        world.transport.on("POST", TokenManagerTests.tokenPath(service), ScriptedTransport.json(200, "<html>"),
                           TokenManagerTests.answer("access-2", refresh: "refresh-2"))
        #expect(try await manager.renew(rejected: TokenManagerTests.held(service)) == "access-2")
        #expect(world.transport.requests("POST", TokenManagerTests.tokenPath(service)).count == 2)
    }

    @Test("tokens never show in a token set's description or dump")
    func tokensHidden() {
        let set = TokenSet(accessToken: "eyJ-access-secret", expiresIn: 1800, refreshToken: "refresh-secret")
        var dumped = ""
        dump(set, to: &dumped)
        dump(HeldTokens(accessToken: "eyJ-access-secret", refreshToken: "refresh-secret"), to: &dumped)
        for text in [dumped, "\(set)"] {
            #expect(!text.contains("access-secret") && !text.contains("refresh-secret"))
        }
    }
}
