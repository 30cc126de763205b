import Foundation

/// OAuth 2.0 for Xero: authorization code with PKCE (S256), the web-app flow with a client secret, and client
/// credentials for a custom connection.
public struct OAuthClient: Sendable {
    public let endpoints: XeroEndpoints
    /// The one exchange loop (no token of its own: these calls obtain tokens).
    public let exchange: Exchange

    public init(endpoints: XeroEndpoints, exchange: Exchange) {
        self.endpoints = endpoints
        self.exchange = exchange
    }

    /// A PKCE verifier (64 characters of A-Z a-z 0-9 - . _ ~) and its S256 challenge.
    public static func pkce() -> (verifier: String, challenge: String) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        var rng = SystemRandomNumberGenerator()
        let verifier = String((0..<64).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        return (verifier, challenge(for: verifier))
    }

    public static func challenge(for verifier: String) -> String {
        base64url(sha256Bytes(verifier))
    }

    public static func randomState() -> String {
        var rng = SystemRandomNumberGenerator()
        return base64url((0..<24).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static func sha256Bytes(_ text: String) -> [UInt8] {
        let hex = SHA256.hex(text)
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public func authorizeURL(clientID: String, redirectURI: String, scopes: [String], state: String, challenge: String?) -> URL {
        var c = URLComponents(url: endpoints.authorize, resolvingAgainstBaseURL: false)!
        var items = [URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: clientID),
                     URLQueryItem(name: "redirect_uri", value: redirectURI), URLQueryItem(name: "scope", value: scopes.joined(separator: " ")),
                     URLQueryItem(name: "state", value: state)]
        if let challenge {
            items += [URLQueryItem(name: "code_challenge", value: challenge), URLQueryItem(name: "code_challenge_method", value: "S256")]
        }
        c.queryItems = items
        return c.url!
    }

    /// The code from a redirect back to lmb, after checking `state`. Xero's `error` (e.g. access_denied) is a failure.
    public static func code(fromRedirect url: URL, expectedState: String) throws -> String {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard value("state") == expectedState else {
            throw RemoteFailure.xero(.config, "the redirect's state does not match the one lmb sent; the sign-in was not lmb's (or was replayed) and is refused")
        }
        if let error = value("error") {
            throw RemoteFailure.xero(.permissionDenied, "Xero answered \(error)\(value("error_description").map { ": \($0)" } ?? "") — consent was not given",
                              evidence: ["authorize redirect carried error=\(error)"])
        }
        guard let code = value("code"), !code.isEmpty else { throw RemoteFailure.xero(.config, "the redirect carries no code") }
        return code
    }

    public func exchange(code: String, verifier: String?, redirectURI: String, clientID: String, secret: String?) async throws -> TokenSet {
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI)]
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        if let verifier { fields.append(("code_verifier", verifier)) }
        if let secret { headers.append(("Authorization", FormEncoding.basic(clientID, secret))) } else { fields.append(("client_id", clientID)) }
        return try await tokenCall(fields, headers)
    }

    public func clientCredentials(clientID: String, secret: String, scopes: [String]) async throws -> TokenSet {
        var fields = [("grant_type", "client_credentials")]
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        return try await tokenCall(fields, [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                                            ("Authorization", FormEncoding.basic(clientID, secret))])
    }

    func tokenCall(_ fields: [(String, String)], _ headers: [(String, String)]) async throws -> TokenSet {
        let r = try await call(.xeroIdentity, "token request", HTTPRequest(method: "POST", url: endpoints.token, headers: headers,
                                                                            body: Data(FormEncoding.encode(fields).utf8)))
        return try TokenSet.decode(r, service: .xeroIdentity, defaultLifetime: 1800)
    }

    public func connections(accessToken: String) async throws -> [XeroConnectionInfo] {
        let r = try await call(.xero, "GET connections", HTTPRequest(method: "GET", url: endpoints.connections,
                                                                      headers: [("Authorization", "Bearer \(accessToken)"), ("Accept", "application/json")]))
        return try r.decoded([XeroConnectionInfo].self, service: .xero, operation: "GET connections", requestID: r.header("xero-correlation-id"))
    }

    /// One call through the exchange loop, classified by Xero's rules.
    /// What the request carries that no failure may repeat: the form's values (a code, a verifier, a refresh token)
    /// and the Authorization header's credential.
    func call(_ service: RemoteService, _ operation: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let secretFields: Set<String> = ["code", "code_verifier", "refresh_token", "token", "client_secret"]
        let form = String(decoding: request.body ?? Data(), as: UTF8.self).split(separator: "&").compactMap { pair -> String? in
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, secretFields.contains(kv[0]) else { return nil }
            return kv[1].removingPercentEncoding
        }
        let credentials = request.headers.filter { $0.0.lowercased() == "authorization" }.compactMap { $0.1.split(separator: " ").last.map(String.init) }
        return try await exchange.perform(service: service, operation: operation, tokens: nil, secrets: (form + credentials).filter { $0.count >= 4 },
                                          classify: { XeroErrorClassifier.classify($0, service: service) }, request: { _ in request })
    }

    /// Revokes a refresh token (which ends every connection it authorised).
    public func revoke(refreshToken: String, clientID: String, secret: String?) async throws {
        var fields = [("token", refreshToken)]
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let secret { headers.append(("Authorization", FormEncoding.basic(clientID, secret))) } else { fields.append(("client_id", clientID)) }
        _ = try await call(.xeroIdentity, "token revocation", HTTPRequest(method: "POST", url: endpoints.revocation, headers: headers,
                                                                           body: Data(FormEncoding.encode(fields).utf8)))
    }
}

/// Waits on 127.0.0.1 for the browser's redirect back from Xero, answers it with a short page, and hands over the URL.
public final class RedirectListener: Sendable {
    public let port: UInt16
    private let fd: Int32

    /// Binds 127.0.0.1:port (0: the OS picks). A port in use is a clear error, not a hang.
    public init(port: UInt16) throws {
        let fd = socket(AF_INET, Platform.streamSocketType, 0)
        guard fd >= 0 else { throw LMBError.io("cannot open a socket for the redirect listener") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw RemoteFailure.xero(.config, "cannot listen on 127.0.0.1:\(port) for Xero's redirect (\(reason)); free the port or choose another with --port (it must match the redirect URI registered for the app)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { close(fd) }

    /// The first request whose path is `path` (others get a 404), or a timeout.
    public func waitForRedirect(path: String, timeout: TimeInterval, clock: any LMBClock) async throws -> URL {
        let fd = self.fd
        let port = self.port
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try RedirectListener.accept(fd: fd, port: port, path: path, timeout: timeout, clock: clock) })
            }
        }
    }

    static func accept(fd: Int32, port: UInt16, path: String, timeout: TimeInterval, clock: any LMBClock) throws -> URL {
        let deadline = clock.uptime + timeout
        while true {
            let left = deadline - clock.uptime
            guard left > 0 else {
                throw RemoteFailure.xero(.network, "no sign-in came back within \(Int(timeout)) seconds; run lmb connect again (or use --no-browser and paste the URL)")
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32(min(left, 1) * 1000))
            if ready <= 0 { continue }
            let client = Platform.acceptConnection(fd)
            guard client >= 0 else { continue }
            defer { close(client) }
            var buffer = [UInt8](repeating: 0, count: 16384)
            var received = 0
            while received < buffer.count {
                var pc = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&pc, 1, 5000) > 0 else { break }
                let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress! + received, $0.count - received) }
                if n <= 0 { break }
                received += n
                if buffer[0..<received].containsSubsequence([13, 10, 13, 10]) { break }
            }
            let requestLine = String(decoding: buffer[0..<received], as: UTF8.self).split(separator: "\r\n").first ?? ""
            let parts = requestLine.split(separator: " ")
            guard parts.count >= 2, let url = URL(string: "http://127.0.0.1:\(port)\(parts[1])"), url.path == path else {
                respond(client, 404, "Not found")
                continue
            }
            respond(client, 200, "lmb received Xero's answer. You can close this window and return to the terminal.")
            return url
        }
    }

    static func respond(_ fd: Int32, _ status: Int, _ text: String) {
        let body = "<!doctype html><meta charset=utf-8><title>lmb</title><p>\(text)</p>\n"
        let head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Not Found")\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array((head + body).utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

extension ArraySlice where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        var i = startIndex
        while i <= endIndex - needle.count {
            if self[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
