import Foundation

/// Where Amazon's VAT Transactions Report says one order was taxed.
public struct VATJurisdiction: Sendable, Equatable {
    /// ISO code of the taxable jurisdiction.
    public var country: String?
    /// The jurisdiction as the report writes it (GERMANY, UNITED KINGDOM).
    public var name: String
    public var rate: Int
    public var marketplaceCollected: Bool
    public var exportOutsideEU: Bool
    /// Sold to a VAT-registered business (a buyer VAT number) at 0 %.
    public var businessZeroRated: Bool
    public var oss: Bool

    public init(country: String?, name: String, rate: Int, marketplaceCollected: Bool, exportOutsideEU: Bool, businessZeroRated: Bool, oss: Bool) {
        self.country = country
        self.name = name
        self.rate = rate
        self.marketplaceCollected = marketplaceCollected
        self.exportOutsideEU = exportOutsideEU
        self.businessZeroRated = businessZeroRated
        self.oss = oss
    }
}

/// One settlement row as the classifier reads it.
public struct TaxRow: Sendable {
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    public var orderID: String?
    public var marketplace: String?
    public var postedDate: CalendarDate?
    public var detail: String
    public var amountMinor: Int64

    public init(transactionType: String, amountType: String, amountDescription: String, orderID: String?, marketplace: String?,
                postedDate: CalendarDate?, detail: String, amountMinor: Int64) {
        self.transactionType = transactionType.trimmingCharacters(in: .whitespaces)
        self.amountType = amountType.trimmingCharacters(in: .whitespaces)
        self.amountDescription = amountDescription.trimmingCharacters(in: .whitespaces)
        self.orderID = orderID
        self.marketplace = marketplace
        self.postedDate = postedDate
        self.detail = detail
        self.amountMinor = amountMinor
    }
}

/// Gives each order's sale and refund rows their VAT treatment, order by order:
/// - an order the marketplace was responsible for (`MarketplaceFacilitatorVAT-*`, `LowValueGoodsTax-*`,
///   `MarketplaceFacilitatorTax-*` withheld) is marketplace-collected: its sale is outside the seller's output tax, and
///   its tax and withheld-tax rows net to zero in their own category;
/// - a seller-responsible order with Amazon's own VAT rows (the VAT Calculation Service: `Tax`, `ShippingTax`,
///   `GiftWrapTax`, `TaxDiscount`) is taxed at tax ÷ net, and those rows fold into its gross sale, their sum kept as the
///   line's TaxAmount so the return agrees with Amazon's VAT invoices;
/// - any other order by destination: the VAT report's taxable jurisdiction when it has the order, else the marketplace's
///   country, and the profile's country groups (home; EU where registered; other EU under OSS; the rest exports).
public struct TaxClassifier: Sendable {
    public var profile: TaxProfile
    /// The VAT report's verdict per order id (empty without a report).
    public var jurisdictions: [String: VATJurisdiction]
    /// The settlement's marketplace, for rows that name none.
    public var marketplace: String

    public init(profile: TaxProfile, marketplace: String, jurisdictions: [String: VATJurisdiction] = [:]) {
        self.profile = profile
        self.marketplace = marketplace
        self.jurisdictions = jurisdictions
    }

    static let taxDescriptions: Set<String> = ["tax", "shippingtax", "giftwraptax", "taxdiscount", "principaltax"]

    static func isTaxRow(_ r: TaxRow) -> Bool {
        let at = r.amountType.lowercased()
        return (at == "itemprice" || at == "promotion") && taxDescriptions.contains(r.amountDescription.lowercased())
    }

    static func isSaleRow(_ r: TaxRow) -> Bool {
        let at = r.amountType.lowercased()
        return at == "itemprice" || at == "promotion"
    }

    static func isMarketplaceWithheld(_ r: TaxRow) -> Bool {
        guard r.amountType.lowercased() == "itemwithheldtax" else { return false }
        let d = r.amountDescription.lowercased()
        return d.hasPrefix("marketplacefacilitator") || d.hasPrefix("lowvaluegoodstax")
    }

    struct OrderKey: Hashable { var orderID: String; var transactionType: String }
    struct OrderFacts { var marketplaceCollected = false; var vat: Int64 = 0; var hasVATRows = false; var net: Int64 = 0; var marketplace: String? }

    /// The rows as groups carrying their tax key, summed like the parser's groups (month, the three fields, detail).
    public func groups(_ rows: [TaxRow]) -> [SettlementGroup] {
        var orders: [OrderKey: OrderFacts] = [:]
        for r in rows {
            guard let id = r.orderID, !id.isEmpty else { continue }
            let key = OrderKey(orderID: id, transactionType: r.transactionType)
            var f = orders[key] ?? OrderFacts()
            if f.marketplace == nil, let m = r.marketplace, !m.isEmpty { f.marketplace = m }
            if Self.isMarketplaceWithheld(r) { f.marketplaceCollected = true }
            if Self.isTaxRow(r) {
                f.vat += r.amountMinor
                f.hasVATRows = true
            } else if Self.isSaleRow(r) {
                f.net += r.amountMinor
            }
            orders[key] = f
        }
        struct GroupKey: Hashable { var tt, at, ad, month, detail: String; var tax: TaxKey?; var folded: Bool; var explicit: Bool }
        var sums: [GroupKey: (amount: Int64, vat: Int64, count: Int)] = [:]
        var order: [GroupKey] = []
        for r in rows {
            var tax: TaxKey?
            var folded = false
            var explicit = false
            if let id = r.orderID, !id.isEmpty, let f = orders[OrderKey(orderID: id, transactionType: r.transactionType)], Self.isSaleRow(r) {
                let (key, hasExplicitVAT) = treatment(orderID: id, facts: f, date: r.postedDate)
                if Self.isTaxRow(r) {
                    // A marketplace-collected order's tax stays with the withheld tax that offsets it.
                    if !f.marketplaceCollected { tax = key; folded = true; explicit = hasExplicitVAT }
                } else {
                    tax = key
                    explicit = hasExplicitVAT
                }
            }
            let month = r.postedDate.map { GroupTotals.monthKey($0.year * 100 + $0.month) } ?? ""
            let gk = GroupKey(tt: r.transactionType, at: r.amountType, ad: r.amountDescription, month: month, detail: r.detail, tax: tax,
                              folded: folded, explicit: explicit)
            if sums[gk] == nil { order.append(gk) }
            var s = sums[gk] ?? (0, 0, 0)
            s.amount += r.amountMinor
            if explicit && Self.isTaxRow(r) { s.vat += r.amountMinor }
            s.count += 1
            sums[gk] = s
        }
        return order.map { k in
            let s = sums[k]!
            return SettlementGroup(transactionType: k.tt, amountType: k.at, amountDescription: k.ad, month: k.month, amountMinor: s.amount,
                                   count: s.count, detail: k.detail, tax: k.tax, vatMinor: k.explicit ? s.vat : nil, folded: k.folded ? true : nil)
        }.sorted { a, b in
            let ka = (a.month, a.transactionType, a.amountType, a.amountDescription, a.detail)
            let kb = (b.month, b.transactionType, b.amountType, b.amountDescription, b.detail)
            if ka != kb { return ka < kb }
            if a.tax != b.tax { return (a.tax.map { [$0] } ?? []).lexicographicallyPrecedes(b.tax.map { [$0] } ?? []) }
            return (a.folded ?? false) == false && (b.folded ?? false)
        }
    }

    /// An order's treatment, and whether Amazon's own VAT rows give its tax.
    func treatment(orderID: String, facts f: OrderFacts, date: CalendarDate?) -> (TaxKey, Bool) {
        let marketplaceCountry = TaxCountries.country(ofMarketplace: f.marketplace ?? marketplace)
        if let j = jurisdictions[orderID] {
            if j.marketplaceCollected || f.marketplaceCollected { return (TaxKey(.marketplaceCollected, country: j.country ?? marketplaceCountry), false) }
            if j.exportOutsideEU { return (TaxKey(.export, country: j.country), false) }
            if j.businessZeroRated { return (TaxKey(.ecGoods, country: j.country), false) }
            let standard = j.country.flatMap { TaxCountries.standardRate($0, on: date) }
            let treatment: TaxTreatment = j.rate == 0 ? .zeroRated : (j.rate == standard ? .standard : .reduced)
            return (TaxKey(treatment, country: j.country, rate: j.rate, oss: j.oss), f.hasVATRows)
        }
        if f.marketplaceCollected { return (TaxKey(.marketplaceCollected, country: marketplaceCountry), false) }
        if f.hasVATRows {
            let country = marketplaceCountry ?? profile.country
            let standard = TaxCountries.standardRate(country, on: date)
            let rate = Self.snap(vat: f.vat, net: f.net, standard: standard)
            let treatment: TaxTreatment = rate == 0 ? .zeroRated : (rate == standard ? .standard : .reduced)
            let oss = profile.oss && country != profile.country && TaxCountries.eu.contains(country) && !profile.registered.contains(country)
            return (TaxKey(treatment, country: country, rate: rate, oss: oss), true)
        }
        return (destination(marketplaceCountry, date: date), false)
    }

    /// The country groups, for an order without Amazon's VAT rows or a VAT report line.
    public func destination(_ dest: String?, date: CalendarDate?) -> TaxKey {
        let home = profile.country
        guard profile.isRegistered else { return TaxKey(.outsideScope, country: dest) }
        guard let dest else {
            return profile.isRegisteredAtHome ? TaxKey(.standard, country: home, rate: TaxCountries.standardRate(home, on: date)) : TaxKey(.outsideScope)
        }
        if dest == home {
            return profile.isRegisteredAtHome ? TaxKey(.standard, country: home, rate: TaxCountries.standardRate(home, on: date)) : TaxKey(.outsideScope, country: dest)
        }
        if profile.registered.contains(dest) { return TaxKey(.standard, country: dest, rate: TaxCountries.standardRate(dest, on: date)) }
        let homeInEU = TaxCountries.eu.contains(home)
        if TaxCountries.eu.contains(dest) && homeInEU {
            if profile.oss { return TaxKey(.standard, country: dest, rate: TaxCountries.standardRate(dest, on: date), oss: true) }
            // Under the EU-wide €10,000 threshold the sale is taxed at home.
            return profile.isRegisteredAtHome ? TaxKey(.standard, country: home, rate: TaxCountries.standardRate(home, on: date)) : TaxKey(.outsideScope, country: dest)
        }
        return TaxKey(.export, country: dest)
    }

    /// tax ÷ net as a rate in basis points, to the nearest 0.1 %, and the standard rate when within 0.3 % of it.
    static func snap(vat: Int64, net: Int64, standard: Int?) -> Int {
        guard net != 0 else { return standard ?? 0 }
        let (v, n) = net < 0 ? (-vat, -net) : (vat, net)
        let tenth = Int(XeroTaxMath.divideRounded(v * 1_000, by: n)) * 10   // tenths of a percent, exactly
        if let standard, abs(tenth - standard) <= 30 { return standard }
        if abs(tenth) <= 30 { return 0 }
        return tenth
    }
}

extension SettlementParser {
    /// Parses a file for a booking with a tax profile: its groups classified order by order, as `Booking` does for a
    /// stored settlement.
    public func parseForTaxBooking(_ mapping: Mapping, profile: TaxProfile) throws -> ParsedSettlement {
        var rows: [TaxRow] = []
        let grouping = mapping.lineGrouping
        var parsed = try parse(hashContent: false, onEntry: { entry, text in
            let detail: String
            switch grouping {
            case .category: detail = ""
            case .marketplace: detail = try text.string(entry.marketplace)
            case .sku: detail = try text.string(entry.sku)
            }
            rows.append(TaxRow(transactionType: try text.string(entry.transactionType), amountType: try text.string(entry.amountType),
                               amountDescription: try text.string(entry.amountDescription), orderID: try text.string(entry.orderID),
                               marketplace: try text.string(entry.marketplace), postedDate: entry.postedDate, detail: detail,
                               amountMinor: entry.amountMinor))
        })
        let marketplace = AmazonMarketplace.name(format: parsed.header.format, currency: parsed.header.currency, reported: parsed.marketplace)
        parsed.groups = TaxClassifier(profile: profile, marketplace: marketplace).groups(rows)
        return parsed
    }
}
