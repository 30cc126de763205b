import Foundation
import GRDB

extension Store {
    /// The events `lmb log` shows, oldest first: filtered by settlement, by the day they start from and by kind.
    public func events(settlementID: String?, since: CalendarDate?, kinds: [String]) throws -> [Event] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let settlementID { clauses.append("settlement_id = ?"); arguments.append(settlementID) }
        if let since { clauses.append("at >= ?"); arguments.append(since.description) }
        if !kinds.isEmpty {
            clauses.append("kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))")
            arguments += kinds.map { $0 as any DatabaseValueConvertible }
        }
        let sql = "SELECT * FROM event" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY id"
        return try dbQueue.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(Self.event)
        }
    }

    /// The kinds of event the store holds, for `lmb log --kind` to check against.
    public func eventKinds() throws -> [String] {
        try dbQueue.read { try String.fetchAll($0, sql: "SELECT DISTINCT kind FROM event ORDER BY kind") }
    }
}
