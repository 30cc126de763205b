import Foundation
import GRDB

/// The channels other than Amazon that lmb connects to through one generic table (`channel_account`).
public enum ChannelKind: String, Sendable, Codable, CaseIterable {
    case shopify, ebay

    public var provider: Provider { self == .shopify ? .shopify : .ebay }
}

/// A Shopify shop or an eBay account as stored: its non-secret settings, its secrets (kept as Amazon's client secret
/// is: in the 0600 store, never shown), and the Xero organisation its payouts go to. No description shows a secret.
public struct StoredChannelAccount: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public var id: Int64
    public var kind: ChannelKind
    public var label: String
    /// The bound organisation; nil: whichever is the default when a settlement is sent.
    public var tenantID: String?
    public var settings: [String: String]
    public var secrets: [String: String]
    public var secretSetAt: Date
    public var createdAt: Date
    public var lastFetchAt: Date?

    public var description: String {
        "StoredChannelAccount(\(kind.rawValue) \(label), settings \(settings.keys.sorted()), secrets \(secrets.keys.sorted()) <redacted>, tenant: \(tenantID ?? "default"))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["kind": kind.rawValue, "label": label, "settings": settings, "tenantID": tenantID as Any])
    }
}

/// One payout a channel fetch downloaded, and the organisation its settlement was bound to when it was fetched.
public struct ChannelPayoutRecord: Sendable, Equatable {
    public var kind: ChannelKind
    public var payoutID: String
    public var accountID: Int64
    public var accountLabel: String
    public var tenantID: String?
    public var settlementID: String?
    public var outcome: FetchOutcome
    public var message: String?
    public var payoutDate: Date?
    public var fetchedAt: Date

    public init(kind: ChannelKind, payoutID: String, accountID: Int64, accountLabel: String, tenantID: String?, settlementID: String?,
                outcome: FetchOutcome, message: String?, payoutDate: Date?, fetchedAt: Date) {
        self.kind = kind
        self.payoutID = payoutID
        self.accountID = accountID
        self.accountLabel = accountLabel
        self.tenantID = tenantID
        self.settlementID = settlementID
        self.outcome = outcome
        self.message = message
        self.payoutDate = payoutDate
        self.fetchedAt = fetchedAt
    }
}

extension Store {
    // MARK: Accounts

    public func channelAccounts(kind: ChannelKind? = nil) throws -> [StoredChannelAccount] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: kind == nil ? "SELECT * FROM channel_account ORDER BY kind, label"
                                                  : "SELECT * FROM channel_account WHERE kind = ? ORDER BY label",
                             arguments: kind.map { [$0.rawValue] } ?? []).map(Self.channelAccount)
        }
    }

    /// The account of `kind` stored under `label`; without a label, the only one of that kind.
    public func channelAccount(kind: ChannelKind, label: String?) throws -> StoredChannelAccount {
        let all = try channelAccounts(kind: kind)
        let what = kind == .shopify ? "Shopify shop" : "eBay account"
        guard !all.isEmpty else { throw StoreError.empty(what) }
        if let label {
            if let match = all.first(where: { $0.label.caseInsensitiveCompare(label) == .orderedSame }) { return match }
            throw StoreError.unknown(what: what, key: label, known: all.map(\.label))
        }
        guard all.count == 1 else { throw StoreError.ambiguous(what: what, known: all.map(\.label)) }
        return all[0]
    }

    /// Stores an account under `label` (labels are unique across Shopify and eBay): a new one, or new settings and
    /// secrets for the one of that label and kind, keeping what it fetched. Returns it and whether it is new.
    @discardableResult
    public func saveChannelAccount(kind: ChannelKind, label: String, settings: [String: String], secrets: [String: String],
                                   tenantID: String?, tenantName: String?, now: Date) throws -> (account: StoredChannelAccount, created: Bool) {
        try dbQueue.write { db in
            let existing = try Row.fetchOne(db, sql: "SELECT * FROM channel_account WHERE label = ? COLLATE NOCASE", arguments: [label])
                .map(Self.channelAccount)
            if let existing, existing.kind != kind {
                throw LMBError.usage("the label '\(existing.label)' is taken by a connected \(existing.kind.rawValue) account: choose another --name")
            }
            let settingsText = try Self.jsonText(settings), secretsText = try Self.jsonText(secrets)
            if let existing {
                let secretChanged = existing.secrets != secrets
                try db.execute(sql: """
                    UPDATE channel_account SET settings = ?, secrets = ?, tenant_id = ?,
                        secret_set_at = CASE WHEN ? THEN ? ELSE secret_set_at END WHERE id = ?
                    """, arguments: [settingsText, secretsText, tenantID, secretChanged, Self.isoText(now), existing.id])
            } else {
                try db.execute(sql: """
                    INSERT INTO channel_account (kind, label, tenant_id, settings, secrets, secret_set_at, created_at)
                    VALUES (?,?,?,?,?,?,?)
                    """, arguments: [kind.rawValue, label, tenantID, settingsText, secretsText, Self.isoText(now), Self.isoText(now)])
            }
            let id = existing?.id ?? db.lastInsertedRowID
            let shown = existing?.label ?? label
            try self.recordEvent(db, kind: .channelConnect, settlementID: nil,
                                  message: "\(existing == nil ? "connected" : "renewed the credentials of") \(kind.provider.rawValue) account \(shown), bound to \(tenantName ?? "the default organisation")",
                                  detail: .object([("kind", .string(kind.rawValue)), ("account", .string(shown)), ("tenant", .optional(tenantID))]))
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM channel_account WHERE id = ?", arguments: [id]) else {
                throw LMBError.io("the account just stored is gone")
            }
            return (Self.channelAccount(row), existing == nil)
        }
    }

    /// Replaces one account's secrets (a rotated client secret, a renewed token), keeping everything else.
    public func replaceChannelSecrets(_ account: StoredChannelAccount, secrets: [String: String], now: Date, event: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE channel_account SET secrets = ?, secret_set_at = ? WHERE id = ?",
                           arguments: [try Self.jsonText(secrets), Self.isoText(now), account.id])
            try self.recordEvent(db, kind: .channelConnect, settlementID: nil, message: event,
                                  detail: .object([("kind", .string(account.kind.rawValue)), ("account", .string(account.label))]))
        }
    }

    /// Merges non-secret settings (a signing key's id and expiry) into an account's.
    public func updateChannelSettings(_ account: StoredChannelAccount, _ settings: [String: String]) throws {
        try dbQueue.write { db in
            let merged = account.settings.merging(settings) { $1 }
            try db.execute(sql: "UPDATE channel_account SET settings = ? WHERE id = ?", arguments: [try Self.jsonText(merged), account.id])
        }
    }

    /// Forgets an account's credentials. What it fetched stays, and keeps going to the organisation it was bound to.
    public func removeChannelAccount(_ account: StoredChannelAccount) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM channel_account WHERE id = ?", arguments: [account.id])
            try self.recordEvent(db, kind: .channelDisconnect, settlementID: nil,
                                  message: "disconnected \(account.kind.provider.rawValue) account \(account.label)",
                                  detail: .object([("kind", .string(account.kind.rawValue)), ("account", .string(account.label))]))
        }
    }

    public func setChannelLastFetch(accountID: Int64, at date: Date) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE channel_account SET last_fetch_at = ? WHERE id = ?", arguments: [Self.isoText(date), accountID])
        }
    }

    /// Every secret the channel accounts hold, so that outputs and bundles can be checked and scrubbed of them.
    public func channelSecrets() throws -> [String] {
        try channelAccounts().flatMap { $0.secrets.values }.filter { $0.count >= 4 }
    }

    // MARK: Payouts

    /// The payout ids of `kind` with a final outcome: the next fetch downloads none of them again.
    public func fetchedChannelPayoutIDs(kind: ChannelKind) throws -> Set<String> {
        try dbQueue.read { db in Set(try String.fetchAll(db, sql: "SELECT payout_id FROM channel_payout WHERE kind = ?", arguments: [kind.rawValue])) }
    }

    /// Records a payout outside an import (one that failed): a separate write, as the import rolled back.
    public func recordChannelPayout(_ record: ChannelPayoutRecord, event: String? = nil) throws {
        try dbQueue.write { db in
            try Self.insertChannelPayout(db, record)
            if let event {
                try self.recordEvent(db, kind: .fetch, settlementID: record.settlementID, message: event,
                                      detail: .object([("account", .string(record.accountLabel)), ("payoutId", .string(record.payoutID)),
                                                       ("outcome", .string(record.outcome.rawValue))]))
            }
        }
    }

    static func insertChannelPayout(_ db: Database, _ r: ChannelPayoutRecord) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO channel_payout (kind, payout_id, account_id, account_label, tenant_id, settlement_id, outcome, message,
                payout_date, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?)
            """, arguments: [r.kind.rawValue, r.payoutID, r.accountID, r.accountLabel, r.tenantID, r.settlementID, r.outcome.rawValue,
                             r.message, r.payoutDate.map(Self.isoText), Self.isoText(r.fetchedAt)])
    }

    /// Payouts fetched, newest first; one account's, or all of a kind.
    public func channelPayouts(kind: ChannelKind, accountLabel: String? = nil) throws -> [ChannelPayoutRecord] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: accountLabel == nil
                ? "SELECT * FROM channel_payout WHERE kind = ? ORDER BY fetched_at DESC, payout_id DESC"
                : "SELECT * FROM channel_payout WHERE kind = ? AND account_label = ? ORDER BY fetched_at DESC, payout_id DESC",
                arguments: StatementArguments([kind.rawValue] + (accountLabel.map { [$0] } ?? []))).map(Self.channelPayout)
        }
    }

    /// Each settlement fetched through a channel account, with the organisation it was bound to.
    static func channelBindings(_ db: Database) throws -> [(String, SettlementBinding)] {
        try Row.fetchAll(db, sql: """
            SELECT settlement_id, account_label, tenant_id FROM channel_payout
            WHERE settlement_id IS NOT NULL AND outcome IN ('imported', 'known') ORDER BY fetched_at, rowid
            """).map { ($0["settlement_id"], SettlementBinding(accountLabel: $0["account_label"], tenantID: $0["tenant_id"])) }
    }

    // MARK: Rows

    static func jsonText(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func stringMap(_ text: String?) -> [String: String] {
        guard let text, let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    static func channelAccount(_ row: Row) -> StoredChannelAccount {
        StoredChannelAccount(id: row["id"], kind: ChannelKind(rawValue: row["kind"]) ?? .shopify, label: row["label"], tenantID: row["tenant_id"],
                             settings: stringMap(row["settings"]), secrets: stringMap(row["secrets"]),
                             secretSetAt: date(row["secret_set_at"]) ?? .distantPast, createdAt: date(row["created_at"]) ?? .distantPast,
                             lastFetchAt: date(row["last_fetch_at"]))
    }

    static func channelPayout(_ row: Row) -> ChannelPayoutRecord {
        ChannelPayoutRecord(kind: ChannelKind(rawValue: row["kind"]) ?? .shopify, payoutID: row["payout_id"], accountID: row["account_id"],
                            accountLabel: row["account_label"], tenantID: row["tenant_id"], settlementID: row["settlement_id"],
                            outcome: FetchOutcome(rawValue: row["outcome"]) ?? .failed, message: row["message"],
                            payoutDate: date(row["payout_date"]), fetchedAt: date(row["fetched_at"]) ?? .distantPast)
    }

    /// The tables, appended at the end of the migrator (Store.swift).
    static func registerChannelMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v-channels-1") { db in
            // A Shopify shop or an eBay account: non-secret settings and its secrets as JSON, bound to one Xero
            // organisation (tenant_id NULL: the default one). Every payout fetched, with the organisation its
            // settlement goes to as it was when fetched.
            try db.execute(sql: """
                CREATE TABLE channel_account (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    label TEXT NOT NULL UNIQUE,
                    tenant_id TEXT,
                    settings TEXT NOT NULL,
                    secrets TEXT NOT NULL,
                    secret_set_at TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    last_fetch_at TEXT
                );
                CREATE TABLE channel_payout (
                    kind TEXT NOT NULL,
                    payout_id TEXT NOT NULL,
                    account_id INTEGER NOT NULL,
                    account_label TEXT NOT NULL,
                    tenant_id TEXT,
                    settlement_id TEXT,
                    outcome TEXT NOT NULL,
                    message TEXT,
                    payout_date TEXT,
                    fetched_at TEXT NOT NULL,
                    PRIMARY KEY (kind, payout_id)
                );
                CREATE INDEX channel_payout_by_settlement ON channel_payout(settlement_id);
                """)
        }
    }
}

extension ImportWriter {
    /// Records the payout a settlement came from inside the import's own transaction: a crash leaves both or neither.
    public func recordChannelPayout(_ record: ChannelPayoutRecord) throws {
        try Store.insertChannelPayout(db, record)
    }
}
