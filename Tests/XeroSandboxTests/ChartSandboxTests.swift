import Foundation
import Testing
@testable import XeroSandbox

@Suite("Xero chart set-up, tracking, rollback, payments, journals and currencies (issue 20)")
struct ChartSandboxTests {
    @Test("chart empty: only Xero's default chart, with a bank account and the version's tax types")
    func emptyChart() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        #expect(try await f.control("organisation", ["chart": "empty", "version": "UK"]).status == 200)
        let accounts = try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [[String: Any]] ?? []
        let codes = Set(accounts.compactMap { $0["Code"] as? String })
        #expect(codes.isSuperset(of: ["090", "200", "260", "310", "400", "404", "630", "820", "860"]))
        #expect(!codes.contains { $0.hasPrefix("LMB") })
        let bank = try #require(accounts.first { $0["Code"] as? String == "090" })
        #expect(bank["Type"] as? String == "BANK")
        #expect(bank["Class"] as? String == "ASSET")
        #expect(bank["CurrencyCode"] as? String == "GBP")
        #expect(accounts.first { $0["Code"] as? String == "200" }?["TaxType"] as? String == "OUTPUT2")
        #expect(accounts.first { $0["Code"] as? String == "820" }?["Name"] as? String == "VAT")
        #expect(accounts.first { $0["Code"] as? String == "860" }?["SystemAccount"] as? String == "ROUNDING")
        // An invoice to an LMB account now fails as in a new organisation.
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(10, account: "LMB1")])]])
        #expect(Books.messages(r) == ["Account code 'LMB1' is not a valid code for this document."])
    }

    @Test("PUT /Accounts creates an account that GET lists, with its class and default tax type")
    func createAccount() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["chart": "empty", "version": "UK"])
        let r = try await f.api("PUT", "Accounts", token: t.access, body: ["Code": "LMB1", "Name": "Amazon Sales", "Type": "REVENUE"])
        #expect(r.status == 200, "\(r.text)")
        let created = Books.first(r, "Accounts")
        #expect(created["AccountID"] is String)
        #expect(created["Class"] as? String == "REVENUE")
        #expect(created["TaxType"] as? String == "OUTPUT2")
        #expect(created["Status"] as? String == "ACTIVE")
        let fee = try await f.api("PUT", "Accounts", token: t.access, body: ["Code": "LMB4", "Name": "Amazon Seller Fees", "Type": "EXPENSE", "TaxType": "INPUT2"])
        #expect(Books.first(fee, "Accounts")["Class"] as? String == "EXPENSE")
        let accounts = try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [[String: Any]] ?? []
        #expect(accounts.contains { $0["Code"] as? String == "LMB1" && $0["AccountID"] as? String == created["AccountID"] as? String })
        let one = try await f.api("GET", "Accounts/\(created["AccountID"] as? String ?? "")", token: t.access)
        #expect(Books.first(one, "Accounts")["Name"] as? String == "Amazon Sales")
        let invoice = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(10, account: "LMB1")])]])
        #expect(invoice.status == 200)
        let state = try await f.state()
        #expect((state["xero"] as? [String: Any])?["accounts_created"] as? [String] == ["LMB1", "LMB4"])
    }

    struct AccountRefusal: Sendable, CustomStringConvertible {
        var name: String
        var account: [String: String]
        var message: String
        var description: String { name }
    }

    static let accountRefusals: [AccountRefusal] = [
        AccountRefusal(name: "duplicate code", account: ["Code": "200", "Name": "Sales 2", "Type": "REVENUE"], message: "Please enter a unique Code."),
        AccountRefusal(name: "duplicate name", account: ["Code": "201", "Name": "sales", "Type": "REVENUE"], message: "Please enter a unique Name."),
        AccountRefusal(name: "code too long", account: ["Code": "12345678901", "Name": "Long", "Type": "REVENUE"],
                       message: "Account Code is too long. Maximum of 10 characters allowed"),
        AccountRefusal(name: "name too long", account: ["Code": "202", "Name": String(repeating: "n", count: 151), "Type": "REVENUE"],
                       message: "Account Name is too long. Maximum of 150 characters allowed"),
        AccountRefusal(name: "unknown type", account: ["Code": "203", "Name": "Odd", "Type": "INCOME"], message: "Please select a valid Account Type."),
        AccountRefusal(name: "tax type not allowed on the class", account: ["Code": "204", "Name": "Fees", "Type": "EXPENSE", "TaxType": "OUTPUT2"],
                       message: "The TaxType code 'OUTPUT2' cannot be used with account code '204'."),
        AccountRefusal(name: "unknown tax type", account: ["Code": "205", "Name": "Fees", "Type": "EXPENSE", "TaxType": "GST99"],
                       message: "The TaxType code GST99 does not exist or cannot be used for this type of transaction."),
    ]

    @Test("PUT /Accounts refuses what Xero refuses, with nothing created", arguments: accountRefusals)
    func accountRefused(c: AccountRefusal) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["chart": "empty", "version": "UK"])
        let before = (try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [Any])?.count
        let r = try await f.api("PUT", "Accounts", token: t.access, body: c.account)
        #expect(r.status == 400)
        #expect(r.object["Type"] as? String == "ValidationException")
        #expect(Books.messages(r) == [c.message])
        #expect((try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [Any])?.count == before)
    }

    @Test("tracking categories and options are created and listed; invoice lines keep valid tracking and refuse unknown ones")
    func tracking() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let category = Books.first(try await f.api("PUT", "TrackingCategories", token: t.access, body: ["Name": "Channel"]), "TrackingCategories")
        let id = try #require(category["TrackingCategoryID"] as? String)
        let option = try await f.api("PUT", "TrackingCategories/\(id)/Options", token: t.access, body: ["Name": "Amazon UK"])
        #expect(option.status == 200, "\(option.text)")
        #expect(Books.first(option, "Options")["Name"] as? String == "Amazon UK")
        #expect(Books.messages(try await f.api("PUT", "TrackingCategories/\(id)/Options", token: t.access, body: ["Name": "amazon uk"])) == ["Please enter a unique Name."])
        let listed = try await f.api("GET", "TrackingCategories", token: t.access).object["TrackingCategories"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["Name"] as? String } == ["Channel"])
        #expect((listed.first?["Options"] as? [[String: Any]])?.map { $0["Name"] as? String } == ["Amazon UK"])

        let good = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10, taxType: "OUTPUT2", tracking: [["Name": "Channel", "Option": "Amazon UK"]])]),
        ]])
        #expect(good.status == 200, "\(good.text)")
        let tracked = ((Books.first(good, "Invoices")["LineItems"] as? [[String: Any]])?.first?["Tracking"] as? [[String: Any]])?.first
        #expect(tracked?["TrackingCategoryID"] as? String == id)
        #expect(tracked?["Option"] as? String == "Amazon UK")
        #expect(tracked?["TrackingOptionID"] is String)

        let badCategory = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10, taxType: "OUTPUT2", tracking: [["Name": "Region", "Option": "North"]])]),
        ]])
        #expect(Books.messages(badCategory) == ["There is no ACTIVE tracking category with the name 'Region'"])
        let badOption = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10, taxType: "OUTPUT2", tracking: [["Name": "Channel", "Option": "eBay"]])]),
        ]])
        #expect(Books.messages(badOption) == ["There is no ACTIVE tracking option with the name 'eBay' in the tracking category 'Channel'"])
        #expect(try await f.api("PUT", "TrackingCategories", token: t.access, body: ["Name": "Region"]).status == 200)
        let third = try await f.api("PUT", "TrackingCategories", token: t.access, body: ["Name": "Project"])
        #expect(Books.messages(third) == ["You can only have two active tracking categories."])
        #expect(try await f.api("PUT", "TrackingCategories/\(UUID().uuidString.lowercased())/Options", token: t.access, body: ["Name": "X"]).status == 404)
    }

    @Test("rollback: a DRAFT is deleted, an AUTHORISED one voided; other changes are refused with Xero's message")
    func statusChanges() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let made = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10, taxType: "OUTPUT2")], number: "R-1"),
            Books.invoice([Books.line(10, taxType: "OUTPUT2")], number: "R-2", status: "AUTHORISED"),
        ]])
        let ids = (made.object["Invoices"] as? [[String: Any]] ?? []).compactMap { $0["InvoiceID"] as? String }
        try #require(ids.count == 2)
        // The OpenAPI's form, and the bare object.
        let deleted = try await f.api("POST", "Invoices/\(ids[0])", token: t.access, body: ["Invoices": [["InvoiceID": ids[0], "Status": "DELETED"]]])
        #expect(Books.first(deleted, "Invoices")["Status"] as? String == "DELETED", "\(deleted.text)")
        let voided = try await f.api("POST", "Invoices/\(ids[1])", token: t.access, body: ["Status": "VOIDED"])
        #expect(Books.first(voided, "Invoices")["Status"] as? String == "VOIDED")
        let again = try await f.api("POST", "Invoices/\(ids[1])", token: t.access, body: ["Status": "AUTHORISED"])
        #expect(again.status == 400)
        #expect(Books.messages(again) == ["Invoice not of valid status for modification"])
        // An AUTHORISED invoice cannot be deleted, only voided.
        let third = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(10, taxType: "OUTPUT2")], number: "R-3", status: "AUTHORISED")]])
        let id3 = Books.first(third, "Invoices")["InvoiceID"] as? String ?? ""
        #expect(Books.messages(try await f.api("POST", "Invoices/\(id3)", token: t.access, body: ["Status": "DELETED"])) == ["Invoice not of valid status for modification"])
        // By number too; the deleted R-1's number can be used again.
        let byNumber = try await f.api("GET", "Invoices/R-3", token: t.access)
        #expect(Books.first(byNumber, "Invoices")["InvoiceID"] as? String == id3)
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(1, taxType: "OUTPUT2")], number: "R-1")]]).status == 200)
        #expect(try await f.api("POST", "Invoices/\(UUID().uuidString.lowercased())", token: t.access, body: ["Status": "DELETED"]).status == 404)
        let changes = (try await f.state()["xero"] as? [String: Any])?["status_changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["to"] as? String } == ["DELETED", "VOIDED"])
    }

    @Test("the default organisation's invoices can be rolled back too")
    func defaultRollback() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let made = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-R")]])
        let id = Books.first(made, "Invoices")["InvoiceID"] as? String ?? ""
        let r = try await f.api("POST", "Invoices/\(id)", token: t.access, body: ["Invoices": [["InvoiceID": id, "Status": "DELETED"]]])
        #expect(Books.first(r, "Invoices")["Status"] as? String == "DELETED")
    }

    /// A UK organisation with an authorised 120.00 invoice (100 + 20 % VAT) and a bank account; its InvoiceID.
    func paidSetup(_ f: SandboxFixture, _ t: Tokens) async throws -> String {
        try await Books.organisation(f, ["chart": "empty", "version": "UK"])
        let made = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, taxType: "OUTPUT2")], number: "P-1", status: "AUTHORISED"),
        ]])
        return try #require(Books.first(made, "Invoices")["InvoiceID"] as? String)
    }

    static func payment(_ invoiceID: String, _ amount: Any, account: String = "090", date: String = "2024-11-01") -> [String: Any] {
        ["Invoice": ["InvoiceID": invoiceID], "Account": ["Code": account], "Amount": amount, "Date": date, "Reference": "settlement"]
    }

    @Test("payments: part-paid, then paid; deleting one puts the amount due back; a voided-with-payment is refused")
    func payments() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let id = try await paidSetup(f, t)
        let first = try await f.api("PUT", "Payments", token: t.access, body: ["Payments": [Self.payment(id, 20.5)]])
        #expect(first.status == 200, "\(first.text)")
        let p1 = Books.first(first, "Payments")
        #expect(p1["Status"] as? String == "AUTHORISED")
        #expect(p1["PaymentType"] as? String == "ACCRECPAYMENT")
        var inv = Books.first(try await f.api("GET", "Invoices/\(id)", token: t.access), "Invoices")
        #expect(Books.dec(inv["AmountPaid"]) == Books.d("20.5"))
        #expect(Books.dec(inv["AmountDue"]) == Books.d("99.5"))
        #expect(inv["Status"] as? String == "AUTHORISED")

        let over = try await f.api("PUT", "Payments", token: t.access, body: ["Payments": [Self.payment(id, 99.51)]])
        #expect(Books.messages(over) == ["Payment amount exceeds the amount outstanding on this document"])
        let rest = try await f.api("PUT", "Payments", token: t.access, body: Self.payment(id, "99.50"))
        #expect(rest.status == 200, "\(rest.text)")
        inv = Books.first(try await f.api("GET", "Invoices/\(id)", token: t.access), "Invoices")
        #expect(inv["Status"] as? String == "PAID")
        #expect(Books.dec(inv["AmountDue"]) == 0)
        #expect((inv["Payments"] as? [Any])?.count == 2)

        let void = try await f.api("POST", "Invoices/\(id)", token: t.access, body: ["Status": "VOIDED"])
        #expect(Books.messages(void) == ["This document cannot be edited as it has a payment or credit note allocated to it."])

        let listed = try await f.api("GET", "Payments", token: t.access).object["Payments"] as? [[String: Any]] ?? []
        #expect(listed.count == 2)
        let pid = try #require(p1["PaymentID"] as? String)
        let deleted = try await f.api("POST", "Payments/\(pid)", token: t.access, body: ["Status": "DELETED"])
        #expect(Books.first(deleted, "Payments")["Status"] as? String == "DELETED", "\(deleted.text)")
        inv = Books.first(try await f.api("GET", "Invoices/\(id)", token: t.access), "Invoices")
        #expect(inv["Status"] as? String == "AUTHORISED")
        #expect(Books.dec(inv["AmountDue"]) == Books.d("20.5"))
        #expect(Books.dec(inv["AmountPaid"]) == Books.d("99.5"))
        #expect(Books.messages(try await f.api("POST", "Payments/\(pid)", token: t.access, body: ["Status": "DELETED"])) == ["This payment has already been deleted."])
        let state = (try await f.state()["xero"] as? [String: Any])?["payments"] as? [[String: Any]] ?? []
        #expect(state.map { $0["Status"] as? String } == ["DELETED", "AUTHORISED"])
    }

    struct PaymentRefusal: Sendable, CustomStringConvertible {
        var name: String
        var draft: Bool
        var account: String
        var amount: String
        var message: String
        var description: String { name }
    }

    static let paymentRefusals: [PaymentRefusal] = [
        PaymentRefusal(name: "draft invoice", draft: true, account: "090", amount: "10", message: "Payments can only be made against Authorised documents"),
        PaymentRefusal(name: "not a bank account", draft: false, account: "200", amount: "10", message: "Account type is invalid for making a payment to this account"),
        PaymentRefusal(name: "unknown account", draft: false, account: "999", amount: "10", message: "Account could not be found"),
        PaymentRefusal(name: "zero amount", draft: false, account: "090", amount: "0", message: "Payment amount must be greater than zero"),
        PaymentRefusal(name: "more than due", draft: false, account: "090", amount: "120.01", message: "Payment amount exceeds the amount outstanding on this document"),
    ]

    @Test("a payment Xero would refuse is a ValidationException and changes nothing", arguments: paymentRefusals)
    func paymentRefused(c: PaymentRefusal) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        var id = try await paidSetup(f, t)
        if c.draft {
            let made = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(100, taxType: "OUTPUT2")])]])
            id = Books.first(made, "Invoices")["InvoiceID"] as? String ?? ""
        }
        let r = try await f.api("PUT", "Payments", token: t.access, body: ["Payments": [Self.payment(id, c.amount, account: c.account)]])
        #expect(r.status == 400)
        #expect(Books.messages(r) == [c.message])
        #expect((try await f.api("GET", "Payments", token: t.access).object["Payments"] as? [Any])?.isEmpty == true)
    }

    @Test("a batch with one bad payment is refused whole (summarizeErrors) and the good one is undone")
    func paymentBatchUndone() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let id = try await paidSetup(f, t)
        let r = try await f.api("PUT", "Payments", token: t.access, body: ["Payments": [Self.payment(id, 100), Self.payment(id, 30)]])
        #expect(r.status == 400)
        #expect(Books.messages(r) == ["Payment amount exceeds the amount outstanding on this document"])
        let inv = Books.first(try await f.api("GET", "Invoices/\(id)", token: t.access), "Invoices")
        #expect(Books.dec(inv["AmountDue"]) == 120)
        #expect((try await f.api("GET", "Payments", token: t.access).object["Payments"] as? [Any])?.isEmpty == true)
    }

    static func journal(_ lines: [(String, Any)], narration: String? = "Amazon settlement 123", status: String = "POSTED") -> [String: Any] {
        var j: [String: Any] = ["Date": "2024-10-31", "Status": status,
                                "JournalLines": lines.map { ["AccountCode": $0.0, "LineAmount": $0.1, "Description": "line"] as [String: Any] }]
        if let narration { j["Narration"] = narration }
        return j
    }

    @Test("manual journals: a balanced one is created and listed; unbalanced, unnamed or on unknown accounts refused")
    func manualJournals() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let good = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [
            Self.journal([("LMB10", 100.25), ("LMB1", -60), ("LMB4", "-40.25")]),
        ]])
        #expect(good.status == 200, "\(good.text)")
        let j = Books.first(good, "ManualJournals")
        #expect(j["ManualJournalID"] is String)
        #expect(j["Status"] as? String == "POSTED")
        #expect((j["JournalLines"] as? [[String: Any]])?.map { Books.dec($0["LineAmount"]) } == [Books.d("100.25"), -60, Books.d("-40.25")])
        #expect((j["Date"] as? String)?.hasPrefix("/Date(") == true)
        let listed = try await f.api("GET", "ManualJournals", token: t.access).object["ManualJournals"] as? [[String: Any]] ?? []
        #expect(listed.count == 1)
        let one = try await f.api("GET", "ManualJournals/\(j["ManualJournalID"] as? String ?? "")", token: t.access)
        #expect(Books.first(one, "ManualJournals")["Narration"] as? String == "Amazon settlement 123")

        let unbalanced = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 100), ("LMB1", -10)])]])
        #expect(unbalanced.status == 400)
        #expect(Books.messages(unbalanced) == ["The total debits (100.00) must equal total credits (-10.00)"])
        let unnamed = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 5), ("LMB1", -5)], narration: nil)]])
        #expect(Books.messages(unnamed) == ["The Narration field is mandatory."])
        let unknown = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 5), ("999", -5)])]])
        #expect(Books.messages(unknown) == ["Account code '999' is not a valid code for this document."])
        let single = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 0)])]])
        #expect(Books.messages(single) == ["A manual journal must have at least two journal lines with an amount."])
        try await Books.organisation(f, ["period_lock_date": "2024-11-30"])
        let locked = try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 5), ("LMB1", -5)])]])
        #expect(Books.messages(locked) == ["The document date cannot be before the period lock date, currently set at 30-Nov-2024"])
        #expect(try await f.api("PUT", "ManualJournals", token: t.access, body: ["ManualJournals": [Self.journal([("LMB10", 5), ("LMB1", -5)], status: "DRAFT")]]).status == 200)
        #expect(((try await f.state()["xero"] as? [String: Any])?["manual_journals"] as? [Any])?.count == 2)
    }

    @Test("currencies: a foreign invoice gets the organisation's rate for its date, settable; a sent rate is kept; the base is 1")
    func currencyRates() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let currencies = try await f.api("GET", "Currencies", token: t.access).object["Currencies"] as? [[String: Any]] ?? []
        #expect(Set(currencies.compactMap { $0["Code"] as? String }).isSuperset(of: ["USD", "EUR", "GBP", "CAD"]))
        func rate(_ inv: [String: Any]) async throws -> Decimal? {
            let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [inv]])
            #expect(r.status == 200, "\(r.text)")
            let stored = Books.first(r, "Invoices")
            let again = Books.first(try await f.api("GET", "Invoices/\(stored["InvoiceID"] as? String ?? "")", token: t.access), "Invoices")
            #expect(Books.dec(again["CurrencyRate"]) == Books.dec(stored["CurrencyRate"]))
            return Books.dec(stored["CurrencyRate"])
        }
        // Defaults (base USD): EUR is worth 1.08 USD, so 1 USD buys 0.925926 EUR.
        #expect(try await rate(SandboxFixture.invoice(number: "C-1", currency: "EUR")) == Books.d("0.925926"))
        #expect(try await rate(SandboxFixture.invoice(number: "C-2", currency: "USD")) == 1)
        let set = try await f.control("currencies", ["EUR": "0.8432", "rates": [["currency": "EUR", "date": "2024-12-01", "rate": "0.95"]]])
        #expect(set.status == 200, "\(set.text)")
        #expect(try await rate(SandboxFixture.invoice(number: "C-3", currency: "EUR", date: "2024-10-25")) == Books.d("0.8432"))
        #expect(try await rate(SandboxFixture.invoice(number: "C-4", currency: "EUR", date: "2024-12-05")) == Books.d("0.95"))
        var sent = SandboxFixture.invoice(number: "C-5", currency: "EUR")
        sent["CurrencyRate"] = 0.9
        #expect(try await rate(sent) == Books.d("0.9"))
        #expect(try await f.control("currencies", ["EUR": "-1"]).status == 400)
        // A UK organisation's base is GBP.
        try await Books.organisation(f, ["version": "UK"])
        #expect(try await rate(Books.invoice([Books.line(10, taxType: "OUTPUT2")], number: "C-6")) == 1)
        #expect(try await rate(Books.invoice([Books.line(10, taxType: "OUTPUT2")], number: "C-7", currency: "EUR")) == Books.d("0.8432"))
        let table = (try await f.state()["xero"] as? [String: Any])?["currency_rates"] as? [String: Any]
        #expect((table?["EUR"] as? [String: Any])?["rate"] as? String == "0.8432")
    }

    @Test("reset returns the organisation to the demo")
    func resetClears() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["chart": "empty", "version": "AU"])
        _ = try await f.send("POST", "/_sandbox/reset")
        let t2 = try await f.connect()
        _ = t
        let org = Books.first(try await f.api("GET", "Organisation", token: t2.access), "Organisations")
        #expect(org["Version"] as? String == "US")
        let accounts = try await f.api("GET", "Accounts", token: t2.access).object["Accounts"] as? [[String: Any]] ?? []
        #expect(accounts.contains { $0["Code"] as? String == "LMB1" })
        #expect(((try await f.state()["xero"] as? [String: Any])?["version"]) is NSNull)
    }
}
