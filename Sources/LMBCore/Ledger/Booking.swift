import Foundation

/// The one way a stored settlement is booked: its groups (by marketplace or SKU when the mapping asks), the
/// mapping, and the organisation's lock date as last read from Xero. The ledger asks the store; never the reverse.
public struct Booking: Sendable {
    public let store: Store
    public let mapping: Mapping
    /// Settlements to book without waiting for Amazon's VAT report (`lmb send --without-vat-report`).
    public var withoutVATReport: Set<String> = []

    public init(store: Store, mapping: Mapping, withoutVATReport: Set<String> = []) {
        self.store = store
        self.mapping = mapping
        self.withoutVATReport = withoutVATReport
    }

    public func book(_ s: StoredSettlement, tenant: String? = nil) throws -> LedgerResult {
        let facts = try store.organisationFacts(tenant: tenant)
        guard let profile = mapping.tax else {
            let groups = mapping.lineGrouping == .category ? s.groups : try detailedGroups(s.header.id)
            return try revised(Ledger(mapping: mapping, lockDate: facts?.lockDate).book(header: s.header, marketplace: s.marketplace, groups: groups), s)
        }
        // With a tax profile every order's rows are read again: the treatment is decided order by order.
        let resolver = TaxResolver(profile: profile, version: facts?.version, rates: facts?.taxRates, accounts: facts?.accounts)
        let marketplace = AmazonMarketplace.name(format: s.header.format, currency: s.header.currency, reported: s.marketplace)
        let rows = try taxRows(s.header.id)
        let classifier = TaxClassifier(profile: profile, marketplace: marketplace, jurisdictions: try jurisdictions(rows))
        var result = Ledger(mapping: mapping, lockDate: facts?.lockDate, resolver: resolver)
            .book(header: s.header, marketplace: s.marketplace, groups: classifier.groups(rows))
        result.awaitingVAT = try vatHold(s, profile: profile, marketplace: marketplace)
        return try revised(result, s)
    }

    /// After a rollback the settlement's documents carry its generation as a revision suffix (`AMZ-<id>-r2`): Xero
    /// keeps a voided document's number, so the new ones need numbers of their own.
    func revised(_ result: LedgerResult, _ s: StoredSettlement) throws -> LedgerResult {
        let generation = try store.generation(settlementID: s.header.id)
        guard generation > 1 else { return result }
        var result = result
        for i in result.postings.indices { result.postings[i].invoiceNumber += Booking.revisionSuffix(generation) }
        return result
    }

    /// The suffix of a generation's document numbers: none for the first, `-r2`, `-r3`, … after each rollback.
    public static func revisionSuffix(_ generation: Int) -> String { generation > 1 ? "-r\(generation)" : "" }

    /// Why the settlement waits for Amazon's VAT Transactions Report, or nil: an EU or UK settlement of a seller whose
    /// profile waits for the report, for a period no stored report covers yet.
    func vatHold(_ s: StoredSettlement, profile: TaxProfile, marketplace: String) throws -> String? {
        guard profile.waitsForVATReport, !withoutVATReport.contains(s.header.id),
              let country = TaxCountries.country(ofMarketplace: marketplace), TaxCountries.eu.contains(country) || country == "GB" else { return nil }
        let missing = try store.vatReportMissingMonths(from: s.header.startDate, through: s.header.endDate)
        guard !missing.isEmpty else { return nil }
        return "waits for Amazon's VAT Transactions Report for \(missing.joined(separator: ", ")) (it says where each sale was taxed): import it with lmb import FILE (lmb fetch requests it where the app holds the Tax Remittance role), or send without it: lmb send \(s.header.id) --without-vat-report"
    }

    /// The settlement's rows as the tax classifier reads them, with the detail the mapping's grouping wants.
    func taxRows(_ settlementID: String) throws -> [TaxRow] {
        var rows: [TaxRow] = []
        try store.forEachTransaction(settlementID: settlementID) { row in
            let detail: String
            switch mapping.lineGrouping {
            case .category: detail = ""
            case .marketplace: detail = row.marketplace ?? ""
            case .sku: detail = row.sku ?? ""
            }
            rows.append(TaxRow(transactionType: row.transactionType, amountType: row.amountType, amountDescription: row.amountDescription,
                               orderID: row.orderID, marketplace: row.marketplace, postedDate: row.postedDate, detail: detail, amountMinor: row.amountMinor))
        }
        return rows
    }

    /// Where Amazon's VAT Transactions Report says each of the settlement's orders was taxed (empty without one).
    func jurisdictions(_ rows: [TaxRow]) throws -> [String: OrderJurisdiction] {
        let ids = Set(rows.compactMap { $0.orderID }.filter { !$0.isEmpty })
        guard !ids.isEmpty else { return [:] }
        var out: [String: OrderJurisdiction] = [:]
        for r in try store.vatRows(eventIDs: ids) where ["SALE", "REFUND", "RETURN"].contains(r.transactionType.uppercased()) {
            // A sale's row decides; a refund's only when the report holds no sale of the order.
            if out[r.eventID] != nil && r.transactionType.uppercased() != "SALE" { continue }
            let b2b = !(r.buyerVATNumber ?? "").isEmpty && r.rateBasisPoints == 0 && r.departureCountry != r.arrivalCountry
            out[r.eventID] = OrderJurisdiction(country: r.jurisdictionCountry, name: r.taxableJurisdiction, rate: r.rateBasisPoints,
                                               marketplaceCollected: (r.responsibility ?? "").uppercased() == "MARKETPLACE",
                                               exportOutsideEU: r.exportOutsideEU, businessZeroRated: b2b,
                                               oss: (r.scheme ?? "").uppercased().contains("OSS"))
        }
        return out
    }

    /// The status `lmb settlements` shows, under the current mapping.
    public func status(_ s: StoredSettlement, tenant: String? = nil) throws -> SettlementStatus {
        s.status(ledger: try book(s, tenant: tenant))
    }

    /// Groups that also carry the marketplace or SKU, summed from the stored rows by the same core as the parser.
    func detailedGroups(_ settlementID: String) throws -> [SettlementGroup] {
        var totals = GroupTotals()
        let bySKU = mapping.lineGrouping == .sku
        try store.forEachTransaction(settlementID: settlementID) { row in
            totals.add(transactionType: row.transactionType, amountType: row.amountType, amountDescription: row.amountDescription,
                       detail: (bySKU ? row.sku : row.marketplace) ?? "", date: row.postedDate, amount: row.amountMinor)
        }
        return totals.groups()
    }
}

extension StoredSettlement {
    /// Sent, sending and failed come from what sends recorded; otherwise the current mapping decides ready or
    /// needs-mapping. A stored part the current booking no longer has (the mapping changed after a failed send)
    /// counts for nothing, so no mapping change can leave a settlement in a state it cannot leave.
    public func status(ledger: LedgerResult) -> SettlementStatus {
        let parts = Set(ledger.postings.map(\.part))
        let states = postingStates.filter { parts.contains($0.part) || $0.state != .failed }.map(\.state)
        if states.contains(.rollingBack) || states.contains(.rolledBack) { return .rollingBack }
        if states.contains(.sending) { return .sending }
        if !states.isEmpty && states.allSatisfy({ $0 == .sent }) { return .sent }
        if ledger.needsMapping { return .needsMapping }
        if states.contains(.failed) { return .failed }
        if ledger.awaitingVAT != nil { return .awaitingVAT }
        return .ready
    }
}

extension Mapping.Grouping {
    /// What the parser adds to each group for this way of grouping lines.
    public var groupDetail: SettlementParser.GroupDetail {
        switch self {
        case .category: return .none
        case .marketplace: return .marketplace
        case .sku: return .sku
        }
    }
}

extension SettlementParser {
    /// Parses a file for previewing: with groups per marketplace or SKU when the mapping wants lines split so.
    public func parseForBooking(_ mapping: Mapping) throws -> ParsedSettlement {
        try parse(hashContent: false, detail: mapping.lineGrouping.groupDetail)
    }
}
