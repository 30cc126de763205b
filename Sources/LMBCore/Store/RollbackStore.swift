import Foundation
import GRDB

/// One document of an earlier generation of a settlement, taken back in Xero by `lmb rollback`.
public struct RolledBackDocument: Sendable, Equatable {
    public var settlementID: String
    public var generation: Int
    public var part: Int
    public var invoiceNumber: String
    public var type: String
    public var xeroInvoiceID: String?
    /// What Xero holds it as now: VOIDED or DELETED (or nothing, when it never reached Xero).
    public var xeroStatus: String?
    public var rolledBackAt: String
}

/// Rollback's records. A settlement's generation starts at 1 and goes up by one each time a rollback finishes; the
/// documents of the generation taken back move from `posting` to `posting_history`, so the settlement is `ready`
/// again and the next send posts the new generation's numbers (`Booking.revisionSuffix`).
extension Store {
    static func createRollbackTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE settlement_generation (
                settlement_id TEXT PRIMARY KEY NOT NULL,
                generation INTEGER NOT NULL
            );
            CREATE TABLE posting_history (
                settlement_id TEXT NOT NULL,
                generation INTEGER NOT NULL,
                part INTEGER NOT NULL,
                invoice_number TEXT NOT NULL,
                type TEXT NOT NULL,
                xero_invoice_id TEXT,
                xero_status TEXT,
                rolled_back_at TEXT NOT NULL,
                PRIMARY KEY (settlement_id, generation, part)
            );
            """)
    }

    /// The settlement's current generation: 1 until a rollback finishes.
    public func generation(settlementID: String) throws -> Int {
        try dbQueue.read { db in try Self.generation(db, settlementID) }
    }

    static func generation(_ db: Database, _ settlementID: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT generation FROM settlement_generation WHERE settlement_id = ?", arguments: [settlementID]) ?? 1
    }

    /// Records the intent before any request: these sent documents are being taken back in Xero.
    public func markRollingBack(settlementID: String, parts: [Int]) throws {
        try dbQueue.write { db in
            for part in parts {
                try db.execute(sql: "UPDATE posting SET state = 'rolling-back', updated_at = ? WHERE settlement_id = ? AND part = ? AND state IN ('sent', 'rolling-back')",
                               arguments: [self.now(), settlementID, part])
            }
        }
    }

    /// Xero holds the document as VOIDED or DELETED now.
    public func markRolledBack(settlementID: String, part: Int, invoiceNumber: String, xeroStatus: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE posting SET state = 'rolled-back', xero_status = ?, updated_at = ? WHERE settlement_id = ? AND part = ?",
                           arguments: [xeroStatus, self.now(), settlementID, part])
            try self.recordEvent(db, kind: .rollback, settlementID: settlementID,
                                 message: "\(invoiceNumber) \(xeroStatus.lowercased()) in Xero")
        }
    }

    /// A document that never reached Xero (refused, or unsure and not found there): nothing to take back.
    public func forgetPosting(settlementID: String, part: Int) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM posting WHERE settlement_id = ? AND part = ? AND state IN ('sending', 'failed')",
                           arguments: [settlementID, part])
        }
    }

    /// Every document is taken back: in one transaction they move to the history, the generation goes up, and the
    /// settlement is `ready` again. Returns the new generation. Does nothing (returns the current one) while a
    /// document is not yet `rolled-back`.
    @discardableResult
    public func finishRollback(settlementID: String) throws -> Int {
        try dbQueue.write { db in
            let current = try Self.generation(db, settlementID)
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE settlement_id = ? ORDER BY part", arguments: [settlementID])
            guard rows.allSatisfy({ ($0["state"] as String) == PostingState.rolledBack.rawValue }) else { return current }
            let at = self.now()
            for row in rows {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO posting_history (settlement_id, generation, part, invoice_number, type, xero_invoice_id, xero_status, rolled_back_at)
                    VALUES (?,?,?,?,?,?,?,?)
                    """, arguments: [settlementID, current, row["part"] as Int, row["invoice_number"] as String, row["type"] as String,
                                     row["xero_invoice_id"] as String?, row["xero_status"] as String?, at])
            }
            try db.execute(sql: "DELETE FROM posting WHERE settlement_id = ?", arguments: [settlementID])
            let next = current + 1
            try db.execute(sql: """
                INSERT INTO settlement_generation (settlement_id, generation) VALUES (?, ?)
                ON CONFLICT(settlement_id) DO UPDATE SET generation = excluded.generation
                """, arguments: [settlementID, next])
            let numbers = rows.map { "\($0["invoice_number"] as String) (\(($0["xero_status"] as String?) ?? "gone"))" }
            try self.recordEvent(db, kind: .rollback, settlementID: settlementID,
                                 message: "generation \(current) rolled back: \(numbers.joined(separator: ", ")); the settlement is ready, and the next send posts generation \(next) (numbers ending \(Booking.revisionSuffix(next)))",
                                 detail: .object([("generation", .int(current)), ("next", .int(next)),
                                                  ("invoiceNumbers", .array(rows.map { .string($0["invoice_number"] as String) })),
                                                  ("invoiceIds", .array(rows.compactMap { ($0["xero_invoice_id"] as String?).map(JSON.string) }))]))
            return next
        }
    }

    /// The documents of earlier generations, oldest first.
    public func rolledBackDocuments(settlementID: String) throws -> [RolledBackDocument] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM posting_history WHERE settlement_id = ? ORDER BY generation, part", arguments: [settlementID]).map {
                RolledBackDocument(settlementID: $0["settlement_id"], generation: $0["generation"], part: $0["part"], invoiceNumber: $0["invoice_number"],
                                   type: $0["type"], xeroInvoiceID: $0["xero_invoice_id"], xeroStatus: $0["xero_status"], rolledBackAt: $0["rolled_back_at"])
            }
        }
    }
}
