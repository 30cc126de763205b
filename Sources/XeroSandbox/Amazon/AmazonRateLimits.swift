import Foundation

/// Amazon's usage plans: a token bucket per operation and selling account, refilled at `rate` tokens a second of
/// sandbox clock up to `burst`. A frozen clock refills nothing; `advance_seconds` refills what that time would.
extension SandboxEngine {
    /// Takes one token from the operation's bucket, or answers false when it is empty (the caller answers 429).
    func takeToken(_ operation: AmazonOperation, seller: String) -> Bool {
        let limit = amazon.options.limits[operation]!
        let key = AmazonBucketKey(operation: operation, seller: seller)
        var bucket = amazon.buckets[key] ?? AmazonTokenBucket(tokens: Double(limit.burst), updatedAt: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updatedAt))
        bucket.tokens = min(Double(limit.burst), bucket.tokens + elapsed * limit.rate)
        bucket.updatedAt = now
        // A whole token, give or take the rounding of rate × seconds (45 s at 0.0222/s is one token).
        let available = bucket.tokens + 1e-6 >= 1
        if available { bucket.tokens = max(0, bucket.tokens - 1) }
        amazon.buckets[key] = bucket
        return available
    }

    /// `x-amzn-RateLimit-Limit` as Amazon writes it: `0.0222`, `2.0`.
    static func rateHeader(_ rate: Double) -> String { String(describing: rate) }

    /// `{"buckets": {"getReports": {"rate": 10, "burst": 100}, …}}`: changed buckets start full at their new size.
    func configureAmazonLimits(_ buckets: [String: Any]) -> String? {
        var limits = amazon.options.limits
        for (name, value) in buckets {
            guard let operation = AmazonOperation(rawValue: name) else {
                return "unknown operation \(name); known: \(AmazonOperation.allCases.map(\.rawValue).joined(separator: ", "))"
            }
            guard let spec = value as? [String: Any] else { return "\(name) must be an object with rate and burst" }
            var limit = limits[operation]!
            if let rate = spec["rate"] as? NSNumber { limit.rate = rate.doubleValue }
            if let burst = spec["burst"] as? NSNumber { limit.burst = burst.intValue }
            guard limit.rate > 0, limit.burst >= 1 else { return "\(name): rate must be > 0 and burst ≥ 1" }
            limits[operation] = limit
        }
        for operation in AmazonOperation.allCases where limits[operation] != amazon.options.limits[operation] {
            amazon.buckets = amazon.buckets.filter { $0.key.operation != operation }
        }
        amazon.options.limits = limits
        return nil
    }

    func amazonLimitsJSON() -> [String: Any] {
        Dictionary(uniqueKeysWithValues: AmazonOperation.allCases.map { operation -> (String, Any) in
            let limit = amazon.options.limits[operation]!
            return (operation.rawValue, ["rate": limit.rate, "burst": limit.burst])
        })
    }
}
