import Foundation
import GRDB

/// A selling account as stored: its SP-API credentials and the Xero organisation its settlements go to.
/// The credentials' secrets never show in a description.
public struct StoredAmazonAccount: Sendable, Equatable, CustomStringConvertible {
    public var id: Int64
    public var label: String
    public var credentials: AmazonCredentials
    /// The bound organisation; nil: whichever is the default when a settlement is sent.
    public var tenantID: String?
    public var secretSetAt: Date
    public var createdAt: Date
    public var lastFetchAt: Date?

    public var clientID: String { credentials.clientID }
    public var region: AmazonRegion { credentials.region }

    public var description: String {
        "StoredAmazonAccount(\(label), \(region.rawValue), \(credentials), tenant: \(tenantID ?? "default"))"
    }
}

/// What became of one downloaded report.
public enum FetchOutcome: String, Sendable, Codable, CaseIterable {
    /// Its settlement was new and is now stored.
    case imported
    /// Its settlement was stored already (an earlier report, a regenerated one, or `lmb import`).
    case known
    /// It could not be imported (it does not parse or add up, or could not be decoded): not downloaded again.
    case failed
}

/// One report lmb downloaded, and the organisation its settlement was bound to when it was fetched.
public struct AmazonReportRecord: Sendable, Equatable {
    public var reportID: String
    public var documentID: String
    public var accountID: Int64
    public var accountLabel: String
    public var tenantID: String?
    public var settlementID: String?
    public var outcome: FetchOutcome
    public var message: String?
    public var createdTime: Date?
    public var fetchedAt: Date

    public init(reportID: String, documentID: String, accountID: Int64, accountLabel: String, tenantID: String?,
                settlementID: String?, outcome: FetchOutcome, message: String?, createdTime: Date?, fetchedAt: Date) {
        self.reportID = reportID
        self.documentID = documentID
        self.accountID = accountID
        self.accountLabel = accountLabel
        self.tenantID = tenantID
        self.settlementID = settlementID
        self.outcome = outcome
        self.message = message
        self.createdTime = createdTime
        self.fetchedAt = fetchedAt
    }
}

/// Where a fetched settlement goes: the organisation its Amazon account was bound to when it was fetched.
public struct SettlementBinding: Sendable, Equatable {
    public var accountLabel: String
    /// nil: the account was bound to the default organisation.
    public var tenantID: String?
}

extension Store {
    // MARK: Accounts

    public func amazonAccounts() throws -> [StoredAmazonAccount] {
        try dbQueue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM amazon_account ORDER BY label").map(Self.amazonAccount) }
    }

    /// The account stored under `label`; without a label, the only one there is.
    public func storedAmazonAccount(label: String?) throws -> StoredAmazonAccount {
        let all = try amazonAccounts()
        guard !all.isEmpty else { throw StoreError.empty("Amazon selling account") }
        if let label {
            if let match = all.first(where: { $0.label.caseInsensitiveCompare(label) == .orderedSame }) { return match }
            throw StoreError.unknown(what: "Amazon selling account", key: label, known: all.map(\.label))
        }
        guard all.count == 1 else { throw StoreError.ambiguous(what: "Amazon selling account", known: all.map(\.label)) }
        return all[0]
    }

    /// Stores a selling account's credentials under `label`: a new account, or new credentials for the one of that
    /// label (keeping what it fetched). Returns the account and whether it is new.
    @discardableResult
    public func saveAmazonAccount(label: String, credentials: AmazonCredentials, tenantID: String?, tenantName: String?,
                                  now: Date) throws -> (account: StoredAmazonAccount, created: Bool) {
        try dbQueue.write { db in
            let existing = try Row.fetchOne(db, sql: "SELECT * FROM amazon_account WHERE label = ? COLLATE NOCASE", arguments: [label])
                .map(Self.amazonAccount)
            if let existing, existing.region != credentials.region {
                throw LMBError.usage("the Amazon account '\(existing.label)' is in the \(existing.region.rawValue) region; a refresh token belongs to one region: connect the \(credentials.region.rawValue) one under another --name")
            }
            let secretChanged = existing.map { $0.credentials.clientSecret != credentials.clientSecret } ?? true
            if let existing {
                try db.execute(sql: """
                    UPDATE amazon_account SET client_id = ?, client_secret = ?, refresh_token = ?, tenant_id = ?,
                        secret_set_at = CASE WHEN ? THEN ? ELSE secret_set_at END WHERE id = ?
                    """, arguments: [credentials.clientID, credentials.clientSecret, credentials.refreshToken, tenantID,
                                     secretChanged, Self.isoText(now), existing.id])
            } else {
                try db.execute(sql: """
                    INSERT INTO amazon_account (label, client_id, region, client_secret, refresh_token, tenant_id, secret_set_at, created_at)
                    VALUES (?,?,?,?,?,?,?,?)
                    """, arguments: [label, credentials.clientID, credentials.region.rawValue, credentials.clientSecret,
                                     credentials.refreshToken, tenantID, Self.isoText(now), Self.isoText(now)])
            }
            let id = existing?.id ?? db.lastInsertedRowID
            try self.recordEvent(db, kind: .amazonConnect, settlementID: nil,
                                  message: "\(existing == nil ? "connected" : "renewed the credentials of") Amazon selling account \(existing?.label ?? label) (\(credentials.region.name)), bound to \(tenantName ?? "the default organisation")",
                                  detail: .object([("account", .string(existing?.label ?? label)), ("region", .string(credentials.region.rawValue)),
                                                   ("clientId", .string(credentials.clientID)), ("tenant", .optional(tenantID))]))
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM amazon_account WHERE id = ?", arguments: [id]) else {
                throw LMBError.io("the Amazon account just stored is gone")
            }
            return (Self.amazonAccount(row), existing == nil)
        }
    }

    /// Amazon's 180-day rotation: a new client secret for every account of this app (client id); refresh tokens stay.
    /// Returns the labels of the accounts changed.
    @discardableResult
    public func replaceAmazonClientSecret(clientID: String, secret: String, now: Date) throws -> [String] {
        try dbQueue.write { db in
            let labels = try String.fetchAll(db, sql: "SELECT label FROM amazon_account WHERE client_id = ? ORDER BY label", arguments: [clientID])
            try db.execute(sql: "UPDATE amazon_account SET client_secret = ?, secret_set_at = ? WHERE client_id = ?",
                           arguments: [secret, Self.isoText(now), clientID])
            try self.recordEvent(db, kind: .amazonSecret, settlementID: nil,
                                  message: "replaced the client secret of Amazon app \(clientID) (accounts \(labels.joined(separator: ", ")))",
                                  detail: .object([("clientId", .string(clientID)), ("accounts", .array(labels.map(JSON.string)))]))
            return labels
        }
    }

    /// Forgets an account's credentials. What it fetched stays, and keeps going to the organisation it was bound to.
    public func removeAmazonAccount(_ account: StoredAmazonAccount) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM amazon_account WHERE id = ?", arguments: [account.id])
            try self.recordEvent(db, kind: .amazonDisconnect, settlementID: nil,
                                  message: "disconnected Amazon selling account \(account.label) (\(account.region.name))",
                                  detail: .object([("account", .string(account.label)), ("clientId", .string(account.clientID))]))
        }
    }

    /// The listing's start time of the last fetch that finished; the next fetch lists from there (less an overlap).
    public func setLastFetch(accountID: Int64, at date: Date) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE amazon_account SET last_fetch_at = ? WHERE id = ?", arguments: [Self.isoText(date), accountID])
        }
    }

    // MARK: Reports

    /// Every document id lmb has downloaded with a final outcome: the next fetch downloads none of them again.
    public func downloadedDocumentIDs() throws -> Set<String> {
        try dbQueue.read { db in Set(try String.fetchAll(db, sql: "SELECT document_id FROM amazon_report")) }
    }

    /// Records a report outside an import (one that failed): a separate write, as the import rolled back.
    public func recordAmazonReport(_ record: AmazonReportRecord, event: String? = nil) throws {
        try dbQueue.write { db in
            try Self.insertAmazonReport(db, record)
            if let event {
                try self.recordEvent(db, kind: .fetch, settlementID: record.settlementID, message: event,
                                      detail: .object([("account", .string(record.accountLabel)), ("reportId", .string(record.reportID)),
                                                       ("outcome", .string(record.outcome.rawValue))]))
            }
        }
    }

    static func insertAmazonReport(_ db: Database, _ r: AmazonReportRecord) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO amazon_report (report_id, document_id, account_id, account_label, tenant_id, settlement_id, outcome,
                message, created_time, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)
            """, arguments: [r.reportID, r.documentID, r.accountID, r.accountLabel, r.tenantID, r.settlementID, r.outcome.rawValue,
                             r.message, r.createdTime.map(Self.isoText), Self.isoText(r.fetchedAt)])
    }

    /// Reports downloaded, newest first; one account's, or all.
    public func amazonReports(accountLabel: String? = nil) throws -> [AmazonReportRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: accountLabel == nil
                ? "SELECT * FROM amazon_report ORDER BY fetched_at DESC, report_id DESC"
                : "SELECT * FROM amazon_report WHERE account_label = ? ORDER BY fetched_at DESC, report_id DESC",
                arguments: accountLabel.map { [$0] } ?? []).map(Self.amazonReport)
        }
    }

    /// Each fetched settlement's organisation: that of the first report it was fetched through.
    public func settlementBindings() throws -> [String: SettlementBinding] {
        try dbQueue.read { db in
            var out: [String: SettlementBinding] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT settlement_id, account_label, tenant_id FROM amazon_report
                WHERE settlement_id IS NOT NULL AND outcome IN ('imported', 'known') ORDER BY fetched_at, rowid
                """)
            for row in rows {
                let id: String = row["settlement_id"]
                if out[id] == nil { out[id] = SettlementBinding(accountLabel: row["account_label"], tenantID: row["tenant_id"]) }
            }
            for (id, binding) in try Self.channelBindings(db) where out[id] == nil { out[id] = binding }
            return out
        }
    }

    /// The Amazon secrets the store holds, so that outputs and bundles can be checked and scrubbed of them.
    public func amazonSecrets() throws -> [String] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT client_secret, refresh_token FROM amazon_account").flatMap { [$0["client_secret"], $0["refresh_token"]] as [String] }
        }
    }

    // MARK: Rows

    static func amazonAccount(_ row: Row) -> StoredAmazonAccount {
        let credentials = AmazonCredentials(clientID: row["client_id"], clientSecret: row["client_secret"], refreshToken: row["refresh_token"],
                                            region: AmazonRegion(rawValue: row["region"]) ?? .na)
        return StoredAmazonAccount(id: row["id"], label: row["label"], credentials: credentials, tenantID: row["tenant_id"],
                                   secretSetAt: date(row["secret_set_at"]) ?? .distantPast, createdAt: date(row["created_at"]) ?? .distantPast,
                                   lastFetchAt: date(row["last_fetch_at"]))
    }

    static func amazonReport(_ row: Row) -> AmazonReportRecord {
        AmazonReportRecord(reportID: row["report_id"], documentID: row["document_id"], accountID: row["account_id"], accountLabel: row["account_label"],
                           tenantID: row["tenant_id"], settlementID: row["settlement_id"],
                           outcome: FetchOutcome(rawValue: row["outcome"]) ?? .failed, message: row["message"],
                           createdTime: date(row["created_time"]), fetchedAt: date(row["fetched_at"]) ?? .distantPast)
    }

    /// `2026-12-04T23:28:52.125Z` (UTC, milliseconds), written without a formatter.
    static func isoText(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var (days, inDay) = millis.quotientAndRemainder(dividingBy: 86_400_000)
        if inDay < 0 { inDay += 86_400_000; days -= 1 }
        let ms = Int(inDay)
        guard let day = CalendarDate(daysSince1970: Int(days)) else {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return f.string(from: date)
        }
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(day)T\(pad(ms / 3_600_000, 2)):\(pad(ms / 60_000 % 60, 2)):\(pad(ms / 1000 % 60, 2)).\(pad(ms % 1000, 3))Z"
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let d = fastDate(text) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}

extension Store {
    /// `2026-12-04T23:28:52Z` or `2026-12-04T23:28:52.123Z`, the only shapes `isoText` writes, read without a formatter
    /// (a formatter costs more to make than a run over fifty accounts spends on everything else it reads); nil for any
    /// other text, which the formatter then reads.
    static func fastDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20 || (b.count == 24 && b[19] == UInt8(ascii: ".")), b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[b.count - 1] == UInt8(ascii: "Z") else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var n = 0
            for i in from..<(from + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        let millis = b.count == 24 ? number(20, 3) : 0
        guard let millis, let days = CalendarDate(year: year, month: month, day: day)?.daysSince1970 else { return nil }
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second) + Double(millis) / 1000)
    }
}

extension ImportWriter {
    /// Records the report a settlement came from inside the import's own transaction: a crash leaves both or neither.
    public func recordAmazonReport(_ record: AmazonReportRecord) throws {
        try Store.insertAmazonReport(db, record)
    }
}
