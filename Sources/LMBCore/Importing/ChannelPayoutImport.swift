import Foundation

/// One row of a channel payout as stored: a Shopify balance transaction's amount or fee, an eBay transaction's net
/// or one of its fees.
public struct ChannelPayoutRow: Sendable, Equatable {
    public var line: Int
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    public var amountMinor: Int64
    public var date: CalendarDate?
    public var orderID: String?

    public init(line: Int, transactionType: String, amountType: String, amountDescription: String, amountMinor: Int64,
                date: CalendarDate?, orderID: String?) {
        self.line = line
        self.transactionType = transactionType
        self.amountType = amountType
        self.amountDescription = amountDescription
        self.amountMinor = amountMinor
        self.date = date
        self.orderID = orderID
    }
}

/// A channel payout read from a file (a Shopify Payments transactions export, an eBay transaction report, or the
/// document a fetch wrote in the same format): its settlement, which adds up to the payout, and its rows.
public struct ChannelPayoutSettlement: Sendable {
    public var settlement: ParsedSettlement
    public var rows: [ChannelPayoutRow]

    /// The settlement of `rows`, whose sum the caller has checked against the payout.
    static func make(id: String, format: SettlementFormat, marketplace: String, currency: String, payoutDate: CalendarDate,
                     rows: [ChannelPayoutRow], hashOf raw: [String]) -> ChannelPayoutSettlement {
        var totals = GroupTotals()
        for r in rows {
            totals.add(transactionType: r.transactionType, amountType: r.amountType, amountDescription: r.amountDescription, date: r.date,
                       amount: r.amountMinor)
        }
        let dates = rows.compactMap(\.date)
        let header = SettlementHeader(id: id, format: format, currency: currency, startDate: min(dates.min() ?? payoutDate, payoutDate),
                                      endDate: payoutDate, depositDate: payoutDate, totalMinor: rows.reduce(0) { $0 + $1.amountMinor })
        let parsed = ParsedSettlement(header: header, marketplace: marketplace, groups: totals.groups(), rowCount: Set(rows.map(\.line)).count,
                                      encoding: "utf-8", decimalMark: ".", dateOrder: nil, contentHash: SHA256.hex(raw.joined(separator: "\n")))
        return ChannelPayoutSettlement(settlement: parsed, rows: rows)
    }
}

/// The channel export formats `lmb import` and `lmb fetch` read besides Amazon's and Etsy's.
public enum ChannelExports {
    /// A Shopify or eBay export told from its first line (and, for eBay's preamble, the lines after it).
    static func format(firstLine: String, path: String) -> SettlementFormat? {
        if ShopifyPaymentsExport.matches(firstLine: firstLine) { return .shopify }
        if EbayTransactionReport.matches(path: path) { return .ebay }
        return nil
    }

    /// The payouts a Shopify or eBay file holds; nil for any other format.
    public static func parse(path: String, format: SettlementFormat?, displayName: String? = nil) throws -> [ChannelPayoutSettlement]? {
        switch format {
        case .shopify?: return try ShopifyPaymentsExport(path: path, displayName: displayName).parse()
        case .ebay?: return try EbayTransactionReport(path: path, displayName: displayName).parse()
        default: return nil
        }
    }

    /// The payouts a Shopify or eBay file holds and the rows of payouts not yet paid it keeps; nil for any other format.
    static func contents(path: String, format: SettlementFormat?, displayName: String? = nil) throws -> ChannelExportContents? {
        switch format {
        case .shopify?: return try ShopifyPaymentsExport(path: path, displayName: displayName).contents()
        case .ebay?: return ChannelExportContents(payouts: try EbayTransactionReport(path: path, displayName: displayName).parse(), pending: [])
        default: return nil
        }
    }

    /// The CSV records of a file, decoded as Etsy statements are (UTF-8, else Windows-1252).
    static func records(path: String, displayName: String, what: String) throws -> [(line: Int, fields: [String])] {
        func fail(_ line: Int?, _ message: String) -> SettlementFileError { SettlementFileError(.malformed, file: displayName, line: line, message) }
        let reader: LineReader
        do { reader = try LineReader(path: path) } catch {
            if case .cannotOpen(_, let code) = error, code == ENOENT { throw SettlementFileError(.notFound, file: displayName, "no such file") }
            throw fail(nil, "cannot be read")
        }
        var records = CSVRecords(lines: reader, fail: fail)
        var out: [(Int, [String])] = []
        while let r = try records.next() { out.append((r.line, r.fields)) }
        guard !out.isEmpty else { throw fail(nil, "the file is empty; expected \(what)") }
        return out
    }

    /// One CSV line with every field quoted (for documents a fetch writes).
    static func csvLine(_ fields: [String]) -> String {
        fields.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ",")
    }
}

extension Importer {
    /// Channel payouts, all stored or none, each with its rows; the same content again is unchanged. In the same
    /// transaction, pending rows the payouts now hold are replaced by them, and the file's own pending rows are kept.
    func importChannelExport(_ contents: ChannelExportContents, format: SettlementFormat, source: String, conflict: Conflict,
                             record: Recorder?) throws -> ImportResult {
        try store.importing { writer in
            let outcomes = try importChannelPayouts(contents.payouts, writer: writer, source: source, conflict: conflict, record: record)
            guard format == .shopify else { return ImportResult(outcomes: outcomes) }
            let ids = contents.payouts.compactMap { p in p.settlement.header.id.hasPrefix("SHP-") ? String(p.settlement.header.id.dropFirst(4)) : nil }
            let replaced = try writer.replacePaidPendingRows(format: format, payoutIDs: ids)
            let (kept, alreadyPaid) = try writer.keepPendingRows(contents.pending, source: source)
            var totals: [PendingImport.Total] = []
            for r in kept {
                if let i = totals.firstIndex(where: { $0.currency == r.currency }) {
                    totals[i].rows += 1
                    totals[i].netMinor += r.netMinor
                } else {
                    totals.append(.init(currency: r.currency, rows: 1, netMinor: r.netMinor))
                }
            }
            let summary = PendingImport(kept: kept.count, alreadyPaid: alreadyPaid, replaced: replaced, totals: totals,
                                        waiting: try writer.pendingRowCount(format: format))
            let any = summary.kept + summary.alreadyPaid + summary.replaced > 0
            return ImportResult(outcomes: outcomes, pending: any ? summary : nil)
        }
    }

    func importChannelPayouts(_ payouts: [ChannelPayoutSettlement], writer: ImportWriter, source: String, conflict: Conflict,
                              record: Recorder?) throws -> [ImportOutcome] {
        try payouts.map { payout -> ImportOutcome in
            let p = payout.settlement
            let existingHash = try writer.storedHash(of: p.header.id)
            if let existingHash {
                if conflict != .replace {
                    let outcome = try unchangedOrRefused(p, storedHash: existingHash, source: source, what: "payout", conflict: conflict)
                    try record?(writer, outcome)
                    return outcome
                }
                try writer.removeForReplacement(p.header.id)
            }
            for r in payout.rows {
                try writer.insert(settlementID: p.header.id, line: r.line, transactionType: r.transactionType, amountType: r.amountType,
                                  amountDescription: r.amountDescription, amountMinor: r.amountMinor, postedDate: r.date,
                                  orderID: r.orderID, sku: nil, marketplace: p.marketplace)
            }
            try writer.saveSettlement(p, sourceFile: source, replacing: existingHash != nil,
                                      event: "imported \(p.rowCount) rows of \(p.header.format == .etsy ? "an Etsy payout" : "a \(p.header.format.displayName)") from \(Self.fileName(source))")
            let outcome: ImportOutcome = existingHash == nil ? .imported(p) : .replaced(p)
            try record?(writer, outcome)
            return outcome
        }
    }
}
