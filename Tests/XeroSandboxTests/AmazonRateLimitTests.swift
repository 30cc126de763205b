import Foundation
import Testing
@testable import XeroSandbox

@Suite("Amazon usage plans: token buckets on the sandbox clock")
struct AmazonRateLimitTests {
    @Test("getReports: a burst of 10, then 429 QuotaExceeded; one more every 45 s of sandbox clock")
    func getReportsBucket() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let token = try await f.amazonToken()
        var statuses: [Int] = []
        for _ in 0..<10 { statuses.append(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status) }
        #expect(statuses == Array(repeating: 200, count: 10))
        let over = try await f.getReports(SandboxFixture.settlementsQuery, token: token)
        #expect(over.status == 429)
        #expect(over.text == #"{"errors":[{"code":"QuotaExceeded","details":"","message":"You exceeded your quota for the requested resource."}]}"#)
        #expect(over.header("x-amzn-RateLimit-Limit") == nil)
        try await f.advance(44)   // 44 × 0.0222 = 0.98 of a token
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 429)
        try await f.advance(1.1)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 429)
    }

    @Test("a frozen clock refills nothing")
    func frozen() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        try await f.amazonBuckets(["getReport": ["rate": 1000, "burst": 2]])
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        var statuses: [Int] = []
        for _ in 0..<4 {
            statuses.append(try await f.spapi("GET", "/reports/2021-06-30/reports/" + posted.report, token: token).status)
            try await Task.sleep(nanoseconds: 20_000_000)   // 20 ms of real time: 20 tokens at 1000/s if the clock ran
        }
        #expect(statuses == [200, 200, 429, 429])
    }

    @Test("getReportDocument: a burst of 15; the control API changes rate and burst")
    func documentsAndConfig() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        var ok = 0
        while try await f.reportDocument(posted.document, token: token).status == 200, ok < 100 { ok += 1 }
        #expect(ok == 15)
        let config = try await f.amazonBuckets(["getReportDocument": ["rate": 2, "burst": 3]])
        #expect(((config.object["buckets"] as? [String: Any])?["getReportDocument"] as? [String: Any])?["burst"] as? Int == 3)
        var statuses: [Int] = []
        for _ in 0..<4 { statuses.append(try await f.reportDocument(posted.document, token: token).status) }
        #expect(statuses == [200, 200, 200, 429])
        try await f.advance(0.5)
        let refilled = try await f.reportDocument(posted.document, token: token)
        #expect(refilled.status == 200)
        #expect(refilled.header("x-amzn-RateLimit-Limit") == "2.0")
        let unknown = try await f.send("POST", "/_sandbox/amazon/config", body: Data(#"{"buckets":{"listReports":{"rate":1}}}"#.utf8))
        #expect(unknown.status == 400)
    }

    @Test("each selling account (refresh token) has its own buckets")
    func perSeller() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        try await f.amazonBuckets(["getReports": ["rate": 0.0222, "burst": 1]])
        let first = try await f.amazonToken("Atzr|seller-one")
        let second = try await f.amazonToken("Atzr|seller-two")
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: first).status == 200)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: first).status == 429)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: second).status == 200)
    }
}
