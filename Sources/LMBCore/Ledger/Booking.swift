import Foundation

/// The one way a stored settlement is booked: its groups (by marketplace or SKU when the mapping asks), the
/// mapping, and the organisation's lock date as last read from Xero. The ledger asks the store; never the reverse.
public struct Booking: Sendable {
    public let store: Store
    public let mapping: Mapping

    public init(store: Store, mapping: Mapping) {
        self.store = store
        self.mapping = mapping
    }

    public func book(_ s: StoredSettlement, tenant: String? = nil) throws -> LedgerResult {
        let facts = try store.organisationFacts(tenant: tenant)
        guard let profile = mapping.tax else {
            let groups = mapping.lineGrouping == .category ? s.groups : try detailedGroups(s.header.id)
            return Ledger(mapping: mapping, lockDate: facts?.lockDate).book(header: s.header, marketplace: s.marketplace, groups: groups)
        }
        // With a tax profile every order's rows are read again: the treatment is decided order by order.
        let resolver = TaxResolver(profile: profile, version: facts?.version, rates: facts?.taxRates, accounts: facts?.accounts)
        let marketplace = AmazonMarketplace.name(format: s.header.format, currency: s.header.currency, reported: s.marketplace)
        let classifier = TaxClassifier(profile: profile, marketplace: marketplace, jurisdictions: try jurisdictions(s.header.id))
        return Ledger(mapping: mapping, lockDate: facts?.lockDate, resolver: resolver)
            .book(header: s.header, marketplace: s.marketplace, groups: classifier.groups(try taxRows(s.header.id)))
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
    func jurisdictions(_ settlementID: String) throws -> [String: VATJurisdiction] {
        [:]
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
        if states.contains(.sending) { return .sending }
        if !states.isEmpty && states.allSatisfy({ $0 == .sent }) { return .sent }
        if ledger.needsMapping { return .needsMapping }
        if states.contains(.failed) { return .failed }
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
