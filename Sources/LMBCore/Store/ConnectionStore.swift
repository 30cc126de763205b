import Foundation
import GRDB

/// Connected organisations and their credentials, as stored.
extension Store {
    public func connections() throws -> [StoredConnection] {
        try dbQueue.read { db in try Store.loadConnections(db) }
    }

    static func loadConnections(_ db: Database) throws -> [StoredConnection] {
        // Two queries whatever the number of organisations, and not the tax rates and accounts each row also holds.
        let credentials = Dictionary(try Row.fetchAll(db, sql: "SELECT * FROM credential").map { ($0["id"] as Int64, $0) }) { a, _ in a }
        return try Row.fetchAll(db, sql: """
            SELECT tenant_id, tenant_name, tenant_type, connection_id, credential_id, is_default, connected_at FROM xero_connection
            ORDER BY is_default DESC, tenant_name
            """).map { row in
            guard let credential = credentials[row["credential_id"] as Int64] else {
                throw LMBError.io("the store's connection to \(row["tenant_name"] as String) names a credential that is gone; run: lmb connect")
            }
            return StoredConnection(tenantID: row["tenant_id"], tenantName: row["tenant_name"], tenantType: row["tenant_type"],
                                    connectionID: row["connection_id"], credentialID: row["credential_id"], isDefault: row["is_default"],
                                    connectedAt: row["connected_at"], credential: Store.credential(credential))
        }
    }

    /// The connection stored under a tenant id or name, else the default one.
    public func storedConnection(tenant: String?) throws -> StoredConnection {
        let all = try connections()
        guard !all.isEmpty else { throw StoreError.empty("Xero organisation") }
        guard let tenant else { return all.first { $0.isDefault } ?? all[0] }
        if let match = all.first(where: { $0.tenantID == tenant || $0.tenantName.caseInsensitiveCompare(tenant) == .orderedSame }) { return match }
        throw StoreError.unknown(what: "connected organisation", key: tenant, known: all.map { "\($0.tenantName) (\($0.tenantID))" })
    }

    /// Saves a new credential and its connections; the first organisation ever connected becomes the default.
    @discardableResult
    /// `user`: who authorised, as the caller read it from the token (the store never reads tokens).
    public func saveConnection(kind: StoredCredential.Kind, clientID: String, tokens: TokenSet, user: AuthorisingUser, now: Date,
                               tenants: [(id: String, name: String, type: String?, connectionID: String?)]) throws -> Int64 {
        try dbQueue.write { db in
            let scopes = user.scopes.joined(separator: " ")
            try db.execute(sql: """
                INSERT INTO credential (kind, client_id, xero_user_id, auth_event_id, scopes, access_token, access_expires_at,
                    refresh_token, refresh_issued_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                """, arguments: [kind.rawValue, clientID, user.userID, user.authEventID,
                                 scopes, tokens.accessToken, now.timeIntervalSince1970 + Double(tokens.expiresIn),
                                 tokens.refreshToken, tokens.refreshToken == nil ? nil : now.timeIntervalSince1970, self.now(), self.now()])
            let credentialID = db.lastInsertedRowID
            let hasDefault = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM xero_connection WHERE is_default = 1") ?? 0) > 0
            for (i, t) in tenants.enumerated() {
                let wasDefault = try Bool.fetchOne(db, sql: "SELECT is_default FROM xero_connection WHERE tenant_id = ?", arguments: [t.id]) ?? false
                try db.execute(sql: "DELETE FROM xero_connection WHERE tenant_id = ?", arguments: [t.id])
                try db.execute(sql: """
                    INSERT INTO xero_connection (tenant_id, tenant_name, tenant_type, connection_id, credential_id, is_default, connected_at)
                    VALUES (?,?,?,?,?,?,?)
                    """, arguments: [t.id, t.name, t.type, t.connectionID, credentialID, wasDefault || (!hasDefault && i == 0), self.now()])
            }
            try Store.pruneCredentials(db)
            try self.recordEvent(db, kind: .connect, settlementID: nil,
                                  message: "connected to \(tenants.map(\.name).joined(separator: ", ")) (\(kind.rawValue))",
                                  detail: .object([("tenants", .array(tenants.map { .string($0.id) })), ("scopes", .string(scopes)),
                                                   ("xero_userid", .optional(user.userID))]))
            return credentialID
        }
    }

    public func removeConnection(tenantID: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM xero_connection WHERE tenant_id = ?", arguments: [tenantID])
            if (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM xero_connection WHERE is_default = 1") ?? 0) == 0 {
                try db.execute(sql: "UPDATE xero_connection SET is_default = 1 WHERE tenant_id = (SELECT tenant_id FROM xero_connection ORDER BY connected_at LIMIT 1)")
            }
            try Store.pruneCredentials(db)
        }
    }

    /// Forgets token sets no connection uses any more.
    static func pruneCredentials(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM credential WHERE id NOT IN (SELECT credential_id FROM xero_connection)")
    }

    public func setDefault(tenantID: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE xero_connection SET is_default = (tenant_id = ?)", arguments: [tenantID])
        }
    }

    /// Who authorised a credential, and with which scopes.
    public struct AuthorisingUser: Sendable, Equatable {
        public var userID: String?
        public var authEventID: String?
        public var scopes: [String]

        public init(userID: String?, authEventID: String?, scopes: [String]) {
            self.userID = userID
            self.authEventID = authEventID
            self.scopes = scopes
        }
    }

    static func credential(_ row: Row) -> StoredCredential {
        StoredCredential(
            id: row["id"], kind: StoredCredential.Kind(rawValue: row["kind"]) ?? .pkce, clientID: row["client_id"], xeroUserID: row["xero_user_id"],
            authEventID: row["auth_event_id"], scopes: (row["scopes"] as String).split(separator: " ").map(String.init),
            accessToken: row["access_token"], accessExpiresAt: (row["access_expires_at"] as Double?).map { Date(timeIntervalSince1970: $0) },
            refreshToken: row["refresh_token"], refreshIssuedAt: (row["refresh_issued_at"] as Double?).map { Date(timeIntervalSince1970: $0) },
            createdAt: row["created_at"])
    }
}
