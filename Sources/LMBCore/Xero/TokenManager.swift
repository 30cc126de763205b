import Foundation

/// Hands out access tokens, refreshing them before they expire. A refresh runs inside an exclusive SQLite
/// transaction that first re-reads the tokens, so two lmb processes never both rotate the same refresh token,
/// and the rotated token is committed before anything uses it.
public struct TokenManager: Sendable {
    public let store: Store
    public let endpoints: XeroEndpoints
    public let transport: any HTTPTransport
    public let clientSecret: String?
    /// Refresh when fewer than this many seconds are left.
    public var margin: TimeInterval = 120

    public init(store: Store, endpoints: XeroEndpoints, transport: any HTTPTransport, clientSecret: String?) {
        self.store = store
        self.endpoints = endpoints
        self.transport = transport
        self.clientSecret = clientSecret
    }

    /// A usable access token for the credential. `rejected`: a token Xero just refused as expired, to be replaced
    /// unless another process already did.
    public func accessToken(credentialID: Int64, rejected: String? = nil) throws -> String {
        try store.withCredentialLocked(credentialID) { c in
            if let token = c.accessToken, token != rejected, let expiry = c.accessExpiresAt, expiry.timeIntervalSinceNow > margin {
                return .use(token)
            }
            return .renewed(try obtain(c),
                            event: c.kind == .clientCredentials ? "new access token (client credentials)" : "refreshed the access token; the refresh token rotated",
                            reason: rejected == nil ? "expiring" : "rejected as expired")
        }
    }

    /// Asks the token endpoint for new tokens. Runs on the store's queue, under the lock: it blocks that queue,
    /// never Swift's cooperative pool.
    func obtain(_ c: StoredCredential) throws -> TokenSet {
        var fields: [(String, String)]
        var headers: [(String, String)] = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        switch c.kind {
        case .clientCredentials:
            guard let secret = clientSecret else {
                throw XeroFailure(.config, "a custom connection needs its client secret: set LMB_XERO_CLIENT_SECRET or write it to the home's client_secret file (mode 0600)")
            }
            headers.append(("Authorization", Self.basic(c.clientID, secret)))
            fields = [("grant_type", "client_credentials")]
            if !c.scopes.isEmpty { fields.append(("scope", c.scopes.joined(separator: " "))) }
        case .pkce, .webApp:
            guard let refresh = c.refreshToken else {
                throw XeroFailure(.staleConnection, "there is no refresh token (offline_access was not granted); reconnect", evidence: ["no refresh token stored"])
            }
            if let issued = c.refreshIssuedAt, Date().timeIntervalSince(issued) > 60 * 86400 {
                throw XeroFailure(.staleConnection, "the refresh token is more than 60 days old; Xero expires unused refresh tokens after 60 days",
                                  evidence: ["refresh token issued \(Int(Date().timeIntervalSince(issued) / 86400)) days ago"])
            }
            fields = [("grant_type", "refresh_token"), ("refresh_token", refresh)]
            if c.kind == .webApp, let secret = clientSecret {
                headers.append(("Authorization", Self.basic(c.clientID, secret)))
            } else {
                fields.append(("client_id", c.clientID))
            }
        }
        let request = HTTPRequest(method: "POST", url: endpoints.token, headers: headers, body: Data(Self.form(fields).utf8))
        var response: HTTPResponse
        do {
            response = try transport.sendBlocking(request)
        } catch let error as TransportError {
            // The answer may have been lost after Xero rotated the token: the old one stays valid for 30 minutes, so
            // asking again with it is safe. If that fails too, the old token stays stored for the next run.
            do { response = try transport.sendBlocking(request) } catch let again as TransportError {
                throw XeroErrorClassifier.classify(again).adding(evidence: "token refresh failed twice: \(error)")
            }
        }
        if let failure = XeroErrorClassifier.classify(response) { throw failure }
        return try TokenSet.decode(response)
    }

    static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}

extension XeroFailure {
    public func adding(evidence e: String) -> XeroFailure {
        var copy = self
        copy.evidence.append(e)
        return copy
    }
}
