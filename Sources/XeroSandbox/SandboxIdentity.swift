import CCrypto
import Foundation

/// Everything Xero's identity server remembers: the user who authorises lmb, the consent codes, the grants and
/// the tokens issued from them, and the connections (organisations) a grant reaches.
struct IdentityState {
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
    var denyConsent = false
}

/// Xero's identity server: `GET /identity/connect/authorize`, `POST /connect/token` (authorization code with or
/// without PKCE, refresh token, client credentials), `POST /connect/revocation`, `GET|DELETE /connections`, and
/// the bearer check every accounting call passes. Tokens are opaque JWT-shaped strings; only the sandbox reads them.
extension SandboxEngine {
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
        identity.accessTokens[access] = SandboxAccessToken(value: access, grant: grant.authEventID, issuedAt: issued,
                                                  expiresAt: issued.addingTimeInterval(1800), scopes: scopes)
        identity.issuedOrder.append(access)
        var body: [String: Any] = ["access_token": access, "expires_in": 1800, "token_type": "Bearer",
                                   "scope": scopes.joined(separator: " ")]
        if withRefresh {
            let refresh = Self.randomToken(32)
            identity.refreshTokens[refresh] = SandboxRefreshToken(value: refresh, grant: grant.authEventID, issuedAt: issued)
            identity.issuedOrder.append(refresh)
            body["refresh_token"] = refresh
        }
        if withIDToken {
            let user = users.first { $0.userID == grant.userID }
            let id = jwt(["nbf": Int(issued.timeIntervalSince1970), "exp": Int(issued.timeIntervalSince1970) + 300,
                          "iss": "https://identity.xero.com", "aud": grant.clientID, "sub": grant.userID.replacingOccurrences(of: "-", with: ""),
                          "xero_userid": grant.userID, "email": user?.email ?? "", "given_name": user?.firstName ?? "",
                          "family_name": user?.lastName ?? "", "authentication_event_id": grant.authEventID])
            identity.idTokens.append(id)
            identity.issuedOrder.append(id)
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
        if identity.denyConsent || q["deny"] == "1" {
            items.append(URLQueryItem(name: "error", value: "access_denied"))
        } else {
            let code = Self.randomToken(24)
            identity.authCodes[code] = SandboxAuthCode(code: code, clientID: clientID, redirectURI: redirect, challenge: q["code_challenge"],
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
            guard let code = form["code"], var stored = identity.authCodes[code], !stored.used,
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
            identity.authCodes[code] = stored
            // The consent grants what `POST /_sandbox/config {"consent_tenants": […]}` chose, or the default organisation.
            let grant = SandboxGrant(authEventID: UUID().uuidString.lowercased(), clientID: client.id, userID: identity.connectingUserID,
                                     scopes: stored.scopes, customConnection: false, tenants: consentTenants ?? [Self.defaultTenantID])
            identity.grants[grant.authEventID] = grant
            connect(grant)
            return .json(200, issueTokens(grant: grant, withRefresh: stored.scopes.contains("offline_access"),
                                          withIDToken: stored.scopes.contains("openid")))
        case "refresh_token":
            if scenario == .refreshTokenRevoked { return oauthError("invalid_grant") }
            guard let value = form["refresh_token"], var stored = identity.refreshTokens[value], !stored.revoked,
                  let grant = identity.grants[stored.grant] else { return oauthError("invalid_grant") }
            guard let client = clientCredentials(r), client.id == grant.clientID else { return oauthError("invalid_client") }
            if let rotated = stored.rotatedAt, now.timeIntervalSince(rotated) > 30 * 60 { return oauthError("invalid_grant") }
            if now.timeIntervalSince(stored.issuedAt) > 60 * 86400 { return oauthError("invalid_grant") }
            if stored.rotatedAt == nil { stored.rotatedAt = now }
            identity.refreshTokens[value] = stored
            return .json(200, issueTokens(grant: grant, withRefresh: true, withIDToken: false))
        case "client_credentials":
            if scenario == .refreshTokenRevoked { return oauthError("invalid_client") }
            guard let client = clientCredentials(r), secretAccepted(client.secret) else { return oauthError("invalid_client") }
            let requested = (form["scope"] ?? "").split(separator: " ").map(String.init)
            let scopes = requested.isEmpty ? ["accounting.transactions", "accounting.settings.read", "accounting.contacts"] : requested
            // A custom connection is one organisation, authorised once by a user: its tokens carry that user's id.
            // A client id from `POST /_sandbox/organisations` is that organisation's; any other, the default one's.
            let existing = identity.grants.values.first { $0.customConnection && $0.clientID == client.id }
            let grant = existing ?? SandboxGrant(authEventID: UUID().uuidString.lowercased(), clientID: client.id,
                                                 userID: identity.connectingUserID, scopes: scopes, customConnection: true,
                                                 tenants: [customClients[client.id] ?? Self.defaultTenantID])
            var updated = grant
            updated.scopes = scopes
            identity.grants[grant.authEventID] = updated
            if existing == nil { connect(updated) }
            return .json(200, issueTokens(grant: updated, withRefresh: false, withIDToken: false))
        case nil, "":
            return oauthError("invalid_request")
        default:
            return oauthError("unsupported_grant_type")
        }
    }

    /// One connection per organisation the grant reaches (an organisation has one connection, whichever grant last made it).
    func connect(_ grant: SandboxGrant) {
        for tenant in grant.tenants {
            if let i = identity.connections.firstIndex(where: { $0.tenantID == tenant }) {
                identity.connections[i].authEventID = grant.authEventID
                identity.connections[i].updated = now
            } else {
                let name = tenant == tenantID ? organisationName : (otherOrganisations[tenant]?.name ?? "")
                identity.connections.append(SandboxConnection(id: UUID().uuidString.lowercased(), tenantID: tenant, tenantName: name,
                                                     authEventID: grant.authEventID, created: now, updated: now))
            }
        }
    }

    /// The organisations a token's grant reaches.
    func grantedTenants(_ token: SandboxAccessToken) -> [String] { identity.grants[token.grant]?.tenants ?? [] }

    func revoke(_ r: SandboxRequest) -> SandboxResponse {
        guard clientCredentials(r) != nil else { return oauthError("invalid_client") }
        if let value = r.form["token"], var t = identity.refreshTokens[value] {
            t.revoked = true
            identity.refreshTokens[value] = t
        }
        return SandboxResponse(status: 200)
    }


    func listConnections(_ r: SandboxRequest) -> SandboxResponse {
        let granted: [String]
        switch bearer(r) {
        case .failure(let failure): return failure.response
        case .success(let token): granted = grantedTenants(token)
        }
        return .json(200, identity.connections.filter { granted.contains($0.tenantID) }.map { c -> [String: Any] in
            ["id": c.id, "authEventId": c.authEventID, "tenantId": c.tenantID, "tenantType": "ORGANISATION",
             "tenantName": c.tenantName, "createdDateUtc": Self.isoUTC(c.created), "updatedDateUtc": Self.isoUTC(c.updated)]
        })
    }

    func deleteConnection(_ r: SandboxRequest) -> SandboxResponse {
        let granted: [String]
        switch bearer(r) {
        case .failure(let failure): return failure.response
        case .success(let token): granted = grantedTenants(token)
        }
        let id = String(r.path.dropFirst("/connections/".count))
        guard let i = identity.connections.firstIndex(where: { $0.id == id && granted.contains($0.tenantID) }) else {
            return .text(404, "The resource you're looking for cannot be found")
        }
        identity.removedConnections.append(identity.connections.remove(at: i))
        return SandboxResponse(status: 204)
    }

    /// The bearer token's record, or the 401 Xero answers.
    func bearer(_ r: SandboxRequest) -> Result<SandboxAccessToken, BearerFailure> {
        guard let auth = r.header("authorization"), auth.hasPrefix("Bearer "),
              let token = identity.accessTokens[String(auth.dropFirst(7))] else {
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
