import Foundation

/// The one place Xero's answers become classified failures. Evidence says what the verdict rests on.
public enum XeroErrorClassifier {
    /// nil for a 2xx answer. `service`: the accounting API (and /connections), or the identity server's token endpoint.
    public static func classify(_ r: HTTPResponse, service: RemoteService = .xero) -> RemoteFailure? {
        guard !(200..<300).contains(r.status) else { return nil }
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let correlation = r.header("xero-correlation-id")
        let message = extractMessage(r, json)
        func failure(_ c: Classification, _ evidence: String, retryAfter: Double? = nil, validation: [String] = []) -> RemoteFailure {
            var f = RemoteFailure(c, message, service: service, code: json?["Type"] as? String ?? json?["error"] as? String,
                                  status: r.status, requestID: correlation, retryAfter: retryAfter,
                                  validationErrors: validation, evidence: [evidence])
            f.accessTokenRejected = c == .tokenExpired
            return f
        }
        if let oauth = json?["error"] as? String {
            switch oauth {
            case "invalid_grant":
                return failure(.staleConnection, "the token endpoint answered invalid_grant: the refresh token was revoked, expired (60 days unused) or already used")
            case "invalid_client", "unauthorized_client":
                return failure(.staleConnection, "the token endpoint answered \(oauth): the app's authorisation was withdrawn or its credentials changed")
            case "invalid_scope":
                return failure(.insufficientScope, "the token endpoint answered invalid_scope")
            default:
                return failure(.config, "the token endpoint answered \(oauth)")
            }
        }
        switch r.status {
        case 400:
            let errors = validationMessages(json)
            return failure(.validationFailed, "HTTP 400 \(json?["Type"] as? String ?? "")", validation: errors.isEmpty ? [message] : errors)
        case 401:
            let challenge = r.header("www-authenticate") ?? ""
            let detail = json?["Detail"] as? String ?? ""
            if challenge.contains("insufficient_scope") || detail == "AuthorizationUnsuccessful" {
                return failure(.insufficientScope, "401 with WWW-Authenticate: \(challenge.isEmpty ? "-" : challenge), Detail \(detail)")
            }
            if detail.hasPrefix("TokenExpired") { return failure(.tokenExpired, "401 TokenExpired") }
            return failure(.staleConnection, "401 \(detail.isEmpty ? "unauthorised" : detail): the access token is not accepted")
        case 403:
            if message.localizedCaseInsensitiveContains("not permitted to access this resource") {
                return failure(.permissionDenied, "403 \"You are not permitted to access this resource\"")
            }
            return failure(.staleConnection, "403 \(json?["Detail"] as? String ?? "Forbidden"): the tenant is not authorised for this token")
        case 429:
            let problem = r.header("x-rate-limit-problem") ?? "unknown"
            return failure(.rateLimited, "429 with X-Rate-Limit-Problem: \(problem)", retryAfter: r.retryAfterSeconds)
        case 503 where message.localizedCaseInsensitiveContains("offline") && message.localizedCaseInsensitiveContains("organisation"):
            return failure(.organisationOffline, "503 \"\(message)\"")
        case 404 where json == nil:
            // Xero's own 404s carry a JSON problem; a bare one means no API at this address.
            return failure(.config, "HTTP 404 without Xero's error body: nothing at the address lmb used; a wrong LMB_XERO_BASE_URL, or an endpoint Xero no longer serves")
        case 404:
            return failure(.notFound, "HTTP 404 \(json?["Title"] as? String ?? ""): Xero holds no such resource")
        case 413:
            return failure(.tooLarge, "HTTP 413: Xero accepts request bodies up to 3.5 MB")
        case 500, 502, 503, 504:
            return failure(.unavailable, "HTTP \(r.status): a server-side failure that usually passes")
        case 300..<400:
            return failure(.requestRejected, "HTTP \(r.status) redirect to \(r.header("location") ?? "?"): Xero's API does not redirect; the base URL is wrong or a proxy interferes")
        default:
            // 405, 406, 409, 415, 422, 501 and anything undocumented: the same request would fail the same way.
            return failure(.requestRejected, "HTTP \(r.status): a status Xero's accounting API does not answer to a well-formed request; sending it again unchanged will not help")
        }
    }

    /// Xero's own words: ValidationErrors, Message, Detail, an OAuth error, or the plain-text body.
    static func extractMessage(_ r: HTTPResponse, _ json: [String: Any]?) -> String {
        if let json {
            let validation = validationMessages(json)
            if !validation.isEmpty { return validation.joined(separator: "; ") }
            for key in ["Detail", "Message", "error_description", "error", "Title"] {
                if let s = json[key] as? String, !s.isEmpty { return s }
            }
        }
        let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(r.status)" : String(text.prefix(500))
    }

    static func validationMessages(_ json: [String: Any]?) -> [String] {
        var out: [String] = []
        for element in json?["Elements"] as? [[String: Any]] ?? [] {
            for e in element["ValidationErrors"] as? [[String: Any]] ?? [] {
                if let m = e["Message"] as? String, !out.contains(m) { out.append(m) }
            }
        }
        for invoice in json?["Invoices"] as? [[String: Any]] ?? [] {
            for e in invoice["ValidationErrors"] as? [[String: Any]] ?? [] {
                if let m = e["Message"] as? String, !out.contains(m) { out.append(m) }
            }
        }
        return out
    }
}
