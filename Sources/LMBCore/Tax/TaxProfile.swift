import Foundation

/// What a line is, for VAT/GST: lmb books treatments, and resolves each to the organisation's own TaxType only when
/// it knows the organisation's tax rates (`TaxResolver`).
public enum TaxTreatment: String, Codable, Sendable, CaseIterable, Comparable {
    /// Output tax at the destination's standard rate.
    case standard
    /// Output tax at a reduced rate (the rate comes from Amazon's own VAT rows, or the VAT report).
    case reduced
    /// Output at 0 % (zero-rated goods: books, children's clothes in the UK).
    case zeroRated = "zero-rated"
    /// Exempt supplies.
    case exempt
    /// Goods exported from the seller's country: zero-rated.
    case export
    /// Goods sent to a VAT-registered business in another EU country: zero-rated (EC goods).
    case ecGoods = "ec-goods"
    /// The marketplace was the deemed supplier and accounted for the VAT: outside the seller's output tax.
    case marketplaceCollected = "marketplace-collected"
    /// No VAT at all: compensation, reserves, loans, transfers (BAS excluded in Australia).
    case outsideScope = "outside-scope"
    /// A supplier abroad charged no VAT: the buyer accounts for it (reverse charge).
    case reverseCharge = "reverse-charge"
    /// Input tax at the standard rate, inside the amount (fees billed with VAT).
    case standardInput = "standard-input"

    public var label: String {
        switch self {
        case .standard: return "standard rate"
        case .reduced: return "reduced rate"
        case .zeroRated: return "zero-rated"
        case .exempt: return "exempt"
        case .export: return "export (zero-rated)"
        case .ecGoods: return "EC goods (zero-rated)"
        case .marketplaceCollected: return "marketplace-collected (outside the seller's VAT)"
        case .outsideScope: return "outside the scope of VAT"
        case .reverseCharge: return "reverse charge"
        case .standardInput: return "standard rate input tax"
        }
    }

    /// Sales (output) side or purchases (input) side: which tax rates may serve it.
    public var isInput: Bool { self == .reverseCharge || self == .standardInput }

    /// Treatments whose tax is not carried inside the amount: the line's tax is zero whatever the code's rate.
    public var carriesNoTax: Bool {
        switch self {
        case .zeroRated, .exempt, .export, .ecGoods, .marketplaceCollected, .outsideScope, .reverseCharge: return true
        case .standard, .reduced, .standardInput: return false
        }
    }

    public static func < (a: TaxTreatment, b: TaxTreatment) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The seller's tax position, `"tax"` in config.json: where the business is established, where it holds a VAT/GST
/// registration, whether it files the EU One-Stop Shop, and the user's own treatment → TaxType choices.
public struct TaxProfile: Codable, Sendable, Equatable {
    /// ISO 3166 alpha-2 of the country the business is established in (GB, DE, AU, US…).
    public var country: String
    /// Countries where the seller holds a VAT/GST registration (its own country first when registered there).
    public var registered: [String]
    /// Files the EU One-Stop Shop (Union scheme) for distance sales to EU countries where it is not registered.
    public var oss: Bool
    /// Hold EU/UK settlements as awaiting-vat until a VAT Transactions Report covers their period.
    public var awaitVATReport: Bool?
    /// `lmb tax map`: a treatment (`standard`, or `standard@DE` for one destination) → the organisation's TaxType.
    public var map: [String: String]

    enum CodingKeys: String, CodingKey {
        case country, registered, oss, map
        case awaitVATReport = "await_vat_report"
    }

    public init(country: String, registered: [String], oss: Bool = false, awaitVATReport: Bool? = nil, map: [String: String] = [:]) {
        self.country = country.uppercased()
        self.registered = registered.map { $0.uppercased() }
        self.oss = oss
        self.awaitVATReport = awaitVATReport
        self.map = map
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        country = try c.decode(String.self, forKey: .country).uppercased()
        registered = (try c.decodeIfPresent([String].self, forKey: .registered) ?? []).map { $0.uppercased() }
        oss = try c.decodeIfPresent(Bool.self, forKey: .oss) ?? false
        awaitVATReport = try c.decodeIfPresent(Bool.self, forKey: .awaitVATReport)
        map = try c.decodeIfPresent([String: String].self, forKey: .map) ?? [:]
    }

    /// Registered for VAT/GST anywhere: without a registration every line is outside the seller's VAT (NoTax).
    public var isRegistered: Bool { !registered.isEmpty }
    public var isRegisteredAtHome: Bool { registered.contains(country) }

    /// EU-registered or OSS sellers wait for Amazon's VAT report by default: only it says where each sale was taxed.
    public var waitsForVATReport: Bool {
        awaitVATReport ?? (oss || registered.contains { TaxCountries.eu.contains($0) && $0 != country } )
    }

    /// The checks `lmb tax init` makes.
    public func validate() throws {
        func known(_ c: String) -> Bool { c.count == 2 && c.allSatisfy { $0.isASCII && $0.isLetter } }
        guard known(country) else { throw LMBError.usage("--country '\(country)' is not an ISO 3166 two-letter country code (GB, DE, AU, US…)") }
        for r in registered where !known(r) {
            throw LMBError.usage("--registered '\(r)' is not an ISO 3166 two-letter country code")
        }
        if oss && !TaxCountries.eu.contains(country) && !registered.contains(where: { TaxCountries.eu.contains($0) }) {
            throw LMBError.usage("--oss needs an EU establishment or an EU VAT registration (the One-Stop Shop is filed in an EU country)")
        }
        for key in map.keys.sorted() { _ = try TaxMapKey(parsing: key) }
    }
}

/// A key of the profile's `map`: a treatment, optionally for one destination country (`standard@DE`).
public struct TaxMapKey: Hashable, Sendable, CustomStringConvertible {
    public var treatment: TaxTreatment
    public var country: String?

    public init(treatment: TaxTreatment, country: String? = nil) {
        self.treatment = treatment
        self.country = country
    }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        guard let first = parts.first, let t = TaxTreatment(rawValue: first.lowercased()) else {
            throw LMBError.usage("'\(text)' names no treatment; treatments: \(TaxTreatment.allCases.map(\.rawValue).joined(separator: ", ")) (optionally @CC for one country, e.g. standard@DE)")
        }
        treatment = t
        if parts.count == 2 {
            let cc = parts[1].uppercased()
            guard cc.count == 2, cc.allSatisfy({ $0.isASCII && $0.isLetter }) else { throw LMBError.usage("'\(text)': '\(parts[1])' is not a two-letter country code") }
            country = cc
        }
    }

    public var description: String { country.map { "\(treatment.rawValue)@\($0)" } ?? treatment.rawValue }
}

/// Countries, rates and marketplaces as VAT sees them.
public enum TaxCountries {
    public static let eu: Set<String> = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
                                         "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]

    /// Standard VAT/GST rates in basis points of a percent (20 % = 2000), with the day each took effect where it
    /// changed recently. Reduced rates are never guessed: they come from Amazon's own VAT rows or the VAT report.
    static let standardRates: [String: [(from: CalendarDate?, rate: Int)]] = [
        "GB": [(nil, 2000)], "AU": [(nil, 1000)], "NZ": [(nil, 1500)],
        "AT": [(nil, 2000)], "BE": [(nil, 2100)], "BG": [(nil, 2000)], "HR": [(nil, 2500)], "CY": [(nil, 1900)],
        "CZ": [(nil, 2100)], "DK": [(nil, 2500)], "EE": [(nil, 2200), (CalendarDate(year: 2025, month: 7, day: 1), 2400)],
        "FI": [(nil, 2400), (CalendarDate(year: 2024, month: 9, day: 1), 2550)], "FR": [(nil, 2000)], "DE": [(nil, 1900)],
        "GR": [(nil, 2400)], "HU": [(nil, 2700)], "IE": [(nil, 2300)], "IT": [(nil, 2200)], "LV": [(nil, 2100)], "LT": [(nil, 2100)],
        "LU": [(nil, 1700)], "MT": [(nil, 1800)], "NL": [(nil, 2100)], "PL": [(nil, 2300)], "PT": [(nil, 2300)],
        "RO": [(nil, 1900), (CalendarDate(year: 2025, month: 8, day: 1), 2100)], "SK": [(nil, 2000), (CalendarDate(year: 2025, month: 1, day: 1), 2300)],
        "SI": [(nil, 2200)], "ES": [(nil, 2100)], "SE": [(nil, 2500)],
    ]

    /// The standard rate of `country` on `date`, nil where lmb knows none (the US has no VAT).
    public static func standardRate(_ country: String, on date: CalendarDate?) -> Int? {
        guard let steps = standardRates[country.uppercased()] else { return nil }
        var rate = steps.first?.rate
        for step in steps { if let from = step.from, let date, date >= from { rate = step.rate } }
        return rate
    }

    /// The country a marketplace sells to, from its name (`Amazon.de`, `amazon.co.uk`, `Amazon.com.au`).
    public static func country(ofMarketplace name: String) -> String? {
        let n = name.lowercased()
        let suffixes: [(String, String)] = [
            (".co.uk", "GB"), (".com.au", "AU"), (".com.be", "BE"), (".com.mx", "MX"), (".com.br", "BR"), (".com.tr", "TR"),
            (".co.jp", "JP"), (".co.za", "ZA"), (".de", "DE"), (".fr", "FR"), (".it", "IT"), (".es", "ES"), (".nl", "NL"),
            (".se", "SE"), (".pl", "PL"), (".ie", "IE"), (".be", "BE"), (".ca", "CA"), (".com", "US"), (".in", "IN"),
            (".ae", "AE"), (".sa", "SA"), (".sg", "SG"), (".eg", "EG"),
        ]
        for (suffix, cc) in suffixes where n.hasSuffix(suffix) { return cc }
        return nil
    }

    /// Sellers established here are billed Amazon's fees with VAT from 1 August 2024 (before: reverse charge).
    public static let feeVATFrom = CalendarDate(year: 2024, month: 8, day: 1)!
    public static let feeVATCountries: Set<String> = ["GB", "DE", "FR", "IT", "ES", "NL", "PL", "BE", "SE"]
}

extension LMBConfig {
    /// The seller's tax profile, when `lmb tax init` wrote one.
    public static func taxProfile(home: LMBHome) throws -> TaxProfile? {
        try load(home: home, environment: [:]).tax
    }
}
