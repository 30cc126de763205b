import Foundation
import GRDB

/// Rows of channel payouts not yet paid (Importing/PendingPayoutRows.swift): kept, shown, never sent. Only the import
/// writes them, inside its own transaction, so a file's payouts and its pending rows are stored together or not at all.
extension Store {
    static func createPendingPayoutRowTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE pending_payout_row (
                format TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                transaction_date TEXT NOT NULL,
                posted_date TEXT NOT NULL,
                transaction_type TEXT NOT NULL,
                order_id TEXT,
                currency TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                fee_minor INTEGER NOT NULL,
                net_minor INTEGER NOT NULL,
                payout_status TEXT NOT NULL,
                payout_date TEXT,
                payout_id TEXT,
                source_file TEXT NOT NULL,
                source_line INTEGER NOT NULL,
                kept_at TEXT NOT NULL,
                PRIMARY KEY (format, fingerprint)
            ) WITHOUT ROWID;
            """)
    }

    /// The pending rows of one channel, oldest first.
    public func pendingPayoutRows(format: SettlementFormat) throws -> [PendingPayoutRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pending_payout_row WHERE format = ? ORDER BY posted_date, transaction_date, source_line",
                             arguments: [format.rawValue]).map { r in
                PendingPayoutRow(format: format, fingerprint: r["fingerprint"], line: r["source_line"], transactionDate: r["transaction_date"],
                                 date: CalendarDate(iso: r["posted_date"]) ?? CalendarDate(year: 1970, month: 1, day: 1)!,
                                 transactionType: r["transaction_type"], orderID: r["order_id"], currency: r["currency"],
                                 amountMinor: r["amount_minor"], feeMinor: r["fee_minor"], netMinor: r["net_minor"],
                                 payoutStatus: r["payout_status"], payoutDate: (r["payout_date"] as String?).flatMap { CalendarDate(iso: $0) },
                                 payoutID: r["payout_id"])
            }
        }
    }
}

extension ImportWriter {
    /// A stored settlement of the channel already holds this row: the same type, order and amount, dated within a day
    /// (an export writes the shop's time, a fetched payout UTC). CROSS JOIN keeps SQLite reading the channel's
    /// settlements first and only their rows (by primary key), never every Amazon row in the store.
    private static let paidMatch = """
        EXISTS (SELECT 1 FROM settlement s CROSS JOIN transaction_row t ON t.settlement_id = s.id
                WHERE s.format = p.format AND t.transaction_type = p.transaction_type AND t.amount_description = 'Amount'
                  AND t.amount_minor = p.amount_minor AND t.order_id IS p.order_id
                  AND t.posted_date BETWEEN date(p.posted_date, '-1 day') AND date(p.posted_date, '+1 day'))
        """

    /// Removes the channel's pending rows that a stored settlement now holds (or whose payout id it is); their count.
    func replacePaidPendingRows(format: SettlementFormat, payoutIDs: [String]) throws -> Int {
        let ids = payoutIDs.isEmpty ? "" : " OR p.payout_id IN (\(payoutIDs.map { _ in "?" }.joined(separator: ",")))"
        var arguments: [any DatabaseValueConvertible] = [format.rawValue]
        arguments += payoutIDs.map { $0 as any DatabaseValueConvertible }
        try db.execute(sql: "DELETE FROM pending_payout_row AS p WHERE p.format = ? AND (\(Self.paidMatch)\(ids))",
                       arguments: StatementArguments(arguments))
        return db.changesCount
    }

    /// Keeps a file's pending rows (a row seen before takes this file's status and payout date), except those a stored
    /// settlement already holds; what it did.
    func keepPendingRows(_ rows: [PendingPayoutRow], source: String) throws -> (kept: [PendingPayoutRow], alreadyPaid: Int) {
        var kept: [PendingPayoutRow] = []
        var alreadyPaid = 0
        let now = store.now()
        for r in rows {
            try db.execute(sql: """
                INSERT INTO pending_payout_row (format, fingerprint, transaction_date, posted_date, transaction_type, order_id, currency,
                    amount_minor, fee_minor, net_minor, payout_status, payout_date, payout_id, source_file, source_line, kept_at)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT (format, fingerprint) DO UPDATE SET payout_status = excluded.payout_status, payout_date = excluded.payout_date,
                    payout_id = excluded.payout_id, source_file = excluded.source_file, source_line = excluded.source_line
                """, arguments: [r.format.rawValue, r.fingerprint, r.transactionDate, r.date.description, r.transactionType, r.orderID, r.currency,
                                 r.amountMinor, r.feeMinor, r.netMinor, r.payoutStatus, r.payoutDate?.description, r.payoutID, source, r.line, now])
            try db.execute(sql: "DELETE FROM pending_payout_row AS p WHERE p.format = ? AND p.fingerprint = ? AND \(Self.paidMatch)",
                           arguments: [r.format.rawValue, r.fingerprint])
            if db.changesCount > 0 { alreadyPaid += 1 } else { kept.append(r) }
        }
        return (kept, alreadyPaid)
    }

    func pendingRowCount(format: SettlementFormat) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_payout_row WHERE format = ?", arguments: [format.rawValue]) ?? 0
    }
}
