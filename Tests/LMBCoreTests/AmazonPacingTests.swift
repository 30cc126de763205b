import Foundation
import Testing
@testable import LMBCore

// MARK: - Pacing

@Suite("Amazon pacing")
struct AmazonPacingTests {
    @Test("a burst goes out at once; the next request waits 1/rate")
    func burstThenWait() async throws {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: .default, clock: clock)
        for _ in 0..<10 { try await limiter.acquire(.getReports) }
        #expect(clock.sleeps.isEmpty)
        let waited = try await limiter.acquire(.getReports)
        #expect(abs(waited - 1 / 0.0222) < 0.001)
        #expect(clock.sleeps.count == 1)
        // Each operation has its own bucket.
        try await limiter.acquire(.getReport)
        #expect(clock.sleeps.count == 1)
    }

    @Test("the 16th document waits about a minute, which is Amazon's limit, not a hang")
    func sixteenthDocument() async throws {
        let clock = AmazonFakeClock()
        let limiter = AmazonRateLimiter(pacing: .default, clock: clock)
        for _ in 0..<15 { try await limiter.acquire(.getReportDocument) }
        let waited = try await limiter.acquire(.getReportDocument)
        #expect(waited > 59 && waited < 61)
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
