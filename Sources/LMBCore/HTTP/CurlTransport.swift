import CCurl
import Foundation

/// The transport, on libcurl: TLS verification always on, no signals, timeouts for unattended runs,
/// https only except loopback. Each request runs on a thread of its own queue, never on the cooperative pool.
public struct CurlTransport: HTTPTransport {
    public var connectTimeout: TimeInterval
    public var totalTimeout: TimeInterval
    public var userAgent: String

    public static let defaultConnectTimeout: TimeInterval = 10
    public static let defaultTotalTimeout: TimeInterval = 60

    public init(connectTimeout: TimeInterval = CurlTransport.defaultConnectTimeout,
                totalTimeout: TimeInterval = CurlTransport.defaultTotalTimeout,
                userAgent: String = "lmb/\(LMBVersion.current)") {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.userAgent = userAgent
        _ = CurlTransport.globalInit
    }

    /// curl_global_init, once per process.
    static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    public static var libcurlVersion: String { String(cString: curl_version()) }

    /// libcurl's easy interface blocks: each request runs on a thread of its own (see `Blocking`), so a run over
    /// fifty organisations has fifty requests in flight, not as many as the machine has cores.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transport = self
        return try await Blocking.run { try transport.sendBlocking(request) }
    }

    /// Collects what libcurl hands to the callbacks.
    final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
        var statusLineSeen = false
    }

    public func sendBlocking(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.url.isHTTPSOrLoopback else { throw TransportError.insecureURL(request.url.absoluteString) }
        guard let handle = curl_easy_init() else { throw TransportError.other("libcurl could not start a request") }
        defer { curl_easy_cleanup(handle) }
        let sink = Sink()
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        lmb_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString)
        lmb_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https,http")
        lmb_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        lmb_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        lmb_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        lmb_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        lmb_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        lmb_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000))
        lmb_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
        lmb_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        switch request.method.uppercased() {
        case "GET": lmb_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": lmb_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: lmb_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.uppercased())
        }
        if let body = request.body {
            lmb_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS: libcurl keeps its own copy, so the Data may go away.
                _ = lmb_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        var hasExpect = false
        for (name, value) in request.headers {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
            if name.lowercased() == "expect" { hasExpect = true }
        }
        if !hasExpect { headerList = curl_slist_append(headerList, "Expect:") }  // no 100-continue round trip
        lmb_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        lmb_curl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            if let data, n > 0 { sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: n) }
            return n
        }
        lmb_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer)
        lmb_curl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            guard let data, n > 0 else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("HTTP/") { sink.headers = [:]; return n }   // a new response (after 100 Continue)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return n
        }
        lmb_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, sinkPointer)

        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else { throw Self.map(code, url: request.url) }
        var status = 0
        lmb_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    static func map(_ code: CURLcode, url: URL) -> TransportError {
        let detail = "\(url.host ?? url.absoluteString): \(String(cString: curl_easy_strerror(code)))"
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .nameResolution(detail)
        case CURLE_COULDNT_CONNECT: return .connectionRefused(detail)
        case CURLE_OPERATION_TIMEDOUT: return .timeout(detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_CLIENTCERT:
            return .tls(detail)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .connectionDropped(detail)
        default:
            return .other("libcurl: \(detail)")
        }
    }
}
