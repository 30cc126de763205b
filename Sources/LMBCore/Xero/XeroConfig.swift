import Foundation

/// Where Xero is: its three real hosts, or one base URL serving all of their paths (the sandbox).
public struct XeroEndpoints: Sendable, Equatable {
    public var authorize: URL
    public var token: URL
    public var revocation: URL
    public var connections: URL
    public var accounting: URL

    public static let xero = XeroEndpoints(
        authorize: URL(string: "https://login.xero.com/identity/connect/authorize")!,
        token: URL(string: "https://identity.xero.com/connect/token")!,
        revocation: URL(string: "https://identity.xero.com/connect/revocation")!,
        connections: URL(string: "https://api.xero.com/connections")!,
        accounting: URL(string: "https://api.xero.com/api.xro/2.0")!)

    /// Every host's paths on one base URL; they do not collide.
    public static func single(base: URL) -> XeroEndpoints {
        func at(_ path: String) -> URL { base.appendingPathComponent(path) }
        return XeroEndpoints(authorize: at("identity/connect/authorize"), token: at("connect/token"), revocation: at("connect/revocation"),
                             connections: at("connections"), accounting: at("api.xro/2.0"))
    }
}

/// Scope sets: Xero's broad scopes, or the granular ones apps created from March 2026 must use.
public enum ScopeSet: String, Sendable, CaseIterable {
    case broad, granular

    public var scopes: [String] {
        switch self {
        case .broad: return ["offline_access", "openid", "profile", "email", "accounting.transactions", "accounting.settings.read", "accounting.contacts"]
        case .granular: return ["offline_access", "openid", "profile", "email", "accounting.invoices", "accounting.settings.read", "accounting.contacts"]
        }
    }
}

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

    public struct NotifyConfig: Codable, Sendable, Equatable {
        public var webhook: String?
        /// "failure" (the default) or "always".
        public var on: String?
    }

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", xeroBaseURL = "xero_base_url", redirectPort = "redirect_port", scopes
        case connectTimeoutSeconds = "connect_timeout_seconds", timeoutSeconds = "timeout_seconds"
        case maxRetryAfterSeconds = "max_retry_after_seconds", amazon
        case notify
    }

    public init() {}

    public static let fileName = "config.json"

    public static func load(home: LMBHome, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LMBConfig {
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
        guard let url = URL(string: base), url.host != nil, url.isAllowedForXero else {
            throw LMBError.config("LMB_XERO_BASE_URL '\(base)' is not usable: it must be an https URL, or http on a loopback address")
        }
        return .single(base: url)
    }

    public func transport() -> CurlTransport {
        CurlTransport(connectTimeout: connectTimeoutSeconds ?? CurlTransport.defaultConnectTimeout,
                      totalTimeout: timeoutSeconds ?? CurlTransport.defaultTotalTimeout)
    }

    /// The client secret: LMB_XERO_CLIENT_SECRET, else the home's `client_secret` file (which must be 0600).
    public static func clientSecret(home: LMBHome, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let s = environment["LMB_XERO_CLIENT_SECRET"], !s.isEmpty { return s }
        let path = home.url.appendingPathComponent("client_secret").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        try LMBHome.checkPrivate(path)
        let s = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }
}

extension Store {
    /// Writes a file readable by its owner only, atomically (temp file, then rename).
    public static func writePrivateFile(_ path: String, _ data: Data) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = Platform.openFile(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LMBError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        fsync(fd)
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw LMBError.io("cannot write \(path)")
        }
    }
}
