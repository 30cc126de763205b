import Foundation
import GRDB
import GRDBSQLite

/// Where a settlement stands, as `lmb settlements` shows it.
public enum SettlementStatus: String, Sendable, CaseIterable, Codable {
    case ready
    case needsMapping = "needs-mapping"
    case sending
    case sent
    case failed
}

/// A settlement as stored.
public struct StoredSettlement: Sendable, Equatable {
    public var header: SettlementHeader
    public var marketplace: String
    public var rowCount: Int
    public var contentHash: String
    public var sourceFile: String
    public var importedAt: String
    public var groups: [SettlementGroup]
    /// Posting states by part, from the store ("pending", "sending", "sent", "failed").
    public var postingStates: [String]
}

public enum ImportOutcome: Sendable, Equatable {
    case imported(ParsedSettlement)
    case replaced(ParsedSettlement)
    case unchanged(ParsedSettlement)
}

extension Store {
    /// Imports one settlement file, atomically: every row, the groups and the postings, or nothing.
    public func importFile(path: String, displayName: String? = nil, replace: Bool = false, mapping: Mapping,
                           progress: SettlementParser.Progress? = nil) throws -> ImportOutcome {
        let parser = SettlementParser(path: path, displayName: displayName)
        return try dbQueue.write { db -> ImportOutcome in
            var existing: Row?
            var writeRows = true
            var settlementID = ""
            var insert: Statement?
            var lastLine = -1
            var seq = 0
            var dateText = DateTextCache()

            let parsed = try parser.parse(progress: progress, onHeader: { header in
                settlementID = header.id
                existing = try Row.fetchOne(db, sql: "SELECT content_hash FROM settlement WHERE id = ?", arguments: [header.id])
                if existing != nil {
                    if replace {
                        try Store.refuseIfSent(db, header.id)
                        try Store.deleteSettlement(db, header.id)
                    } else {
                        writeRows = false  // read on only to compare contents
                    }
                }
                if writeRows {
                    insert = try db.makeStatement(sql: """
                        INSERT INTO transaction_row (settlement_id, line, seq, transaction_type, amount_type, amount_description,
                            amount_minor, posted_date, order_id, sku, marketplace) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                        """)
                }
            }, onEntry: { entry, text in
                guard writeRows, let statement = insert?.sqliteStatement else { return }
                if entry.line == lastLine { seq += 1 } else { seq = 0; lastLine = entry.line }
                try Store.insertRow(statement, settlementID, entry, seq, &dateText, &text)
            })

            if let existing, !replace {
                let storedHash: String = existing["content_hash"]
                if storedHash == parsed.contentHash { return .unchanged(parsed) }
                throw LMBError.data("\(displayName ?? path): settlement \(parsed.header.id) is already imported with different content; use --replace to import this file instead")
            }
            try Store.insertSettlement(db, parsed, sourceFile: displayName ?? path, mapping: mapping)
            try Store.recordEvent(db, kind: existing == nil ? "import" : "reimport", settlementID: parsed.header.id,
                                  message: "imported \(parsed.rowCount) rows from \(URL(fileURLWithPath: displayName ?? path).lastPathComponent)",
                                  detail: .object([("hash", .string(parsed.contentHash)), ("rows", .int(parsed.rowCount))]))
            return existing == nil ? .imported(parsed) : .replaced(parsed)
        }
    }

    /// The ISO text of the last date bound: rows share dates, so most rows reuse it.
    struct DateTextCache {
        var date: CalendarDate?
        var text = ""
        mutating func text(_ d: CalendarDate) -> String {
            if d != date { date = d; text = d.description }
            return text
        }
    }

    /// Any supported statement: an Amazon report is one settlement; an Etsy statement one per payout, all or none.
    public func importStatement(path: String, displayName: String? = nil, replace: Bool = false, mapping: Mapping,
                                progress: SettlementParser.Progress? = nil) throws -> [ImportOutcome] {
        guard EtsyStatementParser.detect(path: path) else {
            return [try importFile(path: path, displayName: displayName, replace: replace, mapping: mapping, progress: progress)]
        }
        let payouts = try EtsyStatementParser(path: path, displayName: displayName).parse()
        let name = URL(fileURLWithPath: displayName ?? path).lastPathComponent
        return try dbQueue.write { db in
            try payouts.map { payout -> ImportOutcome in
                let p = payout.settlement
                let existing = try String.fetchOne(db, sql: "SELECT content_hash FROM settlement WHERE id = ?", arguments: [p.header.id])
                if let existing {
                    if existing == p.contentHash && !replace { return .unchanged(p) }
                    guard replace else {
                        throw LMBError.data("\(displayName ?? path): payout \(p.header.id) is already imported with different content; use --replace to import this file instead")
                    }
                    try Store.refuseIfSent(db, p.header.id)
                    try Store.deleteSettlement(db, p.header.id)
                }
                let insert = try db.makeStatement(sql: """
                    INSERT INTO transaction_row (settlement_id, line, seq, transaction_type, amount_type, amount_description,
                        amount_minor, posted_date, order_id, sku, marketplace) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """)
                for r in payout.rows {
                    try insert.execute(arguments: [p.header.id, r.line, 0, r.type, "Etsy", EtsyStatementParser.describe(r.title), r.netMinor,
                                                   r.date.description, r.info.isEmpty ? nil : r.info, nil, "Etsy"])
                }
                try Store.insertSettlement(db, p, sourceFile: displayName ?? path, mapping: mapping)
                try Store.recordEvent(db, kind: existing == nil ? "import" : "reimport", settlementID: p.header.id,
                                      message: "imported \(p.rowCount) rows of an Etsy payout from \(name)",
                                      detail: .object([("hash", .string(p.contentHash)), ("rows", .int(p.rowCount))]))
                return existing == nil ? .imported(p) : .replaced(p)
            }
        }
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func insertRow(_ s: OpaquePointer, _ settlementID: String, _ e: borrowing ParsedEntry, _ seq: Int, _ dates: inout DateTextCache,
                          _ text: inout TextDecoding) throws {
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, settlementID, -1, transient)
        sqlite3_bind_int64(s, 2, Int64(e.line))
        sqlite3_bind_int64(s, 3, Int64(seq))
        func bind(_ i: Int32, _ b: UnsafeBufferPointer<UInt8>, nullIfEmpty: Bool = false) throws {
            if b.isEmpty {
                if nullIfEmpty { sqlite3_bind_null(s, i) } else { sqlite3_bind_text(s, i, "", 0, transient) }
                return
            }
            if b.contains(where: { $0 >= 0x80 }) {
                // Stored as UTF-8 whatever the file's encoding.
                sqlite3_bind_text(s, i, try text.string(b), -1, transient)
                return
            }
            _ = b.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(s, i, $0.baseAddress, Int32($0.count), transient) }
        }
        try bind(4, e.transactionType)
        try bind(5, e.amountType)
        try bind(6, e.amountDescription)
        sqlite3_bind_int64(s, 7, e.amountMinor)
        if let d = e.postedDate { sqlite3_bind_text(s, 8, dates.text(d), 10, transient) } else { sqlite3_bind_null(s, 8) }
        try bind(9, e.orderID, nullIfEmpty: true)
        try bind(10, e.sku, nullIfEmpty: true)
        try bind(11, e.marketplace, nullIfEmpty: true)
        let rc = sqlite3_step(s)
        guard rc == SQLITE_DONE else {
            throw LMBError.io("the store refused a row: \(String(cString: sqlite3_errstr(rc)))")
        }
    }

    static func insertSettlement(_ db: Database, _ p: ParsedSettlement, sourceFile: String, mapping: Mapping) throws {
        let h = p.header
        try db.execute(sql: """
            INSERT INTO settlement (id, format, marketplace, currency, start_date, end_date, deposit_date, total_minor,
                row_count, content_hash, source_file, encoding, decimal_mark, date_order, imported_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [h.id, h.format.rawValue, p.marketplace, h.currency, h.startDate.description, h.endDate.description,
                             h.depositDate.description, h.totalMinor, p.rowCount, p.contentHash, sourceFile, p.encoding,
                             p.decimalMark, p.dateOrder, Store.now()])
        let g = try db.makeStatement(sql: """
            INSERT INTO settlement_group (settlement_id, transaction_type, amount_type, amount_description, month, amount_minor, row_count)
            VALUES (?,?,?,?,?,?,?)
            """)
        for group in p.groups {
            try g.execute(arguments: [h.id, group.transactionType, group.amountType, group.amountDescription, group.month,
                                      group.amountMinor, group.count])
        }
        try savePostings(db, settlementID: h.id, Ledger(mapping: mapping).book(header: h, marketplace: p.marketplace, groups: p.groups).postings)
    }

    /// Replaces the not-yet-sent postings of a settlement with freshly computed ones.
    static func savePostings(_ db: Database, settlementID: String, _ postings: [Posting]) throws {
        try db.execute(sql: "DELETE FROM posting WHERE settlement_id = ? AND state = 'pending'", arguments: [settlementID])
        for p in postings {
            try db.execute(sql: """
                INSERT OR IGNORE INTO posting (settlement_id, part, invoice_number, type, total_minor, body, updated_at)
                VALUES (?,?,?,?,?,?,?)
                """, arguments: [settlementID, p.part, p.invoiceNumber, p.type.rawValue, p.totalMinor,
                                 p.xeroInvoice().rendered(pretty: false), Store.now()])
        }
    }

    static func refuseIfSent(_ db: Database, _ id: String) throws {
        let sent = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM posting WHERE settlement_id = ? AND state IN ('sent', 'sending')", arguments: [id]) ?? 0
        if sent > 0 {
            throw LMBError.data("settlement \(id) has been sent to Xero; it cannot be replaced (void or delete it in Xero first, then import it under review)")
        }
    }

    static func deleteSettlement(_ db: Database, _ id: String) throws {
        try db.execute(sql: "DELETE FROM transaction_row WHERE settlement_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM settlement_group WHERE settlement_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM posting WHERE settlement_id = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM settlement WHERE id = ?", arguments: [id])
    }

    // MARK: Reading

    public func settlement(id: String) throws -> StoredSettlement? {
        try dbQueue.read { db in try Store.loadSettlement(db, id: id) }
    }

    public func allSettlements() throws -> [StoredSettlement] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM settlement ORDER BY end_date, id").compactMap { try Store.loadSettlement(db, id: $0) }
        }
    }

    public func transactionCount(settlementID: String) throws -> Int {
        try dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transaction_row WHERE settlement_id = ?", arguments: [settlementID]) ?? 0 }
    }

    static func loadSettlement(_ db: Database, id: String) throws -> StoredSettlement? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM settlement WHERE id = ?", arguments: [id]) else { return nil }
        func date(_ column: String) throws -> CalendarDate {
            guard let d = CalendarDate(iso: row[column]) else { throw LMBError.io("the store holds a bad \(column) for \(id)") }
            return d
        }
        guard let format = SettlementFormat(rawValue: row["format"]) else { throw LMBError.io("the store holds an unknown format for \(id)") }
        let header = SettlementHeader(id: row["id"], format: format, currency: row["currency"], startDate: try date("start_date"),
                                      endDate: try date("end_date"), depositDate: try date("deposit_date"), totalMinor: row["total_minor"])
        let groups = try Row.fetchAll(db, sql: "SELECT * FROM settlement_group WHERE settlement_id = ? ORDER BY rowid", arguments: [id]).map {
            SettlementGroup(transactionType: $0["transaction_type"], amountType: $0["amount_type"], amountDescription: $0["amount_description"],
                            month: $0["month"], amountMinor: $0["amount_minor"], count: $0["row_count"])
        }
        let states = try String.fetchAll(db, sql: "SELECT state FROM posting WHERE settlement_id = ? ORDER BY part", arguments: [id])
        return StoredSettlement(header: header, marketplace: row["marketplace"], rowCount: row["row_count"], contentHash: row["content_hash"],
                                sourceFile: row["source_file"], importedAt: row["imported_at"], groups: groups, postingStates: states)
    }
}

extension StoredSettlement {
    /// Sent, sending and failed come from the store; otherwise the current mapping decides ready or needs-mapping.
    public func status(ledger: LedgerResult) -> SettlementStatus {
        if !postingStates.isEmpty && postingStates.allSatisfy({ $0 == "sent" }) { return .sent }
        if postingStates.contains("sending") { return .sending }
        if ledger.needsMapping { return .needsMapping }
        if postingStates.contains("failed") { return .failed }
        return .ready
    }
}
