import Foundation
import Testing
import TestSupport
@testable import XeroSandbox

@Suite("Amazon restricted reports: GET_VAT_TRANSACTION_DATA, the Tax Remittance role, restricted data tokens")
struct AmazonRestrictedDataTests {
    static let rdtPath = "/tokens/2021-03-01/restrictedDataToken"

    /// The first and last second (UTC) of the month `monthsBack` before the sandbox's now, and its `YYYY-MM`.
    static func month(_ f: SandboxFixture, back monthsBack: Int) async throws -> (start: Date, end: Date, key: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let now = try await f.sandboxNow()
        let thisMonth = try #require(calendar.date(from: calendar.dateComponents([.year, .month], from: now)))
        let start = try #require(calendar.date(byAdding: .month, value: -monthsBack, to: thisMonth))
        let next = try #require(calendar.date(byAdding: .month, value: 1, to: start))
        let c = calendar.dateComponents([.year, .month], from: start)
        return (start, min(next.addingTimeInterval(-1), now), String(format: "%04d-%02d", c.year ?? 0, c.month ?? 0))
    }

    static func createVATReport(_ f: SandboxFixture, token: String, start: Date, end: Date) async throws -> Reply {
        try await f.spapi("POST", "/reports/2021-06-30/reports", token: token, body: [
            "reportType": "GET_VAT_TRANSACTION_DATA", "marketplaceIds": ["A1PA6795UKMFR9", "A1F83G8C2ARO7P"],
            "dataStartTime": SandboxFixture.iso(start), "dataEndTime": SandboxFixture.iso(end),
        ])
    }

    static func rdt(_ f: SandboxFixture, token: String, paths: [String]) async throws -> Reply {
        try await f.spapi("POST", rdtPath, token: token, body: ["restrictedResources": paths.map { ["method": "GET", "path": $0] }])
    }

    @Test("a VAT report is made from the posted month, its document needs a restricted data token, which opens only that document")
    func withRole() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let month = try await Self.month(f, back: 2)
        let posted = try await f.send("POST", "/_sandbox/amazon/vat-data?month=\(month.key)", body: Data(VATReportFixture.october2024.utf8))
        #expect(posted.status == 200, "\(posted.text)")
        let token = try await f.amazonToken()
        let created = try await Self.createVATReport(f, token: token, start: month.start, end: month.end)
        #expect(created.status == 202, "\(created.text)")
        let id = try #require(created.object["reportId"] as? String)
        func report() async throws -> [String: Any] { try await f.spapi("GET", "/reports/2021-06-30/reports/" + id, token: token).object }
        #expect(try await report()["processingStatus"] as? String == "IN_QUEUE")
        #expect(try await report()["reportDocumentId"] == nil)
        try await f.advance(60)
        let done = try await report()
        #expect(done["processingStatus"] as? String == "DONE")
        let documentID = try #require(done["reportDocumentId"] as? String)
        let documentPath = "/reports/2021-06-30/documents/" + documentID

        let plain = try await f.reportDocument(documentID, token: token)
        #expect(plain.status == 403)
        #expect(SandboxFixture.errorCode(plain) == "Unauthorized")

        let granted = try await Self.rdt(f, token: token, paths: [documentPath])
        #expect(granted.status == 200, "\(granted.text)")
        let rdt = try #require(granted.object["restrictedDataToken"] as? String)
        #expect(rdt.hasPrefix("Atz.sprdt|"))
        #expect(granted.object["expiresIn"] as? Int == 3600)

        let document = try await f.reportDocument(documentID, token: rdt)
        #expect(document.status == 200, "\(document.text)")
        #expect(document.object["compressionAlgorithm"] as? String == "GZIP")
        let url = try #require(document.object["url"] as? String)
        let download = try await f.download(url)
        #expect(download.status == 200)
        #expect(try SandboxFixture.gunzip(download.body) == Data(VATReportFixture.october2024.utf8))

        // The restricted data token is good for its document only.
        let listing = try await f.getReports("reportTypes=GET_VAT_TRANSACTION_DATA", token: rdt)
        #expect(listing.status == 403)
        let listed = try await f.getReports("reportTypes=GET_VAT_TRANSACTION_DATA&processingStatuses=DONE", token: token)
        #expect((listed.object["reports"] as? [[String: Any]])?.compactMap { $0["reportId"] as? String } == [id])
    }

    @Test("asked before the 3rd of the next month, a VAT report ends FATAL; with no data, CANCELLED")
    func fatalAndCancelled() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let token = try await f.amazonToken()
        let current = try await Self.month(f, back: 0)
        let early = try await Self.createVATReport(f, token: token, start: current.start, end: current.end)
        #expect(early.status == 202, "\(early.text)")
        let earlyID = try #require(early.object["reportId"] as? String)
        let old = try await Self.month(f, back: 3)
        let empty = try await Self.createVATReport(f, token: token, start: old.start, end: old.end)
        let emptyID = try #require(empty.object["reportId"] as? String)
        try await f.advance(60)
        let fatal = try await f.spapi("GET", "/reports/2021-06-30/reports/" + earlyID, token: token).object
        #expect(fatal["processingStatus"] as? String == "FATAL")
        #expect(fatal["reportDocumentId"] == nil)
        #expect(try await f.spapi("GET", "/reports/2021-06-30/reports/" + emptyID, token: token).object["processingStatus"] as? String == "CANCELLED")
    }

    @Test("without the Tax Remittance role: createReport and the restricted data token are refused 403 Unauthorized")
    func withoutRole() async throws {
        let f = try await SandboxFixture()
        let config = try await f.send("POST", "/_sandbox/amazon/config", body: try JSONSerialization.data(withJSONObject: ["tax_remittance_role": false]))
        #expect(config.status == 200)
        #expect(config.object["tax_remittance_role"] as? Bool == false)
        let token = try await f.amazonToken()
        let month = try await Self.month(f, back: 2)
        let refused = try await Self.createVATReport(f, token: token, start: month.start, end: month.end)
        #expect(refused.status == 403)
        #expect(refused.text == #"{"errors":[{"code":"Unauthorized","details":"","message":"Access to requested resource is denied."}]}"#)
        // A VAT report Amazon holds already (made before the role was removed): its document's token is refused too.
        let vat = try await f.postSettlement(VATReportFixture.october2024, query: "reportType=GET_VAT_TRANSACTION_DATA")
        let rdt = try await Self.rdt(f, token: token, paths: ["/reports/2021-06-30/documents/" + vat.document])
        #expect(rdt.status == 403)
        #expect(SandboxFixture.errorCode(rdt) == "Unauthorized")
        // A settlement's document is not restricted: a token for it is given, and settlements go on as before.
        let settlement = try await f.postSettlement()
        #expect(try await Self.rdt(f, token: token, paths: ["/reports/2021-06-30/documents/" + settlement.document]).status == 200)
        #expect(try await f.reportDocument(settlement.document, token: token).status == 200)
    }

    @Test("the restricted data token request is checked: resources, methods, paths")
    func rdtRequestChecked() async throws {
        let f = try await SandboxFixture()
        let token = try await f.amazonToken()
        for body: [String: Any] in [[:], ["restrictedResources": []], ["restrictedResources": [["method": "FETCH", "path": "/x"]]],
                                    ["restrictedResources": [["method": "GET"]]]] {
            let r = try await f.spapi("POST", Self.rdtPath, token: token, body: body)
            #expect(r.status == 400, "\(body)")
            #expect(SandboxFixture.errorCode(r) == "InvalidInput")
        }
        #expect(try await f.spapi("POST", Self.rdtPath, token: nil, body: ["restrictedResources": [["method": "GET", "path": "/x"]]]).status == 403)
    }
}
