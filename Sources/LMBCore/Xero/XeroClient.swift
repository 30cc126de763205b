import Foundation

/// The Xero API client: every call goes through the one exchange loop (`Exchange`), with the bearer token and
/// `xero-tenant-id` added in one place, the token renewed once when Xero says it expired, a short Retry-After waited
/// out, calls paced by Xero's minute limit, and every refusal classified. It answers; it never writes to the store.
public actor XeroClient {
    public let connection: StoredConnection
    public let tokens: OAuthTokenManager
    public let endpoints: XeroEndpoints
    var exchange: Exchange
    /// Calls left this minute, from the last answer's X-MinLimit-Remaining.
    public private(set) var minuteRemaining: Int?
    public private(set) var dayRemaining: Int?
    public private(set) var lastCorrelationID: String?
    /// Told of each wait (seconds, reason) before it starts, so a command can say so.
    var onWait: (@Sendable (Double, String) -> Void)?
    /// The app-wide limit shared with the run's other organisations' clients; nil: this client alone.
    public let gate: XeroAppGate?

    public init(connection: StoredConnection, tokens: OAuthTokenManager, endpoints: XeroEndpoints, exchange: Exchange,
                gate: XeroAppGate? = nil) {
        self.connection = connection
        self.tokens = tokens
        self.endpoints = endpoints
        self.exchange = exchange
        self.gate = gate
    }

    public func setOnWait(_ f: (@Sendable (Double, String) -> Void)?) {
        onWait = f
        exchange.onWait = f.map { f in { @Sendable seconds, line in f(seconds, line) } }
    }

    /// Sends one accounting API call; throws a classified `RemoteFailure` for anything but 2xx.
    /// `paced`: wait for Xero's next minute first when the last answer left fewer than two calls (the document
    /// batches of a send, which are the calls that come in numbers).
    public func send(_ method: String, _ resource: String, query: [(String, String)] = [], body: Data? = nil,
                     idempotencyKey: String? = nil, paced: Bool = false) async throws -> HTTPResponse {
        var components = URLComponents(url: endpoints.accounting.appendingPathComponent(resource), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else {
            throw RemoteFailure.xero(.config, "cannot build a URL for \(resource) from \(endpoints.accounting.absoluteString)")
        }
        return try await authorised(method: method, url: url, operation: "\(method) \(resource)", body: body,
                                    idempotencyKey: idempotencyKey, tenantHeader: true, paced: paced)
    }

    /// GET /connections with this connection's token. A garbled answer is `unexpected_answer`, never an empty list.
    public func connections() async throws -> [XeroConnectionInfo] {
        let r = try await authorised(method: "GET", url: endpoints.connections, operation: "GET connections", body: nil, idempotencyKey: nil,
                                     tenantHeader: false)
        return try r.decoded([XeroConnectionInfo].self, service: .xero, operation: "GET connections", requestID: r.header("xero-correlation-id"))
    }

    /// DELETE /connections/{id}: takes the connection id, not the tenant id.
    public func deleteConnection(_ id: String) async throws {
        _ = try await authorised(method: "DELETE", url: endpoints.connections.appendingPathComponent(id), operation: "DELETE connections",
                                 body: nil, idempotencyKey: nil, tenantHeader: false)
    }

    func authorised(method: String, url: URL, operation: String, body: Data?, idempotencyKey: String?, tenantHeader: Bool,
                    paced: Bool = false) async throws -> HTTPResponse {
        let tenantID = connection.tenantID
        do {
            return try await exchange.perform(
                service: .xero, operation: operation, tokens: tokens,
                classify: { XeroErrorClassifier.classify($0) },
                pace: {
                    if let gate = self.gate { try await gate.pace(onWait: await self.onWait) }
                    if paced { try await self.paceForMinuteLimit() }
                },
                observe: { r in
                    await self.note(r)
                    await self.gate?.observe(r)
                },
                request: { token in Self.request(method: method, url: url, token: token, tenantID: tenantHeader ? tenantID : nil,
                                                 body: body, idempotencyKey: idempotencyKey) })
        } catch let failure as RemoteFailure where tenantHeader && [.staleConnection, .permissionDenied].contains(failure.classification) {
            throw await explainForbidden(failure)
        }
    }

    /// The one place a request gets its bearer token and `xero-tenant-id`.
    static func request(method: String, url: URL, token: String?, tenantID: String?, body: Data? = nil, idempotencyKey: String? = nil) -> HTTPRequest {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let token { headers.insert(("Authorization", "Bearer \(token)"), at: 0) }
        if let tenantID { headers.append(("xero-tenant-id", tenantID)) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        return HTTPRequest(method: method, url: url, headers: headers, body: body)
    }

    /// One request outside the loop (no renewal, no waits): the look-ups that explain a 403.
    func once(method: String, url: URL, token: String, tenantHeader: Bool) async throws -> HTTPResponse {
        do {
            let response = try await exchange.transport.send(Self.request(method: method, url: url, token: token,
                                                                          tenantID: tenantHeader ? connection.tenantID : nil))
            note(response)
            return response
        } catch let error as TransportError {
            throw RemoteFailure.transport(error, service: .xero, operation: "\(method) \(url.lastPathComponent)")
        }
    }

    func note(_ r: HTTPResponse) {
        // A 429's Retry-After already says when to call again: its remaining-calls count would only add a second wait.
        if r.status != 429, let m = r.header("x-minlimit-remaining").flatMap(Int.init) { minuteRemaining = m }
        if let d = r.header("x-daylimit-remaining").flatMap(Int.init) { dayRemaining = d }
        if let c = r.header("xero-correlation-id") { lastCorrelationID = c }
    }

    /// Xero allows 60 calls a minute per organisation: with fewer than two left, wait for the next minute (by the
    /// clock the exchange waits on) instead of collecting a 429.
    func paceForMinuteLimit() async throws {
        guard let remaining = minuteRemaining, remaining < 2 else { return }
        let seconds = 61 - Double(Int(exchange.clock.now.timeIntervalSince1970) % 60)
        onWait?(seconds, "Xero allows \(remaining) more call(s) this minute")
        try await exchange.clock.sleep(seconds: seconds)
        // The actor ran other calls during the wait: keep what their answers said, forget only what was waited out.
        if minuteRemaining == remaining { minuteRemaining = nil }
    }

    /// After a 403, tell a user without permission from a stale connection: is the tenant still in /connections,
    /// and what role does the connected user hold?
    func explainForbidden(_ failure: RemoteFailure) async -> RemoteFailure {
        var result = failure
        guard failure.status == 403, let token = try? await tokens.accessToken() else { return failure }
        let listed: Bool?
        do {
            let r = try await once(method: "GET", url: endpoints.connections, token: token, tenantHeader: false)
            // Only a readable list can show the tenant missing: a garbled or partial answer proves nothing.
            let list = r.status == 200 ? try? JSONDecoder().decode([XeroConnectionInfo].self, from: r.body) : nil
            listed = list.map { $0.contains { $0.tenantId == connection.tenantID } }
            if list == nil { result.evidence.append("GET /connections answered HTTP \(r.status) without a readable list: whether the app is still connected is unknown") }
        } catch {
            listed = nil
        }
        if listed == false {
            result.classification = .staleConnection
            result.evidence.append("GET /connections no longer lists tenant \(connection.tenantID): the app was removed under Xero → Settings → Connected apps")
            return result
        }
        if listed == true { result.evidence.append("GET /connections still lists the tenant") }
        // Where the scope allows, read the connected user's role.
        if let userID = connection.credential.xeroUserID {
            if let r = try? await once(method: "GET", url: endpoints.accounting.appendingPathComponent("Users"), token: token, tenantHeader: true),
               r.status == 200,
               let list = try? JSONDecoder().decode(XeroUsersEnvelope.self, from: r.body),
               let me = list.Users.first(where: { $0.UserID.lowercased() == userID.lowercased() }) {
                let role = me.OrganisationRole ?? "UNKNOWN"
                result.evidence.append("the connected user (\(me.displayName)) has the role \(role)")
                if !XeroUser.rolesThatCanPost.contains(role) {
                    result.classification = .permissionDenied
                    return result
                }
            }
        }
        if failure.classification == .staleConnection {
            result.evidence.append("the tenant is listed but refuses this token: the organisation is not active (trial ended, subscription paused) or the user's access changed")
        }
        return result
    }

    // MARK: Typed calls

    public func organisation() async throws -> XeroOrganisation {
        let r = try await send("GET", "Organisation")
        guard let o = try decode(XeroOrganisationsEnvelope.self, r, "GET Organisation").Organisations.first else {
            throw RemoteFailure.unexpectedAnswer(r, service: .xero, operation: "GET Organisation", expected: "an organisation",
                                                 requestID: r.header("xero-correlation-id"))
        }
        return o
    }

    public func users() async throws -> [XeroUser] {
        try decode(XeroUsersEnvelope.self, try await send("GET", "Users"), "GET Users").Users
    }

    public func accounts() async throws -> [XeroAccount] {
        try decode(XeroAccountsEnvelope.self, try await send("GET", "Accounts"), "GET Accounts").Accounts
    }

    public func taxRates() async throws -> [XeroTaxRate] {
        try decode(XeroTaxRatesEnvelope.self, try await send("GET", "TaxRates"), "GET TaxRates").TaxRates
    }

    /// The currencies enabled in the organisation (the base currency among them).
    public func currencies() async throws -> [String] {
        try decode(XeroCurrenciesEnvelope.self, try await send("GET", "Currencies"), "GET Currencies").Currencies.map(\.Code)
    }

    /// The organisation's lock date and currencies, as lmb books by them. The caller keeps them (the client
    /// answers; it never writes to the store).
    /// `withTax`: also the organisation's tax rates and accounts (two more reads), which a tax profile books by.
    /// `withAccounts`: the accounts alone (send checks every account its documents use before it posts them).
    public func organisationFacts(withTax: Bool = false, withAccounts: Bool = false) async throws -> OrganisationFacts {
        let org = try await organisation()
        var enabled = try await currencies()
        if let base = org.BaseCurrency, !enabled.contains(base) { enabled.append(base) }
        var facts = OrganisationFacts(lockDate: XeroOrganisation.day(org.PeriodLockDate), baseCurrency: org.BaseCurrency, currencies: enabled,
                                      version: org.Version)
        if withTax {
            facts.taxRates = try await taxRates()
            facts.accounts = try await accounts()
        } else if withAccounts {
            facts.accounts = try await accounts()
        }
        return facts
    }

    public func invoices(numbers: [String]) async throws -> [XeroInvoice] {
        let r = try await send("GET", "Invoices", query: [("InvoiceNumbers", numbers.joined(separator: ",")), ("summaryOnly", "true")])
        return try decode(XeroInvoicesEnvelope.self, r, "GET Invoices").Invoices
    }

    public func invoices(reference: String) async throws -> [XeroInvoice] {
        let escaped = reference.replacingOccurrences(of: "\"", with: "\\\"")
        let r = try await send("GET", "Invoices", query: [("where", "Reference==\"\(escaped)\"")])
        return try decode(XeroInvoicesEnvelope.self, r, "GET Invoices").Invoices
    }

    /// PUT /Invoices: creates a batch. Elements with errors come back with `HasErrors` when summarizeErrors=false.
    public func putInvoices(_ body: Data, idempotencyKey: String, summarizeErrors: Bool = true) async throws -> [XeroInvoice] {
        let r = try await send("PUT", "Invoices", query: summarizeErrors ? [] : [("summarizeErrors", "false")], body: body,
                               idempotencyKey: idempotencyKey, paced: true)
        return try decode(XeroInvoicesEnvelope.self, r, "PUT Invoices").Invoices
    }

    /// An answer's body as `T`, or `unexpected_answer` (never a raw decoding error).
    func decode<T: Decodable>(_ type: T.Type, _ r: HTTPResponse, _ operation: String) throws -> T {
        try r.decoded(T.self, service: .xero, operation: operation, requestID: r.header("xero-correlation-id"))
    }
}
