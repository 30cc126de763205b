import Foundation

/// Hands out Login with Amazon access tokens, cached in memory until 60 s before they expire. Refresh tokens do not
/// rotate, so nothing is stored and two processes refreshing at once do no harm; within one process, callers that
/// arrive during a refresh wait for it instead of starting another.
public actor LWATokenManager: CustomReflectable {
    let credentials: AmazonCredentials
    let tokenURL: URL
    let transport: any HTTPTransport
    let clock: any AmazonClock
    let margin: Double
    let userAgent: String

    struct Cached {
        var token: String
        var expiresAt: Double
    }

    var cached: Cached?
    var inFlight: Task<Cached, any Error>?
    /// How many times the token endpoint was asked (for the log and for tests).
    public private(set) var refreshCount = 0

    public init(credentials: AmazonCredentials, endpoints: AmazonEndpoints, transport: any HTTPTransport,
                clock: any AmazonClock = SystemAmazonClock(), margin: Double = AmazonPacing.default.accessTokenMargin,
                userAgent: String = AmazonReportsClient.userAgent) {
        self.credentials = credentials
        self.tokenURL = endpoints.token
        self.transport = transport
        self.clock = clock
        self.margin = margin
        self.userAgent = userAgent
    }

    /// Shows where tokens come from, never a token or the credentials' secrets.
    public nonisolated var customMirror: Mirror { Mirror(self, children: ["tokenURL": tokenURL, "credentials": credentials]) }

    /// A usable access token: the cached one, or a new one. Throws `AmazonFailure`.
    public func accessToken() async throws -> String {
        if let cached, cached.expiresAt > clock.now { return cached.token }
        return try await refresh()
    }

    /// A token other than `rejected`, which Amazon just refused: renewed, unless a concurrent caller already did.
    public func renew(rejected: String) async throws -> String {
        if let cached, cached.token != rejected, cached.expiresAt > clock.now { return cached.token }
        cached = nil
        return try await refresh()
    }

    private func refresh() async throws -> String {
        if let inFlight { return try await inFlight.value.token }
        let task = Task { try await self.exchange() }
        inFlight = task
        defer { inFlight = nil }
        let fresh = try await task.value
        cached = fresh
        return fresh.token
    }

    /// POST grant_type=refresh_token with the client's id and secret, form-encoded.
    private func exchange() async throws -> Cached {
        refreshCount += 1
        let body = TokenManager.form([
            ("grant_type", "refresh_token"), ("refresh_token", credentials.refreshToken),
            ("client_id", credentials.clientID), ("client_secret", credentials.clientSecret),
        ])
        let request = HTTPRequest(method: "POST", url: tokenURL, headers: [
            ("content-type", "application/x-www-form-urlencoded;charset=UTF-8"), ("accept", "application/json"), ("user-agent", userAgent),
        ], body: Data(body.utf8))
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as TransportError {
            throw AmazonErrorClassifier.classify(error, from: .loginWithAmazon).redacting(credentials.secrets)
        }
        if let failure = AmazonErrorClassifier.classify(response, from: .loginWithAmazon) {
            throw failure.redacting(credentials.secrets)
        }
        struct Answer: Decodable {
            var access_token: String
            var expires_in: Double?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: response.body), !answer.access_token.isEmpty else {
            throw AmazonErrorClassifier.unexpectedBody(response, from: .loginWithAmazon, expected: "an access_token")
        }
        // Amazon documents 3600 s; an answer without expires_in is trusted for a minute beyond the margin only.
        let lifetime = answer.expires_in ?? (margin + 60)
        return Cached(token: answer.access_token, expiresAt: clock.now + lifetime - margin)
    }
}
