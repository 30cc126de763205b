import Foundation
import Testing
@testable import XeroSandbox

/// Talking to the sandbox's Amazon side as lmb would: LWA, then the Reports API with x-amz-access-token, then S3.
extension SandboxFixture {
    static let userAgent = "lmb-tests/1.0 (Language=Swift; Platform=Linux)"
    static let refreshToken = "Atzr|IwEBIsandbox-refresh-token"
    static let settlementsQuery = "reportTypes=GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2&processingStatuses=DONE"

    /// A V2 settlement with characters outside ASCII: Cp1252 can hold them, Shift_JIS cannot (é, ö, €).
    static let europeanSettlement = """
        settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tmarketplace-name\tamount-type\tamount-description\tamount\tsku
        30000000003\t01.11.2024 08:00:00 UTC\t15.11.2024 08:00:00 UTC\t17.11.2024 08:00:00 UTC\t23,86\tEUR\t\t\t\t\t\t
        30000000003\t\t\t\t\t\tOrder\tAmazon.fr\tItemPrice\tPrincipal\t25,99\tCafé-Tasse
        30000000003\t\t\t\t\t\tOrder\tAmazon.de\tItemFees\tGröße Gebühr €\t-2,13\tKaffeemühle

        """

    static let japaneseSettlement = """
        settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tmarketplace-name\tamount-type\tamount-description\tamount\tsku
        11000000010\t2024/10/01\t2024/10/15\t2024/10/17\t3161\tJPY\t\t\t\t\t\t
        11000000010\t\t\t\t\t\tOrder\tAmazon.co.jp\tItemPrice\tPrincipal\t3980\t日本茶-緑

        """

    // MARK: Login with Amazon

    func lwaForm(_ fields: [String: String]) async throws -> Reply { try await form("/auth/o2/token", fields) }

    func lwaJSON(_ fields: [String: String]) async throws -> Reply {
        try await send("POST", "/auth/o2/token", headers: ["Content-Type": "application/json"],
                       body: try JSONSerialization.data(withJSONObject: fields))
    }

    static func grant(_ refreshToken: String = SandboxFixture.refreshToken) -> [String: String] {
        ["grant_type": "refresh_token", "refresh_token": refreshToken,
         "client_id": "amzn1.application-oa2-client.sandbox", "client_secret": "amzn1.oa2-cs.v1.sandbox"]
    }

    func amazonToken(_ refreshToken: String = SandboxFixture.refreshToken) async throws -> String {
        let r = try await lwaForm(Self.grant(refreshToken))
        #expect(r.status == 200, "\(r.text)")
        return try #require(r.object["access_token"] as? String)
    }

    // MARK: Reports API and S3

    /// An SP-API call with lmb's headers (the user agent is omitted when nil).
    func spapi(_ method: String, _ pathAndQuery: String, token: String?, body: Any? = nil,
               userAgent: String? = SandboxFixture.userAgent) async throws -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["x-amz-access-token"] = token }
        if let userAgent { headers["User-Agent"] = userAgent }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        if data != nil { headers["Content-Type"] = "application/json" }
        return try await send(method, pathAndQuery, headers: headers, body: data)
    }

    func getReports(_ query: String, token: String?) async throws -> Reply {
        try await spapi("GET", "/reports/2021-06-30/reports?" + query, token: token)
    }

    func reportDocument(_ id: String, token: String) async throws -> Reply {
        try await spapi("GET", "/reports/2021-06-30/documents/" + id, token: token)
    }

    /// A download at a pre-signed address, which must be on the sandbox's own base URL.
    func download(_ url: String, headers: [String: String] = [:]) async throws -> Reply {
        #expect(url.hasPrefix(base + "/"), "\(url)")
        return try await send("GET", String(url.dropFirst(base.count)), headers: headers)
    }

    /// Adds a DONE settlement report through the control API; answers (reportId, reportDocumentId).
    @discardableResult
    func postSettlement(_ text: String = SandboxFixture.europeanSettlement, query: String = "") async throws -> (report: String, document: String) {
        let r = try await send("POST", "/_sandbox/amazon/reports" + (query.isEmpty ? "" : "?" + query), body: Data(text.utf8))
        #expect(r.status == 200, "\(r.text)")
        return (try #require(r.object["reportId"] as? String), try #require(r.object["reportDocumentId"] as? String))
    }

    @discardableResult
    func amazonBuckets(_ buckets: [String: [String: Double]]) async throws -> Reply {
        let r = try await send("POST", "/_sandbox/amazon/config", body: try JSONSerialization.data(withJSONObject: ["buckets": buckets]))
        #expect(r.status == 200, "\(r.text)")
        return r
    }

    @discardableResult
    func advance(_ seconds: Double) async throws -> Reply { try await control("clock", ["advance_seconds": seconds]) }

    @discardableResult
    func freeze() async throws -> Reply { try await control("clock", ["freeze": true]) }

    func sandboxNow() async throws -> Date {
        let clock = try await state()["clock"] as? [String: Any]
        let text = try #require(clock?["now"] as? String)
        return try #require(Self.parseDate(text))
    }

    func amazonState() async throws -> [String: Any] { try await state()["amazon"] as? [String: Any] ?? [:] }

    static func parseDate(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func errorCode(_ r: Reply) -> String? { ((r.object["errors"] as? [[String: Any]])?.first)?["code"] as? String }
    static func errorDetails(_ r: Reply) -> String? { ((r.object["errors"] as? [[String: Any]])?.first)?["details"] as? String }

    /// gunzip by the system's gzip, not the sandbox's own zlib code.
    static func gunzip(_ data: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return out
    }
}
