import Foundation
import GRDB

extension Store {
    /// When each settlement's documents were last recorded sent (the latest part), by settlement id.
    public func lastSentAt() throws -> [String: String] {
        try dbQueue.read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT settlement_id, MAX(updated_at) AS at FROM posting WHERE state = 'sent' GROUP BY settlement_id") {
                out[row["settlement_id"]] = row["at"]
            }
            return out
        }
    }

    /// The classification of each settlement's latest send attempt that failed, when that attempt is its latest.
    public func lastFailedAttempts() throws -> [String: String] {
        try dbQueue.read { db in
            var out: [String: String] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT settlement_id, detail FROM event WHERE id IN
                    (SELECT MAX(id) FROM event WHERE kind = 'send_attempt' AND settlement_id IS NOT NULL GROUP BY settlement_id)
                """)
            for row in rows {
                guard let text: String = row["detail"], let c = (try? JSON.parse(text))?["classification"]?.stringValue, c != "ok" else { continue }
                out[row["settlement_id"]] = c
            }
            return out
        }
    }
}
