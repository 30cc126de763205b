import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

/// The Amazon side of a sandbox home: settlement reports posted to the emulator, the selling account's secrets in
/// the environment (never on a command line), and the emulator's request log.
enum AmazonE2E {
    static let clientID = "amzn1.application-oa2-client.e2e0123456789"
    static let clientSecret = "amzn1.oa2-cs.v1.e2e-\(UUID().uuidString.lowercased())"
    static let refreshToken = "Atzr|IwEBI-e2e-\(UUID().uuidString)"

    /// v2-us.txt as settlement `id`; `variant` changes a row's time (not its amounts), as a regenerated report might.
    static func settlement(_ id: String, variant: Bool = false) throws -> String {
        var text = try String(contentsOfFile: E2E.fixture("v2-us.txt"), encoding: .utf8).replacingOccurrences(of: "10000000001", with: id)
        if variant, let r = text.range(of: "2024-10-08 10:00:00 UTC") { text.replaceSubrange(r, with: "2024-10-08 11:00:00 UTC") }
        return text
    }

    /// A German settlement whose descriptions carry what only Windows-1252 has (€ is 0x80, – is 0x96) and é, ü.
    static func accentedSettlement() throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: E2E.fixture("v2-de-cp1252.txt")))
        let text = try #require(String(data: data, encoding: .windowsCP1252))
        return text.replacingOccurrences(of: "\tShipping\t", with: "\tVersandgebühr – Café €\t")
    }

    /// Classifies the emulator's log: LWA, getReports, getReportDocument, downloads.
    struct Requests {
        var all: [[String: Any]]
        func count(_ kind: String) -> Int { all.filter { Self.kind($0) == kind }.count }
        var getReports: [[String: Any]] { all.filter { Self.kind($0) == "getReports" } }
        var rateLimited: Int { all.filter { $0["status"] as? Int == 429 }.count }

        static func kind(_ r: [String: Any]) -> String {
            let path = r["path"] as? String ?? ""
            if path.hasPrefix("/auth/o2/token") { return "lwa" }
            if path == "/reports/2021-06-30/reports" { return "getReports" }
            if path.hasPrefix("/reports/2021-06-30/documents/") { return "getReportDocument" }
            if path.hasPrefix("/tortuga-prod-na/") { return "download" }
            return "other"
        }

        var summary: String {
            ["lwa", "getReports", "getReportDocument", "download"].map { "\($0) \(count($0))" }.joined(separator: ", ")
        }
    }
}

extension SandboxHome {
    /// LMB_XERO_BASE_URL and LMB_AMAZON_BASE_URL at the sandbox, and the selling account's secrets.
    var amazonEnv: [String: String] {
        env.merging(["LMB_AMAZON_BASE_URL": sandbox.baseURL, "LMB_AMAZON_CLIENT_SECRET": AmazonE2E.clientSecret,
                     "LMB_AMAZON_REFRESH_TOKEN": AmazonE2E.refreshToken]) { $1 }
    }

    func lmb(_ args: [String], _ extra: [String: String] = [:]) async throws -> LMBRun {
        try await run(args, environment: amazonEnv.merging(extra) { $1 })
    }

    /// `lmb amazon connect` with the secrets from the environment.
    @discardableResult
    func amazonConnect(_ extra: [String] = [], region: String = "eu") async throws -> LMBRun {
        let r = try await lmb(["amazon", "connect", "--client-id", AmazonE2E.clientID, "--region", region] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    /// A DONE settlement report, as Amazon makes one at the end of a settlement period.
    @discardableResult
    func postReport(_ text: String, compression: String? = nil, charset: String? = nil) async throws -> (reportId: String, documentId: String) {
        var items: [String] = []
        if let compression { items.append("compression=\(compression)") }
        if let charset { items.append("charset=\(charset)") }
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/amazon/reports" + (items.isEmpty ? "" : "?" + items.joined(separator: "&")))!)
        request.httpMethod = "POST"
        request.httpBody = Data(text.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        return (try #require(json["reportId"]), try #require(json["reportDocumentId"]))
    }

    /// Settlements 3000000000i for i in 0..<n, each its own report.
    @discardableResult
    func postSettlements(_ n: Int, from first: Int = 0) async throws -> [String] {
        var ids: [String] = []
        for i in first..<(first + n) {
            let id = String(30_000_000_000 + i)
            try await postReport(try AmazonE2E.settlement(id))
            ids.append(id)
        }
        return ids
    }

    /// The emulator's buckets, `x` times Amazon's default rates (lmb adopts them from x-amzn-RateLimit-Limit).
    func amazonRates(times x: Double) async throws {
        try await amazonControl("config", ["buckets": ["getReports": ["rate": 0.0222 * x, "burst": 10],
                                                        "getReportDocument": ["rate": 0.0167 * x, "burst": 15]]])
    }

    func amazonControl(_ path: String, _ body: [String: Any]) async throws {
        try await control("amazon/" + path, body)
    }

    func amazonRequests() async throws -> AmazonE2E.Requests {
        AmazonE2E.Requests(all: ((try await state()["amazon"] as? [String: Any])?["requests"] as? [[String: Any]]) ?? [])
    }

    /// Every secret of the Amazon side: the access tokens the emulator issued, the refresh token, the client secret.
    func amazonSecrets() async throws -> [String] {
        let issued = ((try await state()["amazon"] as? [String: Any])?["access_tokens"] as? [String]) ?? []
        return issued + [AmazonE2E.refreshToken, AmazonE2E.clientSecret]
    }

    func writeConfig(_ object: [String: Any]) throws {
        let path = home + "/config.json"
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }
}
