import Foundation

/// The Reports API operations lmb calls, each with its own token bucket at Amazon.
public enum AmazonOperation: String, Sendable, CaseIterable, Codable {
    case getReports, getReport, getReportDocument
    /// Requesting a report (lmb asks only for the VAT Transactions Report), and the Tokens API's restricted data token.
    case createReport, createRestrictedDataToken

    /// Amazon's default usage plan (the Reports API model's tables).
    public var defaultLimit: AmazonRateLimit {
        switch self {
        case .getReports: return AmazonRateLimit(rate: 0.0222, burst: 10)
        case .getReport: return AmazonRateLimit(rate: 2, burst: 15)
        case .getReportDocument: return AmazonRateLimit(rate: 0.0167, burst: 15)
        case .createReport: return AmazonRateLimit(rate: 0.0167, burst: 15)
        case .createRestrictedDataToken: return AmazonRateLimit(rate: 1, burst: 10)
        }
    }
}

/// A token bucket's size: `rate` requests a second, up to `burst` at once.
public struct AmazonRateLimit: Sendable, Equatable, Codable {
    public var rate: Double
    public var burst: Int

    public init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = burst
    }
}

/// How lmb paces itself and how long it waits out Amazon's refusals. Phase 2 sets it from the configuration;
/// tests make it fast.
public struct AmazonPacing: Sendable, Equatable {
    public var limits: [AmazonOperation: AmazonRateLimit]
    /// Retries after a 429 before giving up with `rate_limited`.
    public var maxRateLimitRetries: Int
    /// The most seconds one call spends waiting out 429s (Retry-After, else 1/rate) before giving up.
    public var maxRateLimitWait: Double
    /// Fresh pre-signed addresses asked for after S3 says one expired.
    public var maxExpiredURLRetries: Int
    /// A decompressed document larger than this is refused (a gzip bomb, or not a settlement).
    public var maxDocumentBytes: Int
    /// Treat an access token as expired this many seconds early (Amazon's Java client uses 60).
    public var accessTokenMargin: Double
    /// Tokens of each bucket lmb never spends. Amazon's bucket starts when the first request arrives, lmb's when it
    /// is sent: without a reserve, a request that arrives a little sooner after the previous one than it was sent
    /// finds Amazon's bucket a fraction of a token short, and collects a 429.
    public var reservedTokens: Double

    public static let `default` = AmazonPacing(
        limits: Dictionary(uniqueKeysWithValues: AmazonOperation.allCases.map { ($0, $0.defaultLimit) }),
        maxRateLimitRetries: 3, maxRateLimitWait: 120, maxExpiredURLRetries: 2, maxDocumentBytes: 2 << 30, accessTokenMargin: 60)

    public init(limits: [AmazonOperation: AmazonRateLimit], maxRateLimitRetries: Int, maxRateLimitWait: Double,
                maxExpiredURLRetries: Int, maxDocumentBytes: Int, accessTokenMargin: Double, reservedTokens: Double = 1) {
        self.limits = limits
        self.maxRateLimitRetries = maxRateLimitRetries
        self.maxRateLimitWait = maxRateLimitWait
        self.maxExpiredURLRetries = maxExpiredURLRetries
        self.maxDocumentBytes = maxDocumentBytes
        self.accessTokenMargin = accessTokenMargin
        self.reservedTokens = reservedTokens
    }

    public func limit(_ operation: AmazonOperation) -> AmazonRateLimit { limits[operation] ?? operation.defaultLimit }
}

/// Client-side token buckets, one per operation, so lmb stays inside Amazon's limits instead of collecting 429s.
/// A caller reserves its token before it waits, so concurrent callers queue up in order and never overdraw.
public actor AmazonRateLimiter {
    struct Bucket {
        var limit: AmazonRateLimit
        var reserve: Double
        var tokens: Double
        var refilledAt: Double

        /// The burst less the reserve, never below one request.
        var capacity: Double { max(1, Double(limit.burst) - reserve) }

        mutating func refill(at now: Double) {
            if now > refilledAt {
                tokens = min(capacity, tokens + (now - refilledAt) * limit.rate)
                refilledAt = now
            }
        }
    }

    let clock: any LMBClock
    var buckets: [AmazonOperation: Bucket] = [:]
    /// Told of every wait of a second or more, before it starts, so that a person does not take a wait for a hang.
    var observer: (@Sendable (String) -> Void)?

    public func setObserver(_ observer: @escaping @Sendable (String) -> Void) { self.observer = observer }

    func note(_ line: String) { observer?(line) }

    public init(pacing: AmazonPacing = .default, clock: any LMBClock) {
        self.clock = clock
        let now = clock.uptime
        for operation in AmazonOperation.allCases {
            var bucket = Bucket(limit: pacing.limit(operation), reserve: max(0, pacing.reservedTokens), tokens: 0, refilledAt: now)
            bucket.tokens = bucket.capacity
            buckets[operation] = bucket
        }
    }

    /// Takes one token, waiting until there is one. Returns the seconds waited.
    @discardableResult
    public func acquire(_ operation: AmazonOperation) async throws -> Double {
        let now = clock.uptime
        var bucket = buckets[operation]!
        bucket.refill(at: now)
        bucket.tokens -= 1
        buckets[operation] = bucket
        guard bucket.tokens < 0 else { return 0 }
        let wait = -bucket.tokens / bucket.limit.rate
        if wait >= 1 {
            note("waiting \(Int(wait.rounded(.up))) s for Amazon's \(operation.rawValue) limit (\(bucket.limit.rate)/s after a burst of \(bucket.limit.burst))")
        }
        try await clock.sleep(seconds: wait)
        return wait
    }

    /// Adopts the rate Amazon says it applied (`x-amzn-RateLimit-Limit`); the burst stays as configured.
    public func adopt(rateLimitHeader value: String?, for operation: AmazonOperation) {
        guard let value, let rate = Double(value.trimmingCharacters(in: .whitespaces)), rate.isFinite, rate > 0 else { return }
        var bucket = buckets[operation]!
        guard bucket.limit.rate != rate else { return }
        bucket.refill(at: clock.uptime)
        bucket.limit.rate = rate
        buckets[operation] = bucket
    }

    /// Amazon answered 429: its bucket is empty whatever ours says, so ours restarts from empty.
    func drain(_ operation: AmazonOperation) {
        var bucket = buckets[operation]!
        bucket.refill(at: clock.uptime)
        bucket.tokens = min(bucket.tokens, 0)
        buckets[operation] = bucket
    }

    public func limit(_ operation: AmazonOperation) -> AmazonRateLimit { buckets[operation]!.limit }
}
