import Foundation

/// The companies lmb talks to. Each has its own words for a failure and its own runbooks (its folder's
/// `…Voice`); everything else about a failure is shared.
public enum Provider: String, Sendable, Codable, CaseIterable {
    case xero = "Xero"
    case amazon = "Amazon"
    case shopify = "Shopify"
    case ebay = "eBay"
}

/// Which service answered, or did not: a provider may run several (Xero's identity server and its accounting API;
/// Login with Amazon, the Selling Partner API and S3), and each words its errors differently.
public struct RemoteService: Hashable, Sendable, Codable, CustomStringConvertible {
    public var provider: Provider
    public var name: String

    public init(_ provider: Provider, _ name: String) {
        self.provider = provider
        self.name = name
    }

    public var description: String { name }

    public static let xero = RemoteService(.xero, "Xero")
    public static let xeroIdentity = RemoteService(.xero, "Xero identity")
    public static let amazon = RemoteService(.amazon, "Amazon")
    public static let loginWithAmazon = RemoteService(.amazon, "Login with Amazon")
    public static let sellingPartnerAPI = RemoteService(.amazon, "Selling Partner API")
    public static let documentDownload = RemoteService(.amazon, "document download")
    public static let shopifyAdmin = RemoteService(.shopify, "Shopify Admin API")
    public static let shopifyOAuth = RemoteService(.shopify, "Shopify token endpoint")
    public static let ebayIdentity = RemoteService(.ebay, "eBay identity")
    public static let ebayFinances = RemoteService(.ebay, "eBay Finances API")
    public static let ebayKeyManagement = RemoteService(.ebay, "eBay Key Management API")
}

/// Why a remote call failed, one spelling per cause for every service; the exit code follows from the cause alone.
public enum Classification: String, Sendable, CaseIterable, Codable {
    case ok
    case permissionDenied = "permission_denied"
    case staleConnection = "stale_connection"
    case tokenExpired = "token_expired"
    case insufficientScope = "insufficient_scope"
    case rateLimited = "rate_limited"
    case organisationOffline = "organisation_offline"
    case unavailable
    case network
    case validationFailed = "validation_failed"
    /// The service holds no such resource (Xero: a JSON 404; Amazon: a report or document past its 90 days).
    case notFound = "not_found"
    /// The request body is larger than the service accepts.
    case tooLarge = "too_large"
    /// The request's form is wrong (a 405, 409, 415, 422, a redirect, …): sending it again unchanged will not help.
    case requestRejected = "request_rejected"
    /// A downloaded document could not be decompressed or decoded.
    case documentUnreadable = "document_unreadable"
    /// A 2xx answer whose body is not what the service describes, or an answer no rule covers.
    case unexpectedAnswer = "unexpected_answer"
    case notConnected = "not_connected"
    case config
    /// Another lmb run is fetching from this account or sending to this organisation right now (its lock is held):
    /// nothing was done here, and the next run does it.
    case busy

    /// Through the one exit-code policy: only what can succeed later without anyone acting is temporary (75).
    public var exitStatus: ExitStatus {
        switch self {
        case .ok: return .ok
        case .permissionDenied, .staleConnection, .tokenExpired, .insufficientScope: return .mustAct
        case .rateLimited, .organisationOffline, .unavailable, .network, .busy: return .temporary
        case .validationFailed, .notFound, .tooLarge, .requestRejected, .documentUnreadable, .unexpectedAnswer: return .dataError
        case .notConnected, .config: return .config
        }
    }

    public var exitCode: Int32 { exitStatus.rawValue }
}

/// A classified failure of any remote service, with the service's exact words and the evidence the classification
/// rests on. It never holds a secret: tokens, client secrets and pre-signed addresses are redacted before it is made
/// public (`redacting`).
public struct RemoteFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var classification: Classification
    /// The service's exact message (or the transport's, or lmb's own when the service gave none).
    public var message: String
    public var service: RemoteService
    /// The call lmb made: `PUT Invoices`, `getReportDocument`, `token refresh`, …
    public var operation: String?
    /// The service's error code: `invalid_grant`, `InvalidInput`, S3's `AccessDenied`, Xero's exception type, …
    public var code: String?
    /// Further words of the service's (the SP-API's `details`) when it gave any.
    public var details: String?
    public var status: Int?
    /// The id the service gave the exchange: Xero-Correlation-Id, x-amzn-RequestId, S3's request id.
    public var requestID: String?
    /// Seconds the service asked lmb to wait (Retry-After).
    public var retryAfter: Double?
    /// Xero's ValidationErrors, each a message.
    public var validationErrors: [String]
    public var evidence: [String]
    /// The answer refused the access token itself: renewing it once may help (the exchange loop does so).
    public var accessTokenRejected = false
    /// S3 said a pre-signed address expired: asking for a fresh one may help.
    public var documentURLExpired = false
    /// An earlier attempt of the same call got a server error the exchange loop waited out: that attempt may have
    /// been processed, so this failure is no proof that nothing was created.
    public var earlierAttemptMayHaveBeenProcessed = false

    public init(_ classification: Classification, _ message: String, service: RemoteService, operation: String? = nil,
                code: String? = nil, details: String? = nil, status: Int? = nil, requestID: String? = nil,
                retryAfter: Double? = nil, validationErrors: [String] = [], evidence: [String] = []) {
        self.classification = classification
        self.message = message
        self.service = service
        self.operation = operation
        self.code = code
        self.details = details
        self.status = status
        self.requestID = requestID
        self.retryAfter = retryAfter
        self.validationErrors = validationErrors
        self.evidence = evidence
    }

    /// A failure of Xero's.
    public static func xero(_ classification: Classification, _ message: String, status: Int? = nil, requestID: String? = nil,
                            retryAfter: Double? = nil, validationErrors: [String] = [], evidence: [String] = []) -> RemoteFailure {
        RemoteFailure(classification, message, service: .xero, status: status, requestID: requestID, retryAfter: retryAfter,
                      validationErrors: validationErrors, evidence: evidence)
    }

    /// A failure of Amazon's.
    public static func amazon(_ classification: Classification, _ message: String, code: String? = nil, details: String? = nil,
                              status: Int? = nil, requestID: String? = nil, retryAfter: Double? = nil,
                              service: RemoteService = .amazon, evidence: [String] = []) -> RemoteFailure {
        RemoteFailure(classification, message, service: service, code: code, details: details, status: status, requestID: requestID,
                      retryAfter: retryAfter, evidence: evidence)
    }

    public var provider: Provider { service.provider }
    public var exitStatus: ExitStatus { classification.exitStatus }
    public var exitCode: Int32 { exitStatus.rawValue }

    /// The cause in the provider's plain words.
    public var plainWords: String { provider.voice.plainWords(classification) }

    public var description: String {
        var s = "\(plainWords): \(message)"
        if let code, !message.contains(code), provider != .xero { s += " [\(code)]" }
        if let details, !details.isEmpty, details != message { s += " — \(details)" }
        if let requestID { s += " (\(provider.voice.requestIDName) \(requestID))" }
        return s
    }

    public func adding(evidence line: String) -> RemoteFailure {
        var copy = self
        copy.evidence.append(line)
        return copy
    }

    /// Replaces every occurrence of each secret (four characters or longer), and anything shaped like a token lmb
    /// handles (Login with Amazon's `Atza|…`, `Atzr|…`, its client secrets `amzn1.oa2-cs.…`), with `<redacted>`.
    public func redacting(_ secrets: [String]) -> RemoteFailure {
        let secrets = secrets.filter { $0.count >= 4 }
        func scrub(_ s: String) -> String {
            secrets.reduce(s) { $0.replacingOccurrences(of: $1, with: Self.redacted) }
                .replacing(#/(Atz[ar]\||amzn1\.oa2-cs\.)[^\s"'&,;<]+/#, with: Self.redacted)
        }
        var copy = self
        copy.message = scrub(message)
        copy.code = code.map(scrub)
        copy.details = details.map(scrub)
        copy.requestID = requestID.map(scrub)
        copy.evidence = evidence.map(scrub)
        copy.validationErrors = validationErrors.map(scrub)
        return copy
    }

    public static let redacted = "<redacted>"

    /// No HTTP answer at all: the one mapping of a transport error, for every service.
    public static func transport(_ error: TransportError, service: RemoteService, operation: String? = nil) -> RemoteFailure {
        switch error {
        case .insecureURL:
            return RemoteFailure(.config, "refused to send to \(service.name): only https is allowed, except to a loopback address",
                                 service: service, operation: operation, evidence: ["the URL is not https and not loopback"])
        case .timeout:
            return RemoteFailure(.network, error.description, service: service, operation: operation,
                                 evidence: ["no complete answer from \(service.name) in time"])
        default:
            return RemoteFailure(.network, error.description, service: service, operation: operation,
                                 evidence: ["no HTTP answer from \(service.name): \(error)"])
        }
    }

    /// A 2xx answer whose body is not what the service describes: never read as empty, never a crash.
    public static func unexpectedAnswer(_ r: HTTPResponse, service: RemoteService, operation: String?, expected: String,
                                        requestID: String? = nil, error: (any Error)? = nil) -> RemoteFailure {
        var f = RemoteFailure(.unexpectedAnswer, "\(service.name) answered HTTP \(r.status) without \(expected)", service: service,
                              operation: operation, status: r.status, requestID: requestID,
                              evidence: ["body of \(r.body.count) bytes, content-type \(r.header("content-type") ?? "-")"])
        if let error { f.evidence.append("decoding failed: \(describeDecoding(error))") }
        return f
    }

    /// A decoding error in a line: the path and what was wrong there.
    public static func describeDecoding(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            return (c.codingPath.map(\.stringValue) + [c.debugDescription]).joined(separator: ": ")
        default: return "\(error)"
        }
    }
}

extension HTTPResponse {
    /// The body decoded as `T`, or `unexpected_answer` naming the service and operation (never a raw decoding error).
    public func decoded<T: Decodable>(_ type: T.Type, service: RemoteService, operation: String, requestID: String? = nil,
                                      decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(T.self, from: body)
        } catch {
            throw RemoteFailure.unexpectedAnswer(self, service: service, operation: operation, expected: "a valid \(T.self)",
                                                 requestID: requestID, error: error)
        }
    }

    /// Retry-After in seconds (the HTTP-date form is not used by the services lmb calls and is ignored).
    public var retryAfterSeconds: Double? {
        guard let value = header("retry-after").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), value >= 0, value.isFinite
        else { return nil }
        return value
    }
}
