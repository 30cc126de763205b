import Foundation

/// Importing, the one path `lmb import` and `lmb fetch` share: read → parse → check → store. Amazon reports are
/// one settlement a file; an Etsy statement is one settlement per payout, all stored or none.
public struct Importer: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// What to do when a settlement id is stored already with other content.
    public enum Conflict: Sendable {
        /// Refuse the file (`lmb import`): the person decides with --replace.
        case refuse
        /// Replace the stored settlement, unless it was sent (`lmb import --replace`).
        case replace
        /// Keep the stored settlement and report the file's as `.kept` (`lmb fetch`: Amazon regenerated a report).
        case keepStored
    }

    /// Runs inside the import's transaction once each settlement is stored (or found stored): what else must be
    /// recorded with it, atomically (`lmb fetch` records the report it came from).
    public typealias Recorder = (ImportWriter, ImportOutcome) throws -> Void

    /// Imports every settlement in a file. `displayName` is what messages call the file (a report id, say).
    public func importFile(path: String, displayName: String? = nil, replace: Bool = false,
                           progress: SettlementParser.Progress? = nil) throws -> [ImportOutcome] {
        try importFile(path: path, displayName: displayName, conflict: replace ? .replace : .refuse, progress: progress)
    }

    public func importFile(path: String, displayName: String? = nil, conflict: Conflict, progress: SettlementParser.Progress? = nil,
                           recording record: Recorder? = nil) throws -> [ImportOutcome] {
        try importContents(path: path, displayName: displayName, conflict: conflict, progress: progress, recording: record).outcomes
    }

    /// Imports every settlement in a file and, for a channel export, keeps its rows of payouts not yet paid.
    public func importContents(path: String, displayName: String? = nil, conflict: Conflict, progress: SettlementParser.Progress? = nil,
                               recording record: Recorder? = nil) throws -> ImportResult {
        try InputFile.check(path, displayName: displayName)
        if VATTransactionsReport.detect(path: path) {
            throw SettlementFileError(.malformed, file: displayName ?? path,
                                      "Amazon's VAT Transactions Report, not a settlement: store it with 'lmb import' (it is not sent to Xero)")
        }
        let format = SettlementFormat.detect(path: path)
        if format == .etsy {
            return ImportResult(outcomes: try importEtsy(path: path, displayName: displayName, conflict: conflict, record: record))
        }
        if let contents = try ChannelExports.contents(path: path, format: format, displayName: displayName) {
            return try importChannelExport(contents, format: format!, source: displayName ?? path, conflict: conflict, record: record)
        }
        return ImportResult(outcomes: [try importAmazon(path: path, displayName: displayName, conflict: conflict, progress: progress, record: record)])
    }

    /// An Amazon report streams straight into the store: rows are written as they are parsed, inside one
    /// transaction that the parser's refusal (or the sum not adding up) rolls back.
    func importAmazon(path: String, displayName: String?, conflict: Conflict, progress: SettlementParser.Progress?,
                      record: Recorder?) throws -> ImportOutcome {
        let source = displayName ?? path
        let parser = SettlementParser(path: path, displayName: displayName)
        let replace = conflict == .replace
        return try store.importing { writer in
            var existingHash: String?
            var settlementID = ""
            let parsed = try parser.parse(progress: progress, onHeader: { header in
                settlementID = header.id
                existingHash = try writer.storedHash(of: header.id)
                if existingHash != nil && replace { try writer.removeForReplacement(header.id) }
            }, onEntry: { entry, text in
                // A settlement stored already is read on only to compare contents.
                guard existingHash == nil || replace else { return }
                try writer.insert(entry, settlementID: settlementID, text: &text)
            })
            let outcome: ImportOutcome
            if let existingHash, !replace {
                outcome = try unchangedOrRefused(parsed, storedHash: existingHash, source: source, what: "settlement", conflict: conflict)
            } else {
                try writer.saveSettlement(parsed, sourceFile: source, replacing: existingHash != nil,
                                          event: "imported \(parsed.rowCount) rows from \(Self.fileName(source))")
                outcome = existingHash == nil ? .imported(parsed) : .replaced(parsed)
            }
            try record?(writer, outcome)
            return outcome
        }
    }

    func importEtsy(path: String, displayName: String?, conflict: Conflict, record: Recorder?) throws -> [ImportOutcome] {
        let source = displayName ?? path
        let payouts = try EtsyStatementParser(path: path, displayName: displayName).parse()
        // One path for every payout-per-row format: the rows as channel rows, stored as Shopify's and eBay's are.
        let channelPayouts = payouts.map { payout in
            ChannelPayoutSettlement(settlement: payout.settlement, rows: payout.rows.map { r in
                ChannelPayoutRow(line: r.line, transactionType: r.type, amountType: "Etsy", amountDescription: EtsyStatementParser.describe(r.title),
                                 amountMinor: r.netMinor, date: r.date, orderID: r.info.isEmpty ? nil : r.info)
            })
        }
        return try store.importing { writer in
            try importChannelPayouts(channelPayouts, writer: writer, source: source, conflict: conflict, record: record)
        }
    }

    // MARK: Amazon's VAT Transactions Report

    /// Stores a VAT Transactions Report (not a settlement): parsed whole, then stored in one transaction; the same
    /// file again stores nothing. `months`, when given, are the months the report was asked for (a fetch knows them).
    public func importVATReport(path: String, displayName: String? = nil, months: [String]? = nil) throws -> VATReportImport {
        try InputFile.check(path, displayName: displayName)
        let source = displayName ?? path
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw LMBError.io("\(source): cannot be read: \(error.localizedDescription)")
        }
        return try importVATReport(data: data, source: source, months: months)
    }

    public func importVATReport(data: Data, source: String, months: [String]? = nil) throws -> VATReportImport {
        let hash = SHA256()
        data.withUnsafeBytes { hash.update($0) }
        var report = try VATTransactionsReport.parse(data, source: source)
        if let months { report.months = Array(Set(report.months).union(months)).sorted() }
        return try store.storeVATReport(report, source: source, sha256: hash.hexDigest())
    }

    /// The same content again changes nothing; other content under a stored id needs --replace, or is kept aside.
    func unchangedOrRefused(_ p: ParsedSettlement, storedHash: String, source: String, what: String, conflict: Conflict) throws -> ImportOutcome {
        if storedHash == p.contentHash { return .unchanged(p) }
        if conflict == .keepStored { return .kept(p) }
        throw LMBError.data("\(source): \(what) \(p.header.id) is already imported with different content; use --replace to import this file instead")
    }

    static func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
