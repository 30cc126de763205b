/// What the store itself can say went wrong: it speaks of rows and files, never of Xero or Amazon. Callers map these
/// to their own failures (a missing connection is Xero's `not_connected`, a missing account Amazon's).
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing of this kind is stored at all (no connection, no selling account).
    case empty(String)
    /// No stored row has this key; `known` lists those there are.
    case unknown(what: String, key: String, known: [String])
    /// Several rows fit and the caller named none.
    case ambiguous(what: String, known: [String])
    /// A row the caller just named is gone (another process removed it).
    case missing(String)

    public var description: String {
        switch self {
        case .empty(let what): return "no \(what) is stored"
        case .unknown(let what, let key, let known): return "no \(what) is named or has the id '\(key)'; stored: \(known.joined(separator: ", "))"
        case .ambiguous(let what, let known): return "several \(what)s are stored (\(known.joined(separator: ", ")))"
        case .missing(let what): return "\(what) is gone from the store"
        }
    }
}

/// How an event in the store's history came about; `lmb log --kind` filters by these names.
public enum EventKind: String, Sendable, CaseIterable, Codable {
    case `import`, reimport, fetch, deposit, step
    case sendAttempt = "send_attempt", recovered
    case connect, reconnect, disconnect
    case tokenRefresh = "token_refresh"
    case amazonConnect = "amazon_connect", amazonSecret = "amazon_secret", amazonDisconnect = "amazon_disconnect"
    case notify
    case channelConnect = "channel_connect", channelDisconnect = "channel_disconnect"
    /// `lmb rollback`: a settlement's documents taken back in Xero (voided or deleted), one event per document and per generation.
    case rollback
}

/// What a send recorded for one document: `sending` before the request (and after a lost answer), then `sent` or
/// `failed` when the service answered. `lmb rollback` records `rolling-back` before it voids or deletes a sent
/// document and `rolled-back` when Xero has taken it back.
public enum PostingState: String, Sendable, Codable, CaseIterable {
    case sending, sent, failed
    case rollingBack = "rolling-back"
    case rolledBack = "rolled-back"
}
