import Foundation

/// `--verbose` (or `LMB_LOG=debug`): every HTTP exchange, one line on stderr — method, host and path, status,
/// duration, the correlation or request id and the rate-limit headers. Never a token, a secret, an Authorization
/// value or a query string (pre-signed URLs carry signatures there); a body only with `--trace-bodies`, and never
/// a token request's or answer's.
public struct TracingTransport: HTTPTransport {
    public let inner: any HTTPTransport
    /// Durations are read on the run\'s clock.
    let clock: any LMBClock
    public let traceBodies: Bool
    public let write: @Sendable (String) -> Void

    public init(_ inner: any HTTPTransport, clock: any LMBClock, traceBodies: Bool = false, write: @escaping @Sendable (String) -> Void) {
        self.inner = inner
        self.clock = clock
        self.traceBodies = traceBodies
        self.write = write
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let start = clock.uptime
        do {
            let response = try await inner.send(request)
            trace(request, response, since: start)
            return response
        } catch {
            trace(request, failure: error, since: start)
            throw error
        }
    }

    public func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        let start = clock.uptime
        do {
            let response = try inner.sendBlocking(request)
            trace(request, response, since: start)
            return response
        } catch {
            trace(request, failure: error, since: start)
            throw error
        }
    }

    /// Paths whose bodies hold credentials, in either direction: token requests (restricted data tokens too), and getReportDocument, whose answer
    /// is a pre-signed download address (its signature is the credential, for 5 minutes).
    static func carriesSecrets(_ url: URL) -> Bool {
        let path = url.path.lowercased()
        return path.hasSuffix("/connect/token") || path.hasSuffix("/connect/revocation") || path.hasSuffix("/auth/o2/token")
            || path.hasSuffix("/restricteddatatoken")
            || path.contains("/reports/2021-06-30/documents/")
    }

    static let headersShown = ["xero-correlation-id", "x-amzn-requestid", "x-amz-request-id", "x-minlimit-remaining",
                               "x-daylimit-remaining", "x-appminlimit-remaining", "x-rate-limit-problem", "retry-after",
                               "x-amzn-ratelimit-limit"]

    func line(_ request: HTTPRequest, since start: Double) -> String {
        let ms = Int((clock.uptime - start) * 1000)
        return "lmb: http \(request.method) \(request.url.host ?? "?")\(request.url.path) \(ms) ms"
    }

    func trace(_ request: HTTPRequest, _ response: HTTPResponse, since start: Double) {
        var text = line(request, since: start) + " → \(response.status)"
        for name in Self.headersShown { if let v = response.header(name) { text += " \(name)=\(v)" } }
        write(text)
        guard traceBodies, !Self.carriesSecrets(request.url) else { return }
        if let body = request.body, !body.isEmpty { write("lmb: http request body: \(String(decoding: body.prefix(65_536), as: UTF8.self))") }
        let type = response.header("content-type") ?? ""
        if !response.body.isEmpty && (type.contains("json") || type.contains("xml")) {
            write("lmb: http answer body: \(String(decoding: response.body.prefix(65_536), as: UTF8.self))")
        }
    }

    func trace(_ request: HTTPRequest, failure: any Error, since start: Double) {
        write(line(request, since: start) + " → no answer: \(failure)")
    }
}
