import Foundation

/// How Xero's identity server renews one credential's tokens: the refresh-token grant (PKCE: the client id in the
/// form; the web-app flow: the client secret in Basic auth) or, for a custom connection, client credentials.
public struct XeroGrant: TokenGrant, CustomReflectable {
    public let credential: StoredCredential
    public let endpoints: XeroEndpoints
    public let clientSecret: String?
    public var service: RemoteService { .xeroIdentity }
    /// Xero's access tokens live 30 minutes.
    public var defaultLifetime: Int { 1800 }
    public var secrets: [String] { [clientSecret, credential.refreshToken].compactMap { $0 } }
    /// Xero expires a refresh token unused for 60 days.
    public static let refreshTokenDays = 60

    /// The credential holds tokens and the secret is one: a dump shows only which app and token endpoint.
    public var customMirror: Mirror { Mirror(self, children: ["clientID": credential.clientID, "token": endpoints.token]) }

    public init(credential: StoredCredential, endpoints: XeroEndpoints, clientSecret: String?) {
        self.credential = credential
        self.endpoints = endpoints
        self.clientSecret = clientSecret
    }

    public func request(renewing held: HeldTokens, now: Date) throws -> HTTPRequest {
        var fields: [(String, String)]
        var headers: [(String, String)] = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        switch credential.kind {
        case .clientCredentials:
            guard let secret = clientSecret else {
                throw RemoteFailure.xero(.config, "a custom connection needs its client secret: set LMB_XERO_CLIENT_SECRET or write it to the home's client_secret file (mode 0600)")
            }
            headers.append(("Authorization", FormEncoding.basic(credential.clientID, secret)))
            fields = [("grant_type", "client_credentials")]
            if !credential.scopes.isEmpty { fields.append(("scope", credential.scopes.joined(separator: " "))) }
        case .pkce, .webApp:
            guard let refresh = held.refreshToken else {
                throw RemoteFailure.xero(.staleConnection, "there is no refresh token (offline_access was not granted); reconnect", evidence: ["no refresh token stored"])
            }
            if let issued = held.refreshIssuedAt, now.timeIntervalSince(issued) > Double(Self.refreshTokenDays) * 86400 {
                throw RemoteFailure.xero(.staleConnection, "the refresh token is more than 60 days old; Xero expires unused refresh tokens after 60 days",
                                         evidence: ["refresh token issued \(Int(now.timeIntervalSince(issued) / 86400)) days ago"])
            }
            fields = [("grant_type", "refresh_token"), ("refresh_token", refresh)]
            if credential.kind == .webApp, let secret = clientSecret {
                headers.append(("Authorization", FormEncoding.basic(credential.clientID, secret)))
            } else {
                fields.append(("client_id", credential.clientID))
            }
        }
        return HTTPRequest(method: "POST", url: endpoints.token, headers: headers, body: Data(FormEncoding.encode(fields).utf8))
    }

    public func classify(_ r: HTTPResponse) -> RemoteFailure? { XeroErrorClassifier.classify(r, service: .xeroIdentity) }
}

/// A Xero credential's tokens in the store, renewed inside an exclusive SQLite transaction that first re-reads them.
public struct StoredCredentialVault: TokenVault {
    public let store: Store
    public let credentialID: Int64
    public let kind: StoredCredential.Kind

    public init(store: Store, credential: StoredCredential) {
        self.store = store
        self.credentialID = credential.id
        self.kind = credential.kind
    }

    public func withLockedTokens(_ decide: (HeldTokens) throws -> TokenDecision) throws -> String {
        let event = kind == .clientCredentials ? "new access token (client credentials)" : "refreshed the access token; the refresh token rotated"
        do {
            return try store.withCredentialLocked(credentialID, event: event) { c in
                try decide(HeldTokens(accessToken: c.accessToken, accessExpiresAt: c.accessExpiresAt, refreshToken: c.refreshToken,
                                      refreshIssuedAt: c.refreshIssuedAt))
            }
        } catch StoreError.missing {
            throw RemoteFailure.xero(.notConnected, "the connection's credentials are gone; run: lmb connect")
        }
    }
}

extension XeroSession {
    /// The token manager of one credential.
    public func tokens(for credential: StoredCredential) -> OAuthTokenManager {
        OAuthTokenManager(vault: StoredCredentialVault(store: store, credential: credential),
                          grant: XeroGrant(credential: credential, endpoints: endpoints, clientSecret: clientSecret),
                          transport: transport, clock: clock, margin: 120)
    }
}
