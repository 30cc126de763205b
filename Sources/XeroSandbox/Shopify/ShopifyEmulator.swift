import Foundation

/// A Shopify Payments emulator (Admin GraphQL API), on the same process and port as the rest of the sandbox.
/// Built from the channel facts and Shopify's schema, not from lmb's client, so the two can catch each other's mistakes.
///
/// Routes:
/// - `POST /admin/oauth/access_token`: the client-credentials grant (form or JSON body: `grant_type=client_credentials`,
///   `client_id`, `client_secret`) → `{access_token: "shpat_…", scope, expires_in: 86399}`; the token lasts 24 h of sandbox
///   clock and there is no refresh token.
/// - `POST /admin/api/2026-01/graphql.json` with `X-Shopify-Access-Token`: the queries described in ShopifyQuery.swift.
///   Other well-formed versions (`YYYY-01|04|07|10`, `unstable`) are answered as 2026-01, and every answer names the
///   version served in `X-Shopify-API-Version`; a malformed version or any other path under /admin is 404.
/// - Control: `POST /_sandbox/shopify/payouts` (a transactions export CSV), `GET|POST /_sandbox/shopify/config`
///   (ShopifyControl.swift); scenarios `shopify-*`; `shopify` in `GET /_sandbox/state`; `/_sandbox/reset` clears it.
extension SandboxEngine {
    nonisolated static let shopifyAPIVersion = "2026-01"

    nonisolated static func isShopifyPath(_ path: String) -> Bool { path.hasPrefix("/admin/") || path == "/admin" }

    /// Answers one Shopify request and logs it. Xero's and Amazon's scenarios do not reach here.
    func answerShopify(_ r: SandboxRequest) -> SandboxResponse {
        var errorCode: String?
        var response: SandboxResponse
        if r.path == "/admin/oauth/access_token" {
            response = shopifyTokenGrant(r)
        } else {
            (response, errorCode) = shopifyAdminAPI(r)
        }
        response.headers.append(("X-Request-Id", UUID().uuidString.lowercased()))
        shopify.requests.append(ShopifyLoggedRequest(method: r.method, path: r.path, status: response.status,
                                                     errorCode: errorCode, time: now))
        return response
    }

    // MARK: Client-credentials grant

    func shopifyTokenGrant(_ r: SandboxRequest) -> SandboxResponse {
        guard r.method == "POST" else { return .json(404, ["errors": "Not Found"]) }
        let fields = Self.lwaFields(r) ?? [:]
        func oauthError(_ status: Int, _ error: String, _ description: String) -> SandboxResponse {
            .json(status, ["error": error, "error_description": description])
        }
        guard let grant = fields["grant_type"], !grant.isEmpty else {
            return oauthError(400, "invalid_request", "The request is missing a required parameter: grant_type")
        }
        guard grant == "client_credentials" else {
            return oauthError(400, "unsupported_grant_type", "The authorization grant type is not supported")
        }
        guard fields["client_id"] == shopify.options.clientID, fields["client_secret"] == shopify.options.clientSecret else {
            return oauthError(401, "invalid_client", "Client authentication failed")
        }
        let token = "shpat_" + Self.randomHex(16)
        shopify.tokens[token] = now.addingTimeInterval(shopify.options.tokenSeconds)
        shopify.issuedTokens.append(token)
        return .json(200, ["access_token": token, "scope": shopifyScopes.joined(separator: ","),
                           "expires_in": Int(shopify.options.tokenSeconds) - 1])
    }

    /// The scopes the app holds: both payments scopes, unless `shopify-scope-missing` takes the payouts one away.
    var shopifyScopes: [String] {
        scenario == .shopifyScopeMissing ? ["read_shopify_payments_accounts"]
            : ["read_shopify_payments_accounts", "read_shopify_payments_payouts"]
    }

    // MARK: Admin API: version, token, shop state, then the query

    func shopifyAdminAPI(_ r: SandboxRequest) -> (SandboxResponse, String?) {
        let parts = r.path.split(separator: "/").map(String.init)   // admin, api, <version>, graphql.json
        guard parts.count == 4, parts[0] == "admin", parts[1] == "api", parts[3] == "graphql.json",
              Self.isWellFormedShopifyVersion(parts[2]) else {
            return (.json(404, ["errors": "Not Found"]), nil)
        }
        let versionHeader = ("X-Shopify-API-Version", Self.shopifyAPIVersion)
        guard r.method == "POST" else {
            return (.json(405, ["errors": "Method Not Allowed"], headers: [versionHeader]), nil)
        }
        let invalidToken = SandboxResponse.json(
            401, ["errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"],
            headers: [versionHeader, ("WWW-Authenticate", "Basic Realm=\"Shopify API Authentication\"")])
        guard let token = r.header("x-shopify-access-token"), !token.isEmpty else { return (invalidToken, nil) }
        let valid = token == shopify.options.legacyToken || (shopify.tokens[token].map { now < $0 } ?? false)
        guard valid, scenario != .shopifyTokenRevoked else { return (invalidToken, nil) }
        if scenario == .shopifyShopLocked { return (.json(423, ["errors": "Locked"], headers: [versionHeader]), nil) }
        if scenario == .shopifyShopFrozen { return (.json(402, ["errors": "Payment Required"], headers: [versionHeader]), nil) }
        var (response, code) = shopifyGraphQL(r)
        response.headers.append(versionHeader)
        return (response, code)
    }

    /// `2026-01`-style stable versions (quarterly) and `unstable`.
    nonisolated static func isWellFormedShopifyVersion(_ v: String) -> Bool {
        if v == "unstable" { return true }
        let p = v.split(separator: "-")
        guard p.count == 2, p[0].count == 4, Int(p[0]) != nil, ["01", "04", "07", "10"].contains(String(p[1])) else { return false }
        return true
    }

    // MARK: The leaky bucket

    /// Restores the bucket for the time gone by (sandbox clock) and answers what is available.
    func refillShopifyBucket() -> Double {
        let o = shopify.options
        if let last = shopify.bucketUpdatedAt {
            let elapsed = max(0, now.timeIntervalSince(last))
            shopify.bucket = min(o.maximumAvailable, shopify.bucket + elapsed * o.restoreRate)
        } else {
            shopify.bucket = o.maximumAvailable
        }
        shopify.bucketUpdatedAt = now
        return shopify.bucket
    }

    func shopifyCost(requested: Int, actual: Int?, available: Double? = nil) -> [String: Any] {
        ["requestedQueryCost": requested, "actualQueryCost": actual.map { $0 as Any } ?? NSNull(),
         "throttleStatus": ["maximumAvailable": shopify.options.maximumAvailable,
                            "currentlyAvailable": Int((available ?? shopify.bucket).rounded(.down)),
                            "restoreRate": shopify.options.restoreRate]]
    }

    /// Parses, checks and costs the query, takes its cost from the bucket (or answers THROTTLED), runs it, and refunds
    /// what the answer did not use. Every answer, error or not, carries `extensions.cost`.
    func shopifyGraphQL(_ r: SandboxRequest) -> (SandboxResponse, String?) {
        _ = refillShopifyBucket()
        let queryText: String
        var variables: [String: Any] = [:]
        var operationName: String?
        let contentType = r.header("content-type")?.lowercased() ?? ""
        if contentType.contains("application/graphql") {
            queryText = String(decoding: r.body, as: UTF8.self)
        } else {
            guard let body = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
                return (.json(400, ["errors": ["query": ["Required parameter missing or invalid"]]]), nil)
            }
            guard let q = body["query"] as? String, !q.isEmpty else {
                return (.json(400, ["errors": ["query": ["Required parameter missing or invalid"]]]), nil)
            }
            queryText = q
            variables = body["variables"] as? [String: Any] ?? [:]
            operationName = (body["operationName"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        }
        func errorAnswer(_ errors: [[String: Any]], requested: Int = 0, actual: Int? = 0) -> (SandboxResponse, String?) {
            let code = (errors.first?["extensions"] as? [String: Any])?["code"] as? String
            return (.json(200, ["errors": errors, "extensions": ["cost": shopifyCost(requested: requested, actual: actual)]]), code)
        }
        let operation: GQLOperation
        do { operation = try GQLParser.parse(queryText, operationName: operationName) } catch let e as GQLError {
            return errorAnswer([["message": e.message, "locations": [["line": e.line, "column": e.column]]]])
        } catch {
            return errorAnswer([["message": "\(error)"]])
        }
        var query = ShopifyQuery(operation: operation, variables: variables)
        if let errors = query.validate() { return errorAnswer(errors) }
        let requested = query.requestedCost()
        if scenario == .shopifyThrottled || Double(requested) > shopify.bucket {
            let throttled: [String: Any] = [
                "message": "Throttled",
                "extensions": ["code": "THROTTLED",
                               "documentation": "https://shopify.dev/api/usage/limits#rate-limits"],
            ]
            let available = scenario == .shopifyThrottled ? 0 : shopify.bucket
            return (.json(200, ["errors": [throttled],
                                "extensions": ["cost": shopifyCost(requested: requested, actual: nil, available: available)]]),
                    "THROTTLED")
        }
        shopify.bucket -= Double(requested)
        let result = query.execute(state: shopify, scopes: Set(shopifyScopes))
        let actual = min(requested, result.actualCost)
        shopify.bucket = min(shopify.options.maximumAvailable, shopify.bucket + Double(requested - actual))
        var extensions: [String: Any] = ["cost": shopifyCost(requested: requested, actual: actual)]
        if !result.searchWarnings.isEmpty { extensions["search"] = result.searchWarnings }
        var body: [String: Any] = ["data": result.data, "extensions": extensions]
        if !result.errors.isEmpty { body["errors"] = result.errors }
        let code = (result.errors.first?["extensions"] as? [String: Any])?["code"] as? String
        return (.json(200, body), code)
    }
}
