/// Which settlements a report covers: one by id, or those whose end date falls in the period (and, when named,
/// from one marketplace).
public struct ReportSelection: Sendable, Equatable {
    public var id: String?
    public var since: CalendarDate?
    public var until: CalendarDate?
    public var marketplace: String?

    public init(id: String? = nil, since: CalendarDate? = nil, until: CalendarDate? = nil, marketplace: String? = nil) {
        self.id = id
        self.since = since
        self.until = until
        self.marketplace = marketplace
    }

    func includes(id: String, end: CalendarDate, marketplaces: [String]) -> Bool {
        if let wanted = self.id { return id == wanted }
        if let since, end < since { return false }
        if let until, until < end { return false }
        if let wanted = marketplace, !marketplaces.contains(where: { $0.lowercased() == wanted.lowercased() }) { return false }
        return true
    }
}

/// Everything `lmb report` shows, as figures: per settlement the waterfall from sales to deposit, per marketplace
/// and currency the period's totals, and what stops a settlement from reaching Xero, with the command that fixes it.
public struct SettlementReport: Sendable {
    /// A settlement the mapping books: its waterfall, and the one before it from the same marketplace and currency.
    public struct Settled: Sendable {
        public var id: String
        public var marketplace: String
        public var currency: Currency
        public var start: CalendarDate
        public var end: CalendarDate
        public var depositDate: CalendarDate
        public var status: SettlementStatus
        public var waterfall: SettlementWaterfall
        /// The previous settlement (by end date) of the same marketplace and currency, whether or not in the period.
        public var previous: Previous?
        /// What the cost-of-goods journal books for it (sales less returns at unit cost); nil: no cost applies.
        public var costOfGoodsMinor: Int64? = nil
        /// The base-currency amounts of its sent invoices in another currency ("EUR 5.79 = GBP 4.88"), by number.
        public var converted: [String: String] = [:]

        public var depositMinor: Int64 { waterfall.depositMinor }
        /// Net sales (sales and refunds) less cost of goods sold; nil without a cost of goods.
        public var grossMarginMinor: Int64? { costOfGoodsMinor.map { waterfall.salesMinor + waterfall.refundsMinor - $0 } }
        public var grossMarginShare: Percent? { grossMarginMinor.flatMap { Percent($0, of: waterfall.salesMinor + waterfall.refundsMinor) } }
    }

    public struct Previous: Sendable {
        public var id: String
        public var end: CalendarDate
        public var waterfall: SettlementWaterfall
    }

    /// A settlement with rows no rule covers: no waterfall until they are mapped.
    public struct NeedsMapping: Sendable {
        public var id: String
        public var marketplace: String
        public var currency: Currency
        public var end: CalendarDate
        public var depositMinor: Int64
        public var unmapped: [UnmappedCombination]

        /// Shows what to map, and then that the settlement became a document.
        public var command: String { "lmb preview \(Shell.quote(id))" }
    }

    /// A settlement whose last send attempt failed.
    public struct FailedSend: Sendable {
        public var id: String
        public var marketplace: String
        public var classification: String
        public var message: String
        public var at: String?

        /// Find the cause, then send again (only when diagnose found nothing wrong).
        public var command: String { "lmb diagnose --settlement \(Shell.quote(id)) && lmb send \(Shell.quote(id))" }
    }

    /// The period's figures for one marketplace in one currency: two currencies are never added together.
    public struct Summary: Sendable {
        public var marketplace: String
        public var currency: Currency
        public var settlements: Int = 0
        public var depositMinor: Int64 = 0
        public var salesMinor: Int64 = 0
        public var feesMinor: Int64 = 0
        public var refundsMinor: Int64 = 0
        /// Over the settlements that have a cost of goods: its sum, and their net sales.
        public var costOfGoodsMinor: Int64 = 0
        public var costedNetSalesMinor: Int64 = 0
        public var costedSettlements: Int = 0

        public var grossMarginMinor: Int64? { costedSettlements == 0 ? nil : costedNetSalesMinor - costOfGoodsMinor }
        public var grossMarginShare: Percent? { grossMarginMinor.flatMap { Percent($0, of: costedNetSalesMinor) } }
        public var feeShare: Percent? { Percent(-feesMinor, of: salesMinor) }
        public var refundRate: Percent? { Percent(-refundsMinor, of: salesMinor) }
    }

    public var selection: ReportSelection
    /// Every settled settlement selected, by end date then id.
    public var settled: [Settled]
    public var needsMapping: [NeedsMapping]
    public var failed: [FailedSend]
    /// True when the store holds no settlement at all (as opposed to none in the selection).
    public var storeIsEmpty: Bool

    /// Per marketplace and currency, in order of marketplace then currency.
    public var summaries: [Summary] {
        var byKey: [String: Summary] = [:]
        for s in settled {
            let key = "\(s.marketplace)\u{1F}\(s.currency.code)"
            var summary = byKey[key] ?? Summary(marketplace: s.marketplace, currency: s.currency)
            summary.settlements += 1
            summary.depositMinor += s.depositMinor
            summary.salesMinor += s.waterfall.salesMinor
            summary.feesMinor += s.waterfall.feesMinor
            summary.refundsMinor += s.waterfall.refundsMinor
            if let cogs = s.costOfGoodsMinor {
                summary.costOfGoodsMinor += cogs
                summary.costedNetSalesMinor += s.waterfall.salesMinor + s.waterfall.refundsMinor
                summary.costedSettlements += 1
            }
            byKey[key] = summary
        }
        return byKey.values.sorted { ($0.marketplace, $0.currency.code) < ($1.marketplace, $1.currency.code) }
    }

    /// Nothing selected at all: no figures and nothing to fix.
    public var isEmpty: Bool { settled.isEmpty && needsMapping.isEmpty && failed.isEmpty }
}

extension SettlementReport {
    /// Builds the report from the stored rows, booking each settlement exactly as sending does; no store yet is
    /// an empty report.
    /// - Throws: `LMBError.usage` for an id never imported, or a marketplace the store has never seen.
    public static func build(store: Store?, mapping: Mapping, selection: ReportSelection, costOfGoods: CostOfGoodsSettings? = nil) throws -> SettlementReport {
        let all = try store?.allSettlements() ?? []
        if let id = selection.id, !all.contains(where: { $0.header.id == id }) {
            throw LMBError.usage("no settlement \(id) was ever imported; list the imported ones with: lmb settlements")
        }
        var report = SettlementReport(selection: selection, settled: [], needsMapping: [], failed: [], storeIsEmpty: all.isEmpty)
        guard let store, !all.isEmpty else { return report }
        let booking = Booking(store: store, mapping: mapping)
        let attempts = Dictionary(try store.lastSendAttempts().compactMap { e in e.settlementID.map { ($0, e) } }) { $1 }
        var seenMarketplaces: [String] = []
        var previousByKey: [String: Previous] = [:]
        for stored in all {
            let h = stored.header
            let ledger = try booking.book(stored)
            let marketplace = ledger.postings.first?.contactName
                ?? AmazonMarketplace.name(format: h.format, currency: h.currency, reported: stored.marketplace)
            let names = [marketplace, stored.marketplace]
            seenMarketplaces += names
            let status = stored.status(ledger: ledger)
            let key = "\(marketplace)\u{1F}\(h.currencyInfo.code)"
            let waterfall = ledger.needsMapping ? nil : try SettlementWaterfall(settlementID: h.id, depositMinor: h.totalMinor, ledger: ledger)
            defer { if let waterfall { previousByKey[key] = Previous(id: h.id, end: h.endDate, waterfall: waterfall) } }
            guard selection.includes(id: h.id, end: h.endDate, marketplaces: names) else { continue }
            guard let waterfall else {
                report.needsMapping.append(NeedsMapping(id: h.id, marketplace: marketplace, currency: h.currencyInfo, end: h.endDate,
                                                        depositMinor: h.totalMinor, unmapped: ledger.unmapped))
                continue
            }
            var settled = Settled(id: h.id, marketplace: marketplace, currency: h.currencyInfo, start: h.startDate, end: h.endDate,
                                  depositDate: h.depositDate, status: status, waterfall: waterfall, previous: previousByKey[key])
            if let costOfGoods {
                settled.costOfGoodsMinor = try CostOfGoodsPlan.make(store: store, settlement: stored, booked: ledger, settings: costOfGoods)?.document?.journal.costMinor
            }
            settled.converted = try store.convertedAmounts(settlementID: h.id)
            report.settled.append(settled)
            if let failure = failedSend(id: h.id, marketplace: marketplace, status: status, lastAttempt: attempts[h.id]) {
                report.failed.append(failure)
            }
        }
        if let wanted = selection.marketplace, !seenMarketplaces.contains(where: { $0.lowercased() == wanted.lowercased() }) {
            let known = Set(seenMarketplaces.filter { !$0.isEmpty }).sorted().joined(separator: ", ")
            throw LMBError.usage("no settlement from marketplace '\(wanted)' was ever imported; the store holds: \(known)")
        }
        return report
    }

    /// A settlement still to send whose last attempt failed, or that the store records as failed.
    static func failedSend(id: String, marketplace: String, status: SettlementStatus, lastAttempt: Store.Event?) -> FailedSend? {
        guard status == .ready || status == .failed else { return nil }
        let detail = lastAttempt?.detail.flatMap { try? JSON.parse($0) }
        let classification = detail?["classification"]?.stringValue
        guard status == .failed || (lastAttempt != nil && classification != "ok") else { return nil }
        return FailedSend(id: id, marketplace: marketplace, classification: classification ?? "unknown",
                          message: lastAttempt?.message ?? "a part of it is recorded as failed", at: lastAttempt?.at)
    }
}
