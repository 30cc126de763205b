import Foundation

/// lmb's configuration: `config.json` in the lmb home, overridden by the environment.
/// The client secret is never stored here: it comes from LMB_XERO_CLIENT_SECRET or a 0600 `client_secret` file.
public struct LMBConfig: Codable, Sendable, Equatable {
    public var clientID: String?
    public var xeroBaseURL: String?
    public var redirectPort: Int?
    public var scopes: String?
    public var connectTimeoutSeconds: Double?
    public var timeoutSeconds: Double?
    /// The longest Retry-After lmb waits out before giving up with exit 75.
    public var maxRetryAfterSeconds: Int?
    /// Pacing against Amazon and the fetch window (AmazonSettings).
    public var amazon: AmazonSettings?
    /// Where to tell a person that a run failed.
    public var notify: NotifyConfig?
    /// The seller's VAT/GST position (`lmb tax init`); nil: every line NoTax, as for an unregistered seller.
    public var tax: TaxProfile?
    /// How many selling accounts and organisations `fetch`, `send --all` and `sync` work on at once (default 8).
    public var jobs: Int?
    /// Cost of goods sold: "journal" (default), "bill" or "off", and its two accounts (CostOfGoodsSettings).
    public var cogs: String?
    public var cogsAccount: String?
    public var inventoryAccount: String?

    public struct NotifyConfig: Codable, Sendable, Equatable {
        public var webhook: String?
        /// "failure" (the default) or "always".
        public var on: String?
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", xeroBaseURL = "xero_base_url", redirectPort = "redirect_port", scopes
        case connectTimeoutSeconds = "connect_timeout_seconds", timeoutSeconds = "timeout_seconds"
        case maxRetryAfterSeconds = "max_retry_after_seconds", amazon
        case notify, tax, jobs
        case cogs, cogsAccount = "cogs_account", inventoryAccount = "inventory_account"
    }

    /// Clients worked on at once when no `--jobs` is given: config.json's "jobs", else 8.
    public static let defaultJobs = 8
    public var effectiveJobs: Int { max(1, jobs ?? Self.defaultJobs) }

    public init() {}

    public static let fileName = "config.json"

    public static func load(home: LMBHome, environment: [String: String]) throws -> LMBConfig {
        let path = home.url.appendingPathComponent(fileName).path
        var config = LMBConfig()
        if FileManager.default.fileExists(atPath: path) {
            try LMBHome.checkPrivate(path)
            do {
                config = try JSONDecoder().decode(LMBConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch let error as DecodingError {
                throw LMBError.config("\(path): not a valid configuration file: \(Mapping.describe(error))")
            }
        }
        if let v = environment["LMB_XERO_BASE_URL"], !v.isEmpty { config.xeroBaseURL = v }
        if let v = environment["LMB_XERO_CLIENT_ID"], !v.isEmpty { config.clientID = v }
        if let v = environment["LMB_HTTP_TIMEOUT"], let d = Double(v) { config.timeoutSeconds = d }
        if let v = environment["LMB_MAX_RETRY_AFTER"], let n = Int(v) { config.maxRetryAfterSeconds = n }
        return config
    }

    public func save(home: LMBHome) throws {
        try home.ensureExists()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try Store.writePrivateFile(home.url.appendingPathComponent(Self.fileName).path, try encoder.encode(self))
    }

    public func endpoints() throws -> XeroEndpoints {
        guard let base = xeroBaseURL else { return .xero }
        guard let url = URL(string: base), url.host != nil, url.isHTTPSOrLoopback else {
            throw LMBError.config("LMB_XERO_BASE_URL '\(base)' is not usable: it must be an https URL, or http on a loopback address")
        }
        return .single(base: url)
    }

    public func transport() -> CurlTransport {
        CurlTransport(connectTimeout: connectTimeoutSeconds ?? CurlTransport.defaultConnectTimeout,
                      totalTimeout: timeoutSeconds ?? CurlTransport.defaultTotalTimeout)
    }

    /// The client secret: LMB_XERO_CLIENT_SECRET, else the home's `client_secret` file (which must be 0600).
    public static func clientSecret(home: LMBHome, environment: [String: String]) throws -> String? {
        if let s = environment["LMB_XERO_CLIENT_SECRET"], !s.isEmpty { return s }
        let path = home.url.appendingPathComponent("client_secret").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try LMBHome.checkPrivate(path)
        let s = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}
