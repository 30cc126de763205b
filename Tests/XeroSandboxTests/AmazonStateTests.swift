import Foundation
import Testing
@testable import XeroSandbox

@Suite("Amazon in /_sandbox/state, /_sandbox/reset, and the request ids on every answer")
struct AmazonStateTests {
    @Test("x-amzn-RequestId (a UUID) on every LWA and SP-API answer; S3 answers carry x-amz-request-id")
    func requestIDs() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        var replies: [(String, Reply)] = []
        replies.append(("LWA 200", try await f.lwaForm(SandboxFixture.grant())))
        replies.append(("LWA 400", try await f.lwaForm(SandboxFixture.grant("bad"))))
        try await f.scenario(.amazonClientSecretExpired)
        replies.append(("LWA 401", try await f.lwaForm(SandboxFixture.grant())))
        try await f.scenario(.healthy)
        replies.append(("getReports 200", try await f.getReports(SandboxFixture.settlementsQuery, token: token)))
        replies.append(("getReports 400", try await f.getReports("pageSize=3", token: token)))
        replies.append(("getReport 404", try await f.spapi("GET", "/reports/2021-06-30/reports/1", token: token)))
        replies.append(("createReport 400", try await f.spapi("POST", "/reports/2021-06-30/reports", token: token, body: [:] as [String: Any])))
        replies.append(("getReportDocument 200", try await f.reportDocument(posted.document, token: token)))
        replies.append(("403 no token", try await f.getReports(SandboxFixture.settlementsQuery, token: nil)))
        replies.append(("403 bad token", try await f.getReports(SandboxFixture.settlementsQuery, token: "Atza|x")))
        try await f.scenario(.amazonQuota)
        replies.append(("429", try await f.getReports(SandboxFixture.settlementsQuery, token: token)))
        for (name, reply) in replies {
            let id = reply.header("x-amzn-RequestId")
            #expect(id.flatMap(UUID.init(uuidString:)) != nil, "\(name): \(String(describing: id))")
        }
        #expect(Set(replies.compactMap { $0.1.header("x-amzn-RequestId") }).count == replies.count, "a new id each time")
        try await f.scenario(.healthy)
        let url = try #require(replies.first { $0.0 == "getReportDocument 200" }?.1.object["url"] as? String)
        let download = try await f.download(url)
        #expect(download.header("x-amz-request-id") != nil)
        #expect(download.header("x-amzn-RequestId") == nil)
    }

    @Test("state lists every Amazon request (method, path, raw query, status), every access token, and the report count")
    func state() async throws {
        let f = try await SandboxFixture()
        try await f.postSettlement()
        try await f.postSettlement()
        let first = try await f.amazonToken()
        let second = try await f.amazonToken()
        _ = try await f.getReports(SandboxFixture.settlementsQuery + "&pageSize=5", token: first)
        _ = try await f.getReports(SandboxFixture.settlementsQuery, token: nil)
        let amazon = try await f.amazonState()
        #expect(amazon["access_tokens"] as? [String] == [first, second])
        #expect(amazon["reports"] as? Int == 2)
        let requests = try #require(amazon["requests"] as? [[String: Any]])
        #expect(requests.map { $0["path"] as? String } == ["/auth/o2/token", "/auth/o2/token", "/reports/2021-06-30/reports", "/reports/2021-06-30/reports"])
        #expect(requests.map { $0["status"] as? Int } == [200, 200, 200, 403])
        #expect(requests.map { $0["method"] as? String } == ["POST", "POST", "GET", "GET"])
        #expect(requests[2]["query"] as? String == SandboxFixture.settlementsQuery + "&pageSize=5")
        #expect(requests[0]["query"] as? String == "")
        let xeroRequests = try await f.state()["requests"] as? [Any]
        #expect(xeroRequests?.isEmpty == true, "Amazon's requests stay out of Xero's log")
    }

    @Test("reset clears Amazon's reports, tokens and log; the old token no longer works")
    func reset() async throws {
        let f = try await SandboxFixture()
        try await f.postSettlement()
        let token = try await f.amazonToken()
        #expect(try await f.control("reset", [:]).status == 200)
        let amazon = try await f.amazonState()
        #expect(amazon["reports"] as? Int == 0)
        #expect((amazon["access_tokens"] as? [Any])?.isEmpty == true)
        #expect((amazon["requests"] as? [Any])?.isEmpty == true)
        let r = try await f.getReports(SandboxFixture.settlementsQuery, token: token)
        #expect(r.status == 403)
        #expect(SandboxFixture.errorDetails(r) == "The access token you provided is revoked, malformed or invalid.")
    }

    @Test("posting the same file twice makes two reports, as Amazon regenerates settlements")
    func regenerated() async throws {
        let f = try await SandboxFixture()
        let a = try await f.postSettlement()
        let b = try await f.postSettlement()
        #expect(a.report != b.report)
        #expect(a.document != b.document)
        #expect(try await f.amazonState()["reports"] as? Int == 2)
    }
}
