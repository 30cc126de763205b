import Foundation

/// The Reports API calls lmb makes: find settlement reports, get a report, get a document's pre-signed address.
/// Each call is paced by the operation's token bucket, renews a refused access token once, and waits out a 429 a
/// bounded number of times. Every failure is an `AmazonFailure` without secrets.
public struct AmazonReportsClient: Sendable {
    public static let userAgent = "lmb/\(LMBVersion.current) (Language=Swift)"
    /// More pages than this in one listing means Amazon repeats itself; 100 pages of 100 is 27 years of settlements.
    public static let maxPages = 100

    public let credentials: AmazonCredentials
    public let endpoints: AmazonEndpoints
    public let transport: any HTTPTransport
    public let clock: any AmazonClock
    public let pacing: AmazonPacing
    public let tokens: LWATokenManager
    public let limiter: AmazonRateLimiter

    public init(credentials: AmazonCredentials, endpoints: AmazonEndpoints, transport: any HTTPTransport,
                clock: any AmazonClock = SystemAmazonClock(), pacing: AmazonPacing = .default) {
        self.credentials = credentials
        self.endpoints = endpoints
        self.transport = transport
        self.clock = clock
        self.pacing = pacing
        self.tokens = LWATokenManager(credentials: credentials, endpoints: endpoints, transport: transport, clock: clock,
                                      margin: pacing.accessTokenMargin)
        self.limiter = AmazonRateLimiter(pacing: pacing, clock: clock)
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
                throw AmazonFailure(.unexpectedAnswer, "getReports kept answering with another page (\(seen.count) pages); lmb stopped",
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

    /// The document's pre-signed address, valid for 5 minutes: ask right before downloading.
    public func getReportDocument(id documentId: String) async throws -> ReportsAPI.ReportDocument {
        try await call(.getReportDocument, path: "/reports/\(ReportsAPI.version)/documents/\(Self.pathSegment(documentId))", query: [],
                       as: ReportsAPI.ReportDocument.self)
    }

    // MARK: The exchange

    func call<T: Decodable>(_ operation: AmazonOperation, path: String, query: [(String, String)], as type: T.Type) async throws -> T {
        let response = try await send(operation, url: url(path: path, query: query))
        do {
            return try ReportsAPI.decoder().decode(T.self, from: response.body)
        } catch {
            throw AmazonErrorClassifier.unexpectedBody(response, from: .sellingPartnerAPI, expected: "a valid \(T.self) (\(operation.rawValue))")
                .adding(evidence: "decoding failed: \(Self.describe(error))")
        }
    }

    /// One operation, paced; the access token renewed once if Amazon refuses it; a 429 waited out within the bounds.
    func send(_ operation: AmazonOperation, url: URL) async throws -> HTTPResponse {
        var renewed = false
        var retries = 0
        var waited = 0.0
        var token = try await tokens.accessToken()
        while true {
            try await limiter.acquire(operation)
            let request = HTTPRequest(method: "GET", url: url, headers: [
                ("x-amz-access-token", token), ("user-agent", Self.userAgent), ("accept", "application/json"),
            ])
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch let error as TransportError {
                throw AmazonErrorClassifier.classify(error, from: .sellingPartnerAPI).adding(evidence: "during \(operation.rawValue)")
                    .redacting(credentials.secrets + [token])
            }
            await limiter.adopt(rateLimitHeader: response.header("x-amzn-ratelimit-limit"), for: operation)
            guard var failure = AmazonErrorClassifier.classify(response, from: .sellingPartnerAPI) else { return response }
            failure = failure.adding(evidence: "during \(operation.rawValue)").redacting(credentials.secrets + [token])

            if failure.accessTokenRejected {
                guard !renewed else {
                    throw failure.adding(evidence: "lmb renewed the access token once and Amazon refused the new one as well")
                }
                renewed = true
                token = try await tokens.renew(rejected: token)
                continue
            }
            if failure.classification == .rateLimited {
                let limit = await limiter.limit(operation)
                let wait = failure.retryAfter ?? 1 / limit.rate
                guard retries < pacing.maxRateLimitRetries, waited + wait <= pacing.maxRateLimitWait else {
                    throw failure.adding(evidence: "gave up after \(retries) retries and \(Int(waited.rounded())) s of waiting (limit \(pacing.maxRateLimitRetries) retries, \(Int(pacing.maxRateLimitWait)) s)")
                }
                retries += 1
                waited += wait
                await limiter.note("Amazon answered 429 to \(operation.rawValue); waiting \(Int(wait.rounded(.up))) s (retry \(retries) of \(pacing.maxRateLimitRetries))")
                await limiter.drain(operation)
                try await clock.sleep(seconds: wait)
                continue
            }
            throw failure
        }
    }

    func url(path: String, query: [(String, String)]) -> URL {
        let root = endpoints.sellingPartnerAPI.absoluteString
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        return URL(string: base + path + (query.isEmpty ? "" : "?" + TokenManager.form(query)))!
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

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c), DecodingError.dataCorrupted(let c):
            return (c.codingPath.map(\.stringValue) + [c.debugDescription]).joined(separator: ": ")
        default: return "\(error)"
        }
    }
}
