import Foundation

/// An eBay emulator (OAuth consent and token service, Sell Finances API, Key Management API, HTTP message signatures),
/// on the same process and port as the rest of the sandbox. Built from docs/channels-facts.md and eBay's OpenAPI
/// descriptions, not from lmb's client, so the two can catch each other's mistakes.
///
/// Routes (one base URL stands for auth.ebay.com, api.ebay.com and apiz.ebay.com):
/// - `GET /oauth2/authorize?client_id&redirect_uri=<RuName>&response_type=code&scope&state` → 302 to the RuName's accept
///   URL with `state`, `code` and `expires_in` (EbayIdentity.swift).
/// - `POST /identity/v1/oauth2/token` with Basic client auth: the authorization-code, refresh-token and client-credentials
///   grants (EbayIdentity.swift).
/// - `GET /sell/finances/v1/payout`, `/payout/{payout_Id}`, `/payout_summary`, `/transaction`, `/seller_funds_summary`
///   (204: nothing pending), `/transfer/{id}` (404 135012) with a User token holding the sell.finances scope; signed
///   (`x-ebay-signature-key`, `Signature-Input`, `Signature`) when the seller is EU/UK (EbayFinances.swift,
///   EbaySigning.swift); a daily call quota (15,000, the day in Pacific time). Not emulated: `/transaction_summary`,
///   `billing_activity`.
/// - `GET /developer/analytics/v1_beta/rate_limit/` and `…/user_rate_limit/`: the quota's count, remaining and reset.
/// - `POST|GET /developer/key_management/v1/signing_key`, `GET …/signing_key/{id}` with a token holding
///   `https://api.ebay.com/oauth/api_scope` (EbaySigning.swift).
/// - Control: `POST /_sandbox/ebay/payouts`, `POST /_sandbox/ebay/authorize`, `GET|POST /_sandbox/ebay/config`
///   (EbayControl.swift); scenarios `ebay-*`; `ebay` in `GET /_sandbox/state`; `/_sandbox/reset` clears it.
extension SandboxEngine {
    nonisolated static let ebayFinancesPrefix = "/sell/finances/v1/"
    nonisolated static let ebayKeyManagementPrefix = "/developer/key_management/v1/"
    nonisolated static let ebayAnalyticsPrefix = "/developer/analytics/v1_beta/"
    nonisolated static let ebayTokenPath = "/identity/v1/oauth2/token"
    nonisolated static let ebayAuthorizePath = "/oauth2/authorize"
    nonisolated static let ebayFinancesScope = "https://api.ebay.com/oauth/api_scope/sell.finances"
    nonisolated static let ebayPublicScope = "https://api.ebay.com/oauth/api_scope"

    nonisolated static func isEbayPath(_ path: String) -> Bool {
        path == ebayAuthorizePath || path == ebayTokenPath || path.hasPrefix("/identity/v1/")
            || path.hasPrefix(ebayFinancesPrefix) || path.hasPrefix(ebayKeyManagementPrefix) || path.hasPrefix(ebayAnalyticsPrefix)
            || path == "/sell/finances/v1" || path == "/developer/key_management/v1"
    }

    /// What one eBay request came to, for the log.
    struct EbayOutcome {
        var response: SandboxResponse
        var error: String?
        var signatureVerified: Bool?
        var signatureProblem: String?
    }

    /// Answers one eBay request and logs it (never its credentials). Xero's and the other channels' scenarios do not
    /// reach here.
    func answerEbay(_ r: SandboxRequest) -> SandboxResponse {
        let outcome: EbayOutcome
        if r.path == Self.ebayAuthorizePath {
            outcome = EbayOutcome(response: ebayAuthorize(r))
        } else if r.path.hasPrefix("/identity/v1/") {
            outcome = ebayToken(r)
        } else if r.path.hasPrefix(Self.ebayAnalyticsPrefix) {
            outcome = ebayRateLimits(r)
        } else if r.path.hasPrefix(Self.ebayKeyManagementPrefix) || r.path == "/developer/key_management/v1" {
            outcome = ebayKeyManagement(r)
        } else {
            outcome = ebayFinances(r)
        }
        var response = outcome.response
        response.headers.append(("rlogid", "t6sandbox%3C" + Self.randomHex(8)))
        ebay.requests.append(EbayLoggedRequest(
            method: r.method, path: r.path,
            query: r.path.hasPrefix(Self.ebayFinancesPrefix) && !r.rawQuery.isEmpty ? r.rawQuery : nil,
            status: response.status, error: outcome.error, marketplace: r.header("x-ebay-c-marketplace-id"),
            signatureVerified: outcome.signatureVerified, signatureProblem: outcome.signatureProblem, time: now))
        return response
    }

    // MARK: Errors

    /// eBay's error envelope: `{"errors": [{errorId, domain, category, message, longMessage?, parameters?}]}`.
    static func ebayError(_ status: Int, _ errorID: Int, domain: String, category: String = "REQUEST", message: String,
                          longMessage: String? = nil, parameters: [(String, String)] = []) -> SandboxResponse {
        var error: [String: Any] = ["errorId": errorID, "domain": domain, "category": category, "message": message]
        if let longMessage { error["longMessage"] = longMessage }
        if !parameters.isEmpty { error["parameters"] = parameters.map { ["name": $0.0, "value": $0.1] } }
        return .json(status, ["errors": [error]])
    }

    static func ebayOutcome(_ response: SandboxResponse) -> EbayOutcome {
        let errors = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        let id = ((errors?["errors"] as? [[String: Any]])?.first?["errorId"] as? Int).map(String.init)
        return EbayOutcome(response: response, error: id ?? (errors?["error"] as? String))
    }

    static var ebayInvalidToken: SandboxResponse {
        ebayError(401, 1001, domain: "OAuth", message: "Invalid access token",
                  longMessage: "Invalid access token. Check the value of the Authorization HTTP request header.")
    }

    static var ebayAccessDenied: SandboxResponse {
        ebayError(403, 1100, domain: "ACCESS", message: "Access denied",
                  longMessage: "Insufficient permissions to fulfill the request.")
    }

    static var ebayQuotaReached: SandboxResponse {
        ebayError(429, 2001, domain: "ACCESS", message: "Too many requests.",
                  longMessage: "The request limit has been reached for the resource.")
    }

    static var ebayNotFound: SandboxResponse {
        ebayError(404, 2002, domain: "ACCESS", message: "Resource not found")
    }

    static var ebayMethodNotAllowed: SandboxResponse {
        ebayError(405, 2003, domain: "ACCESS", message: "Method not allowed")
    }

    // MARK: Tokens on API calls

    /// The bearer token's record, or eBay's 401 (errorId 1001) for a missing, unknown or expired token.
    func ebayBearer(_ r: SandboxRequest) -> EbayAccessToken? {
        guard let auth = r.header("authorization"), auth.lowercased().hasPrefix("bearer ") else { return nil }
        let value = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard let token = ebay.accessTokens[value], now < token.expiresAt else { return nil }
        return token
    }

    // MARK: The daily quota

    /// Counts one call against the app's daily Finances quota (the day in Pacific time) and answers whether it fits.
    func ebayCountCall() -> Bool {
        let day = Self.pacificDay(now)
        if day != ebay.quotaDay {
            ebay.quotaDay = day
            ebay.quotaUsed = 0
        }
        guard ebay.quotaUsed < ebay.options.financesDailyLimit else { return false }
        ebay.quotaUsed += 1
        return true
    }

    /// The Developer Analytics API's `GET …/rate_limit/` (application token) and `…/user_rate_limit/` (user token): the
    /// Finances quota's count, limit, remaining calls and reset time (the next Pacific midnight). Not counted itself.
    func ebayRateLimits(_ r: SandboxRequest) -> EbayOutcome {
        let rest = String(r.path.dropFirst(Self.ebayAnalyticsPrefix.count))
        guard rest == "rate_limit/" || rest == "rate_limit" || rest == "user_rate_limit/" || rest == "user_rate_limit" else {
            return Self.ebayOutcome(Self.ebayNotFound)
        }
        guard r.method == "GET" else { return Self.ebayOutcome(Self.ebayMethodNotAllowed) }
        guard let token = ebayBearer(r) else { return Self.ebayOutcome(Self.ebayInvalidToken) }
        guard rest.hasPrefix("user_") ? token.kind == .user : token.scopes.contains(Self.ebayPublicScope) else {
            return Self.ebayOutcome(Self.ebayAccessDenied)
        }
        let used = ebay.quotaDay == Self.pacificDay(now) ? ebay.quotaUsed : 0
        let limit = ebay.options.financesDailyLimit
        let exhausted = scenario == .ebayQuota
        let rate: [String: Any] = ["count": exhausted ? limit : used, "limit": limit, "remaining": exhausted ? 0 : max(0, limit - used),
                                   "reset": EbayFormat.dateTime(Self.quotaResetsAt(now)), "timeWindow": 86400]
        let wanted = { (name: String, value: String) in r.query[name].map { $0.lowercased() == value } ?? true }
        let finances: [String: Any] = ["apiContext": "sell", "apiName": "Finances", "apiVersion": "v1",
                                       "resources": [["name": "sell.finances", "rates": [rate]]]]
        let listed = wanted("api_context", "sell") && wanted("api_name", "finances")
        return EbayOutcome(response: .json(200, ["rateLimits": listed ? [finances] : []]))
    }

    nonisolated static var pacific: TimeZone { TimeZone(identifier: "America/Los_Angeles") ?? TimeZone(secondsFromGMT: -8 * 3600) ?? .current }

    nonisolated static func pacificDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = pacific
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// When the quota starts again: the next midnight in Pacific time.
    nonisolated static func quotaResetsAt(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = pacific
        let start = calendar.startOfDay(for: date)
        return calendar.date(byAdding: .day, value: 1, to: start) ?? date.addingTimeInterval(86400)
    }
}
