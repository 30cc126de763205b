import Foundation

/// The `amazon` section of `config.json`: how lmb paces itself against Amazon and how far back a fetch looks.
/// Every field is optional; what is absent keeps Amazon's default usage plan and lmb's defaults.
///
/// ```json
/// "amazon": {
///   "rate_limits": {"getReports": {"rate": 0.0222, "burst": 10}, "getReportDocument": {"rate": 0.0167, "burst": 15}},
///   "max_rate_limit_retries": 3, "max_rate_limit_wait_seconds": 120, "fetch_overlap_days": 2
/// }
/// ```
/// Amazon may grant an app higher limits; `x-amzn-RateLimit-Limit` in its answers is adopted either way.
public struct AmazonSettings: Codable, Sendable, Equatable {
    public var rateLimits: [String: AmazonRateLimit]?
    public var maxRateLimitRetries: Int?
    public var maxRateLimitWaitSeconds: Double?
    /// Reports created this many days before the last fetch are listed again (default 2).
    public var fetchOverlapDays: Double?

    enum CodingKeys: String, CodingKey {
        case rateLimits = "rate_limits", maxRateLimitRetries = "max_rate_limit_retries"
        case maxRateLimitWaitSeconds = "max_rate_limit_wait_seconds", fetchOverlapDays = "fetch_overlap_days"
    }

    public init() {}

    /// The pacing these settings give; a value Amazon could not mean is a configuration error, named.
    public func pacing() throws -> AmazonPacing {
        var pacing = AmazonPacing.default
        for (name, limit) in rateLimits ?? [:] {
            guard let operation = AmazonOperation(rawValue: name) else {
                throw LMBError.config("config.json: amazon.rate_limits names \(name); known: \(AmazonOperation.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard limit.rate.isFinite, limit.rate > 0, limit.burst >= 1 else {
                throw LMBError.config("config.json: amazon.rate_limits.\(name) needs a rate above 0 and a burst of at least 1")
            }
            pacing.limits[operation] = limit
        }
        if let n = maxRateLimitRetries {
            guard n >= 0 else { throw LMBError.config("config.json: amazon.max_rate_limit_retries cannot be negative") }
            pacing.maxRateLimitRetries = n
        }
        if let s = maxRateLimitWaitSeconds {
            guard s >= 0, s.isFinite else { throw LMBError.config("config.json: amazon.max_rate_limit_wait_seconds cannot be negative") }
            pacing.maxRateLimitWait = s
        }
        return pacing
    }

    public func overlap() throws -> TimeInterval {
        guard let days = fetchOverlapDays else { return SettlementFetchPlan.defaultOverlap }
        guard days >= 0, days < 89 else { throw LMBError.config("config.json: amazon.fetch_overlap_days must be from 0 to 88") }
        return days * 86_400
    }
}
