import Foundation
import Testing
@testable import XeroSandbox

@Suite("Xero contacts and Reference updates in the sandbox (lmb setup, foreign-currency references)")
struct ContactsSandboxTests {
    @Test("PUT /Contacts creates ACTIVE contacts GET lists; a taken or empty name refuses the whole request")
    func contacts() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let r = try await f.api("PUT", "Contacts", token: t.access, body: ["Contacts": [["Name": "Amazon.co.uk"], ["Name": "Amazon.de"]]])
        #expect(r.status == 200, "\(r.text)")
        let made = r.object["Contacts"] as? [[String: Any]] ?? []
        #expect(made.map { $0["Name"] as? String } == ["Amazon.co.uk", "Amazon.de"])
        #expect(made.allSatisfy { $0["ContactID"] is String && $0["ContactStatus"] as? String == "ACTIVE" })
        let listed = try await f.api("GET", "Contacts", token: t.access).object["Contacts"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { $0["Name"] as? String }).isSuperset(of: ["Amazon.co.uk", "Amazon.de"]))
        let taken = try await f.api("PUT", "Contacts", token: t.access, body: ["Contacts": [["Name": "amazon.co.uk"], ["Name": "Amazon.fr"]]])
        #expect(taken.status == 400)
        #expect(Books.messages(taken).contains { $0.contains("already assigned to another contact") })
        let empty = try await f.api("PUT", "Contacts", token: t.access, body: ["Name": " "])
        #expect(empty.status == 400)
        let after = try await f.api("GET", "Contacts", token: t.access).object["Contacts"] as? [[String: Any]] ?? []
        #expect(after.count == listed.count)   // nothing of a refused request was created
    }

    @Test("POST /Invoices/{id} with a Reference changes it; a status change alongside still applies")
    func referenceUpdate() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let put = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "R-1", currency: "EUR")]])
        let id = try #require(Books.first(put, "Invoices")["InvoiceID"] as? String)
        #expect(Books.first(put, "Invoices")["CurrencyRate"] != nil)
        let r = try await f.api("POST", "Invoices/\(id)", token: t.access, body: ["Invoices": [["InvoiceID": id, "Reference": "Amazon.de settlement 1 (EUR 5.79 = USD 6.25)"]]])
        #expect(r.status == 200, "\(r.text)")
        #expect(Books.first(r, "Invoices")["Reference"] as? String == "Amazon.de settlement 1 (EUR 5.79 = USD 6.25)")
        #expect(Books.first(r, "Invoices")["Status"] as? String == "DRAFT")
        let stored = (try await f.state()["invoices"] as? [[String: Any]])?.first { $0["InvoiceID"] as? String == id }
        #expect(stored?["Reference"] as? String == "Amazon.de settlement 1 (EUR 5.79 = USD 6.25)")
    }
}
