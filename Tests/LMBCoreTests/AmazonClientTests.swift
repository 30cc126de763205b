import Foundation
import Testing
@testable import LMBCore

// MARK: - Fakes shared by the Amazon*Tests files

/// Scripts Amazon's answers by path and records every request. The last answer of a route repeats.
final class AmazonFakeTransport: HTTPTransport, CustomReflectable, @unchecked Sendable {
    private let lock = NSLock()
    private var routes: [(path: String, answers: [Result<HTTPResponse, TransportError>])] = []
    private var recorded: [HTTPRequest] = []

    /// First matching route wins: script the longer path first when one contains another.
    func on(_ pathContains: String, _ answers: HTTPResponse...) { on(pathContains, answers: answers) }

    func on(_ pathContains: String, answers: [HTTPResponse]) {
        lock.withLock { routes.append((pathContains, answers.map { .success($0) })) }
    }

    func fail(_ pathContains: String, _ error: TransportError) {
        lock.withLock { routes.append((pathContains, [.failure(error)])) }
    }

    var requests: [HTTPRequest] { lock.withLock { recorded } }
    /// The recorded requests hold tokens by design; CurlTransport holds none, so a dump shows none here either.
    var customMirror: Mirror { Mirror(self, children: [:]) }
    func requests(_ pathContains: String) -> [HTTPRequest] { requests.filter { $0.url.path.contains(pathContains) } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse { try sendBlocking(request) }

    func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        let answer: Result<HTTPResponse, TransportError>? = lock.withLock {
            recorded.append(request)
            guard let i = routes.firstIndex(where: { request.url.path.contains($0.path) }) else { return nil }
            return routes[i].answers.count > 1 ? routes[i].answers.removeFirst() : routes[i].answers[0]
        }
        guard let answer else { return HTTPResponse(status: 418, headers: [:], body: Data("unscripted \(request.url.path)".utf8)) }
        return try answer.get()
    }
}

/// A clock that never waits: sleeping moves it (wall time and uptime alike) forward and is recorded.
final class AmazonFakeClock: LMBClock, @unchecked Sendable {
    // @unchecked: `time` and `slept` are read and written only under `lock`.
    private let lock = NSLock()
    private var time: Double = 10_000
    private var slept: [Double] = []
    /// The wall clock starts on 2026-01-15.
    static let epoch = 1_768_435_200.0

    var uptime: Double { lock.withLock { time } }
    var now: Date { Date(timeIntervalSince1970: Self.epoch + uptime) }
    var sleeps: [Double] { lock.withLock { slept } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
    func sleep(seconds: Double) async throws {
        lock.withLock {
            slept.append(seconds)
            time += seconds
        }
    }
}

enum AmazonFixture {
    static let clientID = "amzn1.application-oa2-client.0123456789abcdef"
    static let clientSecret = "amzn1.oa2-cs.v1.c0ffeec0ffeec0ffeeSECRET"
    static let refreshToken = "Atzr|IwEBIREFRESHTOKENREFRESHTOKEN"
    static let credentials = AmazonCredentials(clientID: clientID, clientSecret: clientSecret, refreshToken: refreshToken, region: .eu)
    static let createdSince = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func json(_ status: Int, _ body: String, _ headers: [String: String] = [:]) -> HTTPResponse {
        var all = ["content-type": "application/json", "x-amzn-requestid": "req-\(status)"]
        for (k, v) in headers { all[k.lowercased()] = v }
        return HTTPResponse(status: status, headers: all, body: Data(body.utf8))
    }

    static func token(_ access: String, expiresIn: Int = 3600) -> HTTPResponse {
        json(200, #"{"access_token":"\#(access)","token_type":"bearer","expires_in":\#(expiresIn),"refresh_token":"\#(refreshToken)"}"#)
    }

    static func report(_ id: String, document: String?, created: String = "2026-01-10T08:00:00Z", status: String = "DONE") -> String {
        let doc = document.map { #","reportDocumentId":"\#($0)""# } ?? ""
        return #"{"reportId":"\#(id)","reportType":"GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2","createdTime":"\#(created)","processingStatus":"\#(status)","marketplaceIds":["A1PA6795UKMFR9"],"dataStartTime":"2025-12-20T00:00:00Z","dataEndTime":"2026-01-03T00:00:00Z"\#(doc)}"#
    }

    static let quotaExceeded = #"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}"#
    static let tokenExpired = #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}"#

    /// Every operation fast, so that pacing never waits unless a test wants it to.
    static func pacing(burst: Int = 100, rate: Double = 100) -> AmazonPacing {
        var p = AmazonPacing.default
        p.limits = Dictionary(uniqueKeysWithValues: AmazonOperation.allCases.map { ($0, AmazonRateLimit(rate: rate, burst: burst)) })
        return p
    }

    static func client(_ transport: AmazonFakeTransport, clock: AmazonFakeClock = AmazonFakeClock(), pacing: AmazonPacing = pacing()) -> AmazonReportsClient {
        AmazonReportsClient(credentials: credentials, endpoints: .amazon(.eu), transport: transport, clock: clock, pacing: pacing)
    }

    /// The form fields of a request body, decoded.
    static func form(_ request: HTTPRequest) -> [String: String] {
        let text = String(decoding: request.body ?? Data(), as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            fields[kv[0]] = kv.count > 1 ? kv[1].removingPercentEncoding : ""
        }
        return fields
    }

    static func header(_ request: HTTPRequest, _ name: String) -> String? {
        request.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// The RemoteFailure an operation threw (nil when it succeeded or threw something else).
func amazonFailure<T>(_ body: () async throws -> T) async -> RemoteFailure? {
    do {
        _ = try await body()
        return nil
    } catch let failure as RemoteFailure {
        return failure
    } catch {
        return nil
    }
}

/// The RemoteFailure a synchronous operation threw.
func amazonFailure(_ body: () throws -> Void) -> RemoteFailure? {
    do {
        try body()
        return nil
    } catch {
        return error as? RemoteFailure
    }
}

// MARK: - Reports API

@Suite("Amazon Reports API client")
struct AmazonReportsClientTests {
    @Test("getReports asks for DONE V2 settlement reports, 100 a page, created since the date, with SP-API headers")
    func firstPage() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(200, #"{"reports":[\#(AmazonFixture.report("1", document: "amzn1.spdoc.1.4.eu.d1"))]}"#))
        let reports = try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince)
        #expect(reports.map(\.reportDocumentId) == ["amzn1.spdoc.1.4.eu.d1"])
        let request = try #require(transport.requests("/reports/").first)
        #expect(request.method == "GET")
        #expect(request.url.host == "sellingpartnerapi-eu.amazon.com")
        let items = try #require(URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems)
        #expect(items.map { "\($0.name)=\($0.value ?? "")" } == [
            "reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "processingStatuses=DONE", "pageSize=100",
            "createdSince=2026-01-01T00:00:00Z",
        ])
        #expect(AmazonFixture.header(request, "x-amz-access-token") == "Atza|one")
        #expect(AmazonFixture.header(request, "user-agent") == "lmb/\(LMBVersion.current) (Language=Swift)")
        #expect(AmazonFixture.header(request, "accept") == "application/json")
        #expect(AmazonFixture.header(request, "authorization") == nil)
    }

    @Test("later pages send nextToken as the only parameter, percent-encoded")
    func paging() async throws {
        let token = "VGhpcy+0b2tlbi/pcyBvcGFxdWU=="
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports",
                     AmazonFixture.json(200, #"{"reports":[\#(AmazonFixture.report("1", document: "d1")),\#(AmazonFixture.report("2", document: "d2"))],"nextToken":"\#(token)"}"#),
                     AmazonFixture.json(200, #"{"reports":[\#(AmazonFixture.report("3", document: "d3"))],"nextToken":"page3"}"#),
                     AmazonFixture.json(200, #"{"reports":[]}"#))
        let reports = try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince)
        #expect(reports.map(\.reportId) == ["1", "2", "3"])
        let pages = transport.requests("/reports/")
        #expect(pages.count == 3)
        let second = pages[1]
        #expect(second.url.query == "nextToken=VGhpcy%2B0b2tlbi%2FpcyBvcGFxdWU%3D%3D")
        let items = try #require(URLComponents(url: second.url, resolvingAgainstBaseURL: false)?.queryItems)
        #expect(items.count == 1)
        #expect(items.first?.name == "nextToken")
        #expect(items.first?.value?.removingPercentEncoding == token)
        #expect(pages[2].url.query == "nextToken=page3")
    }

    @Test("a nextToken Amazon repeats stops the listing instead of looping")
    func repeatedNextToken() async {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(200, #"{"reports":[],"nextToken":"same"}"#))
        let failure = await amazonFailure { try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince) }
        #expect(failure?.classification == .unexpectedAnswer)
        #expect(transport.requests("/reports/").count == 2)
    }

    @Test("reports decode with and without fractional seconds, without a document, and with a status Amazon adds later")
    func reportDecoding() throws {
        let body = #"{"reports":[\#(AmazonFixture.report("1", document: "d1", created: "2024-03-10T13:47:20.677Z")),\#(AmazonFixture.report("2", document: nil, created: "2024-03-10T13:47:20Z", status: "IN_PROGRESS")),\#(AmazonFixture.report("3", document: nil, created: "2024-03-10T14:47:20+01:00", status: "SOMETHING_NEW"))]}"#
        let page = try ReportsAPI.decoder().decode(ReportsAPI.GetReportsResponse.self, from: Data(body.utf8))
        #expect(page.nextToken == nil)
        #expect(page.reports[0].createdTime.timeIntervalSince1970 == 1_710_078_440.677)
        #expect(page.reports[1].createdTime.timeIntervalSince1970 == 1_710_078_440)
        #expect(page.reports[2].createdTime == page.reports[1].createdTime)
        #expect(page.reports[1].reportDocumentId == nil)
        #expect(page.reports[1].processingStatus == .inProgress)
        #expect(page.reports[2].processingStatus.rawValue == "SOMETHING_NEW")
        #expect(page.reports[0].marketplaceIds == ["A1PA6795UKMFR9"])
        #expect(throws: DecodingError.self) {
            try ReportsAPI.decoder().decode(ReportsAPI.Report.self, from: Data(AmazonFixture.report("x", document: nil, created: "10/03/2024").utf8))
        }
    }

    @Test("getReport and getReportDocument call their paths, with the id percent-encoded")
    func singleCalls() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/documents/", AmazonFixture.json(200, #"{"reportDocumentId":"amzn1.spdoc.1.4.eu.d/1","url":"https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/doc?X-Amz-Signature=abc","compressionAlgorithm":"GZIP"}"#))
        transport.on("/reports/2021-06-30/reports/", AmazonFixture.json(200, AmazonFixture.report("5004", document: "d5")))
        let client = AmazonFixture.client(transport)
        let report = try await client.getReport(id: "5004")
        #expect(report.reportId == "5004")
        let document = try await client.getReportDocument(id: "amzn1.spdoc.1.4.eu.d/1")
        #expect(document.compressionAlgorithm == "GZIP")
        #expect(transport.requests.map(\.url.absoluteString).dropFirst() == [
            "https://sellingpartnerapi-eu.amazon.com/reports/2021-06-30/reports/5004",
            "https://sellingpartnerapi-eu.amazon.com/reports/2021-06-30/documents/amzn1.spdoc.1.4.eu.d%2F1",
        ])
    }

    @Test("an access token refused as expired is renewed once and the call retried with the new one")
    func renewOnce() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"), AmazonFixture.token("Atza|two"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(403, AmazonFixture.tokenExpired), AmazonFixture.json(200, #"{"reports":[]}"#))
        _ = try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince)
        #expect(transport.requests("/auth/o2/token").count == 2)
        #expect(transport.requests("/reports/").map { AmazonFixture.header($0, "x-amz-access-token") } == ["Atza|one", "Atza|two"])
    }

    @Test("a renewed token refused again is token_expired, exit 77, after exactly one renewal")
    func renewalDoesNotHelp() async {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"), AmazonFixture.token("Atza|two"), AmazonFixture.token("Atza|three"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(403, AmazonFixture.tokenExpired))
        let failure = await amazonFailure { try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince) }
        #expect(failure?.classification == .tokenExpired)
        #expect(failure?.exitStatus == .mustAct)
        #expect(failure?.details == "The access token you provided has expired.")
        #expect(transport.requests("/auth/o2/token").count == 2)
        #expect(transport.requests("/reports/").count == 2)
        #expect(failure?.evidence.contains { $0.contains("renewed the access token once") } == true)
    }

    @Test("a 403 without token details (the missing role) is not renewed: permission_denied at once")
    func missingRoleIsNotRenewed() async {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(403, #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}"#))
        let failure = await amazonFailure { try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince) }
        #expect(failure?.classification == .permissionDenied)
        #expect(transport.requests.count == 2)
    }

    @Test("a 429 is waited out (Retry-After, else 1/rate) and the call retried")
    func quotaRetried() async throws {
        let transport = AmazonFakeTransport()
        let clock = AmazonFakeClock()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports",
                     AmazonFixture.json(429, AmazonFixture.quotaExceeded, ["Retry-After": "7"]),
                     AmazonFixture.json(429, AmazonFixture.quotaExceeded),
                     AmazonFixture.json(200, #"{"reports":[]}"#))
        let reports = try await AmazonFixture.client(transport, clock: clock, pacing: AmazonFixture.pacing(rate: 0.5)).getReports(createdSince: AmazonFixture.createdSince)
        #expect(reports.isEmpty)
        #expect(transport.requests("/reports/").count == 3)
        #expect(clock.sleeps.first == 7)
        #expect(clock.sleeps.contains(2))    // 1 / 0.5
        #expect(clock.sleeps.reduce(0, +) <= 7 + 2 + 2)
    }

    @Test("after a 429 lmb's bucket restarts empty: a Retry-After shorter than 1/rate is topped up to 1/rate")
    func quotaDrainsTheBucket() async throws {
        let transport = AmazonFakeTransport()
        let clock = AmazonFakeClock()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports/", AmazonFixture.json(429, AmazonFixture.quotaExceeded, ["Retry-After": "1"]),
                     AmazonFixture.json(200, AmazonFixture.report("1", document: "d1")))
        _ = try await AmazonFixture.client(transport, clock: clock, pacing: AmazonFixture.pacing(rate: 0.5)).getReport(id: "1")
        #expect(clock.sleeps == [1, 1])
    }

    @Test("429s past the retry limit give up with rate_limited, exit 75")
    func quotaGivesUp() async {
        let transport = AmazonFakeTransport()
        let clock = AmazonFakeClock()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(429, AmazonFixture.quotaExceeded, ["Retry-After": "1"]))
        let failure = await amazonFailure {
            try await AmazonFixture.client(transport, clock: clock).getReports(createdSince: AmazonFixture.createdSince)
        }
        #expect(failure?.classification == .rateLimited)
        #expect(failure?.exitStatus == .temporary)
        #expect(failure?.code == "QuotaExceeded")
        #expect(failure?.message == "You exceeded your quota for the requested resource.")
        #expect(transport.requests("/reports/").count == 1 + AmazonPacing.default.maxRateLimitRetries)
        #expect(failure?.evidence.contains { $0.contains("gave up after 3 waits") } == true)
    }

    @Test("the total wait for 429s is bounded: at 1/60 s a call gives up after two minutes, not three")
    func quotaWaitBounded() async {
        let transport = AmazonFakeTransport()
        let clock = AmazonFakeClock()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/documents/", AmazonFixture.json(429, AmazonFixture.quotaExceeded))
        let failure = await amazonFailure {
            try await AmazonFixture.client(transport, clock: clock, pacing: .default).getReportDocument(id: "d1")
        }
        #expect(failure?.classification == .rateLimited)
        #expect(transport.requests("/documents/").count == 3)   // 2 × 59.9 s fit in 120 s, a third would not
        #expect(clock.sleeps.reduce(0, +) <= 120)
    }

    @Test("a transport failure is network (exit 75) and names no secret")
    func network() async {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.fail("/reports/", .timeout("sellingpartnerapi-eu.amazon.com: Timeout was reached"))
        let failure = await amazonFailure { try await AmazonFixture.client(transport).getReports(createdSince: AmazonFixture.createdSince) }
        #expect(failure?.classification == .network)
        #expect(failure?.exitStatus == .temporary)
        #expect(failure.map { !"\($0)".contains("Atza|one") } == true)
    }
}
