import Foundation

/// What the sandbox's organisation holds beyond the demo organisation: chosen through `POST /_sandbox/organisation`
/// (version, chart, tax rates) and `POST /_sandbox/currencies`, or made through the API (accounts, tracking categories,
/// payments, manual journals). The demo organisation — no version chosen, the LMB1–LMB13 chart — answers exactly as
/// it always has: invoices there get no tax computed and no tax-amount check (lmb's end-to-end tests rely on it).
struct XeroBooksState {
    /// nil: the demo organisation (Version US, the options' base currency, three demo tax rates).
    var version: OrganisationVersion?
    /// Xero's arithmetic for invoices (per-line tax, SubTotal/TotalTax/Total) and its tax-amount check: on once a
    /// version or a chart has been chosen, or by `{"compute_tax": true}`.
    var faithful = false
    /// "demo" (the LMB accounts) or "empty" (Xero's default chart only).
    var chart = "demo"
    var trackingCategories: [SandboxTrackingCategory] = []
    var payments: [SandboxPayment] = []
    var manualJournals: [[String: Any]] = []
    /// Rates set by `POST /_sandbox/currencies`: units of the currency per one unit of the base currency, as Xero's
    /// CurrencyRate. `flat` applies to any date; `dated` (YYYY-MM-DD → rate) wins from its date on.
    var flatRates: [String: Decimal] = [:]
    var datedRates: [String: [(date: String, rate: Decimal)]] = [:]
    /// What the API changed, for /_sandbox/state.
    var accountsCreated: [String] = []
    var statusChanges: [[String: Any]] = []
}

struct SandboxTrackingCategory {
    var id = UUID().uuidString.lowercased()
    var name: String
    var status = "ACTIVE"
    var options: [(id: String, name: String, status: String)] = []
}

struct SandboxPayment {
    var id = UUID().uuidString.lowercased()
    var invoiceID: String
    var accountID: String
    var amount: Int          // minor units, in the invoice's currency
    var date: String         // YYYY-MM-DD
    var reference: String?
    var currencyRate: Decimal
    var status = "AUTHORISED"
    var paymentType: String
    var updated: Date
}

/// One of Xero's organisation versions (AU, NZ, UK, US, GLOBAL) with the tax rates a new organisation of that version
/// has and the rates its accounts default to. Names, codes and account classes follow ../shared/docs/tax-facts.md §a1
/// and Xero's TaxRates documentation; ReportTaxType values are the OpenAPI enum's.
struct OrganisationVersion {
    let code: String
    let baseCurrency: String
    let countryCode: String
    let taxRates: [SandboxTaxRate]
    /// Default TaxType of a revenue account, an expense account, an exempt expense (bank fees) and everything else.
    let sales: String
    let purchases: String
    let exemptPurchases: String
    let none: String
    /// The name of the tax liability account 820.
    let taxAccountName: String

    static let all: Set<String> = ["REVENUE", "EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]
    static let salesSide: Set<String> = ["REVENUE", "LIABILITIES", "ASSETS", "EQUITY"]
    static let purchaseSide: Set<String> = ["EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]

    /// A single-component rate; `rate` in ten-thousandths of a percent (200_000 is 20 %).
    static func rate(_ name: String, _ taxType: String, _ rate: Int, _ appliesTo: Set<String>, report: String? = nil,
                     component: String) -> SandboxTaxRate {
        SandboxTaxRate(name: name, taxType: taxType, rate: rate, appliesTo: appliesTo, reportTaxType: report,
                       components: [(component, rate)])
    }

    static func named(_ version: String) -> OrganisationVersion? {
        switch version.uppercased() {
        case "UK": return uk
        case "AU": return au
        case "NZ": return nz
        case "US": return us
        case "GLOBAL": return global
        default: return nil
        }
    }

    /// UK: VAT. REVERSECHARGES shows 20 % but carries a +20 % and a −20 % component, so a reverse-charged bill's tax
    /// nets to nothing, as the supplier charged none (an assumption: Xero's own component names are not documented).
    static let uk = OrganisationVersion(
        code: "UK", baseCurrency: "GBP", countryCode: "GB",
        taxRates: [
            rate("20% (VAT on Income)", "OUTPUT2", 200_000, salesSide, report: "OUTPUT", component: "VAT"),
            rate("20% (VAT on Expenses)", "INPUT2", 200_000, purchaseSide, report: "INPUT", component: "VAT"),
            rate("5% (VAT on Income)", "RROUTPUT", 50_000, salesSide, report: "OUTPUT", component: "VAT"),
            rate("5% (VAT on Expenses)", "RRINPUT", 50_000, purchaseSide, report: "INPUT", component: "VAT"),
            rate("Zero Rated Income", "ZERORATEDOUTPUT", 0, salesSide, report: "ZERORATEDOUTPUT", component: "VAT"),
            rate("Zero Rated Expenses", "ZERORATEDINPUT", 0, purchaseSide, report: "ZERORATEDINPUT", component: "VAT"),
            rate("Exempt Income", "EXEMPTOUTPUT", 0, salesSide, report: "EXEMPTOUTPUT", component: "VAT"),
            rate("Exempt Expenses", "EXEMPTINPUT", 0, purchaseSide, report: "EXEMPTINPUT", component: "VAT"),
            rate("Zero Rated EC Goods Income", "ECZROUTPUT", 0, salesSide, report: "ECOUTPUT", component: "VAT"),
            rate("Zero Rated EC Services", "ECZROUTPUTSERVICES", 0, salesSide, report: "ECOUTPUTSERVICES", component: "VAT"),
            rate("Zero Rated EC Expenses", "ECZRINPUT", 0, purchaseSide, report: "ECINPUT", component: "VAT"),
            rate("20% VAT on EC Acquisitions", "ECACQUISITIONS", 200_000, purchaseSide, report: "ECACQUISITIONS", component: "VAT"),
            SandboxTaxRate(name: "Reverse Charge Expenses (20%)", taxType: "REVERSECHARGES", rate: 200_000,
                           appliesTo: ["EXPENSES", "ASSETS"], reportTaxType: "REVERSECHARGES",
                           components: [("VAT", 200_000), ("Reverse Charge", -200_000)]),
            rate("No VAT", "NONE", 0, all, report: "NONE", component: "VAT"),
            rate("VAT on Imports", "GSTONIMPORTS", 0, ["LIABILITIES"], report: "GSTONIMPORTS", component: "VAT"),
        ],
        sales: "OUTPUT2", purchases: "INPUT2", exemptPurchases: "EXEMPTINPUT", none: "NONE", taxAccountName: "VAT")

    /// AU: GST. There is no NONE: since 2013 Xero maps a sent NONE to EXEMPTEXPENSES on expense accounts and to
    /// BASEXCLUDED elsewhere, and EXEMPTINPUT to BASEXCLUDED (see `normaliseInvoice`).
    static let au = OrganisationVersion(
        code: "AU", baseCurrency: "AUD", countryCode: "AU",
        taxRates: [
            rate("GST on Income", "OUTPUT", 100_000, salesSide, report: "OUTPUT", component: "GST"),
            rate("GST on Expenses", "INPUT", 100_000, purchaseSide, report: "INPUT", component: "GST"),
            rate("GST Free Income", "EXEMPTOUTPUT", 0, salesSide, report: "EXEMPTOUTPUT", component: "GST"),
            rate("GST Free Expenses", "EXEMPTEXPENSES", 0, purchaseSide, report: "EXEMPTEXPENSES", component: "GST"),
            rate("GST Free Exports", "EXEMPTEXPORT", 0, salesSide, report: "EXEMPTEXPORT", component: "GST"),
            rate("GST Free Capital", "EXEMPTCAPITAL", 0, purchaseSide, report: "EXEMPTCAPITAL", component: "GST"),
            rate("GST on Capital", "CAPEXINPUT", 100_000, purchaseSide, report: "CAPEXINPUT", component: "GST"),
            rate("Input Taxed", "INPUTTAXED", 0, purchaseSide, report: "INPUTTAXED", component: "GST"),
            rate("BAS Excluded", "BASEXCLUDED", 0, all, report: "BASEXCLUDED", component: "GST"),
            rate("GST on Imports", "GSTONIMPORTS", 0, ["LIABILITIES"], report: "GSTONIMPORTS", component: "GST"),
            rate("GST on Capital Imports", "GSTONCAPIMPORTS", 0, ["LIABILITIES"], report: "GSTONCAPIMPORTS", component: "GST"),
        ],
        sales: "OUTPUT", purchases: "INPUT", exemptPurchases: "EXEMPTEXPENSES", none: "BASEXCLUDED", taxAccountName: "GST")

    /// NZ: GST 15 %. ZERORATED is income only; its ReportTaxType is not in the OpenAPI enum under that name, so the
    /// sandbox answers ZERORATEDOUTPUT (an assumption).
    static let nz = OrganisationVersion(
        code: "NZ", baseCurrency: "NZD", countryCode: "NZ",
        taxRates: [
            rate("15% GST on Income", "OUTPUT2", 150_000, salesSide, report: "OUTPUT", component: "GST"),
            rate("15% GST on Expenses", "INPUT2", 150_000, purchaseSide, report: "INPUT", component: "GST"),
            rate("Zero Rated", "ZERORATED", 0, salesSide, report: "ZERORATEDOUTPUT", component: "GST"),
            rate("No GST", "NONE", 0, all, report: "NONE", component: "GST"),
            rate("GST on Imports", "GSTONIMPORTS", 0, ["LIABILITIES"], report: "GSTONIMPORTS", component: "GST"),
        ],
        sales: "OUTPUT2", purchases: "INPUT2", exemptPurchases: "NONE", none: "NONE", taxAccountName: "GST")

    /// US: the built-in rates are all 0 (sales tax comes from user or Avalara rates, which the API cannot use).
    static let us = OrganisationVersion(
        code: "US", baseCurrency: "USD", countryCode: "US",
        taxRates: [
            rate("Tax on Sales", "OUTPUT", 0, salesSide, report: "OUTPUT", component: "Sales Tax"),
            rate("Tax on Purchases", "INPUT", 0, purchaseSide, report: "INPUT", component: "Sales Tax"),
            rate("Tax Exempt", "NONE", 0, all, report: "NONE", component: "Sales Tax"),
            rate("Sales Tax on Imports", "GSTONIMPORTS", 0, ["LIABILITIES"], report: "GSTONIMPORTS", component: "Sales Tax"),
        ],
        sales: "OUTPUT", purchases: "INPUT", exemptPurchases: "NONE", none: "NONE", taxAccountName: "Sales Tax")

    /// GLOBAL, set up as an Irish company selling into Germany (an EU seller on Amazon.de): the built-in rates are 0,
    /// every real VAT rate is a user rate TAX00n (no ReportTaxType: GLOBAL does not support it), usable on any account.
    /// TAX001 Irish VAT 23%, TAX002 German VAT 19%, TAX003 German VAT 7%, TAX004 Zero rated, TAX005 Irish VAT 13.5%.
    static let global = OrganisationVersion(
        code: "GLOBAL", baseCurrency: "EUR", countryCode: "IE",
        taxRates: [
            rate("Tax on Purchases", "INPUT", 0, purchaseSide, report: "INPUT", component: "Tax"),
            rate("Tax on Sales", "OUTPUT", 0, salesSide, report: "OUTPUT", component: "Tax"),
            rate("No Tax", "NONE", 0, all, report: "NONE", component: "Tax"),
            rate("Tax on Imports", "GSTONIMPORTS", 0, ["LIABILITIES"], report: "GSTONIMPORTS", component: "Tax"),
            rate("Irish VAT 23%", "TAX001", 230_000, all, report: "", component: "VAT"),
            rate("German VAT 19%", "TAX002", 190_000, all, report: "", component: "MwSt"),
            rate("German VAT 7%", "TAX003", 70_000, all, report: "", component: "MwSt"),
            rate("Zero rated", "TAX004", 0, all, report: "", component: "VAT"),
            rate("Irish VAT 13.5%", "TAX005", 135_000, all, report: "", component: "VAT"),
        ],
        sales: "OUTPUT", purchases: "INPUT", exemptPurchases: "NONE", none: "NONE", taxAccountName: "VAT")

    /// The TaxType an account of this version gets by default.
    func defaultTaxType(code: String, type: String) -> String {
        if code == "404" { return exemptPurchases }
        // Reimbursements (outside the scope of VAT), tax, loans and balances carry no tax.
        if ["LMB3", "820", "860"].contains(code) { return none }
        switch SandboxEngine.accountClass(type) {
        case "REVENUE": return type == "OTHERINCOME" ? none : sales
        case "EXPENSE": return purchases
        default: return none
        }
    }
}

extension SandboxEngine {
    // MARK: Control: version, chart, tax rates, currency rates

    /// The organisation keys of `POST /_sandbox/organisation` that belong to Xero/: "chart" ("empty" or "demo"),
    /// "version" (UK, AU, NZ, US, GLOBAL), "tax_rates" (a list of {"TaxType", "Status"} to change a rate's status, or
    /// {"Name", "TaxType", "Rate"} to add a user rate) and "compute_tax" (true/false). nil when all went well.
    func changeBooks(_ b: [String: Any]) -> SandboxResponse? {
        var version = books.version
        if let name = b["version"] as? String {
            guard let v = OrganisationVersion.named(name) else {
                return .json(400, ["error": "unknown version \(name)", "versions": ["UK", "AU", "NZ", "US", "GLOBAL"]])
            }
            version = v
        }
        if let chart = b["chart"] as? String {
            guard ["empty", "demo"].contains(chart) else { return .json(400, ["error": "chart is \"empty\" or \"demo\""]) }
            books.chart = chart
            accounts = chart == "empty" ? Self.defaultChart(version) : Self.demoData().0
            books.faithful = true
        }
        if b["version"] != nil, let v = version {
            books.version = v
            books.faithful = true
            taxRates = v.taxRates
            currencies.insert(v.baseCurrency)
        }
        if b["version"] != nil || b["chart"] != nil, let v = books.version {
            for i in accounts.indices { accounts[i].taxType = v.defaultTaxType(code: accounts[i].code, type: accounts[i].type) }
        }
        if let on = b["compute_tax"] as? Bool { books.faithful = on }
        if let changes = b["tax_rates"] as? [[String: Any]] {
            for change in changes {
                guard let taxType = change["TaxType"] as? String else { return .json(400, ["error": "each tax_rates entry needs a TaxType"]) }
                if let i = taxRates.firstIndex(where: { $0.taxType == taxType }) {
                    if let status = change["Status"] as? String {
                        guard ["ACTIVE", "DELETED", "ARCHIVED", "PENDING"].contains(status) else {
                            return .json(400, ["error": "Status is ACTIVE, DELETED, ARCHIVED or PENDING"])
                        }
                        taxRates[i].status = status
                    }
                    if let name = change["Name"] as? String { taxRates[i].name = name }
                    if let rate = XeroMoney.rate(change["Rate"]) { taxRates[i].rate = rate; taxRates[i].components = nil }
                } else {
                    guard let name = change["Name"] as? String, let rate = XeroMoney.rate(change["Rate"]) else {
                        return .json(400, ["error": "no tax rate \(taxType): a new rate needs a Name and a Rate"])
                    }
                    taxRates.append(SandboxTaxRate(name: name, taxType: taxType, status: change["Status"] as? String ?? "ACTIVE",
                                                   rate: rate, appliesTo: OrganisationVersion.all,
                                                   reportTaxType: change["ReportTaxType"] as? String ?? ""))
                }
            }
        }
        return nil
    }

    /// What a new organisation's chart holds before anyone adds to it (Xero's default chart, trimmed to what
    /// settlements touch), with the version's default tax types (the demo rates' when no version is chosen).
    static func defaultChart(_ version: OrganisationVersion?) -> [SandboxAccount] {
        let v = version
        func acct(_ code: String, _ name: String, _ type: String, system: String = "", payments: Bool = false) -> SandboxAccount {
            let tax = v?.defaultTaxType(code: code, type: type)
                ?? (accountClass(type) == "REVENUE" && type != "OTHERINCOME" && code != "270" ? "OUTPUT"
                    : accountClass(type) == "EXPENSE" && code != "404" ? "INPUT" : "NONE")
            return SandboxAccount(code: code, name: name, type: type, taxType: tax, systemAccount: system, enablePaymentsToAccount: payments)
        }
        var bank = acct("090", "Business Bank Account", "BANK")
        bank.bankAccountNumber = "12-3456-7890123-00"
        return [
            bank,
            acct("200", "Sales", "REVENUE"),
            acct("260", "Other Revenue", "REVENUE"),
            acct("270", "Interest Income", "REVENUE"),
            acct("310", "Cost of Goods Sold", "DIRECTCOSTS"),
            acct("400", "Advertising", "OVERHEADS"),
            acct("404", "Bank Fees", "OVERHEADS"),
            acct("429", "General Expenses", "OVERHEADS"),
            acct("610", "Accounts Receivable", "CURRENT", system: "DEBTORS"),
            acct("630", "Inventory", "INVENTORY"),
            acct("800", "Accounts Payable", "CURRLIAB", system: "CREDITORS"),
            acct("820", v?.taxAccountName ?? "Sales Tax", "CURRLIAB", system: "GST"),
            acct("860", "Rounding", "CURRLIAB", system: "ROUNDING"),
            acct("877", "Tracking Transfers", "CURRLIAB", system: "TRACKINGTRANSFERS"),
            acct("960", "Retained Earnings", "EQUITY", system: "RETAINEDEARNINGS"),
            acct("970", "Owner A Funds Introduced", "EQUITY"),
        ]
    }

    /// `POST /_sandbox/currencies {"EUR": "0.8432", …}` sets the organisation's rate for a currency (units of it per
    /// one unit of the base currency, as Xero's CurrencyRate); `{"rates": [{"currency": "EUR", "date": "2024-10-01",
    /// "rate": "0.85"}]}` sets a rate from a date on. Answers the table.
    func setCurrencyRates(_ b: [String: Any]) -> SandboxResponse {
        for (key, value) in b where key != "rates" {
            guard key.count == 3, let rate = XeroMoney.decimal(value), rate > 0 else {
                return .json(400, ["error": "\(key): a rate is a positive decimal, e.g. {\"EUR\": \"0.8432\"}"])
            }
            books.flatRates[key.uppercased()] = rate
        }
        for entry in b["rates"] as? [[String: Any]] ?? [] {
            guard let currency = (entry["currency"] as? String)?.uppercased(), let date = entry["date"] as? String, Self.day(date) != nil,
                  let rate = XeroMoney.decimal(entry["rate"]), rate > 0 else {
                return .json(400, ["error": "each rates entry is {\"currency\", \"date\" (YYYY-MM-DD), \"rate\"}"])
            }
            books.datedRates[currency, default: []].append((String(date.prefix(10)), rate))
            books.datedRates[currency]?.sort { $0.date < $1.date }
        }
        return .json(200, ["base_currency": baseCurrency, "rates": currencyTableJSON()])
    }

    func currencyTableJSON() -> [String: Any] {
        var out: [String: Any] = [:]
        for code in Set(currencies).union(books.flatRates.keys).union(books.datedRates.keys).sorted() where code != baseCurrency {
            var entry: [String: Any] = ["rate": "\(organisationRate(code, date: nil))"]
            if let dated = books.datedRates[code] { entry["from"] = dated.map { ["date": $0.date, "rate": "\($0.rate)"] } }
            out[code] = entry
        }
        return out
    }

    /// Dollars' worth of one unit, for the default rates (round, plausible figures, not market data).
    static let defaultUSDValue: [String: Decimal] = [
        "USD": 1, "EUR": Decimal(string: "1.08")!, "GBP": Decimal(string: "1.27")!, "CAD": Decimal(string: "0.73")!,
        "AUD": Decimal(string: "0.66")!, "NZD": Decimal(string: "0.60")!, "JPY": Decimal(string: "0.0067")!,
        "SEK": Decimal(string: "0.095")!, "PLN": Decimal(string: "0.25")!, "MXN": Decimal(string: "0.055")!,
    ]

    /// The organisation's rate for `currency` on `date` (YYYY-MM-DD): a dated rate from the table, else the flat one,
    /// else the default (to 6 places), as units of `currency` per one unit of the base currency; 1 for the base.
    func organisationRate(_ currency: String, date: String?) -> Decimal {
        let code = currency.uppercased()
        if code == baseCurrency.uppercased() { return 1 }
        if let date, let dated = books.datedRates[code]?.last(where: { $0.date <= String(date.prefix(10)) }) { return dated.rate }
        if let flat = books.flatRates[code] { return flat }
        guard let base = Self.defaultUSDValue[baseCurrency.uppercased()], let foreign = Self.defaultUSDValue[code] else { return 1 }
        return XeroMoney.rounded(base / foreign, scale: 6)
    }

    /// The CurrencyRate an invoice is stored with: the one it sent, or the organisation's rate for its date. This is
    /// how lmb learns Xero's rate (Xero's API has no rate endpoint: GET /Currencies lists codes only): send the
    /// document without a CurrencyRate and read it back from the answer, or GET an existing invoice of that date.
    func currencyRate(for inv: [String: Any]) -> Double {
        if let sent = XeroMoney.decimal(inv["CurrencyRate"]), sent > 0 { return XeroMoney.double(sent) }
        let currency = inv["CurrencyCode"] as? String ?? baseCurrency
        return XeroMoney.double(organisationRate(currency, date: inv["Date"] as? String))
    }

    // MARK: Invoices: Xero's tax rules, when the organisation is no longer the untouched demo

    /// AU organisations have no NONE: Xero maps it (and EXEMPTINPUT) to the GST-free or BAS-excluded rate.
    func normaliseInvoice(_ inv: [String: Any]) -> [String: Any] {
        guard books.faithful, books.version?.code == "AU", var lines = inv["LineItems"] as? [[String: Any]] else { return inv }
        for i in lines.indices {
            let taxType = lines[i]["TaxType"] as? String
            guard taxType == "NONE" || taxType == "EXEMPTINPUT" else { continue }
            let account = accounts.first { $0.code == lines[i]["AccountCode"] as? String }
            let expense = account.map { Self.accountClass($0.type) == "EXPENSE" } ?? false
            lines[i]["TaxType"] = taxType == "NONE" && expense ? "EXEMPTEXPENSES" : "BASEXCLUDED"
        }
        var out = inv
        out["LineItems"] = lines
        return out
    }

    /// The checks the demo organisation never made: a line's TaxAmount may not exceed its amount, and its Tracking
    /// must name active categories and options (at most two).
    func xeroLineChecks(_ inv: [String: Any]) -> [String] {
        var errors: [String] = []
        for line in inv["LineItems"] as? [[String: Any]] ?? [] {
            if books.faithful, line["TaxAmount"] != nil, let tax = XeroMoney.minor(line["TaxAmount"]),
               let amount = XeroMoney.lineMinor(line), tax.magnitude > amount.magnitude {
                errors.append("The tax amount cannot be greater than the line amount")
            }
            if books.faithful || !books.trackingCategories.isEmpty {
                switch resolveTracking(line["Tracking"]) {
                case .failure(let message): errors.append(message.text)
                case .success: break
                }
            }
        }
        return errors
    }

    /// Per-line tax, rounded to the cent half away from zero, then SubTotal, TotalTax and Total, as Xero computes them.
    /// A line that sends TaxAmount keeps it. Lines without a TaxType take their account's.
    func applyXeroArithmetic(_ stored: inout [String: Any]) {
        let amountTypes = stored["LineAmountTypes"] as? String ?? "Exclusive"
        var sumLines = 0, sumTax = 0
        var lines: [[String: Any]] = []
        for var line in stored["LineItems"] as? [[String: Any]] ?? [] {
            let account = accounts.first { $0.code == line["AccountCode"] as? String }
            if (line["TaxType"] as? String ?? "").isEmpty, let account { line["TaxType"] = account.taxType }
            let amount = XeroMoney.lineMinor(line) ?? 0
            let tax: Int
            if amountTypes == "NoTax" {
                tax = 0
            } else if line["TaxAmount"] != nil, let sent = XeroMoney.minor(line["TaxAmount"]) {
                tax = sent
            } else {
                let rate = taxRates.first { $0.taxType == line["TaxType"] as? String }?.effectiveRate ?? 0
                tax = XeroMoney.tax(lineMinor: amount, rate: rate, inclusive: amountTypes == "Inclusive")
            }
            line["LineAmount"] = XeroMoney.number(amount)
            line["TaxAmount"] = XeroMoney.number(tax)
            if case .success(let tracking) = resolveTracking(line["Tracking"]) { line["Tracking"] = tracking }
            sumLines += amount
            sumTax += tax
            lines.append(line)
        }
        let subTotal = amountTypes == "Inclusive" ? sumLines - sumTax : sumLines
        let total = subTotal + sumTax
        stored["LineItems"] = lines
        stored["SubTotal"] = XeroMoney.number(subTotal)
        stored["TotalTax"] = XeroMoney.number(sumTax)
        stored["Total"] = XeroMoney.number(total)
        stored["AmountDue"] = XeroMoney.number(total)
        stored["AmountPaid"] = 0.0
    }

    // MARK: State

    func booksStateJSON() -> [String: Any] {
        [
            "version": books.version?.code ?? NSNull(),
            "chart": books.chart,
            "computes_tax": books.faithful,
            "tax_rates": taxRates.map { ["TaxType": $0.taxType, "Name": $0.name, "Status": $0.status] },
            "accounts_created": books.accountsCreated,
            "tracking_categories": books.trackingCategories.map(trackingCategoryJSON),
            "payments": books.payments.map(paymentJSON),
            "manual_journals": books.manualJournals,
            "status_changes": books.statusChanges,
            "currency_rates": currencyTableJSON(),
        ]
    }
}
