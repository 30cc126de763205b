import Foundation

/// Everything the Amazon side of the sandbox remembers. A seller is a refresh token: a report posted without one is
/// every seller's, one posted with `?refresh_token=` (or created by a seller) that seller's only.
struct AmazonState {
    var options = AmazonOptions()
    /// In creation order; reports leave after 90 days of sandbox clock.
    var reports: [AmazonReport] = []
    var documents: [String: AmazonDocument] = [:]
    var accessTokens: [String: AmazonAccessToken] = [:]
    var issuedAccessTokens: [String] = []   // in issue order, for /_sandbox/state
    var presignedURLs: [String: AmazonPresignedURL] = [:]   // by X-Amz-Signature
    var buckets: [AmazonBucketKey: AmazonTokenBucket] = [:]
    var pageCursors: [String: AmazonPageCursor] = [:]   // by nextToken
    /// Documents whose first download `amazon-url-expired` has already refused.
    var documentsRefusedAsExpired: Set<String> = []
    var requests: [AmazonLoggedRequest] = []
    var lastReportNumber = 51_000_000_000
    /// Restricted data tokens (Tokens API), by value.
    var restrictedTokens: [String: AmazonRestrictedToken] = [:]
    /// VAT Transactions Report files by month (`YYYY-MM`), posted through the control API: what a requested
    /// GET_VAT_TRANSACTION_DATA report holds.
    var vatData: [String: Data] = [:]
    /// Refresh tokens revoked one by one (`amazon-refresh-revoked` with `"refresh_token"`): LWA refuses only these.
    var revokedRefreshTokens: Set<String> = []

    /// Reset clears what was created but keeps the configured limits, as the Xero side keeps `/_sandbox/config`.
    func cleared() -> AmazonState { AmazonState(options: options) }

    mutating func nextReportID() -> String {
        lastReportNumber += 1
        return String(lastReportNumber)
    }
}

struct AmazonOptions {
    var limits: [AmazonOperation: AmazonRateLimit] = AmazonOperation.defaultLimits
    /// LWA access tokens live an hour of sandbox clock, as Amazon's do.
    var accessTokenSeconds: TimeInterval = 3600
    /// Pre-signed S3 addresses expire after 5 minutes of sandbox clock.
    var presignedURLSeconds: TimeInterval = 300
    /// Whether the seller's app holds the Tax Remittance role (restricted): without it Amazon refuses a restricted data
    /// token for a VAT report's document, and the report itself, with 403 Unauthorized.
    var taxRemittanceRole = true
}

/// The Reports API operations, by their names in Amazon's model.
enum AmazonOperation: String, CaseIterable, Sendable {
    case getReports, getReport, createReport, cancelReport, getReportDocument
    /// Tokens API 2021-03-01.
    case createRestrictedDataToken

    /// The default usage plan, from each operation's description in reports_2021-06-30.json.
    static let defaultLimits: [AmazonOperation: AmazonRateLimit] = [
        .getReports: AmazonRateLimit(rate: 0.0222, burst: 10),
        .getReport: AmazonRateLimit(rate: 2, burst: 15),
        .createReport: AmazonRateLimit(rate: 0.0167, burst: 15),
        .cancelReport: AmazonRateLimit(rate: 0.0222, burst: 10),
        .getReportDocument: AmazonRateLimit(rate: 0.0167, burst: 15),
        .createRestrictedDataToken: AmazonRateLimit(rate: 1, burst: 10),
    ]
}

struct AmazonRateLimit: Equatable {
    var rate: Double    // tokens per second
    var burst: Int      // bucket size
}

/// Limits apply per application and selling account; the refresh token stands for both here.
struct AmazonBucketKey: Hashable {
    var operation: AmazonOperation
    var seller: String
}

struct AmazonTokenBucket {
    var tokens: Double
    var updatedAt: Date
}

struct AmazonAccessToken {
    var value: String
    var clientID: String
    var refreshToken: String
    var issuedAt: Date
    var expiresAt: Date
}

struct AmazonReport {
    var reportID: String
    var reportType: String
    var createdTime: Date
    var dataStartTime: Date
    var dataEndTime: Date
    var marketplaceIDs: [String]
    /// Set for the reports Amazon generated itself (settlements): DONE from the start.
    var reportDocumentID: String?
    /// Set when a requested report was cancelled by `cancelReport`.
    var cancelledAt: Date?
    /// A requested report that ends DONE (with `reportDocumentID`) or FATAL: when it does.
    var finishesAt: Date?
    var fatal = false
    /// The seller (refresh token) who alone sees it; nil: every seller.
    var seller: String? = nil
}

/// A restricted data token: an access token good for the listed operations only, for an hour.
struct AmazonRestrictedToken {
    var value: String
    var refreshToken: String
    /// `GET /reports/2021-06-30/documents/amzn1.spdoc…`, as requested.
    var resources: Set<String>
    var expiresAt: Date
}

/// How a settlement document is stored, and how S3 labels it.
enum AmazonCharset: String, CaseIterable {
    case utf8 = "UTF-8"
    case cp1252 = "Cp1252"
    case shiftJIS = "Shift_JIS"
    case none

    init?(name: String) {
        switch name.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "cp1252", "windows-1252": self = .cp1252
        case "shift_jis", "shift-jis", "sjis": self = .shiftJIS
        case "none": self = .none
        default: return nil
        }
    }

    /// The `Content-Type` S3 sends: Amazon's Java charset names; no parameter at all for `none`.
    var contentType: String { self == .none ? "text/plain" : "text/plain; charset=\(rawValue)" }
}

struct AmazonDocument {
    var reportDocumentID: String
    var s3Key: String
    /// The bytes S3 serves: already transcoded, and gzip-compressed when `gzipped`.
    var stored: Data
    var charset: AmazonCharset
    var gzipped: Bool
    var lastModified: Date
    var etag: String
}

struct AmazonPresignedURL {
    var signature: String
    var reportDocumentID: String
    var s3Key: String
    var amzDate: String      // X-Amz-Date as minted
    var expiresAt: Date
    /// `enableContentEncodingUrlHeader=true`: S3 then labels the gzipped body `Content-Encoding: gzip`.
    var contentEncodingGzip: Bool
    /// Refused as expired by `amazon-url-expired`: it stays expired, as a real expired address does.
    var forcedExpired = false
}

/// What getReports filters on; kept behind a nextToken so later pages use the first call's filters.
struct AmazonReportFilter {
    var reportTypes: Set<String>
    var processingStatuses: Set<String>?
    var marketplaceIDs: Set<String>?
    var createdSince: Date
    var createdUntil: Date
    var pageSize: Int
}

/// Where the next page starts: after this report in newest-first order, so reports added meanwhile do not shift pages.
struct AmazonPageCursor {
    var filter: AmazonReportFilter
    var after: AmazonReport
}

struct AmazonLoggedRequest {
    var method: String
    var path: String
    var query: String   // raw, as sent
    var status: Int
    var time: Date
}
