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
}
