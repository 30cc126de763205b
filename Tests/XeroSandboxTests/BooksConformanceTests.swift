import Foundation
import TestSupport
import Testing
@testable import XeroSandbox

@Suite("The Xero organisation's new answers validate against Xero's OpenAPI description",
       .enabled(if: PythonValidator.xeroOpenAPI.available, "needs ../shared/xero-openapi and openapi-core in .venv (make deps)"))
struct BooksConformanceTests {
    @Test("tax rates, accounts, tracking, invoices with tax, status changes, payments, journals and currencies")
    func bodies() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        #expect(try await f.control("organisation", ["chart": "empty", "version": "UK"]).status == 200)
        var exchanges: [[String: Any]] = []
        func capture(_ name: String, _ method: String, _ path: String, body: Any? = nil) async throws -> Reply {
            let r = try await f.api(method, path, token: t.access, body: body)
            let requestText = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
            exchanges.append(["name": name, "method": method, "path": "/api.xro/2.0/" + path, "status": r.status,
                              "content_type": "application/json", "request_body": requestText ?? NSNull(), "response_body": r.text])
            return r
        }
        for resource in ["Organisation", "TaxRates", "TaxRates/INPUT2", "Accounts", "Currencies"] {
            #expect(try await capture("GET \(resource)", "GET", resource).status == 200)
        }
        #expect(try await capture("PUT Accounts 200", "PUT", "Accounts", body: ["Code": "LMB1", "Name": "Amazon Sales", "Type": "REVENUE"]).status == 200)
        #expect(try await capture("PUT Accounts 400", "PUT", "Accounts", body: ["Code": "200", "Name": "Sales again", "Type": "REVENUE"]).status == 400)
        let category = try await capture("PUT TrackingCategories 200", "PUT", "TrackingCategories", body: ["Name": "Channel"])
        let categoryID = Books.first(category, "TrackingCategories")["TrackingCategoryID"] as? String ?? ""
        #expect(try await capture("PUT Options 200", "PUT", "TrackingCategories/\(categoryID)/Options", body: ["Name": "Amazon UK"]).status == 200)
        #expect(try await capture("GET TrackingCategories", "GET", "TrackingCategories").status == 200)
        let invoices = try await capture("PUT Invoices 200 with tax", "PUT", "Invoices", body: ["Invoices": [
            Books.invoice([Books.line(120, taxType: "OUTPUT2", tracking: [["Name": "Channel", "Option": "Amazon UK"]])],
                          types: "Inclusive", number: "K-1", status: "AUTHORISED"),
            Books.invoice([Books.line(10, account: "400", taxType: "INPUT2")], type: "ACCPAY", currency: "EUR"),
        ]])
        #expect(invoices.status == 200)
        let ids = (invoices.object["Invoices"] as? [[String: Any]] ?? []).compactMap { $0["InvoiceID"] as? String }
        try #require(ids.count == 2)
        #expect(try await capture("PUT Invoices 400 tax", "PUT", "Invoices", body: ["Invoices": [
            Books.invoice([Books.line(10, taxType: "INPUT2")]),
        ]]).status == 400)
        #expect(try await capture("GET Invoices/{id}", "GET", "Invoices/\(ids[0])").status == 200)
        let payment = try await capture("PUT Payments 200", "PUT", "Payments", body: ["Payments": [
            ["Invoice": ["InvoiceID": ids[0]], "Account": ["Code": "090"], "Amount": 20, "Date": "2024-11-01", "Reference": "part"],
        ]])
        #expect(payment.status == 200)
        #expect(try await capture("PUT Payments 400", "PUT", "Payments", body: ["Payments": [
            ["Invoice": ["InvoiceID": ids[0]], "Account": ["Code": "090"], "Amount": 500, "Date": "2024-11-01"],
        ]]).status == 400)
        #expect(try await capture("GET Payments", "GET", "Payments").status == 200)
        #expect(try await capture("POST Invoices/{id} 400 paid", "POST", "Invoices/\(ids[0])",
                                  body: ["Invoices": [["InvoiceID": ids[0], "Status": "VOIDED"]]]).status == 400)
        let paymentID = Books.first(payment, "Payments")["PaymentID"] as? String ?? ""
        #expect(try await capture("POST Payments/{id} DELETED", "POST", "Payments/\(paymentID)", body: ["Status": "DELETED"]).status == 200)
        #expect(try await capture("POST Invoices/{id} VOIDED", "POST", "Invoices/\(ids[0])",
                                  body: ["Invoices": [["InvoiceID": ids[0], "Status": "VOIDED"]]]).status == 200)
        #expect(try await capture("POST Invoices/{id} DELETED", "POST", "Invoices/\(ids[1])",
                                  body: ["Invoices": [["InvoiceID": ids[1], "Status": "DELETED"]]]).status == 200)
        let lines: [[String: Any]] = [["AccountCode": "090", "LineAmount": 50, "Description": "in"],
                                      ["AccountCode": "200", "LineAmount": -50, "Description": "out"]]
        #expect(try await capture("PUT ManualJournals 200", "PUT", "ManualJournals", body: ["ManualJournals": [
            ["Narration": "Settlement 1", "Date": "2024-10-31", "JournalLines": lines],
        ]]).status == 200)
        #expect(try await capture("PUT ManualJournals 400", "PUT", "ManualJournals", body: ["ManualJournals": [
            ["Narration": "Settlement 2", "Date": "2024-10-31", "JournalLines": [lines[0]]],
        ]]).status == 400)
        #expect(try await capture("GET ManualJournals", "GET", "ManualJournals").status == 200)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("books-exchanges-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: exchanges).write(to: file)
        let (status, text) = try PythonValidator.xeroOpenAPI.validate(exchanges: file)
        #expect(status == 0, "\(text)")
        for exchange in exchanges { #expect(text.contains("ok   \(exchange["name"] as! String)\n"), "\(text)") }
        #expect(!text.contains("FAIL"), "\(text)")
    }
}
