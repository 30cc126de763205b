import Foundation
import GRDB

/// The store's history: what happened, when, to which settlement. Every other part reads it through these.
extension Store {
    public struct Event: Sendable, Equatable {
        public var id: Int64
        public var at: String
        public var kind: String
        public var settlementID: String?
        public var message: String
        public var detail: String?
    }

    /// The store's clock, as every row's timestamp is written.
    public func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: clock.now)
    }

    func recordEvent(_ db: Database, kind: EventKind, settlementID: String?, message: String, detail: JSON? = nil) throws {
        try db.execute(sql: "INSERT INTO event (at, kind, settlement_id, message, detail) VALUES (?, ?, ?, ?, ?)",
                       arguments: [now(), kind.rawValue, settlementID, message, detail?.rendered(pretty: false)])
    }

    public func recordEvent(kind: EventKind, settlementID: String? = nil, message: String, detail: JSON? = nil) throws {
        try dbQueue.write { db in try self.recordEvent(db, kind: kind, settlementID: settlementID, message: message, detail: detail) }
    }

    public func events(settlementID: String? = nil) throws -> [Event] {
        try dbQueue.read { db in
            let rows = try Row.fetchAll(db, sql: settlementID == nil
                ? "SELECT * FROM event ORDER BY id"
                : "SELECT * FROM event WHERE settlement_id = ? ORDER BY id", arguments: settlementID.map { [$0] } ?? [])
            return rows.map(Self.event)
        }
    }

    static func event(_ row: Row) -> Event {
        Event(id: row["id"], at: row["at"], kind: row["kind"], settlementID: row["settlement_id"], message: row["message"], detail: row["detail"])
    }

    /// Each settlement's most recent send attempt, ordered by settlement id.
    public func lastSendAttempts() throws -> [Event] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.* FROM event e
                WHERE e.kind = 'send_attempt' AND e.id = (SELECT MAX(id) FROM event WHERE kind = 'send_attempt' AND settlement_id = e.settlement_id)
                ORDER BY e.settlement_id
                """).map(Self.event)
        }
    }

    /// SQLite's quick_check verdict: "ok", or what is wrong.
    public func integrityCheck() throws -> String {
        try dbQueue.read { try String.fetchOne($0, sql: "PRAGMA quick_check") } ?? "no answer"
    }

    /// Every token the store holds, so that a bundle or an output can be checked and scrubbed of them.
    public func storedTokens() throws -> [String] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT access_token, refresh_token FROM credential")
                .flatMap { [$0["access_token"], $0["refresh_token"]] as [String?] }.compactMap { $0 }
        }
    }
}
