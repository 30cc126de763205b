import Foundation

/// A Xero organisation lmb is connected to, and the credential (token set) it is reached with.
public struct StoredConnection: Sendable, Equatable {
    public var tenantID: String
    public var tenantName: String
    public var tenantType: String?
    public var connectionID: String?
    public var credentialID: Int64
    public var isDefault: Bool
    public var connectedAt: String
    public var credential: StoredCredential
}

/// One authorisation: the tokens of one user for one app. Stored in one place only, so rotation never forks.
public struct StoredCredential: Sendable, Equatable {
    public enum Kind: String, Sendable { case pkce, webApp = "webapp", clientCredentials = "client_credentials" }
    public var id: Int64
    public var kind: Kind
    public var clientID: String
    public var xeroUserID: String?
    public var authEventID: String?
    public var scopes: [String]
    public var accessToken: String?
    public var accessExpiresAt: Date?
    public var refreshToken: String?
    public var refreshIssuedAt: Date?
    public var createdAt: String
}

/// Reads a JWT's claims (no signature check: lmb only reads its own tokens' expiry, user and scopes).
public enum JWTClaims {
    public static func decode(_ token: String) -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var b64 = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64) else { return [:] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    public static func scopes(_ token: String) -> [String] {
        let claims = decode(token)
        if let list = claims["scope"] as? [String] { return list }
        if let s = claims["scope"] as? String { return s.split(separator: " ").map(String.init) }
        return []
    }
}

extension Store.AuthorisingUser {
    /// Who authorised, read from Xero's access token (its `xero_userid`, `authentication_event_id` and scopes).
    public static func from(_ tokens: TokenSet) -> Store.AuthorisingUser {
        let claims = JWTClaims.decode(tokens.accessToken)
        return Store.AuthorisingUser(userID: claims["xero_userid"] as? String, authEventID: claims["authentication_event_id"] as? String,
                                     scopes: tokens.scope?.split(separator: " ").map(String.init) ?? JWTClaims.scopes(tokens.accessToken))
    }
}
