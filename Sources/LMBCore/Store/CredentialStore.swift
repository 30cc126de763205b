import Foundation
import GRDB

/// Token renewal under the store's exclusive lock: two lmb processes never both rotate one refresh token.
extension Store {
    /// What the token manager decided on seeing the credential as it is now.
    public enum CredentialDecision: Sendable {
        /// The stored access token is good.
        case use(String)
        /// New tokens from the token endpoint: saved, with an event, before anything uses them.
        case renewed(TokenSet, event: String, reason: String)
    }

    /// Re-reads the credential inside an exclusive transaction, lets `decide` keep or renew its tokens, and
    /// commits a renewal before returning the access token to use.
    public func withCredentialLocked(_ credentialID: Int64, _ decide: (StoredCredential) throws -> CredentialDecision) throws -> String {
        try dbQueue.writeWithoutTransaction { db in
            var result = ""
            try db.inTransaction(.exclusive) {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM credential WHERE id = ?", arguments: [credentialID]) else {
                    throw XeroFailure(.notConnected, "the connection's credentials are gone; run: lmb connect")
                }
                switch try decide(Store.credential(row)) {
                case .use(let token):
                    result = token
                case .renewed(let tokens, let event, let reason):
                    let now = Date()
                    try db.execute(sql: """
                        UPDATE credential SET access_token = ?, access_expires_at = ?, refresh_token = COALESCE(?, refresh_token),
                            refresh_issued_at = CASE WHEN ? IS NULL THEN refresh_issued_at ELSE ? END, updated_at = ? WHERE id = ?
                        """, arguments: [tokens.accessToken, now.timeIntervalSince1970 + Double(tokens.expiresIn), tokens.refreshToken,
                                         tokens.refreshToken, now.timeIntervalSince1970, Store.now(), credentialID])
                    try Store.recordEvent(db, kind: "token_refresh", settlementID: nil, message: event,
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
