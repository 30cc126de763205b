import Foundation
import GRDB
import GRDBSQLite

/// What importing one settlement did.
public enum ImportOutcome: Sendable, Equatable {
    case imported(ParsedSettlement)
    case replaced(ParsedSettlement)
    case unchanged(ParsedSettlement)
    /// Stored already with other content, and the stored one kept (a report Amazon regenerated).
    case kept(ParsedSettlement)

    public var settlement: ParsedSettlement {
        switch self {
        case .imported(let p), .replaced(let p), .unchanged(let p), .kept(let p): return p
        }
    }

    public var verb: String {
        switch self {
        case .imported: return "imported"
        case .replaced: return "replaced"
        case .unchanged: return "unchanged"
        case .kept: return "kept"
        }
    }
}

extension Store {
    /// Runs one import inside one write transaction: every row, the settlement and its event, or nothing.
    /// The importer drives the parser and hands the writer what to store; the store never parses.
    public func importing<T>(_ body: (ImportWriter) throws -> T) throws -> T {
        try dbQueue.write { db in try body(ImportWriter(db: db, store: self)) }
    }
}

/// The store's side of an import, valid only inside `Store.importing`.
public final class ImportWriter {
    let db: Database
    private var rowInsert: Statement?
    private var dates = DateTextCache()
    private var lastLine = -1
    private var seq = 0

    /// For the history and the timestamps, which use the store's clock.
    let store: Store

    init(db: Database, store: Store) {
        self.db = db
        self.store = store
    }

    /// The content hash stored for a settlement id, or nil when it is new.
    public func storedHash(of id: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT content_hash FROM settlement WHERE id = ?", arguments: [id])
    }

    /// Removes a stored settlement so a new file can take its place; refused once any part was sent or is sending.
    public func removeForReplacement(_ id: String) throws {
        let sent = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM posting WHERE settlement_id = ? AND state IN ('sent', 'sending', 'rolling-back', 'rolled-back')", arguments: [id]) ?? 0
        if sent > 0 {
            throw LMBError.data("settlement \(id) has been sent to Xero; it cannot be replaced (take it back first with lmb rollback \(id), then import it again)")
        }
        for table in ["transaction_row", "settlement_group", "posting", "settlement"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE \(table == "settlement" ? "id" : "settlement_id") = ?", arguments: [id])
        }
    }

    /// Stores one parsed amount of an Amazon report (the hot path: bound straight from the parser's bytes).
    public func insert(_ entry: borrowing ParsedEntry, settlementID: String, text: inout TextDecoding) throws {
        let statement = try rowStatement()
        if entry.line == lastLine { seq += 1 } else { seq = 0; lastLine = entry.line }
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, settlementID, -1, Self.transient)
        sqlite3_bind_int64(s, 2, Int64(entry.line))
        sqlite3_bind_int64(s, 3, Int64(seq))
        func bind(_ i: Int32, _ b: UnsafeBufferPointer<UInt8>, nullIfEmpty: Bool = false) throws {
            guard let base = b.baseAddress, !b.isEmpty else {
                if nullIfEmpty { sqlite3_bind_null(s, i) } else { sqlite3_bind_text(s, i, "", 0, Self.transient) }
                return
            }
            if b.contains(where: { $0 >= 0x80 }) {
                // Stored as UTF-8 whatever the file's encoding.
                sqlite3_bind_text(s, i, try text.string(b), -1, Self.transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: b.count) { sqlite3_bind_text(s, i, $0, Int32(b.count), Self.transient) }
        }
        try bind(4, entry.transactionType)
        try bind(5, entry.amountType)
        try bind(6, entry.amountDescription)
        sqlite3_bind_int64(s, 7, entry.amountMinor)
        if let d = entry.postedDate { sqlite3_bind_text(s, 8, dates.text(d), 10, Self.transient) } else { sqlite3_bind_null(s, 8) }
        try bind(9, entry.orderID, nullIfEmpty: true)
        try bind(10, entry.sku, nullIfEmpty: true)
        try bind(11, entry.marketplace, nullIfEmpty: true)
        if let q = Self.quantity(entry.quantity) { sqlite3_bind_int64(s, 12, q) } else { sqlite3_bind_null(s, 12) }
        // '' (not NULL) when the row states no channel: NULL is kept for rows imported before lmb stored it.
        try bind(13, entry.fulfilment)
        let rc = sqlite3_step(s)
        guard rc == SQLITE_DONE else {
            throw LMBError.io("the store refused a row: \(String(cString: sqlite3_errstr(rc)))")
        }
    }

    /// Stores one row given as text (an Etsy statement's).
    public func insert(settlementID: String, line: Int, transactionType: String, amountType: String, amountDescription: String,
                       amountMinor: Int64, postedDate: CalendarDate?, orderID: String?, sku: String?, marketplace: String?) throws {
        if line == lastLine { seq += 1 } else { seq = 0; lastLine = line }
        try rowStatement().execute(arguments: [settlementID, line, seq, transactionType, amountType, amountDescription, amountMinor,
                                               postedDate?.description, orderID, sku, marketplace, nil, nil])
    }

    /// Stores the settlement, its groups and an import event, once its rows are in.
    public func saveSettlement(_ p: ParsedSettlement, sourceFile: String, replacing: Bool, event: String) throws {
        let h = p.header
        try db.execute(sql: """
            INSERT INTO settlement (id, format, marketplace, currency, start_date, end_date, deposit_date, total_minor,
                row_count, content_hash, source_file, encoding, decimal_mark, date_order, imported_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [h.id, h.format.rawValue, p.marketplace, h.currency, h.startDate.description, h.endDate.description,
                             h.depositDate.description, h.totalMinor, p.rowCount, p.contentHash, sourceFile, p.encoding,
                             p.decimalMark, p.dateOrder, store.now()])
        let g = try db.makeStatement(sql: """
            INSERT INTO settlement_group (settlement_id, transaction_type, amount_type, amount_description, month, amount_minor, row_count)
            VALUES (?,?,?,?,?,?,?)
            """)
        for group in p.groups {
            try g.execute(arguments: [h.id, group.transactionType, group.amountType, group.amountDescription, group.month,
                                      group.amountMinor, group.count])
        }
        try store.recordEvent(db, kind: replacing ? .reimport : .import, settlementID: h.id, message: event,
                              detail: .object([("hash", .string(p.contentHash)), ("rows", .int(p.rowCount))]))
    }

    private func rowStatement() throws -> Statement {
        if let rowInsert { return rowInsert }
        let s = try db.makeStatement(sql: """
            INSERT INTO transaction_row (settlement_id, line, seq, transaction_type, amount_type, amount_description,
                amount_minor, posted_date, order_id, sku, marketplace, quantity, fulfilment) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        rowInsert = s
        return s
    }

    /// quantity-purchased as a whole number of units (spaces allowed around it); nil when empty or not a count.
    static func quantity(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        var negative = false
        for (i, c) in b.enumerated() {
            if c == 32 { continue }
            if c == 45, digits == 0, i + 1 < b.count { negative = true; continue }
            guard c >= 48, c <= 57, digits < 9 else { return nil }
            value = value * 10 + Int64(c - 48)
            digits += 1
        }
        return digits == 0 ? nil : (negative ? -value : value)
    }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The ISO text of the last date bound: rows share dates, so most rows reuse it.
    struct DateTextCache {
        var date: CalendarDate?
        var text = ""
        mutating func text(_ d: CalendarDate) -> String {
            if d != date { date = d; text = d.description }
            return text
        }
    }
}
