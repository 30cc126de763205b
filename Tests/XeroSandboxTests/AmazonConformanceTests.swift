import Foundation
import TestSupport
import Testing
@testable import XeroSandbox

@Suite("The Amazon emulator's bodies validate against Amazon's model of the Reports API",
       .enabled(if: PythonValidator.amazonReports.available, "needs ../shared/amazon-spapi and jsonschema in .venv (make deps)"))
struct AmazonConformanceTests {
    @Test("getReports, getReport, createReport, cancelReport, getReportDocument answers and the error bodies")
    func bodies() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let plain = try await f.postSettlement()
        let gzipped = try await f.postSettlement(query: "compression=GZIP&charset=Cp1252")
        let token = try await f.amazonToken()
        var exchanges: [[String: Any]] = []
        func capture(_ name: String, _ method: String, _ template: String, _ path: String, body: Any? = nil,
                     token: String? = token, expect status: Int) async throws -> Reply {
            let r = try await f.spapi(method, path, token: token, body: body)
            #expect(r.status == status, "\(name): \(r.text)")
            exchanges.append(["name": name, "method": method, "path": template, "status": r.status, "body": r.text])
            return r
        }
        let reports = "/reports/2021-06-30/reports", report = "/reports/2021-06-30/reports/{reportId}"
        let document = "/reports/2021-06-30/documents/{reportDocumentId}"
        let page = try await capture("getReports 200 with nextToken", "GET", reports, reports + "?" + SandboxFixture.settlementsQuery + "&pageSize=1", expect: 200)
        let next = try #require(page.object["nextToken"] as? String).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        _ = try await capture("getReports 200 last page", "GET", reports, reports + "?nextToken=" + next, expect: 200)
        _ = try await capture("getReports 400 nextToken not alone", "GET", reports, reports + "?pageSize=2&nextToken=" + next, expect: 400)
        _ = try await capture("getReport 200 DONE", "GET", report, report.replacingOccurrences(of: "{reportId}", with: plain.report), expect: 200)
        _ = try await capture("getReport 404", "GET", report, reports + "/1", expect: 404)
        let created = try await capture("createReport 202", "POST", reports, reports,
                                        body: ["reportType": "GET_FLAT_FILE_OPEN_LISTINGS_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]], expect: 202)
        let createdID = try #require(created.object["reportId"] as? String)
        _ = try await capture("getReport 200 IN_QUEUE", "GET", report, reports + "/" + createdID, expect: 200)
        try await f.advance(30)
        _ = try await capture("getReport 200 IN_PROGRESS", "GET", report, reports + "/" + createdID, expect: 200)
        _ = try await capture("cancelReport 400", "DELETE", report, reports + "/" + createdID, expect: 400)
        let queued = try await f.spapi("POST", reports, token: token, body: ["reportType": "GET_FLAT_FILE_OPEN_LISTINGS_DATA", "marketplaceIds": ["ATVPDKIKX0DER"]])
        _ = try await capture("cancelReport 200", "DELETE", report, reports + "/" + (queued.object["reportId"] as? String ?? ""), expect: 200)
        _ = try await capture("getReports 200 CANCELLED", "GET", reports, reports + "?reportTypes=GET_FLAT_FILE_OPEN_LISTINGS_DATA", expect: 200)
        _ = try await capture("createReport 400 settlement", "POST", reports, reports,
                              body: ["reportType": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "marketplaceIds": ["ATVPDKIKX0DER"]], expect: 400)
        _ = try await capture("getReportDocument 200", "GET", document, "/reports/2021-06-30/documents/" + plain.document, expect: 200)
        _ = try await capture("getReportDocument 200 GZIP", "GET", document, "/reports/2021-06-30/documents/" + gzipped.document, expect: 200)
        _ = try await capture("getReportDocument 404", "GET", document, "/reports/2021-06-30/documents/nope", expect: 404)
        _ = try await capture("403 no token", "GET", reports, reports + "?reportTypes=A", token: nil, expect: 403)
        _ = try await capture("403 unknown token", "GET", reports, reports + "?reportTypes=A", token: "Atza|x", expect: 403)
        try await f.scenario(.amazonRoleMissing)
        _ = try await capture("403 role missing", "GET", reports, reports + "?reportTypes=A", expect: 403)
        try await f.scenario(.amazonQuota)
        _ = try await capture("429 quota", "GET", reports, reports + "?reportTypes=A", expect: 429)
        try await f.scenario(.healthy)
        let unknownPath = try await f.spapi("GET", "/orders/v0/orders", token: token)
        exchanges.append(["name": "403 unknown path", "definition": "ErrorList", "body": unknownPath.text])
        try await f.advance(3600)
        _ = try await capture("403 expired token", "GET", reports, reports + "?reportTypes=A", expect: 403)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spapi-exchanges-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: exchanges).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, text) = try PythonValidator.amazonReports.validate(exchanges: file)
        #expect(status == 0, "\(text)")
        for exchange in exchanges { #expect(text.contains("ok   \(exchange["name"] as! String)\n"), "\(text)") }
        #expect(!text.contains("FAIL"), "\(text)")
    }
}
