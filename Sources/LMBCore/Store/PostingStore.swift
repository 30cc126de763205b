import Foundation
import GRDB

/// One document of a settlement as a send recorded it: the body and idempotency key are stored before the
/// request, so a crash or a lost answer can be resolved on the next run without posting twice.
public struct StoredPosting: Sendable, Equatable {
    public var settlementID: String
    public var part: Int
    public var invoiceNumber: String
    public var type: String
    public var state: PostingState
    public var body: String
    public var idempotencyKey: String?
    public var xeroInvoiceID: String?
    public var xeroStatus: String?
}

extension Store {
    /// Every document left `sending` by an earlier run (a crash, or an answer that never came).
    public func unsurePostings() throws -> [StoredPosting] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE state = 'sending' ORDER BY settlement_id, part").map(Self.posting)
        }
    }

    public func postings(settlementID: String) throws -> [StoredPosting] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE settlement_id = ? ORDER BY part", arguments: [settlementID]).map(Self.posting)
        }
    }

    /// Records documents as `sending`, with their bodies and keys, in one transaction, before any request.
    /// Parts a settlement no longer has (its booking changed after a failed send) are forgotten.
    public func recordSending(_ documents: [StoredPosting]) throws {
        try dbQueue.write { db in
            for doc in documents {
                try db.execute(sql: """
                    INSERT INTO posting (settlement_id, part, invoice_number, type, body, state, idempotency_key, updated_at)
                    VALUES (?,?,?,?,?,'sending',?,?)
                    ON CONFLICT(settlement_id, part) DO UPDATE SET invoice_number = excluded.invoice_number, type = excluded.type,
                        body = excluded.body, state = 'sending', idempotency_key = excluded.idempotency_key, updated_at = excluded.updated_at
                    """, arguments: [doc.settlementID, doc.part, doc.invoiceNumber, doc.type, doc.body, doc.idempotencyKey, self.now()])
            }
        }
    }

    /// Forgets the failed parts of a settlement that its current booking no longer has.
    public func forgetFailedParts(settlementID: String, keeping parts: Set<Int>) throws {
        try dbQueue.write { db in
            let stored = try Int.fetchAll(db, sql: "SELECT part FROM posting WHERE settlement_id = ? AND state = 'failed'", arguments: [settlementID])
            for part in stored where !parts.contains(part) {
                try db.execute(sql: "DELETE FROM posting WHERE settlement_id = ? AND part = ? AND state = 'failed'", arguments: [settlementID, part])
            }
        }
    }

    /// Xero holds the document: record its InvoiceID. `recovered` says it was found rather than just created.
    public func markSent(settlementID: String, part: Int, invoiceNumber: String, invoiceID: String, xeroStatus: String?, recovered: Bool) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE posting SET state = 'sent', xero_invoice_id = ?, xero_status = ?, updated_at = ? WHERE settlement_id = ? AND part = ?",
                           arguments: [invoiceID, xeroStatus, self.now(), settlementID, part])
            if recovered {
                try self.recordEvent(db, kind: .recovered, settlementID: settlementID,
                                      message: "\(invoiceNumber) found in Xero (InvoiceID \(invoiceID)); recorded as sent without sending again")
            }
        }
    }

    /// Xero answered with a refusal: nothing was created, so the document may be sent again.
    public func markRefused(settlementID: String, part: Int) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE posting SET state = 'failed', updated_at = ? WHERE settlement_id = ? AND part = ? AND state = 'sending'",
                           arguments: [self.now(), settlementID, part])
        }
    }

    static func posting(_ row: Row) -> StoredPosting {
        StoredPosting(settlementID: row["settlement_id"], part: row["part"], invoiceNumber: row["invoice_number"], type: row["type"],
                      state: PostingState(rawValue: row["state"]) ?? .sending, body: row["body"], idempotencyKey: row["idempotency_key"], xeroInvoiceID: row["xero_invoice_id"],
                      xeroStatus: row["xero_status"])
    }
}
