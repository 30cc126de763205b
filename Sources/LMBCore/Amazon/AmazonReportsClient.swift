import Foundation

/// The Reports API calls lmb makes: find settlement reports, get a report, get a document's pre-signed address.
/// Each call is paced by the operation's token bucket, renews a refused access token once, and waits out a 429 a
/// bounded number of times. Every failure is an `RemoteFailure` without secrets.
public struct AmazonReportsClient: Sendable {
    public static let userAgent = "lmb/\(LMBVersion.current) (Language=Swift)"
    /// More pages than this in one listing means Amazon repeats itself; 100 pages of 100 is 27 years of settlements.
    public static let maxPages = 100

    public let credentials: AmazonCredentials
    public let endpoints: AmazonEndpoints
    public let transport: any HTTPTransport
    public let clock: any LMBClock
    public let pacing: AmazonPacing
    public let tokens: OAuthTokenManager
    public let limiter: AmazonRateLimiter

    public init(credentials: AmazonCredentials, endpoints: AmazonEndpoints, transport: any HTTPTransport,
                clock: any LMBClock, pacing: AmazonPacing = .default) {
        self.credentials = credentials
        self.endpoints = endpoints
        self.transport = transport
        self.clock = clock
        self.pacing = pacing
        self.tokens = LWAGrant.manager(credentials: credentials, endpoints: endpoints, transport: transport, clock: clock,
                                       margin: pacing.accessTokenMargin)
        self.limiter = AmazonRateLimiter(pacing: pacing, clock: clock)
    }

    /// The one exchange loop, bounded by the pacing's 429 limits.
    var exchange: Exchange {
        Exchange(transport: transport, clock: clock,
                 waits: WaitPolicy(maxWaits: pacing.maxRateLimitRetries, maxSingleWait: pacing.maxRateLimitWait,
                                   maxTotalWait: pacing.maxRateLimitWait, defaultWait: 60),
                 onWait: { [limiter] _, line in await limiter.note(line) })
    }

    // MARK: getReports

    /// Every report matching the filters, following `nextToken` until the last page.
    public func getReports(createdSince: Date, createdUntil: Date? = nil,
                           reportTypes: [String] = [ReportsAPI.settlementReportType],
                           processingStatuses: [ReportsAPI.ProcessingStatus] = [.done],
                           marketplaceIds: [String] = [], pageSize: Int = 100) async throws -> [ReportsAPI.Report] {
        var page = try await getReportsPage(createdSince: createdSince, createdUntil: createdUntil, reportTypes: reportTypes,
                                            processingStatuses: processingStatuses, marketplaceIds: marketplaceIds, pageSize: pageSize)
        var reports = page.reports
        var seen: Set<String> = []
        while let next = page.nextToken, !next.isEmpty {
            guard seen.insert(next).inserted, seen.count < Self.maxPages else {
                throw RemoteFailure.amazon(.unexpectedAnswer, "getReports kept answering with another page (\(seen.count) pages); lmb stopped",
                                    service: .sellingPartnerAPI, evidence: ["nextToken repeated or more than \(Self.maxPages) pages"])
            }
            page = try await getReportsPage(nextToken: next)
            reports += page.reports
        }
        return reports
    }

    /// The first page: the filters, never a nextToken.
    public func getReportsPage(createdSince: Date?, createdUntil: Date? = nil,
                               reportTypes: [String] = [ReportsAPI.settlementReportType],
                               processingStatuses: [ReportsAPI.ProcessingStatus] = [.done],
                               marketplaceIds: [String] = [], pageSize: Int = 100) async throws -> ReportsAPI.GetReportsResponse {
        var query: [(String, String)] = [("reportTypes", reportTypes.joined(separator: ","))]
        if !processingStatuses.isEmpty { query.append(("processingStatuses", processingStatuses.map(\.rawValue).joined(separator: ","))) }
        if !marketplaceIds.isEmpty { query.append(("marketplaceIds", marketplaceIds.joined(separator: ","))) }
        query.append(("pageSize", String(min(max(pageSize, 1), 100))))
        if let createdSince { query.append(("createdSince", ReportsAPI.dateText(createdSince))) }
        if let createdUntil { query.append(("createdUntil", ReportsAPI.dateText(createdUntil))) }
        return try await call(.getReports, path: "/reports/\(ReportsAPI.version)/reports", query: query, as: ReportsAPI.GetReportsResponse.self)
    }

    /// A later page: Amazon refuses a nextToken with any other parameter beside it.
    public func getReportsPage(nextToken: String) async throws -> ReportsAPI.GetReportsResponse {
        try await call(.getReports, path: "/reports/\(ReportsAPI.version)/reports", query: [("nextToken", nextToken)],
                       as: ReportsAPI.GetReportsResponse.self)
    }

    // MARK: getReport, getReportDocument

    public func getReport(id reportId: String) async throws -> ReportsAPI.Report {
        try await call(.getReport, path: "/reports/\(ReportsAPI.version)/reports/\(Self.pathSegment(reportId))", query: [],
                       as: ReportsAPI.Report.self)
    }

    /// The document's pre-signed address, valid for 5 minutes: ask right before downloading. A restricted report's
    /// document is asked for with a restricted data token (`tokens`) instead of the LWA access token.
    public func getReportDocument(id documentId: String, tokens: (any AccessTokenSource)? = nil) async throws -> ReportsAPI.ReportDocument {
        try await call(.getReportDocument, path: Self.documentPath(documentId), query: [], tokens: tokens, as: ReportsAPI.ReportDocument.self)
    }

    static func documentPath(_ documentId: String) -> String { "/reports/\(ReportsAPI.version)/documents/\(pathSegment(documentId))" }

    // MARK: The exchange

    func call<T: Decodable>(_ operation: AmazonOperation, path: String, query: [(String, String)], method: String = "GET",
                            body: Data? = nil, tokens: (any AccessTokenSource)? = nil, as type: T.Type) async throws -> T {
        let response = try await send(operation, url: url(path: path, query: query), method: method, body: body, tokens: tokens)
        return try response.decoded(T.self, service: .sellingPartnerAPI, operation: operation.rawValue,
                                    requestID: response.header("x-amzn-requestid"), decoder: ReportsAPI.decoder())
    }

    /// One operation through the exchange loop: paced by the operation's bucket, the access token renewed once if
    /// Amazon refuses it, a 429 waited out within the pacing's bounds (Retry-After, else one token's worth of time).
    func send(_ operation: AmazonOperation, url: URL, method: String = "GET", body: Data? = nil,
              tokens override: (any AccessTokenSource)? = nil) async throws -> HTTPResponse {
        let limiter = self.limiter
        return try await exchange.perform(
            service: .sellingPartnerAPI, operation: operation.rawValue, tokens: override ?? (self.tokens as any AccessTokenSource), secrets: credentials.secrets,
            classify: { AmazonErrorClassifier.classify($0, from: .sellingPartnerAPI) },
            pace: { try await limiter.acquire(operation) },
            observe: { await limiter.adopt(rateLimitHeader: $0.header("x-amzn-ratelimit-limit"), for: operation) },
            waitHint: { _ in
                await limiter.drain(operation)
                return 1 / (await limiter.limit(operation)).rate
            },
            request: { token in
                var headers = [("x-amz-access-token", token ?? ""), ("user-agent", Self.userAgent), ("accept", "application/json")]
                if body != nil { headers.append(("content-type", "application/json")) }
                return HTTPRequest(method: method, url: url, headers: headers, body: body)
            })
    }

    func url(path: String, query: [(String, String)]) -> URL {
        let root = endpoints.sellingPartnerAPI.absoluteString
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return URL(string: base + path + (query.isEmpty ? "" : "?" + FormEncoding.encode(query)))!
    }

    /// A path segment with everything but unreserved ASCII percent-encoded.
    static func pathSegment(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~".utf8.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
