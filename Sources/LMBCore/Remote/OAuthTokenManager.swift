import Foundation

/// An authorisation's tokens as its vault holds them. No description or dump shows a token.
public struct HeldTokens: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public var description: String { "HeldTokens(access expires \(accessExpiresAt.map { "\($0)" } ?? "-"), refresh token \(refreshToken == nil ? "none" : "held"))" }
    public var customMirror: Mirror { Mirror(self, children: ["accessExpiresAt": accessExpiresAt as Any, "refreshIssuedAt": refreshIssuedAt as Any]) }

    public var accessToken: String?
    public var accessExpiresAt: Date?
    public var refreshToken: String?
    public var refreshIssuedAt: Date?

    public init(accessToken: String? = nil, accessExpiresAt: Date? = nil, refreshToken: String? = nil, refreshIssuedAt: Date? = nil) {
        self.accessToken = accessToken
        self.accessExpiresAt = accessExpiresAt
        self.refreshToken = refreshToken
        self.refreshIssuedAt = refreshIssuedAt
    }
}

/// The token set a token endpoint answered. No description or dump shows a token.
public struct TokenSet: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public var description: String { "TokenSet(expires in \(expiresIn) s, scope \(scope ?? "-"), refresh token \(refreshToken == nil ? "none" : "new"))" }
    public var customMirror: Mirror { Mirror(self, children: ["expiresIn": expiresIn, "scope": scope as Any]) }

    public var accessToken: String
    public var expiresIn: Int
    /// A new refresh token when the service rotates them (Xero does on every refresh); nil keeps the old one.
    public var refreshToken: String?
    public var scope: String?
    public var idToken: String?

    public init(accessToken: String, expiresIn: Int, refreshToken: String? = nil, scope: String? = nil, idToken: String? = nil) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scope = scope
        self.idToken = idToken
    }

    /// An OAuth token answer: `access_token`, `expires_in` (else `defaultLifetime`), maybe `refresh_token`, `scope`,
    /// `id_token`. Anything else is `unexpected_answer`.
    public static func decode(_ r: HTTPResponse, service: RemoteService, defaultLifetime: Int) throws -> TokenSet {
        guard let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any],
              let access = json["access_token"] as? String, !access.isEmpty else {
            throw RemoteFailure.unexpectedAnswer(r, service: service, operation: "token request", expected: "an access_token")
        }
        let lifetime = (json["expires_in"] as? NSNumber)?.intValue ?? defaultLifetime
        return TokenSet(accessToken: access, expiresIn: lifetime, refreshToken: json["refresh_token"] as? String,
                        scope: json["scope"] as? String, idToken: json["id_token"] as? String)
    }
}

/// What the token manager decided on seeing the tokens as they are now.
public enum TokenDecision: Sendable {
    /// The held access token is good.
    case use(String)
    /// New tokens, obtained at `at`: saved before anything uses them.
    case renewed(TokenSet, at: Date, reason: String)
}

/// Where an authorisation's tokens live, and the lock that keeps two renewals of one refresh token from racing.
public protocol TokenVault: Sendable {
    /// Reads the tokens under an exclusive lock (across processes where they live on disk), lets `decide` keep or
    /// renew them, and saves a renewal before returning the access token to use. Blocks: call it off Swift's pool.
    func withLockedTokens(_ decide: (HeldTokens) throws -> TokenDecision) throws -> String
}

/// How one service's token endpoint is asked for new tokens: a refresh-token grant, client credentials, …
public protocol TokenGrant: Sendable {
    var service: RemoteService { get }
    /// The token request that renews the held tokens; throws a `RemoteFailure` when there is nothing to renew with.
    func request(renewing held: HeldTokens, now: Date) throws -> HTTPRequest
    /// The service's reading of a token endpoint's refusal (nil for success).
    func classify(_ r: HTTPResponse) -> RemoteFailure?
    /// Seconds an answer without `expires_in` is trusted.
    var defaultLifetime: Int { get }
    /// What never appears in a failure: the client secret, the refresh token.
    var secrets: [String] { get }
}

/// The one OAuth token manager: hands out access tokens, renewing them `margin` seconds before they expire or when
/// the service refused one, inside the vault's exclusive lock, so two callers (or two lmb processes) never both
/// rotate one refresh token, and the rotated one is kept before anything uses it. A token request whose answer was
/// lost is asked again once: services keep the old refresh token valid for a grace period (Xero: 30 minutes).
public struct OAuthTokenManager: AccessTokenSource, CustomReflectable {
    public let vault: any TokenVault
    public let grant: any TokenGrant
    public let transport: any HTTPTransport
    public let clock: any LMBClock
    /// Renew when fewer than this many seconds are left.
    public var margin: TimeInterval

    public init(vault: any TokenVault, grant: any TokenGrant, transport: any HTTPTransport, clock: any LMBClock, margin: TimeInterval) {
        self.vault = vault
        self.grant = grant
        self.transport = transport
        self.clock = clock
        self.margin = margin
    }

    /// Shows which service the tokens are for, never a token or a secret.
    public var customMirror: Mirror { Mirror(self, children: ["service": grant.service.name, "margin": margin]) }

    public func accessToken() async throws -> String { try await token(rejected: nil) }

    public func renew(rejected: String) async throws -> String { try await token(rejected: rejected) }

    /// The vault's lock and the token request block: they run off Swift's cooperative pool.
    func token(rejected: String?) async throws -> String {
        let manager = self
        return try await Blocking.run { try manager.lockedToken(rejected: rejected) }
    }

    public func lockedToken(rejected: String?) throws -> String {
        try vault.withLockedTokens { held in
            if let token = held.accessToken, token != rejected, let expiry = held.accessExpiresAt,
               expiry.timeIntervalSince(clock.now) > margin {
                return .use(token)
            }
            return .renewed(try obtain(held), at: clock.now, reason: rejected == nil ? "expiring" : "rejected as expired")
        }
    }

    /// Asks the token endpoint for new tokens (under the vault's lock).
    func obtain(_ held: HeldTokens) throws -> TokenSet {
        let request = try grant.request(renewing: held, now: clock.now)
        let secrets = grant.secrets + [held.refreshToken, held.accessToken].compactMap { $0 }
        do {
            return try exchange(request, secrets: secrets)
        } catch let first as RemoteFailure where first.classification == .network || first.classification == .unexpectedAnswer {
            // The service may have rotated the refresh token and the answer was lost or garbled: the old one stays
            // valid for a grace period (Xero: 30 minutes), so asking once more with it is safe and saves a reconnect.
            do { return try exchange(request, secrets: secrets) } catch let again as RemoteFailure {
                throw again.adding(evidence: "the token request failed twice; the first time: \(first.message)")
            }
        }
    }

    func exchange(_ request: HTTPRequest, secrets: [String]) throws -> TokenSet {
        let response: HTTPResponse
        do {
            response = try transport.sendBlocking(request)
        } catch let error as TransportError {
            throw RemoteFailure.transport(error, service: grant.service, operation: "token request").redacting(secrets)
        }
        if var failure = grant.classify(response) {
            failure.operation = failure.operation ?? "token request"
            throw failure.redacting(secrets)
        }
        return try TokenSet.decode(response, service: grant.service, defaultLifetime: grant.defaultLifetime)
    }
}

/// Tokens kept in this process only, under a lock: for services whose refresh tokens do not rotate (Login with
/// Amazon), so that nothing needs storing between runs.
public final class MemoryTokenVault: TokenVault, CustomReflectable, @unchecked Sendable {
    // @unchecked: every read and write of `held` and `renewals` happens under `lock`.
    private let lock = NSLock()
    private var held: HeldTokens
    private var renewalCount = 0

    public init(_ held: HeldTokens) { self.held = held }

    /// Holds tokens: a dump shows none.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// How many times the token endpoint was asked (for the log and for tests).
    public var renewals: Int { lock.withLock { renewalCount } }

    public var tokens: HeldTokens { lock.withLock { held } }

    public func withLockedTokens(_ decide: (HeldTokens) throws -> TokenDecision) throws -> String {
        try lock.withLock {
            switch try decide(held) {
            case .use(let token):
                return token
            case .renewed(let set, let at, _):
                renewalCount += 1
                held.accessToken = set.accessToken
                held.accessExpiresAt = at.addingTimeInterval(Double(set.expiresIn))
                if let rotated = set.refreshToken, rotated != held.refreshToken {
                    held.refreshToken = rotated
                    held.refreshIssuedAt = at
                }
                return set.accessToken
            }
        }
    }
}

/// Blocking work (an HTTP call, a lock held across one, SQLite) run off Swift's cooperative pool, on a thread of its
/// own: on Linux, Dispatch's global and concurrent queues run about as many blocked items at once as there are cores,
/// which would let a run over many organisations wait on two calls at a time.
public enum Blocking {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try work() }) }.start()
        }
    }
}

/// Form encoding for token requests and query strings: everything but unreserved ASCII percent-encoded.
public enum FormEncoding {
    public static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    public static func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }
}
