import Foundation

/// What a line's tax is: a treatment, for a destination, at a rate (basis points of a percent: 20 % = 2000).
public struct TaxKey: Hashable, Sendable, Codable, Comparable {
    public var treatment: TaxTreatment
    /// The country whose VAT it is (the destination, or the taxable jurisdiction from the VAT report).
    public var country: String?
    /// The rate the tax was charged at (from Amazon's VAT rows or the VAT report), or the country's standard rate.
    public var rate: Int?
    /// Declared under the EU One-Stop Shop.
    public var oss: Bool

    public init(_ treatment: TaxTreatment, country: String? = nil, rate: Int? = nil, oss: Bool = false) {
        self.treatment = treatment
        self.country = country
        self.rate = treatment.carriesNoTax ? 0 : rate
        self.oss = oss
    }

    public static func < (a: TaxKey, b: TaxKey) -> Bool {
        (a.treatment, a.country ?? "", a.rate ?? -1, a.oss ? 1 : 0) < (b.treatment, b.country ?? "", b.rate ?? -1, b.oss ? 1 : 0)
    }

    /// "standard 20 % GB", "reduced 7 % DE (OSS)", "marketplace-collected DE".
    public var label: String {
        var s = treatment.rawValue
        if let rate, !treatment.carriesNoTax { s += " " + TaxKey.percent(rate) }
        if let country { s += " " + country }
        if oss { s += " (OSS)" }
        return s
    }

    public static func percent(_ bp: Int) -> String {
        let whole = bp / 100, frac = bp % 100
        if frac == 0 { return "\(whole) %" }
        return frac % 10 == 0 ? "\(whole).\(frac / 10) %" : "\(whole).\(frac < 10 ? "0" : "")\(frac) %"
    }
}

/// Xero's tax on one line, as Xero computes it: per line, rounded to 2 places (half away from zero).
/// Inclusive: amount × r / (100 + r); Exclusive: amount × r / 100.
public enum XeroTaxMath {
    public static func inclusiveTax(_ amountMinor: Int64, rate bp: Int) -> Int64 {
        divideRounded(amountMinor * Int64(bp), by: Int64(10_000 + bp))
    }

    public static func exclusiveTax(_ amountMinor: Int64, rate bp: Int) -> Int64 {
        divideRounded(amountMinor * Int64(bp), by: 10_000)
    }

    /// n / d rounded half away from zero (d > 0).
    static func divideRounded(_ n: Int64, by d: Int64) -> Int64 {
        let q = (2 * abs(n) + d) / (2 * d)
        return n < 0 ? -q : q
    }
}

/// Why a treatment has no usable TaxType in the organisation.
public struct TaxProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: TaxKey
    public var taxType: String?
    public var account: String?
    public var reason: String

    public var description: String {
        "\(key.label): \(taxType.map { "tax type \($0) " } ?? "")\(reason)"
    }

    /// The failure a send or diagnose reports for these problems: configuration (exit 78), nothing sent.
    public static let failureCode = "tax_type"

    public static func failure(_ problems: [TaxProblem], settlementID: String?) -> RemoteFailure {
        var f = RemoteFailure.xero(.config, "\(settlementID.map { "settlement \($0): " } ?? "")no usable tax type for \(problems.map(\.description).joined(separator: "; ")); nothing was sent",
                                   evidence: problems.map { "treatment \($0.key.label)\($0.account.map { " on account \($0)" } ?? ""): \($0.fix)" })
        f.code = failureCode
        return f
    }

    /// The fix, in lmb's words.
    public var fix: String {
        let mapKey = TaxMapKey(treatment: key.treatment, country: key.country).description
        return "map the treatment to one of the organisation's active tax rates with: lmb tax map \(mapKey)=TAXTYPE (lmb tax show lists them), or add/restore the rate in Xero → Settings → Tax rates"
    }
}

/// Turns treatments into the organisation's own TaxTypes, from its `GET /TaxRates`: the profile's `lmb tax map`
/// first, then the system code the organisation's version gives the treatment, then a rate of the same direction and
/// percentage (user rates are TAX001…, as every EU "Global" organisation's real VAT rates are).
public struct TaxResolver: Sendable {
    public var profile: TaxProfile
    /// Organisation.Version (UK, AU, NZ, US, GLOBAL…); nil: guessed from the profile's country.
    public var version: String
    /// The organisation's rates; nil when lmb has not read them yet (a preview before any send or diagnose).
    public var rates: [XeroTaxRate]?
    /// Accounts by code, to check a rate may be used on an account's class.
    public var accounts: [String: XeroAccount]

    public init(profile: TaxProfile, version: String?, rates: [XeroTaxRate]?, accounts: [XeroAccount]? = nil) {
        self.profile = profile
        self.version = (version ?? Self.versionGuess(profile.country)).uppercased()
        self.rates = rates
        self.accounts = Dictionary((accounts ?? []).compactMap { a in a.Code.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
    }

    static func versionGuess(_ country: String) -> String {
        switch country.uppercased() {
        case "GB": return "UK"
        case "AU": return "AU"
        case "NZ": return "NZ"
        case "US": return "US"
        default: return "GLOBAL"
        }
    }

    /// The system code each version gives a treatment (nil: search the organisation's rates).
    func systemCode(_ key: TaxKey) -> String? {
        let home = key.country == nil || key.country == profile.country
        switch version {
        case "UK", "UKONRAMP":
            switch key.treatment {
            case .standard: return home && key.rate == 2000 ? "OUTPUT2" : nil
            case .reduced: return home && key.rate == 500 ? "RROUTPUT" : nil
            case .zeroRated, .export: return "ZERORATEDOUTPUT"
            case .exempt: return "EXEMPTOUTPUT"
            case .ecGoods: return "ECZROUTPUT"
            case .marketplaceCollected, .outsideScope: return "NONE"
            case .reverseCharge: return "REVERSECHARGES"
            case .standardInput: return home && key.rate == 2000 ? "INPUT2" : nil
            }
        case "AU", "AUONRAMP":
            switch key.treatment {
            case .standard: return home ? "OUTPUT" : nil
            case .reduced: return nil
            case .zeroRated, .exempt: return "EXEMPTOUTPUT"
            case .export, .ecGoods: return "EXEMPTEXPORT"
            case .marketplaceCollected, .outsideScope, .reverseCharge: return "BASEXCLUDED"
            case .standardInput: return home ? "INPUT" : nil
            }
        case "NZ", "NZONRAMP":
            switch key.treatment {
            case .standard: return home ? "OUTPUT2" : nil
            case .reduced: return nil
            case .zeroRated, .export, .ecGoods: return "ZERORATED"
            case .exempt, .marketplaceCollected, .outsideScope, .reverseCharge: return "NONE"
            case .standardInput: return home ? "INPUT2" : nil
            }
        case "US", "USONRAMP":
            // Sales tax rates "do not work for transactions imported through the API": marketplace facilitators
            // collect it, so every line is Tax Exempt, as before lmb knew about tax.
            return "NONE"
        default:
            switch key.treatment {
            case .marketplaceCollected, .outsideScope: return "NONE"
            default: return nil
            }
        }
    }

    /// The rate a treatment carries (0 for zero-rated and the rest).
    func expectedRate(_ key: TaxKey) -> Int { key.treatment.carriesNoTax ? 0 : (key.rate ?? 0) }

    /// The TaxType for a key, or why there is none. `account`: the line's account, checked against the rate's classes.
    public func resolve(_ key: TaxKey, account: String? = nil) -> Result<String, TaxProblem> {
        let code: String
        if let mapped = profile.map[TaxMapKey(treatment: key.treatment, country: key.country).description] ?? profile.map[key.treatment.rawValue] {
            code = mapped
        } else if !profile.isRegistered {
            code = "NONE"
        } else if let system = systemCode(key) {
            code = system
            // A system code the organisation lacks entirely (an old chart): search by rate instead.
            if let rates, !rates.contains(where: { $0.TaxType == system }), let found = search(key) { return check(found, key: key, account: account) }
        } else if let found = search(key) {
            code = found
        } else if rates == nil {
            return .failure(TaxProblem(key: key, taxType: nil, account: account, reason: "is resolved from the organisation's tax rates at send time (run lmb diagnose to read them now)"))
        } else {
            return .failure(TaxProblem(key: key, taxType: nil, account: account,
                                       reason: "has no \(key.treatment.isInput ? "expense" : "revenue") tax rate at \(TaxKey.percent(expectedRate(key))) in the organisation"))
        }
        return check(code, key: key, account: account)
    }

    /// A rate of the organisation that serves the key: active, the right direction, the right percentage.
    func search(_ key: TaxKey) -> String? {
        guard let rates else { return nil }
        let want = expectedRate(key)
        let candidates = rates.filter { r in
            guard r.Status == "ACTIVE", let type = r.TaxType, type != "NONE" || want == 0 else { return false }
            let allowed = key.treatment.isInput ? (r.CanApplyToExpenses ?? true) : (r.CanApplyToRevenue ?? true)
            return allowed && r.basisPoints == want
        }
        func rank(_ r: XeroTaxRate) -> (Int, String) {
            let report = (r.ReportTaxType ?? "").uppercased()
            let direction = key.treatment.isInput ? report.hasPrefix("INPUT") : report.hasPrefix("OUTPUT")
            return (direction ? 0 : (r.TaxType == "NONE" ? 2 : 1), r.TaxType ?? "")
        }
        return candidates.min { rank($0) < rank($1) }?.TaxType
    }

    /// The code exists, is ACTIVE and may be used on the line's account.
    func check(_ code: String, key: TaxKey, account: String?) -> Result<String, TaxProblem> {
        guard let rates else { return .success(code) }
        guard let rate = rates.first(where: { $0.TaxType == code }) else {
            return .failure(TaxProblem(key: key, taxType: code, account: account, reason: "does not exist in the organisation"))
        }
        guard rate.Status == "ACTIVE" else {
            return .failure(TaxProblem(key: key, taxType: code, account: account, reason: "is \(rate.Status ?? "not active") in the organisation"))
        }
        if let account, let acct = accounts[account], let allowed = rate.canApply(toAccountClass: acct.accountClass), !allowed {
            return .failure(TaxProblem(key: key, taxType: code, account: account,
                                       reason: "may not be used on account \(account) (\(acct.accountClass ?? "?") accounts; Xero would answer \"The TaxType code '\(code)' cannot be used with account code '\(account)'.\")"))
        }
        return .success(code)
    }

    /// The rate Xero will apply for a code, in basis points (nil: unknown until the rates are read).
    public func basisPoints(of code: String) -> Int? {
        if code == "NONE" { return 0 }
        return rates?.first { $0.TaxType == code }?.basisPoints
    }
}

extension XeroTaxRate {
    /// EffectiveRate (else DisplayTaxRate, else the components' sum) in basis points of a percent.
    public var basisPoints: Int? {
        let value = EffectiveRate ?? DisplayTaxRate ?? TaxComponents?.reduce(Decimal(0)) { $0 + ($1.Rate ?? 0) }
        guard let value else { return nil }
        var scaled = value * 100, rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        return NSDecimalNumber(decimal: rounded).intValue
    }

    public func canApply(toAccountClass accountClass: String?) -> Bool? {
        switch accountClass?.uppercased() {
        case "REVENUE": return CanApplyToRevenue
        case "EXPENSE": return CanApplyToExpenses
        case "ASSET": return CanApplyToAssets
        case "LIABILITY": return CanApplyToLiabilities
        case "EQUITY": return CanApplyToEquity
        default: return nil
        }
    }
}

extension XeroAccount {
    /// Class as Xero gives it, else derived from Type.
    public var accountClass: String? {
        if let c = Class { return c.uppercased() }
        switch (self.Type ?? "").uppercased() {
        case "REVENUE", "SALES", "OTHERINCOME": return "REVENUE"
        case "EXPENSE", "DIRECTCOSTS", "OVERHEADS", "DEPRECIATN": return "EXPENSE"
        case "CURRENT", "FIXED", "INVENTORY", "NONCURRENT", "PREPAYMENT", "BANK": return "ASSET"
        case "CURRLIAB", "LIABILITY", "TERMLIAB", "PAYGLIABILITY", "SUPERANNUATIONLIABILITY", "WAGESPAYABLELIABILITY": return "LIABILITY"
        case "EQUITY": return "EQUITY"
        default: return nil
        }
    }
}
