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
    /// Held until Amazon's VAT Transactions Report covers its period (a tax profile with await_vat_report).
    case awaitingVAT = "awaiting-vat"
    /// `lmb rollback` began taking its documents back in Xero and has not finished: run it again.
    case rollingBack = "rolling-back"
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
    /// What each document recorded by a send became; empty before any send.
    public var postingStates: [PartState]
}

/// The state a send recorded for one part of a settlement (a month, when split).
public struct PartState: Sendable, Equatable {
    public var part: Int
    public var state: PostingState

    public init(part: Int, state: PostingState) {
        self.part = part
        self.state = state
    }
}

extension Store {
    // MARK: Reading

    public func settlement(id: String) throws -> StoredSettlement? {
        try dbQueue.read { db in try Store.loadSettlement(db, id: id) }
    }

    public func allSettlements() throws -> [StoredSettlement] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM settlement ORDER BY end_date, id").compactMap { try Store.loadSettlement(db, id: $0) }
        }
    }

    /// One stored transaction row, as booking by marketplace or SKU reads it.
    public struct StoredTransaction: Sendable {
        public var transactionType: String
        public var amountType: String
        public var amountDescription: String
        public var amountMinor: Int64
        public var postedDate: CalendarDate?
        public var sku: String?
        public var marketplace: String?
        public var orderID: String? = nil
    }

    /// Streams a settlement's rows in file order without holding them all.
    public func forEachTransaction(settlementID: String, _ body: (StoredTransaction) throws -> Void) throws {
        try dbQueue.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT transaction_type, amount_type, amount_description, amount_minor, posted_date, sku, marketplace, order_id
                FROM transaction_row WHERE settlement_id = ? ORDER BY line, seq
                """, arguments: [settlementID])
            while let row = try rows.next() {
                try body(StoredTransaction(transactionType: row[0], amountType: row[1], amountDescription: row[2], amountMinor: row[3],
                                           postedDate: (row[4] as String?).flatMap(CalendarDate.init(iso:)), sku: row[5], marketplace: row[6],
                                           orderID: row[7]))
            }
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
        let states = try Row.fetchAll(db, sql: "SELECT part, state FROM posting WHERE settlement_id = ? ORDER BY part", arguments: [id])
            .map { PartState(part: $0["part"], state: PostingState(rawValue: $0["state"]) ?? .sending) }
        return StoredSettlement(header: header, marketplace: row["marketplace"], rowCount: row["row_count"], contentHash: row["content_hash"],
                                sourceFile: row["source_file"], importedAt: row["imported_at"], groups: groups, postingStates: states)
    }
}
