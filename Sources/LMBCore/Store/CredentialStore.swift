import Foundation
import GRDB

/// Token renewal under the credential's lock: two lmb processes never both rotate one refresh token.
extension Store {
    /// Reads a credential's tokens and saves a renewal under the credential's own lock (a file in the home's
    /// `locks/`, so two tasks or two processes never both rotate one refresh token), with SQLite's single writer held
    /// only for the short read and the short write, never across the call to the token endpoint: the run's other
    /// organisations keep writing meanwhile.
    public func withCredentialLocked(_ credentialID: Int64, event: String, _ decide: (StoredCredential) throws -> TokenDecision) throws -> String {
        let home = LMBHome(url: URL(fileURLWithPath: path).deletingLastPathComponent())
        return try FileLock.withLock(home: home, name: "credential-\(credentialID)") {
            guard let row = try dbQueue.read({ db in try Row.fetchOne(db, sql: "SELECT * FROM credential WHERE id = ?", arguments: [credentialID]) }) else {
                throw StoreError.missing("credential \(credentialID)")
            }
            switch try decide(Store.credential(row)) {
            case .use(let token):
                return token
            case .renewed(let tokens, let at, let reason):
                try dbQueue.write { db in
                    try db.execute(sql: """
                        UPDATE credential SET access_token = ?, access_expires_at = ?, refresh_token = COALESCE(?, refresh_token),
                            refresh_issued_at = CASE WHEN ? IS NULL THEN refresh_issued_at ELSE ? END, updated_at = ? WHERE id = ?
                        """, arguments: [tokens.accessToken, at.timeIntervalSince1970 + Double(tokens.expiresIn), tokens.refreshToken,
                                         tokens.refreshToken, at.timeIntervalSince1970, self.now(), credentialID])
                    try self.recordEvent(db, kind: .tokenRefresh, settlementID: nil, message: event,
                                         detail: .object([("credential", .int(credentialID)), ("reason", .string(reason))]))
                }
                return tokens.accessToken
            }
        }
    }

    /// Makes the stored access token expire at `date` (tests and `lmb diagnose --renew` use it to force a renewal).
    public func setAccessExpiry(credentialID: Int64? = nil, _ date: Date) throws {
        try dbQueue.write { db in
            if let credentialID {
                try db.execute(sql: "UPDATE credential SET access_expires_at = ? WHERE id = ?", arguments: [date.timeIntervalSince1970, credentialID])
            } else {
                try db.execute(sql: "UPDATE credential SET access_expires_at = ?", arguments: [date.timeIntervalSince1970])
            }
        }
    }
}
