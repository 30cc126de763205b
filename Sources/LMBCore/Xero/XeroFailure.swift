/// What went wrong talking to Xero, classified so that a person (or cron) knows what to do.
public enum XeroClassification: String, Sendable, CaseIterable, Codable {
    case ok
    case permissionDenied = "permission_denied"
    case staleConnection = "stale_connection"
    case tokenExpired = "token_expired"
    case insufficientScope = "insufficient_scope"
    case rateLimited = "rate_limited"
    case organisationOffline = "organisation_offline"
    case unavailable
    case validationFailed = "validation_failed"
    case network
    case notConnected = "not_connected"
    case config
    /// 404: the address lmb used holds no such resource (a wrong base URL, or an endpoint Xero retired).
    case notFound = "not_found"
    /// 413: the request body is larger than Xero accepts (3.5 MB).
    case tooLarge = "too_large"
    /// 405, 406, 409, 415, 422, 501, a redirect or any other status Xero does not document for these calls:
    /// the request's form is wrong, and sending it again unchanged will not help.
    case requestRejected = "request_rejected"

    /// Through the one exit-code policy: only what can succeed later is temporary (75).
    public var exitStatus: ExitStatus {
        switch self {
        case .ok: return .ok
        case .permissionDenied, .staleConnection, .insufficientScope, .tokenExpired: return .mustAct
        case .rateLimited, .organisationOffline, .unavailable, .network: return .temporary
        case .validationFailed, .tooLarge, .requestRejected: return .dataError
        case .notConnected, .config, .notFound: return .config
        }
    }

    public var exitCode: Int32 { exitStatus.rawValue }

    public var plainWords: String {
        switch self {
        case .ok: return "ok"
        case .permissionDenied: return "the connected Xero user is not permitted to do this"
        case .staleConnection: return "the connection to Xero is stale and must be made again"
        case .tokenExpired: return "the access token expired and could not be renewed"
        case .insufficientScope: return "the connection lacks a permission (scope) lmb needs"
        case .rateLimited: return "Xero's rate limit was reached"
        case .organisationOffline: return "the Xero organisation is offline"
        case .unavailable: return "Xero is unavailable"
        case .validationFailed: return "Xero refused the document"
        case .network: return "Xero could not be reached"
        case .notConnected: return "lmb is not connected to Xero"
        case .config: return "lmb's configuration is incomplete"
        case .notFound: return "Xero has no such resource at the address lmb used"
        case .tooLarge: return "the request is larger than Xero accepts"
        case .requestRejected: return "Xero rejected the form of lmb's request"
        }
    }
}

/// A classified failure, with Xero's exact words and the evidence the classification rests on.
public struct XeroFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var classification: XeroClassification
    /// Xero's exact message (or the transport's), never containing a token.
    public var message: String
    public var status: Int?
    public var correlationID: String?
    public var retryAfter: Int?
    public var validationErrors: [String]
    public var evidence: [String]

    public init(_ classification: XeroClassification, _ message: String, status: Int? = nil, correlationID: String? = nil,
                retryAfter: Int? = nil, validationErrors: [String] = [], evidence: [String] = []) {
        self.classification = classification
        self.message = message
        self.status = status
        self.correlationID = correlationID
        self.retryAfter = retryAfter
        self.validationErrors = validationErrors
        self.evidence = evidence
    }

    public var exitCode: Int32 { classification.exitCode }

    public var description: String {
        var s = "\(classification.plainWords): \(message)"
        if let correlationID { s += " (Xero-Correlation-Id \(correlationID))" }
        return s
    }
}
