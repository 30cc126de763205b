import Foundation

/// An Amazon emulator beside the Xero one, on the same port: Login with Amazon (`/auth/o2/token`), the Reports API
/// 2021-06-30 and the pre-signed S3 downloads it hands out. Shapes follow Amazon's model of the Reports API and the
/// facts in docs/amazon-spapi-facts.md; nothing is shared with lmb's client, so it can catch the client's mistakes.
///
/// - `POST /auth/o2/token` (form or JSON) → `{"access_token":"Atza|…","token_type":"bearer","expires_in":3600,"refresh_token":…}`
/// - `GET|POST /reports/2021-06-30/reports`, `GET|DELETE /reports/2021-06-30/reports/{id}`,
///   `GET /reports/2021-06-30/documents/{id}`: header `x-amz-access-token` and a `user-agent`; answers carry
///   `x-amzn-RequestId`, and `x-amzn-RateLimit-Limit` on 200/400/404.
/// - `GET /tortuga-prod-na/NinetyDays/amzn1.tortuga.4.na.…?X-Amz-Algorithm=…&X-Amz-Date=…&X-Amz-Expires=300&…&X-Amz-Signature=…`:
///   the document, without SP-API headers, for 300 s of sandbox clock.
/// - `POST /tokens/2021-03-01/restrictedDataToken` (Tokens API): a restricted data token for the restricted documents
///   (GET_VAT_TRANSACTION_DATA's need the Tax Remittance role; AmazonRestrictedData.swift).
/// - Control: `POST /_sandbox/amazon/reports`, `POST /_sandbox/amazon/vat-data`, `GET|POST /_sandbox/amazon/config` (AmazonControl.swift); scenarios
///   `amazon-*` through `POST /_sandbox/scenario`; `amazon` in `GET /_sandbox/state`; `/_sandbox/reset` clears it.
extension SandboxEngine {
    /// First path segments of the SP-API's sections: an unknown path below them is an SP-API path Amazon's gateway
    /// refuses with MissingAuthenticationToken, not a Xero 404.
    nonisolated static let spapiSections: Set<String> = [
        "reports", "finances", "orders", "sellers", "feeds", "notifications", "tokens", "catalog", "listings", "fba",
        "authorization", "datakiosk", "applications", "solicitations", "messaging", "shipping", "vendor", "products",
        "pricing", "aplus", "replenishment", "awd", "supplySources", "easyShip", "mfn", "inbound", "sales", "services",
    ]

    nonisolated static func isAmazonPath(_ path: String) -> Bool {
        if path.hasPrefix("/auth/o2/") || path.hasPrefix(amazonDownloadPrefix) { return true }
        let first = path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        return spapiSections.contains(first)
    }

    /// Answers one Amazon request (LWA, SP-API or S3 download) and logs it. Xero's fault scenarios do not reach here.
    func answerAmazon(_ r: SandboxRequest) -> SandboxResponse {
        purgeExpiredReports()
        let response: SandboxResponse
        if r.path.hasPrefix("/auth/o2/") {
            response = stampRequestID(loginWithAmazon(r))
        } else if r.path.hasPrefix(Self.amazonDownloadPrefix) {
            response = download(r)
        } else {
            response = stampRequestID(sellingPartnerAPI(r))
        }
        amazon.requests.append(AmazonLoggedRequest(method: r.method, path: r.path, query: r.rawQuery,
                                                   status: response.status, time: now))
        return response
    }

    func stampRequestID(_ response: SandboxResponse) -> SandboxResponse {
        var response = response
        response.headers.append(("x-amzn-RequestId", UUID().uuidString.lowercased()))
        return response
    }

    /// Reports (and their documents) are retained 90 days of sandbox clock.
    func purgeExpiredReports() {
        let oldest = now.addingTimeInterval(-Self.amazonRetention)
        let expired = amazon.reports.filter { $0.createdTime <= oldest }
        guard !expired.isEmpty else { return }
        amazon.reports.removeAll { $0.createdTime <= oldest }
        for id in expired.compactMap(\.reportDocumentID) { amazon.documents[id] = nil }
    }

    static let amazonRetention: TimeInterval = 90 * 86400

    /// Whether the seller of the request being answered may see the report: every seller's, or its own.
    func visibleToSeller(_ report: AmazonReport) -> Bool {
        report.seller == nil || report.seller == amazonSeller
    }

    // MARK: The SP-API gateway: operation, token, role, quota, user agent — in the order Amazon's gateway checks them

    func sellingPartnerAPI(_ r: SandboxRequest) -> SandboxResponse {
        guard let operation = Self.operation(method: r.method, path: r.path) else { return Self.missingAuthenticationToken() }
        guard let value = r.header("x-amz-access-token"), !value.isEmpty else { return Self.missingAuthenticationToken() }
        // An LWA access token, or a restricted data token (good for the operations it was made for only).
        let seller: String, expiresAt: Date
        let restricted = amazon.restrictedTokens[value]
        if let token = amazon.accessTokens[value] {
            (seller, expiresAt) = (token.refreshToken, token.expiresAt)
        } else if let restricted {
            (seller, expiresAt) = (restricted.refreshToken, restricted.expiresAt)
        } else {
            return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.",
                                   details: "The access token you provided is revoked, malformed or invalid.")
        }
        guard now < expiresAt else {
            return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.",
                                   details: "The access token you provided has expired.")
        }
        if scenario == .amazonRoleMissing {
            return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.", details: "")
        }
        if let restricted, !restricted.resources.contains("\(r.method) \(r.path)") {
            return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.", details: "")
        }
        if scenario == .amazonQuota || !takeToken(operation, seller: seller) {
            return Self.quotaExceeded()
        }
        var response: SandboxResponse
        if let invalid = Self.invalidUserAgent(r.header("user-agent")) {
            response = Self.invalidInput(invalid)
        } else {
            // Which seller's reports the operation sees: set for this synchronous call only.
            amazonSeller = seller
            response = perform(operation, r, seller: seller, restricted: restricted != nil)
            amazonSeller = nil
        }
        if [200, 400, 404].contains(response.status) {
            response.headers.append(("x-amzn-RateLimit-Limit", Self.rateHeader(amazon.options.limits[operation]!.rate)))
        }
        return response
    }

    /// The operation a method and path name in Amazon's model, or nil (which Amazon's gateway answers with 403).
    static func operation(method: String, path: String) -> AmazonOperation? {
        if method == "POST", path == "/tokens/2021-03-01/restrictedDataToken" { return .createRestrictedDataToken }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "reports", parts[2] == "2021-06-30" else { return nil }
        switch (method, parts[3], parts.count) {
        case ("GET", "reports", 4): return .getReports
        case ("POST", "reports", 4): return .createReport
        case ("GET", "reports", 5) where !parts[4].isEmpty: return .getReport
        case ("DELETE", "reports", 5) where !parts[4].isEmpty: return .cancelReport
        case ("GET", "documents", 5) where !parts[4].isEmpty: return .getReportDocument
        default: return nil
        }
    }

    func perform(_ operation: AmazonOperation, _ r: SandboxRequest, seller: String, restricted: Bool) -> SandboxResponse {
        let lastSegment = String(r.path.split(separator: "/").last ?? "")
        let id = lastSegment.removingPercentEncoding ?? lastSegment
        switch operation {
        case .getReports: return getReports(r)
        case .getReport: return getReport(id: id)
        case .createReport: return createReport(r)
        case .cancelReport: return cancelReport(id: id)
        case .getReportDocument: return getReportDocument(id: id, r, viaRestrictedToken: restricted)
        case .createRestrictedDataToken: return createRestrictedDataToken(r, seller: seller)
        }
    }

    /// Amazon requires a user agent of at most 500 characters.
    static func invalidUserAgent(_ userAgent: String?) -> String? {
        guard let userAgent, !userAgent.trimmingCharacters(in: .whitespaces).isEmpty else {
            return "A User-Agent header is required."
        }
        return userAgent.count > 500 ? "The User-Agent header must not exceed 500 characters." : nil
    }

    // MARK: Error bodies, in the shape of the model's ErrorList

    static func spapiError(_ status: Int, _ code: String, _ message: String, details: String?,
                           headers: [(String, String)] = []) -> SandboxResponse {
        var error = ["code": code, "message": message]
        if let details { error["details"] = details }
        return .json(status, ["errors": [error]], headers: headers)
    }

    static func invalidInput(_ message: String, details: String = "") -> SandboxResponse {
        spapiError(400, "InvalidInput", message, details: details)
    }

    static func notFound(_ message: String) -> SandboxResponse {
        spapiError(404, "NotFound", message, details: "")
    }

    /// What Amazon's gateway answers with no token or for a path it does not know: no details field.
    static func missingAuthenticationToken() -> SandboxResponse {
        spapiError(403, "MissingAuthenticationToken", "Access to requested resource is denied.", details: nil,
                   headers: [("x-amzn-ErrorType", "MissingAuthenticationTokenException")])
    }

    static func quotaExceeded() -> SandboxResponse {
        spapiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", details: "")
    }

    // MARK: Dates

    /// Amazon writes report times as `2024-10-17T14:28:38+00:00`; a client that only reads `Z` fails here as there.
    static func amazonTime(_ date: Date) -> String {
        String(date.formatted(.iso8601).dropLast()) + "+00:00"
    }

    /// ISO 8601 date-times with `Z` or an offset, with or without fractions of a second, or a bare date.
    static func parseISO8601(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        // A bare date only: the full-date parser ignores whatever follows the date.
        guard text.count == 10 else { return nil }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}
