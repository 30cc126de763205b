import Foundation
import Testing
@testable import XeroSandbox

enum Conformance {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let spec = root.deletingLastPathComponent().appendingPathComponent("shared/xero-openapi/xero_accounting.yaml")

    /// The project's virtualenv (made by `make deps`) if it has openapi-core, else nil: the test then skips.
    static let python: String? = venvPython(importing: "openapi_core")

    /// The project's virtualenv's python when it can import `module`; nil otherwise.
    static func venvPython(importing module: String) -> String? {
        let venv = root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: venv)
        p.arguments = ["-c", "import \(module)"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? venv : nil
    }

    static var available: Bool { FileManager.default.fileExists(atPath: spec.path) && python != nil }
}

@Suite("The sandbox's bodies validate against Xero's OpenAPI description",
       .enabled(if: Conformance.available, "needs ../shared/xero-openapi and openapi-core in .venv (make deps)"))
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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Conformance.python!)
        p.arguments = [Conformance.root.appendingPathComponent("scripts/validate_openapi.py").path, Conformance.spec.path, file.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        for exchange in exchanges { #expect(text.contains("ok   \(exchange["name"] as! String)\n"), "\(text)") }
        #expect(!text.contains("FAIL"), "\(text)")
    }
}
