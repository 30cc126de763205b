import Foundation

extension SandboxEngine {
    /// Where the emulated S3 serves documents, path-style: bucket, then key.
    nonisolated static let amazonDownloadPrefix = "/tortuga-prod-na/"

    /// getReportDocument: each call mints a fresh pre-signed address that expires `presignedURLSeconds` later.
    func getReportDocument(id: String, _ r: SandboxRequest, viaRestrictedToken: Bool = false) -> SandboxResponse {
        let query = Self.queryItems(r.rawQuery)
        var contentEncoding = false
        if let flag = query["enableContentEncodingUrlHeader"] {
            guard flag == "true" || flag == "false" else {
                return Self.invalidInput("enableContentEncodingUrlHeader must be true or false.")
            }
            contentEncoding = flag == "true"
        }
        guard let document = amazon.documents[id] else { return Self.notFound("Report document \(id) was not found.") }
        if let report = amazon.reports.first(where: { $0.reportDocumentID == id }) {
            // Another seller's report: its document is not there for this one.
            guard visibleToSeller(report) else { return Self.notFound("Report document \(id) was not found.") }
            // A requested report's document exists only once the report is DONE.
            guard report.processingStatus(at: now) == "DONE" else { return Self.notFound("Report document \(id) was not found.") }
            // A restricted report's document needs a restricted data token, never a plain access token.
            if Self.restrictedReportTypes.contains(report.reportType), !viaRestrictedToken {
                return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.", details: "")
            }
        }
        let url = presignedURL(for: document, host: r.header("host") ?? "127.0.0.1", contentEncoding: contentEncoding)
        var body: [String: Any] = ["reportDocumentId": document.reportDocumentID, "url": url]
        if document.gzipped { body["compressionAlgorithm"] = "GZIP" }
        return .json(200, body)
    }

    /// An address shaped like S3's SigV4 query-string authentication. The signature is random and remembered:
    /// the sandbox recognises exactly the addresses it handed out, and a changed date or expiry no longer matches.
    func presignedURL(for document: AmazonDocument, host: String, contentEncoding: Bool) -> String {
        let amzDate = Self.amzDate(now)
        let signature = Self.randomHex(32)
        let seconds = Int(amazon.options.presignedURLSeconds)
        amazon.presignedURLs[signature] = AmazonPresignedURL(
            signature: signature, reportDocumentID: document.reportDocumentID, s3Key: document.s3Key, amzDate: amzDate,
            expiresAt: now.addingTimeInterval(amazon.options.presignedURLSeconds), contentEncodingGzip: contentEncoding && document.gzipped)
        let credential = "AKIAQSANDBOXTORTUGA1/\(amzDate.prefix(8))/us-east-1/s3/aws4_request"
            .replacingOccurrences(of: "/", with: "%2F")
        let query = ["X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Date=\(amzDate)", "X-Amz-SignedHeaders=host",
                     "X-Amz-Expires=\(seconds)", "X-Amz-Credential=\(credential)", "X-Amz-Signature=\(signature)"]
        return "http://\(host)\(Self.amazonDownloadPrefix)\(document.s3Key)?\(query.joined(separator: "&"))"
    }

    /// `20241017T142838Z`, as SigV4 writes dates.
    static func amzDate(_ date: Date) -> String {
        let iso = date.formatted(.iso8601)   // 2024-10-17T14:28:38Z
        return iso.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
