import Foundation

/// The S3 side: serving a report document at a pre-signed address, with S3's XML refusals. Downloads are not
/// SP-API calls: no access token, no usage-plan buckets, S3's request-id headers instead of x-amzn-RequestId.
extension SandboxEngine {
    func download(_ r: SandboxRequest) -> SandboxResponse {
        let query = Self.queryItems(r.rawQuery)
        // S3 allows one authentication mechanism: the pre-signed query string, or an Authorization header, not both.
        if r.header("authorization") != nil {
            return Self.s3Error(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                + "Signature query string parameter or the Authorization header should be specified",
                extra: [("ArgumentName", "Authorization"), ("ArgumentValue", "")])
        }
        // An x-amz-* header the signature does not cover (the SP-API's x-amz-access-token, x-amz-date …) is refused.
        let unsigned = r.headers.keys.filter { $0.hasPrefix("x-amz-") }.sorted()
        if !unsigned.isEmpty {
            return Self.s3Error(403, "AccessDenied", "There were headers present in the request which were not signed",
                                extra: [("HeadersNotSigned", unsigned.joined(separator: ", "))])
        }
        guard let signature = query["X-Amz-Signature"] else { return Self.s3Error(403, "AccessDenied", "Access Denied") }
        let key = String(r.path.dropFirst(Self.amazonDownloadPrefix.count))
        guard r.method == "GET", var presigned = amazon.presignedURLs[signature], query["X-Amz-Date"] == presigned.amzDate,
              query["X-Amz-Expires"] == String(Int(amazon.options.presignedURLSeconds)),
              presigned.s3Key == key else {
            return Self.s3Error(403, "SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        }
        if scenario == .amazonURLExpired, !amazon.documentsRefusedAsExpired.contains(presigned.reportDocumentID) {
            // The first download of each document comes too late, as after a pause between getReportDocument and GET.
            amazon.documentsRefusedAsExpired.insert(presigned.reportDocumentID)
            presigned.forcedExpired = true
            amazon.presignedURLs[signature] = presigned
        }
        if presigned.forcedExpired || now >= presigned.expiresAt {
            return Self.s3Error(403, "AccessDenied", "Request has expired", extra: [
                ("X-Amz-Expires", String(Int(amazon.options.presignedURLSeconds))),
                ("Expires", Self.s3Time(min(presigned.expiresAt, now))), ("ServerTime", Self.s3Time(now)),
            ])
        }
        guard let document = amazon.documents[presigned.reportDocumentID] else {
            // The report aged out of the 90 days while its address was still valid.
            return Self.s3Error(404, "NoSuchKey", "The specified key does not exist.", extra: [("Key", key)])
        }
        var headers = [("Content-Type", document.charset.contentType), ("Accept-Ranges", "bytes"),
                       ("ETag", "\"\(document.etag)\""),
                       ("Last-Modified", Self.httpDate(document.lastModified))] + Self.s3RequestHeaders()
        if presigned.contentEncodingGzip { headers.append(("Content-Encoding", "gzip")) }
        return SandboxResponse(status: 200, headers: headers, body: document.stored)
    }

    /// S3's error document: `<Error><Code>…</Code><Message>…</Message>…</Error>` as application/xml.
    static func s3Error(_ status: Int, _ code: String, _ message: String, extra: [(String, String)] = []) -> SandboxResponse {
        let requestID = randomAlphanumeric(16)
        let hostID = Data((0..<56).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let fields = [("Code", code), ("Message", message)] + extra + [("RequestId", requestID), ("HostId", hostID)]
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
            + fields.map { "<\($0.0)>\(xmlEscaped($0.1))</\($0.0)>" }.joined() + "</Error>"
        return SandboxResponse(status: status, headers: [("Content-Type", "application/xml")]
                                   + [("x-amz-request-id", requestID), ("x-amz-id-2", hostID)],
                               body: Data(xml.utf8))
    }

    static func s3RequestHeaders() -> [(String, String)] {
        [("x-amz-request-id", randomAlphanumeric(16)),
         ("x-amz-id-2", Data((0..<56).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())]
    }

    static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// `2024-10-17T14:33:38Z`, as S3's error documents write times.
    static func s3Time(_ date: Date) -> String { date.formatted(.iso8601) }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }
}
