import Foundation
import GRDB

/// Foreign-currency Reference updates still to make (Sending/ForeignCurrencyReference.swift): recorded before the
/// document's PUT, removed once its Reference (or a bill's number) carries the converted amount, so a run killed between
/// the PUT and the update leaves a row the next send completes.
extension Store {
    static func createPendingReferenceTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE pending_reference (
                settlement_id TEXT NOT NULL,
                invoice_number TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (settlement_id, invoice_number)
            );
            """)
    }

    public func recordPendingReferences(_ items: [(settlementID: String, invoiceNumber: String)]) throws {
        guard !items.isEmpty else { return }
        try dbQueue.write { db in
            for i in items {
                try db.execute(sql: "INSERT OR IGNORE INTO pending_reference (settlement_id, invoice_number, recorded_at) VALUES (?,?,?)",
                               arguments: [i.settlementID, i.invoiceNumber, self.now()])
            }
        }
    }

    /// Pending updates with the document as the store holds it now (nil: no such document any more).
    public func pendingReferences() throws -> [(settlementID: String, invoiceNumber: String, posting: StoredPosting?)] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT settlement_id, invoice_number FROM pending_reference ORDER BY settlement_id, invoice_number").map { row in
                let id: String = row["settlement_id"], number: String = row["invoice_number"]
                let p = try Row.fetchOne(db, sql: "SELECT * FROM posting WHERE settlement_id = ? AND invoice_number = ?", arguments: [id, number]).map(Self.posting)
                return (id, number, p)
            }
        }
    }

    public func clearPendingReference(settlementID: String, invoiceNumber: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM pending_reference WHERE settlement_id = ? AND invoice_number = ?", arguments: [settlementID, invoiceNumber])
        }
    }
}
