import Foundation

/// How Login with Amazon renews an access token: the refresh-token grant with the app's client id and secret in the
/// form. Amazon's refresh tokens do not rotate, so the tokens live in memory (`MemoryTokenVault`) for one run.
public struct LWAGrant: TokenGrant {
    public let credentials: AmazonCredentials
    public let tokenURL: URL
    public let userAgent: String
    public var service: RemoteService { .loginWithAmazon }
    /// Amazon documents 3600 s; an answer without expires_in is trusted for a minute beyond the renewal margin only.
    public var defaultLifetime: Int
    public var secrets: [String] { credentials.secrets }

    public init(credentials: AmazonCredentials, endpoints: AmazonEndpoints, margin: Double, userAgent: String = AmazonReportsClient.userAgent) {
        self.credentials = credentials
        self.tokenURL = endpoints.token
        self.userAgent = userAgent
        self.defaultLifetime = Int(margin) + 60
    }

    public func request(renewing held: HeldTokens, now: Date) throws -> HTTPRequest {
        let body = FormEncoding.encode([
            ("grant_type", "refresh_token"), ("refresh_token", held.refreshToken ?? credentials.refreshToken),
            ("client_id", credentials.clientID), ("client_secret", credentials.clientSecret),
        ])
        return HTTPRequest(method: "POST", url: tokenURL, headers: [
            ("content-type", "application/x-www-form-urlencoded;charset=UTF-8"), ("accept", "application/json"), ("user-agent", userAgent),
        ], body: Data(body.utf8))
    }

    public func classify(_ r: HTTPResponse) -> RemoteFailure? { AmazonErrorClassifier.classify(r, from: .loginWithAmazon) }

    /// A token manager for one selling account, its tokens in memory.
    public static func manager(credentials: AmazonCredentials, endpoints: AmazonEndpoints, transport: any HTTPTransport,
                               clock: any LMBClock, margin: Double) -> OAuthTokenManager {
        OAuthTokenManager(vault: MemoryTokenVault(HeldTokens(refreshToken: credentials.refreshToken)),
                          grant: LWAGrant(credentials: credentials, endpoints: endpoints, margin: margin),
                          transport: transport, clock: clock, margin: margin)
    }
}
