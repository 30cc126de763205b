import Foundation
import Testing
@testable import XeroSandbox

/// Builders and readers for the Xero-organisation tests (tax, chart, payments, journals, currencies).
enum Books {
    static func line(_ amount: Any, account: String = "200", taxType: String? = nil, taxAmount: Any? = nil, description: String = "Sales",
                     quantity: Any? = nil, unit: Any? = nil, tracking: [[String: Any]]? = nil) -> [String: Any] {
        var l: [String: Any] = ["Description": description, "AccountCode": account]
        if quantity != nil || unit != nil {
            if let quantity { l["Quantity"] = quantity }
            if let unit { l["UnitAmount"] = unit }
        } else {
            l["LineAmount"] = amount
        }
        if let taxType { l["TaxType"] = taxType }
        if let taxAmount { l["TaxAmount"] = taxAmount }
        if let tracking { l["Tracking"] = tracking }
        return l
    }

    static func invoice(_ lines: [[String: Any]], types: String = "Exclusive", type: String = "ACCREC", number: String? = nil,
                        status: String = "DRAFT", currency: String? = nil, rate: Any? = nil, date: String = "2024-10-25") -> [String: Any] {
        var inv: [String: Any] = ["Type": type, "Contact": ["Name": "Amazon.co.uk"], "Date": date, "DueDate": date, "Status": status,
                                  "LineAmountTypes": types, "LineItems": lines]
        if let number { inv["InvoiceNumber"] = number }
        if let currency { inv["CurrencyCode"] = currency }
        if let rate { inv["CurrencyRate"] = rate }
        return inv
    }

    /// `POST /_sandbox/organisation`, which must succeed.
    static func organisation(_ f: SandboxFixture, _ body: [String: Any]) async throws {
        let r = try await f.control("organisation", body)
        #expect(r.status == 200, "\(r.text)")
    }

    static func messages(_ r: Reply) -> [String] {
        ((r.object["Elements"] as? [[String: Any]]) ?? []).flatMap { ($0["ValidationErrors"] as? [[String: Any]] ?? []).compactMap { $0["Message"] as? String } }
    }

    static func first(_ r: Reply, _ key: String) -> [String: Any] { (r.object[key] as? [[String: Any]])?.first ?? [:] }

    /// A JSON number as the exact decimal text it was written with.
    static func dec(_ value: Any?) -> Decimal? { (value as? NSNumber).flatMap { Decimal(string: $0.stringValue, locale: Locale(identifier: "en_US_POSIX")) } }
    static func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }
}

@Suite("Xero organisation versions and tax (issue 19)")
struct TaxSandboxTests {
    struct Version: Sendable, CustomStringConvertible {
        var code: String
        var currency: String
        var country: String
        /// TaxType → (DisplayTaxRate, CanApplyToRevenue, CanApplyToExpenses, CanApplyToLiabilities)
        var rates: [String: (String, Bool, Bool, Bool)]
        var absent: [String]
        var description: String { code }
    }

    static let versions: [Version] = [
        Version(code: "UK", currency: "GBP", country: "GB",
                rates: ["OUTPUT2": ("20", true, false, true), "INPUT2": ("20", false, true, true), "RROUTPUT": ("5", true, false, true),
                        "ZERORATEDOUTPUT": ("0", true, false, true), "EXEMPTINPUT": ("0", false, true, true), "ECZROUTPUT": ("0", true, false, true),
                        "REVERSECHARGES": ("20", false, true, false), "NONE": ("0", true, true, true), "GSTONIMPORTS": ("0", false, false, true)],
                absent: ["OUTPUT", "INPUT", "TAX001"]),
        Version(code: "AU", currency: "AUD", country: "AU",
                rates: ["OUTPUT": ("10", true, false, true), "INPUT": ("10", false, true, true), "EXEMPTOUTPUT": ("0", true, false, true),
                        "EXEMPTEXPENSES": ("0", false, true, true), "EXEMPTEXPORT": ("0", true, false, true), "BASEXCLUDED": ("0", true, true, true),
                        "GSTONIMPORTS": ("0", false, false, true)],
                absent: ["NONE", "OUTPUT2"]),
        Version(code: "NZ", currency: "NZD", country: "NZ",
                rates: ["OUTPUT2": ("15", true, false, true), "INPUT2": ("15", false, true, true), "ZERORATED": ("0", true, false, true),
                        "NONE": ("0", true, true, true)],
                absent: ["OUTPUT"]),
        Version(code: "US", currency: "USD", country: "US",
                rates: ["OUTPUT": ("0", true, false, true), "INPUT": ("0", false, true, true), "NONE": ("0", true, true, true)],
                absent: ["OUTPUT2"]),
        Version(code: "GLOBAL", currency: "EUR", country: "IE",
                rates: ["INPUT": ("0", false, true, true), "OUTPUT": ("0", true, false, true), "NONE": ("0", true, true, true),
                        "GSTONIMPORTS": ("0", false, false, true), "TAX001": ("23", true, true, true), "TAX002": ("19", true, true, true),
                        "TAX003": ("7", true, true, true), "TAX004": ("0", true, true, true), "TAX005": ("13.5", true, true, true)],
                absent: ["OUTPUT2"]),
    ]

    @Test("each version answers its organisation and its default tax rates", arguments: versions)
    func versionRates(v: Version) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let switched = try await f.control("organisation", ["version": v.code])
        #expect(switched.status == 200)
        #expect(switched.object["Version"] as? String == v.code)
        let org = Books.first(try await f.api("GET", "Organisation", token: t.access), "Organisations")
        #expect(org["Version"] as? String == v.code)
        #expect(org["BaseCurrency"] as? String == v.currency)
        #expect(org["CountryCode"] as? String == v.country)
        let rates = try await f.api("GET", "TaxRates", token: t.access).object["TaxRates"] as? [[String: Any]] ?? []
        let byType = Dictionary(rates.map { ($0["TaxType"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for (taxType, expected) in v.rates {
            let rate = try #require(byType[taxType], "\(v.code) has no \(taxType)")
            #expect(Books.dec(rate["DisplayTaxRate"]) == Books.d(expected.0), "\(taxType)")
            #expect(rate["CanApplyToRevenue"] as? Bool == expected.1, "\(taxType) revenue")
            #expect(rate["CanApplyToExpenses"] as? Bool == expected.2, "\(taxType) expenses")
            #expect(rate["CanApplyToLiabilities"] as? Bool == expected.3, "\(taxType) liabilities")
            #expect(rate["Status"] as? String == "ACTIVE")
            let components = rate["TaxComponents"] as? [[String: Any]] ?? []
            #expect(!components.isEmpty)
        }
        for taxType in v.absent { #expect(byType[taxType] == nil, "\(v.code) should have no \(taxType)") }
        // The LMB accounts stay, with the version's default tax types, each one allowed on its account.
        let accounts = try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [[String: Any]] ?? []
        #expect(accounts.contains { $0["Code"] as? String == "LMB1" })
        for a in accounts {
            let taxType = a["TaxType"] as? String ?? ""
            let rate = try #require(byType[taxType], "\(a["Code"] ?? "") has \(taxType)")
            let cls = a["Class"] as? String ?? ""
            let key = ["REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses", "LIABILITY": "CanApplyToLiabilities",
                       "ASSET": "CanApplyToAssets", "EQUITY": "CanApplyToEquity"][cls] ?? ""
            #expect(rate[key] as? Bool == true, "\(a["Code"] ?? "") \(taxType) on \(cls)")
        }
    }

    @Test("UK rates as Xero gives them: names, ReportTaxType, 4-dp components; one rate by its TaxType")
    func ukDetails() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let one = try await f.api("GET", "TaxRates/INPUT2", token: t.access)
        #expect(one.status == 200)
        let input2 = Books.first(one, "TaxRates")
        #expect(input2["Name"] as? String == "20% (VAT on Expenses)")
        #expect(input2["ReportTaxType"] as? String == "INPUT")
        #expect(Books.dec(input2["EffectiveRate"]) == 20)
        let reverse = Books.first(try await f.api("GET", "TaxRates/REVERSECHARGES", token: t.access), "TaxRates")
        #expect(Books.dec(reverse["DisplayTaxRate"]) == 20)
        #expect(Books.dec(reverse["EffectiveRate"]) == 0)
        #expect(try await f.api("GET", "TaxRates/NOSUCH", token: t.access).status == 404)
        // GLOBAL user rates have no ReportTaxType.
        try await Books.organisation(f, ["version": "GLOBAL"])
        let tax001 = Books.first(try await f.api("GET", "TaxRates/TAX001", token: t.access), "TaxRates")
        #expect(tax001["Name"] as? String == "Irish VAT 23%")
        #expect(tax001["ReportTaxType"] == nil)
    }

    @Test("the default organisation is unchanged: demo rates, Version US, no tax computed, no tax-amount check")
    func defaultUnchanged() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let org = Books.first(try await f.api("GET", "Organisation", token: t.access), "Organisations")
        #expect(org["Version"] as? String == "US")
        #expect(org["BaseCurrency"] as? String == "USD")
        let rates = try await f.api("GET", "TaxRates", token: t.access).object["TaxRates"] as? [[String: Any]] ?? []
        #expect(rates.map { $0["TaxType"] as? String } == ["NONE", "OUTPUT", "INPUT"])
        #expect(rates.map { Books.dec($0["DisplayTaxRate"]) } == [0, Books.d("8.5"), Books.d("8.5")])
        #expect(rates.map { $0["ReportTaxType"] as? String } == ["NONE", "OUTPUT", "INPUT"])
        let accounts = try await f.api("GET", "Accounts", token: t.access).object["Accounts"] as? [[String: Any]] ?? []
        #expect(accounts.count == 18)
        #expect(accounts.first { $0["Code"] as? String == "820" }?["SystemAccount"] as? String == "GST")
        #expect(accounts.first { $0["Code"] as? String == "200" }?["SystemAccount"] as? String == "")
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, taxType: "OUTPUT"), Books.line(10, taxType: "OUTPUT", taxAmount: 50)], number: "D-1"),
        ]])
        #expect(r.status == 200, "\(r.text)")
        let inv = Books.first(r, "Invoices")
        #expect(Books.dec(inv["Total"]) == 110)
        #expect(Books.dec(inv["TotalTax"]) == 0)
        #expect(Books.dec(inv["SubTotal"]) == 110)
        #expect(Books.dec(inv["CurrencyRate"]) == 1)
    }

    @Test("Exclusive: tax per line, rounded half away from zero, then summed (not total-then-round)")
    func exclusiveRounding() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        // Three lines of 0.03 at 20 %: 0.006 each rounds to 0.01, so 0.03 in all (0.09 × 20 % would be 0.02).
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line("0.03", taxType: "OUTPUT2"), Books.line(0.03, taxType: "OUTPUT2"), Books.line(0.03, taxType: "OUTPUT2")], number: "E-1"),
            // 5 % of 0.10 is 0.005: half away from zero gives 0.01; of −0.10, −0.01.
            Books.invoice([Books.line(0.10, taxType: "RROUTPUT"), Books.line(-0.10, taxType: "RROUTPUT"), Books.line(100, taxType: "RROUTPUT")], number: "E-2"),
            // Quantity × UnitAmount when no LineAmount is sent: 3 × 19.99 = 59.97, 20 % = 11.994 → 11.99.
            Books.invoice([Books.line(0, taxType: "OUTPUT2", quantity: 3, unit: 19.99)], number: "E-3"),
        ]])
        #expect(r.status == 200, "\(r.text)")
        let invoices = r.object["Invoices"] as? [[String: Any]] ?? []
        #expect(invoices.map { Books.dec($0["TotalTax"]) } == [Books.d("0.03"), Books.d("5"), Books.d("11.99")])
        #expect(invoices.map { Books.dec($0["SubTotal"]) } == [Books.d("0.09"), Books.d("100"), Books.d("59.97")])
        #expect(invoices.map { Books.dec($0["Total"]) } == [Books.d("0.12"), Books.d("105"), Books.d("71.96")])
        let taxes = (invoices[1]["LineItems"] as? [[String: Any]] ?? []).map { Books.dec($0["TaxAmount"]) }
        #expect(taxes == [Books.d("0.01"), Books.d("-0.01"), Books.d("5")])
        #expect(Books.dec((invoices[2]["LineItems"] as? [[String: Any]])?.first?["LineAmount"]) == Books.d("59.97"))
        // GET gives back what was stored.
        let id = invoices[0]["InvoiceID"] as? String ?? ""
        let got = Books.first(try await f.api("GET", "Invoices/\(id)", token: t.access), "Invoices")
        #expect(Books.dec(got["TotalTax"]) == Books.d("0.03"))
        #expect(Books.dec(got["Total"]) == Books.d("0.12"))
        let listed = try await f.api("GET", "Invoices?InvoiceNumbers=E-2", token: t.access).object["Invoices"] as? [[String: Any]] ?? []
        #expect(listed.map { Books.dec($0["TotalTax"]) } == [Books.d("5")])
    }

    @Test("Inclusive: tax = amount × r / (100 + r) per line; Total is the lines' sum, SubTotal the rest")
    func inclusiveRounding() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            // 1.03 × 20/120 = 0.1717 → 0.17 a line, 0.51 for three; 3.09 × 20/120 = 0.515 would round to 0.52.
            Books.invoice([Books.line(1.03, taxType: "OUTPUT2"), Books.line(1.03, taxType: "OUTPUT2"), Books.line(1.03, taxType: "OUTPUT2")],
                          types: "Inclusive", number: "I-1"),
            // Xero staff's example: 4 × 59.99 inclusive at 20 % totals 239.96.
            Books.invoice([Books.line(0, taxType: "OUTPUT2", quantity: 4, unit: 59.99)], types: "Inclusive", number: "I-2"),
            // 0.03 × 20/120 = 0.005 exactly: half away from zero, 0.01.
            Books.invoice([Books.line(0.03, taxType: "OUTPUT2")], types: "Inclusive", number: "I-3"),
            // NoTax: no tax whatever the rate.
            Books.invoice([Books.line(50, taxType: "OUTPUT2")], types: "NoTax", number: "I-4"),
        ]])
        #expect(r.status == 200, "\(r.text)")
        let invoices = r.object["Invoices"] as? [[String: Any]] ?? []
        #expect(invoices.map { Books.dec($0["TotalTax"]) } == [Books.d("0.51"), Books.d("39.99"), Books.d("0.01"), 0])
        #expect(invoices.map { Books.dec($0["Total"]) } == [Books.d("3.09"), Books.d("239.96"), Books.d("0.03"), 50])
        #expect(invoices.map { Books.dec($0["SubTotal"]) } == [Books.d("2.58"), Books.d("199.97"), Books.d("0.02"), 50])
        #expect(invoices.map { Books.dec($0["AmountDue"]) } == [Books.d("3.09"), Books.d("239.96"), Books.d("0.03"), 50])
    }

    @Test("a GLOBAL organisation's 4-dp user rate: 13.5 % inclusive of 100.00 is 11.89")
    func globalUserRate() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "GLOBAL"])
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, taxType: "TAX005"), Books.line(119, account: "400", taxType: "TAX002")], types: "Inclusive", type: "ACCPAY"),
        ]])
        #expect(r.status == 200, "\(r.text)")
        let inv = Books.first(r, "Invoices")
        #expect((inv["LineItems"] as? [[String: Any]] ?? []).map { Books.dec($0["TaxAmount"]) } == [Books.d("11.89"), Books.d("19")])
        #expect(inv["CurrencyCode"] as? String == "EUR")
    }

    @Test("a TaxAmount the line sends is kept; a line without TaxType takes its account's")
    func explicitTaxAmount() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10.44, account: "LMB4", taxType: "INPUT2", taxAmount: 1.74), Books.line(100, account: "400")],
                          types: "Inclusive", type: "ACCPAY"),
        ]])
        #expect(r.status == 200, "\(r.text)")
        let inv = Books.first(r, "Invoices")
        let lines = inv["LineItems"] as? [[String: Any]] ?? []
        #expect(Books.dec(lines.first?["TaxAmount"]) == Books.d("1.74"))   // 10.44/6 = 1.74 as well: sent, not recomputed
        #expect(lines.last?["TaxType"] as? String == "INPUT2")
        #expect(Books.dec(lines.last?["TaxAmount"]) == Books.d("16.67"))
        #expect(Books.dec(inv["TotalTax"]) == Books.d("18.41"))
        let kept = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, taxType: "OUTPUT2", taxAmount: 19.5)]),
        ]])
        #expect(Books.dec(Books.first(kept, "Invoices")["TotalTax"]) == Books.d("19.5"))
        #expect(Books.dec(Books.first(kept, "Invoices")["Total"]) == Books.d("119.5"))
    }

    @Test("a reverse-charged bill carries no tax; AU's NONE becomes EXEMPTEXPENSES or BASEXCLUDED")
    func reverseChargeAndAUNone() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "UK"])
        let uk = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, account: "LMB5", taxType: "REVERSECHARGES")], type: "ACCPAY"),
        ]])
        #expect(Books.dec(Books.first(uk, "Invoices")["TotalTax"]) == 0, "\(uk.text)")
        try await Books.organisation(f, ["version": "AU"])
        let au = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, account: "LMB4", taxType: "NONE"), Books.line(50, account: "LMB11", taxType: "NONE"),
                           Books.line(11, account: "LMB4", taxType: "INPUT")], types: "Inclusive", type: "ACCPAY"),
        ]])
        #expect(au.status == 200, "\(au.text)")
        let lines = Books.first(au, "Invoices")["LineItems"] as? [[String: Any]] ?? []
        #expect(lines.map { $0["TaxType"] as? String } == ["EXEMPTEXPENSES", "BASEXCLUDED", "INPUT"])
        #expect(Books.dec(Books.first(au, "Invoices")["TotalTax"]) == 1)
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var name: String
        var setup: [String: String]     // tax_rates status changes: TaxType → Status
        var line: [String: String]
        var message: String
        var description: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "unknown TaxType", setup: [:], line: ["taxType": "OUTPUT"],
                message: "The TaxType code OUTPUT does not exist or cannot be used for this type of transaction."),
        Refusal(name: "archived rate", setup: ["INPUT2": "ARCHIVED"], line: ["account": "400", "taxType": "INPUT2"],
                message: "The TaxType code INPUT2 does not exist or cannot be used for this type of transaction."),
        Refusal(name: "deleted rate", setup: ["OUTPUT2": "DELETED"], line: ["taxType": "OUTPUT2"],
                message: "The TaxType code OUTPUT2 does not exist or cannot be used for this type of transaction."),
        Refusal(name: "purchase rate on a revenue account", setup: [:], line: ["taxType": "INPUT2"],
                message: "The TaxType code 'INPUT2' cannot be used with account code '200'."),
        Refusal(name: "sales rate on an expense account", setup: [:], line: ["account": "LMB4", "taxType": "OUTPUT2"],
                message: "The TaxType code 'OUTPUT2' cannot be used with account code 'LMB4'."),
        Refusal(name: "reverse charge on revenue", setup: [:], line: ["taxType": "REVERSECHARGES"],
                message: "The TaxType code 'REVERSECHARGES' cannot be used with account code '200'."),
        Refusal(name: "tax amount above the line amount", setup: [:], line: ["taxType": "OUTPUT2", "taxAmount": "10.01"],
                message: "The tax amount cannot be greater than the line amount"),
    ]

    @Test("each tax refusal is a 400 ValidationException element with Xero's message; nothing is created", arguments: refusals)
    func refused(c: Refusal) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        var control: [String: Any] = ["version": "UK"]
        if !c.setup.isEmpty { control["tax_rates"] = c.setup.map { ["TaxType": $0.key, "Status": $0.value] } }
        #expect(try await f.control("organisation", control).status == 200)
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(10, account: c.line["account"] ?? "200", taxType: c.line["taxType"], taxAmount: c.line["taxAmount"].map { Double($0)! })]),
        ]])
        #expect(r.status == 400)
        #expect(r.object["Type"] as? String == "ValidationException")
        #expect(Books.messages(r) == [c.message])
        #expect((try await f.state()["invoices"] as? [Any])?.isEmpty == true)
        if let archived = c.setup.first {
            let rate = Books.first(try await f.api("GET", "TaxRates/\(archived.key)", token: t.access), "TaxRates")
            #expect(rate["Status"] as? String == archived.value)
        }
    }

    @Test("summarizeErrors=false: the good invoice is created with its tax, the bad one comes back with its error")
    func partialBatch() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await Books.organisation(f, ["version": "NZ"])
        let r = try await f.api("POST", "Invoices?summarizeErrors=false", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(100, taxType: "OUTPUT2")], number: "NZ-1"),
            Books.invoice([Books.line(100, taxType: "OUTPUT2", taxAmount: 150)], number: "NZ-2"),
        ]])
        #expect(r.status == 200)
        let invoices = r.object["Invoices"] as? [[String: Any]] ?? []
        #expect(Books.dec(invoices.first?["TotalTax"]) == 15)
        #expect(invoices.last?["HasErrors"] as? Bool == true)
    }

    @Test("absurd amounts and quantities are answered, never trapped on", arguments: [false, true])
    func absurdAmounts(versioned: Bool) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        if versioned { try await Books.organisation(f, ["version": "UK"]) }
        let taxType = versioned ? "OUTPUT2" : "NONE"
        let r = try await f.api("PUT", "Invoices?summarizeErrors=false", token: t.access, body: ["Invoices": [
            Books.invoice([Books.line(1e300, taxType: taxType), Books.line(0, taxType: taxType, quantity: 9e18, unit: 9e18)]),
            Books.invoice([Books.line("99999999999.99", taxType: taxType, taxAmount: "1e200")]),
        ]])
        #expect([200, 400].contains(r.status))
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
    }

    @Test("a tax rate can be added and archived through the control API, and an unknown version is refused")
    func controlRates() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let bad = try await f.control("organisation", ["version": "FR"])
        #expect(bad.status == 400)
        try await Books.organisation(f, ["version": "GLOBAL", "tax_rates": [["TaxType": "TAX006", "Name": "French VAT 20%", "Rate": "20"],
                                                                                 ["TaxType": "TAX001", "Status": "ARCHIVED"]]])
        let rates = try await f.api("GET", "TaxRates", token: t.access).object["TaxRates"] as? [[String: Any]] ?? []
        #expect(rates.first { $0["TaxType"] as? String == "TAX006" }.map { Books.dec($0["DisplayTaxRate"]) } == 20)
        #expect(rates.first { $0["TaxType"] as? String == "TAX001" }?["Status"] as? String == "ARCHIVED")
        let r = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [Books.invoice([Books.line(120, taxType: "TAX006")], types: "Inclusive")]])
        #expect(Books.dec(Books.first(r, "Invoices")["TotalTax"]) == 20)
    }
}

@Suite("Xero money: exact parsing and per-line tax")
struct XeroMoneyTests {
    @Test("amounts parse from JSON numbers and strings without floating-point error; rounding is half away from zero")
    func parsing() {
        #expect(XeroMoney.minor(NSNumber(value: 196.65)) == 19665)
        #expect(XeroMoney.minor("0.1") == 10)
        #expect(XeroMoney.minor("2.675") == 268)
        #expect(XeroMoney.minor("-2.675") == -268)
        #expect(XeroMoney.minor("1e2") == 10000)
        #expect(XeroMoney.minor("abc") == nil)
        #expect(XeroMoney.minor(NSNumber(value: true)) == nil)
        #expect(XeroMoney.rate("13.5") == 135_000)
        #expect(XeroMoney.text(-1000) == "-10.00")
        #expect(XeroMoney.text(10005) == "100.05")
    }

    @Test("tax of a line: exclusive r/100, inclusive r/(100+r), to the cent, half away from zero")
    func tax() {
        #expect(XeroMoney.tax(lineMinor: 10000, rate: 200_000, inclusive: false) == 2000)
        #expect(XeroMoney.tax(lineMinor: 12000, rate: 200_000, inclusive: true) == 2000)
        #expect(XeroMoney.tax(lineMinor: 3, rate: 200_000, inclusive: true) == 1)        // 0.5 cent → 1
        #expect(XeroMoney.tax(lineMinor: -3, rate: 200_000, inclusive: true) == -1)
        #expect(XeroMoney.tax(lineMinor: 10, rate: 50_000, inclusive: false) == 1)       // 0.5 cent → 1
        #expect(XeroMoney.tax(lineMinor: 10000, rate: 135_000, inclusive: true) == 1189)
        #expect(XeroMoney.tax(lineMinor: 99_999_999_999, rate: 200_000, inclusive: false) == 20_000_000_000)
        #expect(XeroMoney.tax(lineMinor: 500, rate: 0, inclusive: true) == 0)
    }
}
