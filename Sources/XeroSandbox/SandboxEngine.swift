import CCrypto
import Foundation

/// A Xero emulator: identity (authorize, token, revocation), /connections, and the accounting endpoints lmb
/// uses, with Xero's validation messages, rate limits and fault scenarios. Shapes follow Xero's OpenAPI
/// descriptions and the documented error bodies. It shares no code with lmb's client, so it can catch its mistakes.
public actor SandboxEngine {
    public struct Options: Sendable {
        public var baseCurrency = "USD"
        public var minuteLimit = 60
        public var dayLimit = 5000
        public var concurrentLimit = 5
        public var appMinuteLimit = 10_000
        /// nil: any non-empty client secret is accepted for client-credentials and web-app grants.
        public var clientSecret: String?
        /// How long the `slow` scenario waits before answering (real seconds).
        public var slowSeconds: Double = 90
        /// Xero refuses a request body over 3.5 MB with 413, however few elements it holds.
        public var maxBodyBytes = 3_500_000
        /// Retry-After of the `rate-limit-minute` scenario (sandbox seconds).
        public var minuteRetryAfter = 60
        public init() {}
    }

    public internal(set) var options: Options
    var clockOffset: TimeInterval = 0
    /// Set by `POST /_sandbox/clock {"freeze": true}`: time stands still (but for advance_seconds) until unfrozen.
    var frozenAt: Date?
    var now: Date { (frozenAt ?? Date()).addingTimeInterval(clockOffset) }

    var scenario: SandboxScenario = .healthy
    var scenarioSetAt = Date.distantPast
    var minuteLimitedUntil: Date?

    // Organisation
    let tenantID = "6f2a9c1e-3b7d-4e8a-9f10-5c2b7d4e8a91"
    var organisationName = "Demo Seller Ltd"
    var organisationStatus = "ACTIVE"
    var organisationClass = "DEMO"
    var currencies: Set<String> = []
    var periodLockDate: String?   // YYYY-MM-DD
    var accounts: [SandboxAccount] = []
    var taxRates: [SandboxTaxRate] = []
    var users: [SandboxUser] = []
    var contacts: [SandboxContact] = []
    var invoices: [[String: Any]] = []

    // Identity
    let connectingUserID = "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14"   // the Standard user who authorises lmb
    var connectedUserRole = "STANDARD"
    var connections: [SandboxConnection] = []
    var removedConnections: [SandboxConnection] = []
    var scenarioRemovedConnections: [SandboxConnection] = []
    var grants: [String: SandboxGrant] = [:]
    var refreshTokens: [String: SandboxRefreshToken] = [:]
    var accessTokens: [String: SandboxAccessToken] = [:]
    var idTokens: [String] = []
    var authCodes: [String: SandboxAuthCode] = [:]
    var issuedOrder: [String] = []   // every token value, in issue order
    public var denyConsent = false

    // Limits, idempotency, log
    var minuteWindow = 0, minuteCount = 0
    var dayWindow = 0, dayCount = 0
    var inFlight = 0
    var idempotency: [String: (bodyHash: String, response: SandboxResponse)] = [:]
    var requests: [LoggedRequest] = []
    /// What lmb's failure notifications posted to /_sandbox/notifications.
    var notifications: [[String: Any]] = []

    // Amazon (Login with Amazon, Reports API, S3 downloads): see Amazon/
    var amazon = AmazonState()

    public init(options: Options = Options(), scenario: SandboxScenario = .healthy) {
        self.options = options
        self.scenario = scenario
        self.scenarioSetAt = Date()
        self.currencies = [options.baseCurrency.uppercased(), "USD", "EUR", "GBP", "CAD"]
        (accounts, taxRates, users) = Self.demoData()
    }

    static func demoData() -> ([SandboxAccount], [SandboxTaxRate], [SandboxUser]) {
        let accounts = [
            SandboxAccount(code: "200", name: "Sales", type: "REVENUE", taxType: "OUTPUT"),
            SandboxAccount(code: "260", name: "Other Revenue", type: "REVENUE", taxType: "OUTPUT"),
            SandboxAccount(code: "400", name: "Advertising", type: "EXPENSE", taxType: "INPUT"),
            SandboxAccount(code: "404", name: "Bank Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "820", name: "Sales Tax", type: "CURRLIAB", taxType: "NONE", systemAccount: true),
            SandboxAccount(code: "LMB1", name: "Amazon Sales", type: "REVENUE", taxType: "NONE"),
            SandboxAccount(code: "LMB2", name: "Amazon Refunds", type: "REVENUE", taxType: "NONE"),
            SandboxAccount(code: "LMB3", name: "FBA Inventory Reimbursements", type: "OTHERINCOME", taxType: "NONE"),
            SandboxAccount(code: "LMB4", name: "Amazon Seller Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB5", name: "Amazon FBA Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB6", name: "Amazon Storage Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB7", name: "Amazon Advertising Costs", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB8", name: "Amazon Sales Tax", type: "CURRLIAB", taxType: "NONE"),
            SandboxAccount(code: "LMB9", name: "Amazon Loans", type: "CURRLIAB", taxType: "NONE"),
            SandboxAccount(code: "LMB10", name: "Amazon Reserved Balances", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB11", name: "Amazon Other Transactions", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB12", name: "Amazon Split Month Rollovers", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB13", name: "Shipping Labels", type: "EXPENSE", taxType: "NONE"),
        ]
        let all: Set<String> = ["REVENUE", "EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]
        let taxRates = [
            SandboxTaxRate(name: "Tax Exempt", taxType: "NONE", rate: 0, appliesTo: all),
            SandboxTaxRate(name: "Tax on Sales", taxType: "OUTPUT", rate: 8.5, appliesTo: ["REVENUE", "LIABILITIES", "ASSETS", "EQUITY"]),
            SandboxTaxRate(name: "Tax on Purchases", taxType: "INPUT", rate: 8.5, appliesTo: ["EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]),
        ]
        let users = [
            SandboxUser(userID: "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14", email: "sam@example.com", firstName: "Sam", lastName: "Standard", role: "STANDARD"),
            SandboxUser(userID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", email: "ada@example.com", firstName: "Ada", lastName: "Adviser", role: "FINANCIALADVISER"),
            SandboxUser(userID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", email: "rita@example.com", firstName: "Rita", lastName: "Readonly", role: "READONLY"),
        ]
        return (accounts, taxRates, users)
    }

    // MARK: Dispatch

    /// Handles one request. The caller must call `finished()` once the answer has gone out (or been dropped).
    public func handle(_ request: SandboxRequest) -> SandboxAction {
        if request.path.hasPrefix("/_sandbox/") {
            let response = control(request)
            return .respond(response)
        }
        if Self.isAmazonPath(request.path) { return .respond(answerAmazon(request)) }
        inFlight += 1
        if scenario == .dropConnection {
            // Closed before anything was processed: unlike lose-response, nothing is committed.
            requests.append(LoggedRequest(method: request.method, path: request.path, status: 0, time: now))
            return .drop
        }
        var action = route(request)
        // `slow` answers late what it has already processed, as a struggling server does.
        switch scenario {
        case .slow:
            if case .respond(let r) = action { action = .delayed(seconds: options.slowSeconds, r) }
        default: break
        }
        let status: Int
        switch action {
        case .respond(let r), .delayed(_, let r): status = r.status
        case .drop: status = 0
        }
        requests.append(LoggedRequest(method: request.method, path: request.path, status: status, time: now))
        return action
    }

    public func finished() { inFlight = max(0, inFlight - 1) }

    /// Xero's concurrent-call limit counts only Xero calls: not the control API, not Amazon's.
    public nonisolated static func countsInFlight(_ path: String) -> Bool {
        !path.hasPrefix("/_sandbox/") && !isAmazonPath(path)
    }

    func route(_ r: SandboxRequest) -> SandboxAction {
        let correlation = [("Xero-Correlation-Id", UUID().uuidString.lowercased())]
        // Every answer carries a correlation id and the remaining-limit headers, as Xero's do.
        func stamp(_ r: SandboxResponse) -> SandboxResponse {
            var r = r
            r.headers += correlation
            if !r.headers.contains(where: { $0.0 == "X-MinLimit-Remaining" }) { r.headers += limitHeaders() }
            return r
        }
        func withCorrelation(_ a: SandboxAction) -> SandboxAction {
            switch a {
            case .respond(let resp): return .respond(stamp(resp))
            case .delayed(let s, let resp): return .delayed(seconds: s, stamp(resp))
            case .drop: return .drop
            }
        }
        switch (r.method, r.path) {
        case ("GET", "/identity/connect/authorize"): return withCorrelation(.respond(authorize(r)))
        case ("POST", "/connect/token"): return withCorrelation(.respond(token(r)))
        case ("POST", "/connect/revocation"): return withCorrelation(.respond(revoke(r)))
        case ("GET", "/connections"): return withCorrelation(.respond(listConnections(r)))
        case ("DELETE", _) where r.path.hasPrefix("/connections/"): return withCorrelation(.respond(deleteConnection(r)))
        default:
            if r.path.hasPrefix("/api.xro/2.0/") { return withCorrelation(accounting(r)) }
            return withCorrelation(.respond(.text(404, "The resource you're looking for cannot be found")))
        }
    }

    // MARK: Tokens

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func randomToken(_ bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64url(Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    static func sha256(_ text: String) -> Data {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(text.utf8)
        _ = CCrypto.SHA256(bytes, bytes.count, &digest)
        return Data(digest)
    }

    func jwt(_ claims: [String: Any]) -> String {
        let header = ["alg": "RS256", "kid": "sandbox", "typ": "JWT"]
        func part(_ o: Any) -> String { Self.base64url((try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data()) }
        return "\(part(header)).\(part(claims)).\(Self.randomToken(64))"
    }

    func issueTokens(grant: SandboxGrant, withRefresh: Bool, withIDToken: Bool) -> [String: Any] {
        let issued = now
        var scopes = grant.scopes
        if scenario == .missingScope {
            scopes.removeAll { $0.hasPrefix("accounting.transactions") || $0.hasPrefix("accounting.invoices") }
        }
        let access = jwt([
            "nbf": Int(issued.timeIntervalSince1970), "exp": Int(issued.timeIntervalSince1970) + 1800,
            "iss": "https://identity.xero.com", "aud": "https://identity.xero.com/resources",
            "client_id": grant.clientID, "sub": grant.userID.replacingOccurrences(of: "-", with: ""),
            "auth_time": Int(issued.timeIntervalSince1970), "xero_userid": grant.userID,
            "global_session_id": Self.randomToken(16), "jti": Self.randomToken(16),
            "authentication_event_id": grant.authEventID, "scope": scopes,
        ])
        accessTokens[access] = SandboxAccessToken(value: access, grant: grant.authEventID, issuedAt: issued,
                                                  expiresAt: issued.addingTimeInterval(1800), scopes: scopes)
        issuedOrder.append(access)
        var body: [String: Any] = ["access_token": access, "expires_in": 1800, "token_type": "Bearer",
                                   "scope": scopes.joined(separator: " ")]
        if withRefresh {
            let refresh = Self.randomToken(32)
            refreshTokens[refresh] = SandboxRefreshToken(value: refresh, grant: grant.authEventID, issuedAt: issued)
            issuedOrder.append(refresh)
            body["refresh_token"] = refresh
        }
        if withIDToken {
            let user = users.first { $0.userID == grant.userID }
            let id = jwt(["nbf": Int(issued.timeIntervalSince1970), "exp": Int(issued.timeIntervalSince1970) + 300,
                          "iss": "https://identity.xero.com", "aud": grant.clientID, "sub": grant.userID.replacingOccurrences(of: "-", with: ""),
                          "xero_userid": grant.userID, "email": user?.email ?? "", "given_name": user?.firstName ?? "",
                          "family_name": user?.lastName ?? "", "authentication_event_id": grant.authEventID])
            idTokens.append(id)
            issuedOrder.append(id)
            body["id_token"] = id
        }
        return body
    }

    func oauthError(_ error: String, status: Int = 400) -> SandboxResponse {
        .json(status, ["error": error])
    }

    /// Client authentication: `Authorization: Basic` (web app, custom connection) or the form's client_id (PKCE).
    func clientCredentials(_ r: SandboxRequest) -> (id: String, secret: String?)? {
        if let auth = r.header("authorization"), auth.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        let form = r.form
        guard let id = form["client_id"], !id.isEmpty else { return nil }
        return (id, form["client_secret"])
    }

    func secretAccepted(_ secret: String?) -> Bool {
        guard let secret, !secret.isEmpty else { return false }
        return options.clientSecret.map { $0 == secret } ?? true
    }

    // MARK: Identity endpoints

    func authorize(_ r: SandboxRequest) -> SandboxResponse {
        let q = r.query
        guard q["response_type"] == "code", let clientID = q["client_id"], !clientID.isEmpty,
              let redirect = q["redirect_uri"], let redirectURL = URL(string: redirect), let scheme = redirectURL.scheme else {
            return .text(400, "invalid_request: response_type=code, client_id and redirect_uri are required")
        }
        let host = redirectURL.host ?? ""
        guard scheme == "https" || (scheme == "http" && ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)) else {
            return .text(400, "invalid_request: redirect_uri must be https, or http on a loopback address")
        }
        if let method = q["code_challenge_method"], method != "S256" {
            return .text(400, "invalid_request: code_challenge_method must be S256")
        }
        var items = [URLQueryItem]()
        if denyConsent || q["deny"] == "1" {
            items.append(URLQueryItem(name: "error", value: "access_denied"))
        } else {
            let code = Self.randomToken(24)
            authCodes[code] = SandboxAuthCode(code: code, clientID: clientID, redirectURI: redirect, challenge: q["code_challenge"],
                                              scopes: (q["scope"] ?? "").split(separator: " ").map(String.init), issuedAt: now)
            items.append(URLQueryItem(name: "code", value: code))
            items.append(URLQueryItem(name: "scope", value: q["scope"] ?? ""))
        }
        if let state = q["state"] { items.append(URLQueryItem(name: "state", value: state)) }
        var components = URLComponents(string: redirect)!
        components.queryItems = (components.queryItems ?? []) + items
        return SandboxResponse(status: 302, headers: [("Location", components.string!)])
    }

    func token(_ r: SandboxRequest) -> SandboxResponse {
        let form = r.form
        switch form["grant_type"] {
        case "authorization_code":
            guard let client = clientCredentials(r) else { return oauthError("invalid_client") }
            guard let code = form["code"], var stored = authCodes[code], !stored.used,
                  now.timeIntervalSince(stored.issuedAt) < 300, stored.clientID == client.id else {
                return oauthError("invalid_grant")
            }
            guard form["redirect_uri"] == stored.redirectURI else { return oauthError("invalid_grant") }
            if let challenge = stored.challenge {
                guard let verifier = form["code_verifier"], (43...128).contains(verifier.count),
                      Self.base64url(Self.sha256(verifier)) == challenge else { return oauthError("invalid_grant") }
            } else if !secretAccepted(client.secret) {
                return oauthError("invalid_client")
            }
            stored.used = true
            authCodes[code] = stored
            let grant = SandboxGrant(authEventID: UUID().uuidString.lowercased(), clientID: client.id, userID: connectingUserID,
                                     scopes: stored.scopes, customConnection: false)
            grants[grant.authEventID] = grant
            connect(grant)
            return .json(200, issueTokens(grant: grant, withRefresh: stored.scopes.contains("offline_access"),
                                          withIDToken: stored.scopes.contains("openid")))
        case "refresh_token":
            if scenario == .refreshTokenRevoked { return oauthError("invalid_grant") }
            guard let value = form["refresh_token"], var stored = refreshTokens[value], !stored.revoked,
                  let grant = grants[stored.grant] else { return oauthError("invalid_grant") }
            guard let client = clientCredentials(r), client.id == grant.clientID else { return oauthError("invalid_client") }
            if let rotated = stored.rotatedAt, now.timeIntervalSince(rotated) > 30 * 60 { return oauthError("invalid_grant") }
            if now.timeIntervalSince(stored.issuedAt) > 60 * 86400 { return oauthError("invalid_grant") }
            if stored.rotatedAt == nil { stored.rotatedAt = now }
            refreshTokens[value] = stored
            return .json(200, issueTokens(grant: grant, withRefresh: true, withIDToken: false))
        case "client_credentials":
            if scenario == .refreshTokenRevoked { return oauthError("invalid_client") }
            guard let client = clientCredentials(r), secretAccepted(client.secret) else { return oauthError("invalid_client") }
            let requested = (form["scope"] ?? "").split(separator: " ").map(String.init)
            let scopes = requested.isEmpty ? ["accounting.transactions", "accounting.settings.read", "accounting.contacts"] : requested
            // A custom connection is one organisation, authorised once by a user: its tokens carry that user's id.
            let existing = grants.values.first { $0.customConnection && $0.clientID == client.id }
            let grant = existing ?? SandboxGrant(authEventID: UUID().uuidString.lowercased(), clientID: client.id,
                                                 userID: connectingUserID, scopes: scopes, customConnection: true)
            var updated = grant
            updated.scopes = scopes
            grants[grant.authEventID] = updated
            if existing == nil { connect(updated) }
            return .json(200, issueTokens(grant: updated, withRefresh: false, withIDToken: false))
        case nil, "":
            return oauthError("invalid_request")
        default:
            return oauthError("unsupported_grant_type")
        }
    }

    func connect(_ grant: SandboxGrant) {
        if let i = connections.firstIndex(where: { $0.tenantID == tenantID }) {
            connections[i].authEventID = grant.authEventID
            connections[i].updated = now
        } else {
            connections.append(SandboxConnection(id: UUID().uuidString.lowercased(), tenantID: tenantID, tenantName: organisationName,
                                                 authEventID: grant.authEventID, created: now, updated: now))
        }
    }

    func revoke(_ r: SandboxRequest) -> SandboxResponse {
        guard clientCredentials(r) != nil else { return oauthError("invalid_client") }
        if let value = r.form["token"], var t = refreshTokens[value] {
            t.revoked = true
            refreshTokens[value] = t
        }
        return SandboxResponse(status: 200)
    }

    static func xeroDate(_ d: Date) -> String { "/Date(\(Int64(d.timeIntervalSince1970 * 1000))+0000)/" }
    static func isoUTC(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    func listConnections(_ r: SandboxRequest) -> SandboxResponse {
        switch bearer(r) {
        case .failure(let failure): return failure.response
        case .success: break
        }
        return .json(200, connections.map { c -> [String: Any] in
            ["id": c.id, "authEventId": c.authEventID, "tenantId": c.tenantID, "tenantType": "ORGANISATION",
             "tenantName": c.tenantName, "createdDateUtc": Self.isoUTC(c.created), "updatedDateUtc": Self.isoUTC(c.updated)]
        })
    }

    func deleteConnection(_ r: SandboxRequest) -> SandboxResponse {
        switch bearer(r) {
        case .failure(let failure): return failure.response
        case .success: break
        }
        let id = String(r.path.dropFirst("/connections/".count))
        guard let i = connections.firstIndex(where: { $0.id == id }) else {
            return .text(404, "The resource you're looking for cannot be found")
        }
        removedConnections.append(connections.remove(at: i))
        return SandboxResponse(status: 204)
    }

    /// The bearer token's record, or the 401 Xero answers.
    func bearer(_ r: SandboxRequest) -> Result<SandboxAccessToken, BearerFailure> {
        guard let auth = r.header("authorization"), auth.hasPrefix("Bearer "),
              let token = accessTokens[String(auth.dropFirst(7))] else {
            return .failure(BearerFailure(response: .problem(401, title: "Unauthorized", detail: "AuthenticationUnsuccessful",
                                                            headers: [("WWW-Authenticate", "Bearer error=invalid_token")])))
        }
        let expiredByScenario = scenario == .accessTokenExpired && token.issuedAt <= scenarioSetAt
        if now >= token.expiresAt || expiredByScenario {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "MM/dd/yyyy HH:mm:ss"
            let at = expiredByScenario ? min(token.expiresAt, scenarioSetAt) : token.expiresAt
            return .failure(BearerFailure(response: .problem(401, title: "Unauthorized", detail: "TokenExpired: token expired at \(f.string(from: at))",
                                                            headers: [("WWW-Authenticate", "Bearer error=invalid_token")])))
        }
        return .success(token)
    }

    struct BearerFailure: Error { var response: SandboxResponse }
}
