import Foundation
import TestSupport
import Testing
@testable import LMBCore

// MARK: - Pacing

@Suite("Amazon pacing")
struct AmazonPacingTests {
    @Test("a burst, less the one token kept in reserve, goes out at once; the next request waits 1/rate")
    func burstThenWait() async throws {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: .default, clock: clock)
        for _ in 0..<9 { try await limiter.acquire(.getReports) }
        #expect(clock.sleeps.isEmpty)
        let waited = try await limiter.acquire(.getReports)
        #expect(abs(waited - 1 / 0.0222) < 0.001)
        #expect(clock.sleeps.count == 1)
        // Each operation has its own bucket.
        try await limiter.acquire(.getReport)
        #expect(clock.sleeps.count == 1)
    }

    @Test("the 15th document waits about a minute, which is Amazon's limit, not a hang")
    func fifteenthDocument() async throws {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: .default, clock: clock)
        for _ in 0..<14 { #expect(try await limiter.acquire(.getReportDocument) == 0) }
        let waited = try await limiter.acquire(.getReportDocument)
        #expect(waited > 59 && waited < 61)
    }

    @Test("without a reserve the whole burst goes at once")
    func noReserve() async throws {
        let clock = AmazonFakeClock()
        var pacing = AmazonPacing.default
        pacing.reservedTokens = 0
        let limiter = AmazonRateLimiter(pacing: pacing, clock: clock)
        for _ in 0..<15 { #expect(try await limiter.acquire(.getReportDocument) == 0) }
        #expect(try await limiter.acquire(.getReportDocument) > 59)
    }

    /// Amazon's side of the exchange: its own bucket, which starts full when the first request arrives and refills at
    /// the rate; a request arriving to less than one token is a 429.
    struct AmazonBucket {
        let limit: AmazonRateLimit
        var tokens: Double
        var at: Double?

        init(_ limit: AmazonRateLimit) {
            self.limit = limit
            tokens = Double(limit.burst)
        }

        /// False: Amazon answers 429.
        mutating func arrive(_ time: Double) -> Bool {
            if let at { tokens = min(Double(limit.burst), tokens + (time - at) * limit.rate) }
            at = time
            guard tokens + 1e-9 >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// One fetch of 40 new settlements as Amazon sees it: 1 getReports, then 40 getReportDocument. Each request reaches
    /// Amazon 5 ms to 2 s after lmb sends it, at random; its answer takes as long again; then lmb downloads and imports
    /// before it asks for the next document. Returns the requests Amazon would refuse with 429, and lmb's waiting.
    static func simulateFortyDocuments(_ pacing: AmazonPacing, _ rng: inout SeededGenerator) async throws -> (rejected: Int, waited: Double) {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: pacing, clock: clock)
        var reportsBucket = AmazonBucket(AmazonOperation.getReports.defaultLimit)
        var documentsBucket = AmazonBucket(AmazonOperation.getReportDocument.defaultLimit)
        var rejected = 0
        try await limiter.acquire(.getReports)
        var up = Double.random(in: 0.005...2, using: &rng)
        if !reportsBucket.arrive(clock.uptime + up) { rejected += 1 }
        clock.advance(up + Double.random(in: 0.005...2, using: &rng))
        for _ in 0..<40 {
            try await limiter.acquire(.getReportDocument)
            up = Double.random(in: 0.005...2, using: &rng)
            if !documentsBucket.arrive(clock.uptime + up) { rejected += 1 }
            clock.advance(up + Double.random(in: 0.005...2, using: &rng) + Double.random(in: 0.01...0.5, using: &rng))
        }
        return (rejected, clock.sleeps.reduce(0, +))
    }

    @Test("1 getReports and 40 getReportDocument at the default rates never exceed Amazon's buckets, whatever the latency")
    func fortyDocumentsStayInside() async throws {
        var rng = SeededGenerator("forty documents inside the buckets")
        for _ in 0..<50 {
            let run = try await Self.simulateFortyDocuments(.default, &rng)
            #expect(run.rejected == 0, "seed \(rng.seed)")
            // Not needlessly slow either: 14 at once, then about one a minute for the other 26.
            #expect(run.waited < 26 / 0.0167 + 1)
        }
    }

    @Test("without the reserved token, latency alone tips requests over Amazon's limit (why the reserve exists)")
    func withoutReserveLatencyCollects429() async throws {
        var rng = SeededGenerator("forty documents without a reserve")
        var pacing = AmazonPacing.default
        pacing.reservedTokens = 0
        var rejected = 0
        for _ in 0..<50 { rejected += try await Self.simulateFortyDocuments(pacing, &rng).rejected }
        #expect(rejected > 0)
    }

    @Test("tokens come back at the rate while time passes")
    func refill() async throws {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: AmazonFixture.pacing(burst: 2, rate: 0.5), clock: clock)
        try await limiter.acquire(.getReport)
        try await limiter.acquire(.getReport)
        clock.advance(2)   // one token back
        #expect(try await limiter.acquire(.getReport) == 0)
        #expect(try await limiter.acquire(.getReport) == 2)
    }

    @Test("the rate in x-amzn-RateLimit-Limit is adopted for the operation")
    func adoptsHeader() async throws {
        let transport = AmazonFakeTransport()
        let clock = AmazonFakeClock()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(200, #"{"reports":[]}"#, ["x-amzn-RateLimit-Limit": "0.5"]))
        var pacing = AmazonPacing.default
        pacing.limits[.getReports] = AmazonRateLimit(rate: 0.0222, burst: 1)
        let client = AmazonFixture.client(transport, clock: clock, pacing: pacing)
        _ = try await client.getReports(createdSince: AmazonFixture.createdSince)
        #expect(await client.limiter.limit(.getReports) == AmazonRateLimit(rate: 0.5, burst: 1))
        _ = try await client.getReports(createdSince: AmazonFixture.createdSince)
        #expect(clock.sleeps == [2])   // 1/0.5, not 1/0.0222 = 45 s
        // Nonsense in the header changes nothing.
        await client.limiter.adopt(rateLimitHeader: "fast", for: .getReports)
        await client.limiter.adopt(rateLimitHeader: "0", for: .getReports)
        #expect(await client.limiter.limit(.getReports).rate == 0.5)
    }
}
