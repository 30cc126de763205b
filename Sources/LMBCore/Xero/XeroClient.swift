import Foundation

/// The Xero API client: every call goes through `send`, which adds the bearer token and `xero-tenant-id` in one
/// place, renews an expired token once, waits out a short Retry-After, and classifies every refusal.
public actor XeroClient {
    public let connection: StoredConnection
    public let tokens: TokenManager
    public var maxRetryAfter: Int
    /// Calls left this minute, from the last answer's X-MinLimit-Remaining.
    public private(set) var minuteRemaining: Int?
    public private(set) var dayRemaining: Int?
    public private(set) var lastCorrelationID: String?
    /// Called with (seconds, reason) before lmb waits, so a command can say so.
    public var onWait: (@Sendable (Int, String) -> Void)?

    public init(connection: StoredConnection, tokens: TokenManager, maxRetryAfter: Int = 60) {
        self.connection = connection
        self.tokens = tokens
        self.maxRetryAfter = maxRetryAfter
    }

    public func setOnWait(_ f: (@Sendable (Int, String) -> Void)?) { onWait = f }

    var transport: any HTTPTransport { tokens.transport }
    var endpoints: XeroEndpoints { tokens.endpoints }

    func accessToken(rejected: String? = nil) async throws -> String {
        let tokens = self.tokens
        let id = connection.credentialID
        return try await withCheckedThrowingContinuation { continuation in
            // The store's lock and the token call block: keep them off the cooperative pool.
            DispatchQueue.global().async {
                continuation.resume(with: Result { try tokens.accessToken(credentialID: id, rejected: rejected) })
            }
        }
    }

    /// Sends one accounting API call; throws a classified `XeroFailure` for anything but 2xx.
    public func send(_ method: String, _ resource: String, query: [(String, String)] = [], body: Data? = nil,
                     idempotencyKey: String? = nil) async throws -> HTTPResponse {
        var components = URLComponents(url: endpoints.accounting.appendingPathComponent(resource), resolvingAgainstBaseURL: false)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.url else {
            throw XeroFailure(.config, "cannot build a URL for \(resource) from \(endpoints.accounting.absoluteString)")
        }
        return try await authorised(method: method, url: url, body: body, idempotencyKey: idempotencyKey, tenantHeader: true)
    }

    /// GET /connections with this connection's token.
    public func connections() async throws -> [XeroConnectionInfo] {
        let r = try await authorised(method: "GET", url: endpoints.connections, body: nil, idempotencyKey: nil, tenantHeader: false)
        return (try? JSONDecoder().decode([XeroConnectionInfo].self, from: r.body)) ?? []
    }

    /// DELETE /connections/{id}: takes the connection id, not the tenant id.
    public func deleteConnection(_ id: String) async throws {
        _ = try await authorised(method: "DELETE", url: endpoints.connections.appendingPathComponent(id), body: nil,
                                 idempotencyKey: nil, tenantHeader: false)
    }

    func authorised(method: String, url: URL, body: Data?, idempotencyKey: String?, tenantHeader: Bool) async throws -> HTTPResponse {
        var token = try await accessToken()
        var renewed = false
        var waits = 0
        while true {
            let response = try await once(method: method, url: url, token: token, body: body, idempotencyKey: idempotencyKey,
                                          tenantHeader: tenantHeader)
            guard let failure = XeroErrorClassifier.classify(response) else { return response }
            switch failure.classification {
            case .tokenExpired where !renewed:
                renewed = true
                token = try await accessToken(rejected: token)
                continue
            case .rateLimited:
                let wait = failure.retryAfter ?? 60
                guard wait <= maxRetryAfter, waits < 3 else {
                    throw failure.adding(evidence: "Retry-After \(wait)s is longer than lmb waits (\(maxRetryAfter)s); try again later")
                }
                waits += 1
                onWait?(wait, "Xero's rate limit (\(response.header("x-rate-limit-problem") ?? "minute"))")
                try await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000_000)
                continue
            case .staleConnection, .permissionDenied:
                throw tenantHeader ? await explainForbidden(failure, token: token) : failure
            default:
                throw failure
            }
        }
    }

    /// The one place a request gets its bearer token and `xero-tenant-id`.
    func once(method: String, url: URL, token: String, body: Data? = nil, idempotencyKey: String? = nil,
              tenantHeader: Bool) async throws -> HTTPResponse {
        var headers: [(String, String)] = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if tenantHeader { headers.append(("xero-tenant-id", connection.tenantID)) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        do {
            let response = try await transport.send(HTTPRequest(method: method, url: url, headers: headers, body: body))
            note(response)
            return response
        } catch let error as TransportError {
            throw XeroErrorClassifier.classify(error)
        }
    }

    func note(_ r: HTTPResponse) {
        if let m = r.header("x-minlimit-remaining").flatMap(Int.init) { minuteRemaining = m }
        if let d = r.header("x-daylimit-remaining").flatMap(Int.init) { dayRemaining = d }
        if let c = r.header("xero-correlation-id") { lastCorrelationID = c }
    }

    /// After a 403, tell a user without permission from a stale connection: is the tenant still in /connections,
    /// and what role does the connected user hold?
    func explainForbidden(_ failure: XeroFailure, token: String) async -> XeroFailure {
        var result = failure
        guard failure.status == 403 else { return failure }
        let listed: Bool?
        do {
            let r = try await once(method: "GET", url: endpoints.connections, token: token, tenantHeader: false)
            let list = (try? JSONDecoder().decode([XeroConnectionInfo].self, from: r.body))
            listed = r.status == 200 ? (list?.contains { $0.tenantId == connection.tenantID } ?? false) : nil
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
        guard let o = try JSONDecoder().decode(XeroOrganisationsEnvelope.self, from: r.body).Organisations.first else {
            throw XeroFailure(.unavailable, "Xero returned no organisation")
        }
        return o
    }

    public func users() async throws -> [XeroUser] {
        try JSONDecoder().decode(XeroUsersEnvelope.self, from: try await send("GET", "Users").body).Users
    }

    public func accounts() async throws -> [XeroAccount] {
        try JSONDecoder().decode(XeroAccountsEnvelope.self, from: try await send("GET", "Accounts").body).Accounts
    }

    public func taxRates() async throws -> [XeroTaxRate] {
        try JSONDecoder().decode(XeroTaxRatesEnvelope.self, from: try await send("GET", "TaxRates").body).TaxRates
    }

    /// The currencies enabled in the organisation (the base currency among them).
    public func currencies() async throws -> [String] {
        try JSONDecoder().decode(XeroCurrenciesEnvelope.self, from: try await send("GET", "Currencies").body).Currencies.map(\.Code)
    }

    /// The organisation's lock date and currencies, as lmb books by them. The caller keeps them (the client
    /// answers; it never writes to the store).
    public func organisationFacts() async throws -> OrganisationFacts {
        let org = try await organisation()
        var enabled = try await currencies()
        if let base = org.BaseCurrency, !enabled.contains(base) { enabled.append(base) }
        return OrganisationFacts(lockDate: XeroOrganisation.day(org.PeriodLockDate), baseCurrency: org.BaseCurrency, currencies: enabled)
    }

    public func invoices(numbers: [String]) async throws -> [XeroInvoice] {
        let r = try await send("GET", "Invoices", query: [("InvoiceNumbers", numbers.joined(separator: ",")), ("summaryOnly", "true")])
        return try JSONDecoder().decode(XeroInvoicesEnvelope.self, from: r.body).Invoices
    }

    public func invoices(reference: String) async throws -> [XeroInvoice] {
        let escaped = reference.replacingOccurrences(of: "\"", with: "\\\"")
        let r = try await send("GET", "Invoices", query: [("where", "Reference==\"\(escaped)\"")])
        return try JSONDecoder().decode(XeroInvoicesEnvelope.self, from: r.body).Invoices
    }

    /// PUT /Invoices: creates a batch. Elements with errors come back with `HasErrors` when summarizeErrors=false.
    public func putInvoices(_ body: Data, idempotencyKey: String, summarizeErrors: Bool = true) async throws -> [XeroInvoice] {
        let r = try await send("PUT", "Invoices", query: summarizeErrors ? [] : [("summarizeErrors", "false")], body: body,
                               idempotencyKey: idempotencyKey)
        return try JSONDecoder().decode(XeroInvoicesEnvelope.self, from: r.body).Invoices
    }
}

