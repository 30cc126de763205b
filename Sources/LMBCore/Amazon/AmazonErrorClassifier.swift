import Foundation

/// The one place Amazon's answers become classified failures: Login with Amazon's OAuth errors, the Selling Partner
/// API's `{"errors":[…]}` and S3's XML. Every status is classified on purpose; an unknown one is never "retry later".
public enum AmazonErrorClassifier {
    /// nil for a 2xx answer.
    public static func classify(_ r: HTTPResponse, from service: RemoteService) -> RemoteFailure? {
        guard !(200..<300).contains(r.status) else { return nil }
        switch service {
        case .loginWithAmazon: return loginWithAmazon(r)
        case .documentDownload: return documentDownload(r)
        default: return sellingPartnerAPI(r)
        }
    }

    // MARK: Login with Amazon

    static func loginWithAmazon(_ r: HTTPResponse) -> RemoteFailure {
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let error = json?["error"] as? String
        let description = json?["error_description"] as? String
        let message = description ?? error ?? plainText(r)
        func failure(_ c: Classification, _ evidence: String) -> RemoteFailure {
            RemoteFailure.amazon(c, message, code: error, status: r.status,
                          requestID: json?["request_id"] as? String ?? r.header("x-amzn-requestid"),
                          retryAfter: r.retryAfterSeconds, service: .loginWithAmazon, evidence: [evidence])
        }
        switch error {
        case "invalid_grant":
            return failure(.staleConnection, "LWA answered invalid_grant: the refresh token was revoked, never granted, or belongs to another app")
        case "invalid_client":
            return failure(.config, "LWA answered invalid_client: the client id or secret is wrong, or the secret expired (180-day rotation) or was rotated")
        case "unauthorized_client":
            return failure(.config, "LWA answered unauthorized_client: this client id may not use refresh tokens")
        case "invalid_request", "unsupported_grant_type", "invalid_scope":
            return failure(.requestRejected, "LWA answered \(error ?? ""): lmb's token request is malformed")
        case "server_error", "temporarily_unavailable":
            return failure(.unavailable, "LWA answered \(error ?? ""), which Amazon's own clients retry")
        case let other?:
            return statusFailure(r, service: .loginWithAmazon, message: message, code: other, requestID: json?["request_id"] as? String)
        case nil:
            if r.status == 404 {
                return failure(.config, "HTTP 404 without an OAuth error: no token endpoint at this address (check \(AmazonEndpoints.baseURLVariable))")
            }
            return statusFailure(r, service: .loginWithAmazon, message: message, code: nil, requestID: json?["request_id"] as? String)
        }
    }

    // MARK: Selling Partner API

    static func sellingPartnerAPI(_ r: HTTPResponse) -> RemoteFailure {
        let first = (try? JSONDecoder().decode(ReportsAPI.ErrorList.self, from: r.body))?.errors.first
        let code = first?.code
        let details = first?.details.flatMap { $0.isEmpty ? nil : $0 }
        let message = first?.message ?? plainText(r)
        let requestID = r.header("x-amzn-requestid")
        func failure(_ c: Classification, _ evidence: String) -> RemoteFailure {
            RemoteFailure.amazon(c, message, code: code, details: details, status: r.status, requestID: requestID,
                          retryAfter: r.retryAfterSeconds, service: .sellingPartnerAPI, evidence: [evidence])
        }
        let errorType = r.header("x-amzn-errortype") ?? ""
        switch r.status {
        case 400:
            return failure(.requestRejected, "HTTP 400 \(code ?? "without an error code"): a parameter lmb sent is not accepted")
        case 401:
            var f = failure(.staleConnection, "HTTP 401 \(code ?? ""): the access token is not accepted")
            f.accessTokenRejected = true
            return f
        case 403 where code == "MissingAuthenticationToken" || errorType.hasPrefix("MissingAuthenticationToken"):
            return failure(.config, "HTTP 403 MissingAuthenticationToken: the token was not sent, or the path or host is wrong (check the region and \(AmazonEndpoints.baseURLVariable))")
        case 403:
            let aboutToken = details?.localizedCaseInsensitiveContains("access token") ?? false
            if aboutToken, details!.localizedCaseInsensitiveContains("expired") {
                var f = failure(.tokenExpired, "HTTP 403 \(code ?? "") with details \"\(details!)\"")
                f.accessTokenRejected = true
                return f
            }
            if aboutToken {
                var f = failure(.staleConnection, "HTTP 403 \(code ?? "") with details \"\(details!)\"")
                f.accessTokenRejected = true
                return f
            }
            return failure(.permissionDenied, "HTTP 403 \(code ?? "") \(details.map { "with details \"\($0)\"" } ?? "without token details"): the app or user lacks the role (Finance and Accounting)")
        case 404 where first == nil:
            return failure(.config, "HTTP 404 without Amazon's error list: no Selling Partner API at this address (check the region and \(AmazonEndpoints.baseURLVariable))")
        case 404:
            return failure(.notFound, "HTTP 404 \(code ?? ""): the report or document does not exist for this selling account and region")
        default:
            return statusFailure(r, service: .sellingPartnerAPI, message: message, code: code, details: details, requestID: requestID)
        }
    }

    // MARK: The pre-signed download (S3)

    static func documentDownload(_ r: HTTPResponse) -> RemoteFailure {
        let xml = r.text
        let code = xmlElement("Code", in: xml)
        let message = xmlElement("Message", in: xml) ?? "HTTP \(r.status)"
        let requestID = xmlElement("RequestId", in: xml) ?? r.header("x-amz-request-id")
        func failure(_ c: Classification, _ evidence: String) -> RemoteFailure {
            RemoteFailure.amazon(c, message, code: code, status: r.status, requestID: requestID, retryAfter: r.retryAfterSeconds,
                          service: .documentDownload, evidence: [evidence])
        }
        let expired = (code == "AccessDenied" && message.localizedCaseInsensitiveContains("expired")) || code == "ExpiredToken"
        if (r.status == 403 || r.status == 400) && expired {
            var f = failure(.unavailable, "HTTP \(r.status) \(code!) \"\(message)\": the pre-signed address expired")
            f.documentURLExpired = true
            return f
        }
        switch r.status {
        case 403, 400:
            return failure(.requestRejected, "HTTP \(r.status) \(code ?? ""): S3 refused the pre-signed address (changed on the way, or sent with headers it was not signed for)")
        case 404:
            return failure(.notFound, "HTTP 404 \(code ?? ""): the document is no longer stored")
        case 503 where code == "SlowDown":
            return failure(.rateLimited, "HTTP 503 SlowDown: S3 asks for fewer requests")
        default:
            // S3 never sends these XML fields in its own words for other statuses; a plain body is reported as is.
            return statusFailure(r, service: .documentDownload, message: code == nil ? plainText(r) : message, code: code, requestID: requestID)
        }
    }

    // MARK: Shared

    /// What the status alone says, for answers the service-specific rules above do not settle.
    static func statusFailure(_ r: HTTPResponse, service: RemoteService, message: String, code: String?, details: String? = nil,
                              requestID: String?) -> RemoteFailure {
        func failure(_ c: Classification, _ evidence: String) -> RemoteFailure {
            RemoteFailure.amazon(c, message, code: code, details: details, status: r.status, requestID: requestID ?? r.header("x-amzn-requestid"),
                          retryAfter: r.retryAfterSeconds, service: service, evidence: [evidence])
        }
        switch r.status {
        case 429:
            return failure(.rateLimited, "HTTP 429 \(code ?? ""): the operation's quota is used up for now")
        case 500...599:
            return failure(.unavailable, "HTTP \(r.status) from \(service.name)")
        case 408:
            return failure(.network, "HTTP 408: the request took too long to arrive")
        case 401, 403:
            return failure(service == .loginWithAmazon ? .config : .permissionDenied, "HTTP \(r.status) \(code ?? "")")
        case 404:
            return failure(.notFound, "HTTP 404 \(code ?? "")")
        case 400, 405, 409, 411, 413, 414, 415, 422:
            return failure(.requestRejected, "HTTP \(r.status) \(code ?? ""): the request is not one \(service.name) accepts")
        default:
            return failure(.unexpectedAnswer, "HTTP \(r.status) is not an answer lmb expects from \(service.name)")
        }
    }

    /// The body's text, for answers without a structured error: the first 300 characters, or the status.
    static func plainText(_ r: HTTPResponse) -> String {
        let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(r.status)" : String(text.prefix(300))
    }

    /// The text of the first `<name>…</name>`; S3's errors are flat, so no XML parser is needed.
    static func xmlElement(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
