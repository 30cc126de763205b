import Foundation

/// Importing, the one path `lmb import` and `lmb fetch` share: read → parse → check → store. Amazon reports are
/// one settlement a file; an Etsy statement is one settlement per payout, all stored or none.
public struct Importer: Sendable {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// Imports every settlement in a file. `displayName` is what messages call the file (a report id, say).
    public func importFile(path: String, displayName: String? = nil, replace: Bool = false,
                           progress: SettlementParser.Progress? = nil) throws -> [ImportOutcome] {
        try InputFile.check(path, displayName: displayName)
        if EtsyStatementParser.detect(path: path) {
            return try importEtsy(path: path, displayName: displayName, replace: replace)
        }
        return [try importAmazon(path: path, displayName: displayName, replace: replace, progress: progress)]
    }

    /// An Amazon report streams straight into the store: rows are written as they are parsed, inside one
    /// transaction that the parser's refusal (or the sum not adding up) rolls back.
    func importAmazon(path: String, displayName: String?, replace: Bool, progress: SettlementParser.Progress?) throws -> ImportOutcome {
        let source = displayName ?? path
        let parser = SettlementParser(path: path, displayName: displayName)
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
            if let existingHash, !replace {
                return try unchangedOrRefused(parsed, storedHash: existingHash, source: source, what: "settlement")
            }
            try writer.saveSettlement(parsed, sourceFile: source, replacing: existingHash != nil,
                                      event: "imported \(parsed.rowCount) rows from \(Self.fileName(source))")
            return existingHash == nil ? .imported(parsed) : .replaced(parsed)
        }
    }

    func importEtsy(path: String, displayName: String?, replace: Bool) throws -> [ImportOutcome] {
        let source = displayName ?? path
        let payouts = try EtsyStatementParser(path: path, displayName: displayName).parse()
        return try store.importing { writer in
            try payouts.map { payout -> ImportOutcome in
                let p = payout.settlement
                let existingHash = try writer.storedHash(of: p.header.id)
                if let existingHash {
                    if !replace { return try unchangedOrRefused(p, storedHash: existingHash, source: source, what: "payout") }
                    try writer.removeForReplacement(p.header.id)
                }
                for r in payout.rows {
                    try writer.insert(settlementID: p.header.id, line: r.line, transactionType: r.type, amountType: "Etsy",
                                      amountDescription: EtsyStatementParser.describe(r.title), amountMinor: r.netMinor, postedDate: r.date,
                                      orderID: r.info.isEmpty ? nil : r.info, sku: nil, marketplace: "Etsy")
                }
                try writer.saveSettlement(p, sourceFile: source, replacing: existingHash != nil,
                                          event: "imported \(p.rowCount) rows of an Etsy payout from \(Self.fileName(source))")
                return existingHash == nil ? .imported(p) : .replaced(p)
            }
        }
    }

    /// The same content again changes nothing; other content under a stored id needs --replace.
    func unchangedOrRefused(_ p: ParsedSettlement, storedHash: String, source: String, what: String) throws -> ImportOutcome {
        if storedHash == p.contentHash { return .unchanged(p) }
        throw LMBError.data("\(source): \(what) \(p.header.id) is already imported with different content; use --replace to import this file instead")
    }

    static func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
