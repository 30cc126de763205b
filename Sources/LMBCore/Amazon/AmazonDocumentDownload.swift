import Foundation

/// A downloaded report document, as UTF-8, with what lmb learnt on the way.
public struct AmazonDownloadedDocument: Sendable, Equatable {
    public var reportId: String?
    public var reportDocumentId: String
    public var text: AmazonDocumentText
    /// S3's request id, for Amazon's support.
    public var requestID: String?
    /// How many times the pre-signed address expired and a fresh one was asked for.
    public var urlRefreshes: Int

    /// The document in UTF-8, ready for the settlement parser.
    public var utf8: Data { text.utf8 }
}

extension AmazonReportsClient {
    /// getReportDocument, then the pre-signed GET without SP-API headers; a fresh address when S3 says it expired
    /// (at most `pacing.maxExpiredURLRetries` times); gunzip and charset decoding. `tokens`: a restricted report's
    /// restricted data tokens. Throws `RemoteFailure`.
    public func downloadDocument(reportDocumentId: String, reportId: String? = nil,
                                 tokens: (any AccessTokenSource)? = nil) async throws -> AmazonDownloadedDocument {
        var refreshes = 0
        while true {
            let document = try await getReportDocument(id: reportDocumentId, tokens: tokens)
            let url = try Self.presignedURL(document)
            let response: HTTPResponse
            do {
                // The address is the credential: no access token, no Authorization, nothing it was not signed for.
                response = try await transport.send(HTTPRequest(method: "GET", url: url))
            } catch let error as TransportError {
                throw RemoteFailure.transport(error, service: .documentDownload, operation: "document download")
                    .adding(evidence: "downloading \(Self.redacted(url)) for document \(reportDocumentId)")
                    .redacting([document.url] + credentials.secrets)
            }
            if var failure = AmazonErrorClassifier.classify(response, from: .documentDownload) {
                failure = failure.adding(evidence: "downloading \(Self.redacted(url)) for document \(reportDocumentId)")
                    .redacting([document.url] + credentials.secrets)
                if failure.documentURLExpired {
                    guard refreshes < pacing.maxExpiredURLRetries else {
                        throw failure.adding(evidence: "the pre-signed address expired \(refreshes + 1) times in a row; lmb asked for a fresh one \(refreshes) times")
                    }
                    refreshes += 1
                    continue
                }
                throw failure
            }
            let text: AmazonDocumentText
            do {
                text = try AmazonDocumentText.decode(response.body, compressionAlgorithm: document.compressionAlgorithm,
                                                     contentType: response.header("content-type"),
                                                     contentEncoding: response.header("content-encoding"),
                                                     maxBytes: pacing.maxDocumentBytes)
            } catch {
                throw RemoteFailure.amazon(.documentUnreadable, error.description, status: response.status,
                                    requestID: response.header("x-amz-request-id"), service: .documentDownload,
                                    evidence: ["document \(reportDocumentId): \(response.body.count) bytes, compressionAlgorithm \(document.compressionAlgorithm ?? "none"), content-type \(response.header("content-type") ?? "-")"])
            }
            return AmazonDownloadedDocument(reportId: reportId, reportDocumentId: reportDocumentId, text: text,
                                            requestID: response.header("x-amz-request-id"), urlRefreshes: refreshes)
        }
    }

    /// The document's address, if lmb may use it: https, or http on loopback (the sandbox).
    static func presignedURL(_ document: ReportsAPI.ReportDocument) throws -> URL {
        guard let url = URL(string: document.url), url.host != nil, url.isHTTPSOrLoopback else {
            let shown = URL(string: document.url).map(redacted) ?? "an address that does not parse"
            throw RemoteFailure.amazon(.unexpectedAnswer, "getReportDocument gave \(shown) for document \(document.reportDocumentId), which lmb will not download (not https)",
                                service: .sellingPartnerAPI, evidence: ["the document url is not https and not loopback"])
        }
        return url
    }

    /// The address without its query, where the signature and the session token are.
    static func redacted(_ url: URL) -> String {
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        components?.query = nil
        components?.fragment = nil
        return (components?.string ?? url.host ?? "the document address") + (url.query == nil ? "" : "?…")
    }
}
