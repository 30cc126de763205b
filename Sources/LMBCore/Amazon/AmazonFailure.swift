import Foundation

/// What went wrong talking to Amazon, classified so that a person (or cron) knows what to do.
/// Only what can succeed later without anyone acting maps to exit 75.
public enum AmazonClassification: String, Sendable, CaseIterable, Codable {
    case staleConnection = "stale_connection"
    case config
    case permissionDenied = "permission_denied"
    case tokenExpired = "token_expired"
    case rateLimited = "rate_limited"
    case unavailable
    case network
    case notConnected = "not_connected"
    case requestRefused = "request_refused"
    case notFound = "not_found"
    case documentUnreadable = "document_unreadable"
    case unexpectedAnswer = "unexpected_answer"

    public var exitStatus: ExitStatus {
        switch self {
        case .staleConnection, .permissionDenied, .tokenExpired: return .mustAct
        case .config, .notConnected: return .config
        case .rateLimited, .unavailable, .network: return .temporary
        case .requestRefused, .notFound, .documentUnreadable, .unexpectedAnswer: return .dataError
        }
    }

    public var plainWords: String {
        switch self {
        case .staleConnection: return "Amazon no longer accepts lmb's authorisation (refresh token) for this selling account"
        case .config: return "Amazon does not accept lmb's app credentials or settings"
        case .permissionDenied: return "the Amazon app or user lacks the Finance and Accounting role that settlement reports need"
        case .tokenExpired: return "Amazon refused the access token as expired even after lmb renewed it"
        case .rateLimited: return "Amazon's request limit for this operation was reached"
        case .unavailable: return "Amazon is unavailable or answered with a server error"
        case .network: return "Amazon could not be reached"
        case .notConnected: return "no Amazon selling account is connected to lmb"
        case .requestRefused: return "Amazon refused lmb's request as invalid"
        case .notFound: return "Amazon has no such report or document (reports are kept for 90 days)"
        case .documentUnreadable: return "the downloaded report document could not be decompressed or decoded"
        case .unexpectedAnswer: return "Amazon answered in a way lmb does not understand"
        }
    }
}

/// Which of Amazon's services answered: each words its errors differently.
public enum AmazonService: String, Sendable, Codable {
    case loginWithAmazon = "Login with Amazon"
    case sellingPartnerAPI = "Selling Partner API"
    case documentDownload = "document download"
}

/// A classified failure, with Amazon's exact words and the evidence the classification rests on.
/// It never holds a secret: the client secret, the refresh and access tokens and pre-signed addresses are kept out.
public struct AmazonFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var classification: AmazonClassification
    /// Amazon's exact message (or the transport's, or lmb's own when Amazon gave none).
    public var message: String
    /// Amazon's error code: `InvalidInput`, `Unauthorized`, `invalid_grant`, S3's `AccessDenied`, …
    public var code: String?
    /// Amazon's `details` (SP-API) when it gave any.
    public var details: String?
    public var status: Int?
    /// `x-amzn-RequestId` (SP-API), `x-amz-request-id` (S3) or LWA's `request_id`.
    public var requestID: String?
    public var retryAfter: Double?
    public var service: AmazonService?
    public var evidence: [String]
    /// The answer refused the access token itself: renewing it once may help.
    var accessTokenRejected = false
    /// S3 said the pre-signed address expired: asking getReportDocument for a fresh one may help.
    var documentURLExpired = false

    public init(_ classification: AmazonClassification, _ message: String, code: String? = nil, details: String? = nil,
                status: Int? = nil, requestID: String? = nil, retryAfter: Double? = nil, service: AmazonService? = nil,
                evidence: [String] = []) {
        self.classification = classification
        self.message = message
        self.code = code
        self.details = details
        self.status = status
        self.requestID = requestID
        self.retryAfter = retryAfter
        self.service = service
        self.evidence = evidence
    }

    /// The failure `lmb fetch` reports when no selling account is configured.
    public static func notConnected(_ region: AmazonRegion? = nil) -> AmazonFailure {
        AmazonFailure(.notConnected, region.map { "no Amazon selling account is connected for the \($0.name) region" }
                        ?? "no Amazon selling account is connected",
                      evidence: ["no stored Amazon credentials"])
    }

    public var exitStatus: ExitStatus { classification.exitStatus }
    public var exitCode: Int32 { exitStatus.rawValue }

    public var description: String {
        var s = "\(classification.plainWords): \(message)"
        if let code, !message.contains(code) { s += " [\(code)]" }
        if let details, !details.isEmpty, details != message { s += " — \(details)" }
        if let requestID { s += " (request id \(requestID))" }
        return s
    }

    public func adding(evidence line: String) -> AmazonFailure {
        var copy = self
        copy.evidence.append(line)
        return copy
    }

    /// Replaces every occurrence of each secret (four characters or longer), and anything shaped like an LWA token
    /// (`Atza|…`, `Atzr|…`) or client secret (`amzn1.oa2-cs.…`), with `<redacted>`.
    func redacting(_ secrets: [String]) -> AmazonFailure {
        let secrets = secrets.filter { $0.count >= 4 }
        func scrub(_ s: String) -> String {
            secrets.reduce(s) { $0.replacingOccurrences(of: $1, with: AmazonCredentials.redacted) }
                .replacing(#/(Atz[ar]\||amzn1\.oa2-cs\.)[^\s"'&,;<]+/#, with: AmazonCredentials.redacted)
        }
        var copy = self
        copy.message = scrub(message)
        copy.code = code.map(scrub)
        copy.details = details.map(scrub)
        copy.requestID = requestID.map(scrub)
        copy.evidence = evidence.map(scrub)
        return copy
    }
}
