import Foundation
import Testing
@testable import XeroSandbox

@Suite("Amazon Reports API: listing, paging, the 90-day window, createReport")
struct AmazonReportsTests {
    @Test("250 settlements come in pages of 100, 100 and 50, newest first, nextToken absent on the last")
    func paging() async throws {
        let f = try await SandboxFixture()
        var posted: Set<String> = []
        for _ in 0..<250 { posted.insert(try await f.postSettlement().report) }
        let token = try await f.amazonToken()
        var pages: [[String]] = []
        var query = SandboxFixture.settlementsQuery + "&pageSize=100"
        while true {
            let r = try await f.getReports(query, token: token)
            #expect(r.status == 200, "\(r.text)")
            let reports = try #require(r.object["reports"] as? [[String: Any]])
            pages.append(reports.compactMap { $0["reportId"] as? String })
            guard let next = r.object["nextToken"] as? String else { break }
            #expect(pages.count < 3)
            query = "nextToken=" + next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }
        #expect(pages.map(\.count) == [100, 100, 50])
        let ids = pages.flatMap { $0 }
        #expect(Set(ids) == posted)
        let numbers = ids.compactMap { Int($0) }
        #expect(numbers == numbers.sorted(by: >), "newest first: later reports (higher ids) come first")
    }

    @Test("nextToken with any other parameter is refused with 400 InvalidInput")
    func nextTokenAlone() async throws {
        let f = try await SandboxFixture()
        for _ in 0..<3 { try await f.postSettlement() }
        let token = try await f.amazonToken()
        let first = try await f.getReports(SandboxFixture.settlementsQuery + "&pageSize=1", token: token)
        let next = try #require(first.object["nextToken"] as? String)
        let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        for extra in ["pageSize=1", "reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "processingStatuses=DONE"] {
            let r = try await f.getReports("nextToken=\(encoded)&\(extra)", token: token)
            #expect(r.status == 400, "\(extra)")
            #expect(SandboxFixture.errorCode(r) == "InvalidInput")
            #expect(r.header("x-amzn-RateLimit-Limit") == "0.0222")
        }
        #expect(next.contains("+"), "Amazon's tokens are standard base64")
        let unencoded = try await f.getReports("nextToken=" + next, token: token)
        #expect(unencoded.status == 400, "a + not percent-encoded arrives as a space")
        let alone = try await f.getReports("nextToken=\(encoded)", token: token)
        #expect(alone.status == 200)
        #expect((alone.object["reports"] as? [Any])?.count == 1, "the first call's pageSize holds on later pages")
    }

    @Test("the filters' limits from Amazon's model are enforced", arguments: [
        "processingStatuses=DONE",                                                   // neither reportTypes nor nextToken
        "reportTypes=" + (1...11).map { "T\($0)" }.joined(separator: ","),            // more than 10 report types
        "reportTypes=A&processingStatuses=FINISHED",                                  // not a processing status
        "reportTypes=A&marketplaceIds=" + (1...11).map { "M\($0)" }.joined(separator: ","),
        "reportTypes=A&pageSize=0", "reportTypes=A&pageSize=101", "reportTypes=A&pageSize=ten",
        "reportTypes=A&createdSince=yesterday",
        "reportTypes=A&createdSince=2099-01-01T00:00:00+00:00",                       // + unencoded: a space once decoded
    ])
    func limits(query: String) async throws {
        let f = try await SandboxFixture()
        let r = try await f.getReports(query, token: try await f.amazonToken())
        #expect(r.status == 400, "\(query): \(r.text)")
        #expect(SandboxFixture.errorCode(r) == "InvalidInput")
    }

    @Test("createdSince earlier than 90 days ago is refused; 89 days is accepted")
    func createdSinceWindow() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let now = try await f.sandboxNow()
        let token = try await f.amazonToken()
        for (days, status) in [(90.0, 400), (91.0, 400), (89.0, 200)] {
            let since = SandboxFixture.iso(now.addingTimeInterval(-days * 86400))
            let r = try await f.getReports(SandboxFixture.settlementsQuery + "&createdSince=" + since, token: token)
            #expect(r.status == status, "\(days) days: \(r.text)")
        }
        let offset = SandboxFixture.iso(now.addingTimeInterval(-86400)).replacingOccurrences(of: "Z", with: "%2B00:00")
        #expect(try await f.getReports(SandboxFixture.settlementsQuery + "&createdSince=" + offset, token: token).status == 200)
    }

    @Test("createdSince and createdUntil select by creation time; a backdated report keeps its createdTime")
    func window() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let now = try await f.sandboxNow()
        let old = try await f.postSettlement(query: "createdTime=" + SandboxFixture.iso(now.addingTimeInterval(-30 * 86400)))
        let recent = try await f.postSettlement()
        let token = try await f.amazonToken()
        let since = SandboxFixture.iso(now.addingTimeInterval(-7 * 86400))
        let r = try await f.getReports(SandboxFixture.settlementsQuery + "&createdSince=" + since, token: token)
        #expect((r.object["reports"] as? [[String: Any]])?.map { $0["reportId"] as? String } == [recent.report])
        let until = SandboxFixture.iso(now.addingTimeInterval(-7 * 86400))
        let u = try await f.getReports(SandboxFixture.settlementsQuery + "&createdUntil=" + until, token: token)
        let listed = try #require((u.object["reports"] as? [[String: Any]])?.first)
        #expect(listed["reportId"] as? String == old.report)
        #expect(listed["createdTime"] as? String == Self.amazonTime(now.addingTimeInterval(-30 * 86400)))
    }

    @Test("a report is gone after 90 days of sandbox clock: not listed, getReport 404, no document")
    func retention() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let posted = try await f.postSettlement()
        try await f.advance(89 * 86400)
        var token = try await f.amazonToken()
        #expect((try await f.getReports(SandboxFixture.settlementsQuery, token: token).object["reports"] as? [Any])?.count == 1)
        try await f.advance(86400)
        token = try await f.amazonToken()
        #expect((try await f.getReports(SandboxFixture.settlementsQuery, token: token).object["reports"] as? [Any])?.count == 0)
        let report = try await f.spapi("GET", "/reports/2021-06-30/reports/" + posted.report, token: token)
        #expect(report.status == 404)
        #expect(SandboxFixture.errorCode(report) == "NotFound")
        #expect(try await f.reportDocument(posted.document, token: token).status == 404)
        #expect(try await f.amazonState()["reports"] as? Int == 0)
    }

    @Test("getReport describes a settlement as DONE with its document, period and marketplaces")
    func getReport() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement()
        let r = try await f.spapi("GET", "/reports/2021-06-30/reports/" + posted.report, token: try await f.amazonToken())
        #expect(r.status == 200)
        #expect(r.header("x-amzn-RateLimit-Limit") == "2.0")
        let o = r.object
        #expect(o["reportType"] as? String == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2")
        #expect(o["processingStatus"] as? String == "DONE")
        #expect(o["reportDocumentId"] as? String == posted.document)
        #expect((o["reportDocumentId"] as? String)?.hasPrefix("amzn1.spdoc.1.") == true)
        #expect(o["dataStartTime"] as? String == "2024-11-01T08:00:00+00:00")
        #expect(o["dataEndTime"] as? String == "2024-11-15T08:00:00+00:00")
        #expect(o["marketplaceIds"] as? [String] == ["A13V1IB3VIYZZH", "A1PA6795UKMFR9"])
    }

    @Test("the marketplaceIds filter matches a report naming any of them; processingStatuses filters by status")
    func filters() async throws {
        let f = try await SandboxFixture()
        try await f.postSettlement()   // Amazon.fr and Amazon.de
        let token = try await f.amazonToken()
        func count(_ query: String) async throws -> Int? {
            try await f.getReports(query, token: token).object["reports"].flatMap { ($0 as? [Any])?.count }
        }
        #expect(try await count(SandboxFixture.settlementsQuery + "&marketplaceIds=A1PA6795UKMFR9") == 1)
        #expect(try await count(SandboxFixture.settlementsQuery + "&marketplaceIds=ATVPDKIKX0DER,A13V1IB3VIYZZH") == 1)
        #expect(try await count(SandboxFixture.settlementsQuery + "&marketplaceIds=ATVPDKIKX0DER") == 0)
        #expect(try await count("reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&processingStatuses=IN_QUEUE,IN_PROGRESS") == 0)
        #expect(try await count("reportTypes=GET_FLAT_FILE_OPEN_LISTINGS_DATA") == 0)
    }

    @Test("createReport refuses settlement reports with Amazon's message", arguments: [
        ("GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "Request for report type 1118 is not allowed at this time"),
        ("GET_V2_SETTLEMENT_REPORT_DATA_XML", "Request for report type GET_V2_SETTLEMENT_REPORT_DATA_XML is not allowed at this time"),
    ])
    func createSettlementRefused(type: String, message: String) async throws {
        let f = try await SandboxFixture()
        let r = try await f.spapi("POST", "/reports/2021-06-30/reports", token: try await f.amazonToken(),
                                  body: ["reportType": type, "marketplaceIds": ["A1PA6795UKMFR9"]])
        #expect(r.status == 400)
        #expect(r.text == #"{"errors":[{"code":"InvalidInput","details":"","message":"\#(message)"}]}"#)
        #expect(r.header("x-amzn-RateLimit-Limit") == "0.0167")
    }

    @Test("another report type is accepted (202), queued, processed, then CANCELLED for lack of data; cancelReport only while queued")
    func createOther() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let token = try await f.amazonToken()
        let created = try await f.spapi("POST", "/reports/2021-06-30/reports", token: token,
                                        body: ["reportType": "GET_FLAT_FILE_OPEN_LISTINGS_DATA", "marketplaceIds": ["A1PA6795UKMFR9"]])
        #expect(created.status == 202)
        let id = try #require(created.object["reportId"] as? String)
        func status() async throws -> String? {
            try await f.spapi("GET", "/reports/2021-06-30/reports/" + id, token: token).object["processingStatus"] as? String
        }
        #expect(try await status() == "IN_QUEUE")
        try await f.advance(30)
        #expect(try await status() == "IN_PROGRESS")
        #expect(try await f.spapi("DELETE", "/reports/2021-06-30/reports/" + id, token: token).status == 400)
        try await f.advance(30)
        #expect(try await status() == "CANCELLED")
        let missing = try await f.spapi("POST", "/reports/2021-06-30/reports", token: token, body: ["reportType": "GET_FLAT_FILE_OPEN_LISTINGS_DATA"])
        #expect(missing.status == 400, "marketplaceIds is required")
        let queued = try await f.spapi("POST", "/reports/2021-06-30/reports", token: token,
                                       body: ["reportType": "GET_FLAT_FILE_OPEN_LISTINGS_DATA", "marketplaceIds": ["A1PA6795UKMFR9"]])
        let queuedID = try #require(queued.object["reportId"] as? String)
        #expect(try await f.spapi("DELETE", "/reports/2021-06-30/reports/" + queuedID, token: token).status == 200)
    }

    @Test("no token, or a path the SP-API does not have: 403 MissingAuthenticationToken with x-amzn-ErrorType", arguments: [
        ("GET", "/reports/2021-06-30/reports?reportTypes=A", false), ("GET", "/reports/2020-09-04/reports?reportTypes=A", true),
        ("GET", "/orders/v0/orders", true), ("PUT", "/reports/2021-06-30/reports", true), ("GET", "/reports/2021-06-30/documents/", true),
    ])
    func missingAuthenticationToken(method: String, path: String, withToken: Bool) async throws {
        let f = try await SandboxFixture()
        let token = withToken ? try await f.amazonToken() : nil
        let r = try await f.spapi(method, path, token: token)
        #expect(r.status == 403)
        #expect(r.text == #"{"errors":[{"code":"MissingAuthenticationToken","message":"Access to requested resource is denied."}]}"#)
        #expect(r.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException")
        #expect(r.header("x-amzn-RateLimit-Limit") == nil)
    }

    @Test("an unknown access token is revoked, malformed or invalid")
    func unknownToken() async throws {
        let f = try await SandboxFixture()
        let r = try await f.getReports(SandboxFixture.settlementsQuery, token: "Atza|never-issued")
        #expect(r.status == 403)
        #expect(SandboxFixture.errorCode(r) == "Unauthorized")
        #expect(SandboxFixture.errorDetails(r) == "The access token you provided is revoked, malformed or invalid.")
    }

    @Test("a user agent is required, of at most 500 characters")
    func userAgent() async throws {
        let f = try await SandboxFixture()
        let token = try await f.amazonToken()
        let long = try await f.spapi("GET", "/reports/2021-06-30/reports?" + SandboxFixture.settlementsQuery, token: token,
                                     userAgent: String(repeating: "a", count: 501))
        #expect(long.status == 400)
        #expect(SandboxFixture.errorCode(long) == "InvalidInput")
        #expect(try await f.spapi("GET", "/reports/2021-06-30/reports?" + SandboxFixture.settlementsQuery, token: token,
                                  userAgent: String(repeating: "a", count: 500)).status == 200)
        // URLSession may add a user agent of its own: ask the engine directly for the request without one.
        let action = await f.server.engine.handle(SandboxRequest(method: "GET", path: "/reports/2021-06-30/reports",
                                                                 query: ["reportTypes": "A"], headers: ["x-amz-access-token": token]))
        guard case .respond(let missing) = action else { Issue.record("no answer"); return }
        #expect(missing.status == 400)
        #expect(String(decoding: missing.body, as: UTF8.self).contains("InvalidInput"))
    }

    static func amazonTime(_ date: Date) -> String {
        let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        return String(whole.formatted(.iso8601).dropLast()) + "+00:00"
    }
}
