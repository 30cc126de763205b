import Foundation

/// One HTTP exchange, as lmb's Xero client sees it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String, url: URL, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request never got an HTTP answer.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case insecureURL(String)
    case nameResolution(String)
    case connectionRefused(String)
    case timeout(String)
    case tls(String)
    case connectionDropped(String)
    case other(String)

    public var description: String {
        switch self {
        case .insecureURL(let m): return "refused to send to \(m): only https is allowed, except to a loopback address"
        case .nameResolution(let m): return "could not resolve the host name (\(m))"
        case .connectionRefused(let m): return "could not connect (\(m))"
        case .timeout(let m): return "timed out (\(m))"
        case .tls(let m): return "TLS failed (\(m))"
        case .connectionDropped(let m): return "the connection closed without a complete answer (\(m))"
        case .other(let m): return m
        }
    }
}

/// The seam tests replace: everything lmb sends to Xero goes through one transport.
public protocol HTTPTransport: Sendable {
    /// Sends without blocking Swift's cooperative thread pool.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Sends on the calling thread (used inside the store's token lock, which runs on its own queue).
    func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse
}

extension URL {
    /// 127.0.0.0/8, ::1 and localhost: the only places lmb talks plain http to (the sandbox).
    public var isLoopback: Bool {
        guard let host = host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased() else { return false }
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// https anywhere, http only on loopback.
    public var isHTTPSOrLoopback: Bool {
        let s = scheme?.lowercased()
        return s == "https" || (s == "http" && isLoopback)
    }
}
