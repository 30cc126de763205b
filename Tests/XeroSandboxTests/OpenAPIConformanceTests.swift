import Foundation
import TestSupport
import Testing
@testable import XeroSandbox

@Suite("The sandbox's bodies validate against Xero's OpenAPI description",
       .enabled(if: PythonValidator.xeroOpenAPI.available, "needs ../shared/xero-openapi and openapi-core in .venv (make deps)"))
struct OpenAPIConformanceTests {
    @Test("200 and 400 answers of every accounting endpoint lmb uses")
    func bodies() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        var exchanges: [[String: Any]] = []
        func capture(_ name: String, _ method: String, _ path: String, body: Any? = nil, headers: [String: String] = [:]) async throws -> Reply {
            let r = try await f.api(method, path, token: t.access, body: body, headers: headers)
            let requestText = try body.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
            exchanges.append(["name": name, "method": method, "path": "/api.xro/2.0/" + path, "status": r.status,
                              "content_type": "application/json", "request_body": requestText ?? NSNull(), "response_body": r.text])
            return r
        }
        #expect(try await capture("PUT Invoices 200", "PUT", "Invoices", body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-C1", amount: 196.65),
                                                                                           SandboxFixture.invoice(number: "AMZ-C2", type: "ACCPAY", account: "LMB4")]]).status == 200)
        #expect(try await capture("PUT Invoices 400", "PUT", "Invoices", body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-C3", account: "999")]]).status == 400)
        #expect(try await capture("POST Invoices 200 summarizeErrors=false", "POST", "Invoices?summarizeErrors=false",
                                  body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-C4")]]).status == 200)
        for resource in ["Organisation", "Users", "Accounts", "TaxRates", "Contacts", "Invoices", "Invoices?InvoiceNumbers=AMZ-C1"] {
            #expect(try await capture("GET \(resource)", "GET", resource).status == 200)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exchanges-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: exchanges).write(to: file)
        let (status, text) = try PythonValidator.xeroOpenAPI.validate(exchanges: file)
        #expect(status == 0, "\(text)")
        for exchange in exchanges { #expect(text.contains("ok   \(exchange["name"] as! String)\n"), "\(text)") }
        #expect(!text.contains("FAIL"), "\(text)")
    }
}
