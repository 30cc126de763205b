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
