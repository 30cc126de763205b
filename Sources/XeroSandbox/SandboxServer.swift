import FlyingFox
import FlyingSocks
import Foundation

/// Serves a `SandboxEngine` over HTTP on 127.0.0.1, with every Xero host's paths on one port.
public final class SandboxServer: Sendable {
    public let engine: SandboxEngine
    private let server: HTTPServer
    private let task: Task<Void, any Error>
    public let port: UInt16

    /// Starts listening on 127.0.0.1 (port 0: one the OS picks) and returns once connections are accepted.
    public init(engine: SandboxEngine = SandboxEngine(), port: UInt16 = 0) async throws {
        self.engine = engine
        let address = try sockaddr_in.inet(ip4: "127.0.0.1", port: port)
        let server = HTTPServer(config: .init(address: address, timeout: 3600, logger: .disabled))
        await server.appendRoute("*", to: SandboxHandler(engine: engine))
        self.server = server
        // run() fails at once when the port cannot be bound, while waitUntilListening would time out 10 s later and
        // name no cause: so wait for whichever comes first, listening or run()'s error.
        let failure = RunFailure()
        self.task = Task {
            do { try await server.run() } catch { await failure.record(error); throw error }
        }
        let deadline = Date().addingTimeInterval(10)
        while await !server.isListening {
            if let error = await failure.error { throw error }
            guard Date() < deadline else { throw SandboxError.notListening }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        guard case .ip4(_, let bound)? = await server.listeningAddress else {
            throw SandboxError.notListening
        }
        self.port = bound
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }

    public enum SandboxError: Error { case notListening }
}

/// What ended the server's run, if anything has.
private actor RunFailure {
    private(set) var error: (any Error)?
    func record(_ error: any Error) { self.error = error }
}

struct SandboxHandler: HTTPHandler {
    let engine: SandboxEngine

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        var query: [String: String] = [:]
        for item in request.query { query[item.name] = item.value }
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name.rawValue.lowercased()] = value }
        let body = try await request.bodyData
        let ticket = await engine.accept(SandboxRequest(method: request.method.rawValue, path: request.path, query: query,
                                                        rawQuery: request.target.query(), headers: headers, body: body))
        // The wait happens here, outside the engine actor, so concurrent requests overlap; the organisation's
        // in-flight count holds until the answer is handed back to be written.
        var wait = ticket.latencySeconds
        if case .delayed(let seconds, _) = ticket.action { wait += seconds }
        do {
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000)) }
        } catch {
            if let tenant = ticket.tenant { await engine.finished(tenant: tenant) }
            throw error
        }
        if let tenant = ticket.tenant { await engine.finished(tenant: tenant) }
        switch ticket.action {
        case .respond(let r), .delayed(_, let r):
            return Self.http(r)
        case .drop:
            // An upgrade whose handler fails before writing anything: FlyingFox then closes the socket unanswered.
            return HTTPResponse(webSocket: DroppingHandler())
        }
    }

    static func http(_ r: SandboxResponse) -> HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in r.headers { headers.addValue(value, for: HTTPHeader(name)) }
        return HTTPResponse(statusCode: HTTPStatusCode(r.status, phrase: phrase(r.status)), headers: headers, body: r.body)
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 302: return "Found"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 429: return "Too Many Requests"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

struct DroppingHandler: WSHandler {
    struct Dropped: Error {}
    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        throw Dropped()
    }
}
