import Foundation
import Testing
@testable import XeroSandbox

@Suite("Sandbox accounting: invoices, validation, idempotency")
struct AccountingTests {
    @Test("a valid batch is created; contacts are created by name; totals and ids come back")
    func create() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            SandboxFixture.invoice(number: "AMZ-1", amount: 196.65), SandboxFixture.invoice(number: "AMZ-2", type: "ACCPAY", account: "LMB4", amount: 62.31),
        ]])
        #expect(r.status == 200)
        let invoices = r.object["Invoices"] as! [[String: Any]]
        #expect(invoices.count == 2)
        #expect(invoices[0]["InvoiceID"] is String)
        #expect((invoices[0]["Total"] as? NSNumber)?.doubleValue == 196.65)
        #expect(invoices[0]["Status"] as? String == "DRAFT")
        let contacts = try await f.api("GET", "Contacts", token: t.access).object["Contacts"] as! [[String: Any]]
        #expect(contacts.map { $0["Name"] as? String } == ["Amazon.com"])
        let byNumber = try await f.api("GET", "Invoices?InvoiceNumbers=AMZ-2", token: t.access).object["Invoices"] as! [[String: Any]]
        #expect(byNumber.map { $0["Type"] as? String } == ["ACCPAY"])
        let byRef = try await f.api("GET", "Invoices?where=Reference%3D%3D%22settlement%20AMZ-1%22", token: t.access).object["Invoices"] as! [[String: Any]]
        #expect(byRef.map { $0["InvoiceNumber"] as? String } == ["AMZ-1"])
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var setup: [String: String]
        var invoice: [String: String]
        var message: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "V1 invalid account", setup: [:], invoice: ["account": "999"], message: "Account code '999' is not a valid code for this document."),
        Case(name: "V2 archived account", setup: ["archive_account": "LMB4"], invoice: ["account": "LMB4"],
             message: "Account code 'LMB4' has been archived, or has been deleted. Each line item must reference a valid account"),
        Case(name: "V3 tax type not allowed on account", setup: [:], invoice: ["account": "LMB4", "taxType": "OUTPUT"],
             message: "The TaxType code 'OUTPUT' cannot be used with account code 'LMB4'."),
        Case(name: "V4 tax type missing", setup: [:], invoice: ["taxType": "GST99"],
             message: "The TaxType code GST99 does not exist or cannot be used for this type of transaction."),
        Case(name: "V5 currency", setup: [:], invoice: ["currency": "JPY"], message: "Organisation is not subscribed to currency JPY"),
        Case(name: "V6 lock date", setup: ["period_lock_date": "2024-11-30"], invoice: ["status": "AUTHORISED"],
             message: "The document date cannot be before the period lock date, currently set at 30-Nov-2024"),
        Case(name: "V9 negative invoice", setup: [:], invoice: ["amount": "-5"], message: "The invoice total cannot be negative."),
        Case(name: "V10 archived contact", setup: ["archive_contact": "Amazon.com"], invoice: [:],
             message: "The contact with the specified contact details has been archived. The contact must be un-archived before creating new invoices or credit notes."),
        Case(name: "V12 no description", setup: [:], invoice: ["description": ""], message: "The description field is mandatory for each line item."),
        Case(name: "V12 no account", setup: [:], invoice: ["account": ""], message: "Account code or ID must be specified"),
    ]

    @Test("each validation failure is a 400 ValidationException with Xero's message, and nothing is created", arguments: cases)
    func validation(c: Case) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        if !c.setup.isEmpty { #expect(try await f.control("organisation", c.setup).status == 200) }
        let inv = SandboxFixture.invoice(account: c.invoice["account"] ?? "LMB1", taxType: c.invoice["taxType"] ?? "NONE",
                                         amount: Double(c.invoice["amount"] ?? "10")!, currency: c.invoice["currency"] ?? "USD",
                                         status: c.invoice["status"] ?? "DRAFT", description: c.invoice["description"] ?? "Sales")
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [inv]])
        #expect(r.status == 400)
        #expect(r.object["Type"] as? String == "ValidationException")
        #expect(r.object["ErrorNumber"] as? Int == 10)
        let messages = ((r.object["Elements"] as? [[String: Any]])?.first?["ValidationErrors"] as? [[String: Any]])?.compactMap { $0["Message"] as? String }
        #expect(messages == [c.message])
        #expect((try await f.state()["invoices"] as! [Any]).isEmpty)
    }

    @Test("a lock date does not stop a DRAFT")
    func draftInLockedPeriod() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.control("organisation", ["period_lock_date": "2024-11-30"])
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice()]]).status == 200)
    }

    @Test("V7: an ACCREC invoice number is unique; a bill's may repeat")
    func duplicateNumber() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-9")]]).status == 200)
        let again = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-9")]])
        #expect(again.status == 400)
        #expect(again.text.contains("Invoice # must be unique"))
        let bills = ["Invoices": [SandboxFixture.invoice(number: "B-1", type: "ACCPAY", account: "LMB4")]]
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: bills).status == 200)
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: bills).status == 200)
    }

    @Test("summarizeErrors=false answers 200 with per-invoice errors and creates the valid ones")
    func unsummarized() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let r = try await f.api("PUT", "Invoices?summarizeErrors=false", token: t.access, body: ["Invoices": [
            SandboxFixture.invoice(number: "OK-1"), SandboxFixture.invoice(number: "BAD-1", account: "999")]])
        #expect(r.status == 200)
        let invoices = r.object["Invoices"] as! [[String: Any]]
        #expect(invoices.map { $0["HasErrors"] as? Bool } == [false, true])
        #expect((try await f.state()["invoices"] as! [[String: Any]]).map { $0["InvoiceNumber"] as? String } == ["OK-1"])
    }

    @Test("an Idempotency-Key replays the first answer; the same key with another body is refused")
    func idempotency() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let body = ["Invoices": [SandboxFixture.invoice(number: "IDEM-1")]]
        let first = try await f.api("PUT", "Invoices", token: t.access, body: body, headers: ["Idempotency-Key": "k-1"])
        let second = try await f.api("PUT", "Invoices", token: t.access, body: body, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 200)
        #expect(second.status == 200)
        #expect(first.body == second.body)
        #expect((try await f.state()["invoices"] as! [Any]).count == 1)
        let other = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "IDEM-2")]],
                                    headers: ["Idempotency-Key": "k-1"])
        #expect(other.status == 400)
        #expect((try await f.state()["invoices"] as! [Any]).count == 1)
    }

    @Test("a malformed body is a PostDataInvalidException")
    func malformed() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let r = try await f.send("PUT", "/api.xro/2.0/Invoices", headers: ["Authorization": "Bearer \(t.access)", "xero-tenant-id": f.tenant],
                                 body: Data("{not json".utf8))
        #expect(r.status == 400)
        #expect(r.object["Type"] as? String == "PostDataInvalidException")
        #expect(r.object["ErrorNumber"] as? Int == 14)
    }

    @Test("every response carries a correlation id and the limit headers; an unknown path is Xero's plain 404")
    func headers() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        for resource in ["Organisation", "Users", "Accounts", "TaxRates", "Contacts", "Invoices"] {
            let r = try await f.api("GET", resource, token: t.access)
            #expect(r.status == 200, "\(resource)")
            for h in ["Xero-Correlation-Id", "X-DayLimit-Remaining", "X-MinLimit-Remaining", "X-AppMinLimit-Remaining"] {
                #expect(r.header(h) != nil, "\(resource) \(h)")
            }
        }
        let missing = try await f.api("GET", "Nothing", token: t.access)
        #expect(missing.status == 404)
        #expect(missing.text == "The resource you're looking for cannot be found")
        let noToken = try await f.send("GET", "/api.xro/2.0/Organisation")
        #expect(noToken.status == 401)
        #expect(noToken.header("WWW-Authenticate") == "Bearer error=invalid_token")
    }

    @Test("the chart holds every account code lmb's default mapping uses")
    func chart() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let codes = Set((try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as! [[String: Any]]).compactMap { $0["Code"] as? String })
        #expect(Set((1...13).map { "LMB\($0)" }).isSubset(of: codes))
    }
}
