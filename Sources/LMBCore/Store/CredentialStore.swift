import Foundation
import GRDB

/// Token renewal under the store's exclusive lock: two lmb processes never both rotate one refresh token.
extension Store {
    /// Re-reads the credential inside an exclusive transaction, lets `decide` keep or renew its tokens, and commits
    /// a renewal (with `event` in the history) before returning the access token to use.
    public func withCredentialLocked(_ credentialID: Int64, event: String, _ decide: (StoredCredential) throws -> TokenDecision) throws -> String {
        try dbQueue.writeWithoutTransaction { db in
            var result = ""
            try db.inTransaction(.exclusive) {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM credential WHERE id = ?", arguments: [credentialID]) else {
                    throw StoreError.missing("credential \(credentialID)")
                }
                switch try decide(Store.credential(row)) {
                case .use(let token):
                    result = token
                case .renewed(let tokens, let at, let reason):
                    try db.execute(sql: """
                        UPDATE credential SET access_token = ?, access_expires_at = ?, refresh_token = COALESCE(?, refresh_token),
                            refresh_issued_at = CASE WHEN ? IS NULL THEN refresh_issued_at ELSE ? END, updated_at = ? WHERE id = ?
                        """, arguments: [tokens.accessToken, at.timeIntervalSince1970 + Double(tokens.expiresIn), tokens.refreshToken,
                                         tokens.refreshToken, at.timeIntervalSince1970, self.now(), credentialID])
                    try self.recordEvent(db, kind: .tokenRefresh, settlementID: nil, message: event,
                                         detail: .object([("credential", .int(credentialID)), ("reason", .string(reason))]))
                    result = tokens.accessToken
                }
                return .commit
            }
            return result
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
