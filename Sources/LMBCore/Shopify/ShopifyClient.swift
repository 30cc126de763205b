import Foundation

/// Where a shop's Admin API is: `https://<shop>` or, under `LMB_SHOPIFY_BASE_URL`, one base URL (the sandbox).
public struct ShopifyEndpoints: Sendable, Equatable {
    public static let baseURLVariable = "LMB_SHOPIFY_BASE_URL"
    /// The Admin GraphQL version lmb speaks (pinned; Shopify supports each for a year).
    public static let apiVersion = "2026-01"

    public var graphQL: URL
    public var token: URL

    public static func resolve(shop: String, environment: [String: String]) throws -> ShopifyEndpoints {
        let base: String
        if let override = environment[baseURLVariable]?.trimmingCharacters(in: .whitespaces), !override.isEmpty {
            base = override.hasSuffix("/") ? String(override.dropLast()) : override
        } else {
            base = "https://\(shop)"
        }
        guard let graphQL = URL(string: base + "/admin/api/\(apiVersion)/graphql.json"), let token = URL(string: base + "/admin/oauth/access_token"),
              graphQL.isHTTPSOrLoopback else {
            throw RemoteFailure(.config, "'\(base)' is not a usable Shopify address (https, or http to a loopback sandbox)", service: .shopifyAdmin)
        }
        return ShopifyEndpoints(graphQL: graphQL, token: token)
    }

    /// `my-shop.myshopify.com` from what a person may type (`https://my-shop.myshopify.com/`, `My-Shop`).
    public static func normaliseShop(_ text: String) -> String? {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased()
        for prefix in ["https://", "http://"] where s.hasPrefix(prefix) { s.removeFirst(prefix.count) }
        while s.hasSuffix("/") { s.removeLast() }
        if !s.contains(".") { s += ".myshopify.com" }
        guard s.hasSuffix(".myshopify.com"), s.count > ".myshopify.com".count,
              s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else { return nil }
        return s
    }
}

/// How lmb authenticates to a shop: a permanent Admin API token, or a custom app's client credentials (a 24-hour
/// token asked for as needed). The secrets never show in a description.
public enum ShopifyAuth: Sendable, Equatable, CustomStringConvertible {
    case accessToken(String)
    case clientCredentials(clientID: String, clientSecret: String)

    public var description: String {
        switch self {
        case .accessToken: return "Admin API access token <redacted>"
        case .clientCredentials(let id, _): return "client credentials (client id \(id), secret <redacted>)"
        }
    }

    public var secrets: [String] {
        switch self {
        case .accessToken(let t): return [t]
        case .clientCredentials(_, let s): return [s]
        }
    }

    /// The settings and secrets `channel_account` keeps.
    var stored: (settings: [String: String], secrets: [String: String]) {
        switch self {
        case .accessToken(let t): return (["auth": "access_token"], ["accessToken": t])
        case .clientCredentials(let id, let s): return (["auth": "client_credentials", "clientId": id], ["clientSecret": s])
        }
    }

    static func from(_ account: StoredChannelAccount) throws -> ShopifyAuth {
        if account.settings["auth"] == "client_credentials" {
            guard let id = account.settings["clientId"], let secret = account.secrets["clientSecret"], !secret.isEmpty else {
                throw RemoteFailure(.config, "the stored client credentials of Shopify shop \(account.label) are incomplete: connect it again", service: .shopifyAdmin)
            }
            return .clientCredentials(clientID: id, clientSecret: secret)
        }
        guard let token = account.secrets["accessToken"], !token.isEmpty else {
            throw RemoteFailure(.config, "no access token is stored for Shopify shop \(account.label): connect it again", service: .shopifyAdmin)
        }
        return .accessToken(token)
    }
}

/// The client-credentials grant of a custom app (Dev Dashboard): a token of 24 hours and no refresh token, so
/// "renewing" is asking again with the client id and secret.
struct ShopifyClientCredentialsGrant: TokenGrant {
    let clientID: String
    let clientSecret: String
    let tokenURL: URL
    var service: RemoteService { .shopifyOAuth }
    var defaultLifetime: Int { 86_399 }
    var secrets: [String] { [clientSecret] }

    func request(renewing held: HeldTokens, now: Date) throws -> HTTPRequest {
        HTTPRequest(method: "POST", url: tokenURL, headers: [("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json")],
                    body: Data(FormEncoding.encode([("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", clientSecret)]).utf8))
    }

    func classify(_ r: HTTPResponse) -> RemoteFailure? {
        guard !(200..<300).contains(r.status) else { return nil }
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let code = json?["error"] as? String
        let message = (json?["error_description"] as? String) ?? (json?["errors"] as? String) ?? "HTTP \(r.status)"
        let requestID = r.header("x-request-id")
        switch (r.status, code) {
        case (400, "invalid_client"), (401, _), (400, "unauthorized_client"):
            return RemoteFailure(.config, message, service: service, code: code ?? "invalid_client", status: r.status, requestID: requestID,
                                 evidence: ["the token endpoint refused the client id and secret"])
        case (429, _):
            var f = RemoteFailure(.rateLimited, message, service: service, status: r.status, requestID: requestID)
            f.retryAfter = r.retryAfterSeconds
            return f
        case (500..., _):
            return RemoteFailure(.unavailable, message, service: service, status: r.status, requestID: requestID)
        case (404, _):
            return RemoteFailure(.notFound, "no such shop: the token endpoint answered 404", service: service, status: r.status, requestID: requestID)
        default:
            return RemoteFailure(.requestRejected, message, service: service, code: code, status: r.status, requestID: requestID)
        }
    }
}

/// A permanent token: nothing to renew, so a refusal of it is final.
struct ShopifyStaticToken: AccessTokenSource {
    let token: String
    func accessToken() async throws -> String { token }
    func renew(rejected: String) async throws -> String { token }
}

/// What the last answer said of the app's leaky bucket (`extensions.cost.throttleStatus`), and the wait before a query
/// of a given cost so that it is not THROTTLED.
final class ShopifyThrottle: @unchecked Sendable {
    // @unchecked: every field is read and written only under `lock`.
    private let lock = NSLock()
    private var available: Double?
    private var maximum: Double = 1000
    private var restoreRate: Double = 50
    private var seenAt: Date?
    /// Every answer's cost, for the fetch's summary.
    private var requestedTotal = 0
    private var actualTotal = 0
    private var queries = 0

    func observe(_ cost: ShopifyCost?, at now: Date) {
        guard let cost else { return }
        lock.withLock {
            queries += 1
            requestedTotal += cost.requested ?? 0
            actualTotal += cost.actual ?? 0
            if let s = cost.throttle {
                available = s.currentlyAvailable
                maximum = s.maximumAvailable
                restoreRate = max(s.restoreRate, 0.001)
                seenAt = now
            }
        }
    }

    /// Seconds to wait before a query of `cost`: none while the bucket (as restored since) holds it.
    func wait(for cost: Double, now: Date) -> Double {
        lock.withLock {
            guard let available, let seenAt else { return 0 }
            let restored = min(maximum, available + max(0, now.timeIntervalSince(seenAt)) * restoreRate)
            let needed = min(cost, maximum)
            return restored >= needed ? 0 : (needed - restored) / restoreRate
        }
    }

    func totals() -> (queries: Int, requested: Int, actual: Int) { lock.withLock { (queries, requestedTotal, actualTotal) } }
}

struct ShopifyCost {
    struct Throttle { var maximumAvailable: Double; var currentlyAvailable: Double; var restoreRate: Double }
    var requested: Int?
    var actual: Int?
    var throttle: Throttle?

    static func from(_ json: [String: Any]?) -> ShopifyCost? {
        guard let cost = (json?["extensions"] as? [String: Any])?["cost"] as? [String: Any] else { return nil }
        var c = ShopifyCost(requested: (cost["requestedQueryCost"] as? NSNumber)?.intValue, actual: (cost["actualQueryCost"] as? NSNumber)?.intValue)
        if let t = cost["throttleStatus"] as? [String: Any], let max = (t["maximumAvailable"] as? NSNumber)?.doubleValue,
           let now = (t["currentlyAvailable"] as? NSNumber)?.doubleValue, let rate = (t["restoreRate"] as? NSNumber)?.doubleValue {
            c.throttle = Throttle(maximumAvailable: max, currentlyAvailable: now, restoreRate: rate)
        }
        return c
    }
}

/// Reading a Shopify Admin API answer: HTTP errors, and GraphQL errors answered with HTTP 200.
enum ShopifyClassifier {
    static func classify(_ r: HTTPResponse, renewable: Bool) -> RemoteFailure? {
        let service = RemoteService.shopifyAdmin
        let requestID = r.header("x-request-id")
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        func text() -> String {
            if let s = json?["errors"] as? String { return s }
            if let e = json?["errors"] { return "\(e)" }
            return r.text.isEmpty ? "HTTP \(r.status)" : String(r.text.prefix(300))
        }
        switch r.status {
        case 200..<300:
            guard let json else {
                return RemoteFailure.unexpectedAnswer(r, service: service, operation: nil, expected: "a GraphQL JSON answer", requestID: requestID)
            }
            guard let errors = json["errors"] as? [[String: Any]], let first = errors.first else { return nil }
            let code = (first["extensions"] as? [String: Any])?["code"] as? String
            let message = errors.compactMap { $0["message"] as? String }.joined(separator: "; ")
            switch code {
            case "THROTTLED":
                var f = RemoteFailure(.rateLimited, message.isEmpty ? "Throttled" : message, service: service, code: code, status: r.status,
                                      requestID: requestID, evidence: ["HTTP 200 with errors[0].extensions.code THROTTLED"])
                if let cost = ShopifyCost.from(json), let t = cost.throttle, let requested = cost.requested {
                    f.retryAfter = max(1, (Double(min(requested, Int(t.maximumAvailable))) - t.currentlyAvailable) / max(t.restoreRate, 0.001))
                    f.details = "requested cost \(requested), \(Int(t.currentlyAvailable)) of \(Int(t.maximumAvailable)) available, restoring \(t.restoreRate)/s"
                }
                return f
            case "ACCESS_DENIED":
                let required = (first["extensions"] as? [String: Any])?["requiredAccess"] as? String
                return RemoteFailure(.insufficientScope, message, service: service, code: code, details: required, status: r.status, requestID: requestID,
                                     evidence: ["HTTP 200 with errors[0].extensions.code ACCESS_DENIED"])
            case "INTERNAL_SERVER_ERROR":
                return RemoteFailure(.unavailable, message, service: service, code: code, status: r.status, requestID: requestID)
            default:
                return RemoteFailure(.requestRejected, message, service: service, code: code, status: r.status, requestID: requestID,
                                     evidence: ["HTTP 200 with GraphQL errors"])
            }
        case 401:
            var f = RemoteFailure(.staleConnection, text(), service: service, status: 401, requestID: requestID,
                                  evidence: ["HTTP 401: the access token is not valid for this shop"])
            f.accessTokenRejected = renewable
            return f
        case 402:
            return RemoteFailure(.permissionDenied, "the shop is frozen (402 Payment Required): \(text())", service: service, code: "shop_frozen",
                                 status: 402, requestID: requestID, evidence: ["HTTP 402"])
        case 423:
            return RemoteFailure(.permissionDenied, "the shop is locked (423 Locked): \(text())", service: service, code: "shop_locked",
                                 status: 423, requestID: requestID, evidence: ["HTTP 423"])
        case 403:
            return RemoteFailure(.insufficientScope, text(), service: service, status: 403, requestID: requestID)
        case 404:
            return RemoteFailure(.notFound, "no such shop or API version (404): \(text())", service: service, status: 404, requestID: requestID)
        case 429:
            var f = RemoteFailure(.rateLimited, text(), service: service, status: 429, requestID: requestID)
            f.retryAfter = r.retryAfterSeconds
            return f
        case 500...:
            var f = RemoteFailure(.unavailable, text(), service: service, status: r.status, requestID: requestID)
            f.retryAfter = r.retryAfterSeconds
            return f
        default:
            return RemoteFailure(.requestRejected, text(), service: service, status: r.status, requestID: requestID)
        }
    }
}

/// A shop's Admin GraphQL client for one run: one token source, one throttle, every call through the one exchange loop.
public struct ShopifyClient: Sendable {
    public let shop: String
    let endpoints: ShopifyEndpoints
    let exchange: Exchange
    let tokens: any AccessTokenSource
    let renewable: Bool
    let secrets: [String]
    let throttle = ShopifyThrottle()

    public init(shop: String, auth: ShopifyAuth, environment: [String: String], transport: any HTTPTransport, clock: any LMBClock,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.shop = shop
        endpoints = try ShopifyEndpoints.resolve(shop: shop, environment: environment)
        exchange = Exchange(transport: transport, clock: clock, waits: WaitPolicy(maxWaits: 3, maxSingleWait: 60, maxTotalWait: 180, defaultWait: 2),
                            onWait: { _, reason in log(reason) })
        switch auth {
        case .accessToken(let t):
            tokens = ShopifyStaticToken(token: t)
            renewable = false
        case .clientCredentials(let id, let secret):
            tokens = OAuthTokenManager(vault: MemoryTokenVault(HeldTokens()),
                                       grant: ShopifyClientCredentialsGrant(clientID: id, clientSecret: secret, tokenURL: endpoints.token),
                                       transport: transport, clock: clock, margin: 300)
            renewable = true
        }
        secrets = auth.secrets
    }

    /// The access token (asked for with client credentials; proves them).
    public func accessToken() async throws -> String { try await tokens.accessToken() }

    /// One GraphQL query; the answer's `data`. Paced by the bucket the last answer described, so that a query of
    /// `cost` is not THROTTLED; a THROTTLED answer is waited out (bounded) by the exchange loop.
    func query(_ text: String, variables: [String: Any], operation: String, cost: Int) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: ["query": text, "variables": variables])
        let url = endpoints.graphQL, throttle = self.throttle, clock = exchange.clock, renewable = self.renewable
        let response = try await exchange.perform(
            service: .shopifyAdmin, operation: operation, tokens: tokens, secrets: secrets,
            classify: { ShopifyClassifier.classify($0, renewable: renewable) },
            pace: {
                let wait = throttle.wait(for: Double(cost), now: clock.now)
                if wait > 0 { try await clock.sleep(seconds: wait) }
            },
            observe: { r in throttle.observe(ShopifyCost.from((try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]), at: clock.now) },
            request: { token in
                HTTPRequest(method: "POST", url: url, headers: [("content-type", "application/json"), ("accept", "application/json"),
                                                               ("x-shopify-access-token", token ?? ""), ("user-agent", "lmb/\(LMBVersion.current)")],
                            body: body)
            })
        guard let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any],
              let data = json["data"] as? [String: Any] else {
            throw RemoteFailure.unexpectedAnswer(response, service: .shopifyAdmin, operation: operation, expected: "a data object",
                                                 requestID: response.header("x-request-id"))
        }
        return data
    }

    // MARK: Payouts

    public struct Payout: Sendable, Equatable {
        public var id: String
        public var legacyID: String
        public var issuedAt: Date?
        public var status: String
        public var transactionType: String
        public var net: String
        public var currency: String
    }

    public struct BalanceTransaction: Sendable, Equatable {
        public var id: String
        public var type: String
        public var sourceType: String?
        public var sourceID: String?
        public var date: String
        public var amount: String
        public var fee: String
        public var net: String
        public var currency: String
        public var orderName: String?
    }

    static let payoutsQuery = """
        query Payouts($first: Int!, $after: String, $query: String) {
          shopifyPaymentsAccount {
            payouts(first: $first, after: $after, query: $query, sortKey: ISSUED_AT) {
              pageInfo { hasNextPage endCursor }
              nodes { id legacyResourceId issuedAt status transactionType net { amount currencyCode } }
            }
          }
        }
        """

    static let transactionsQuery = """
        query Transactions($first: Int!, $after: String, $query: String!) {
          shopifyPaymentsAccount {
            balanceTransactions(first: $first, after: $after, query: $query, hideTransfers: true, sortKey: PROCESSED_AT) {
              pageInfo { hasNextPage endCursor }
              nodes { id type sourceType sourceId transactionDate amount { amount currencyCode } fee { amount currencyCode }
                      net { amount currencyCode } associatedOrder { name } }
            }
          }
        }
        """

    /// Both scopes in one cheap query: the account (read_shopify_payments_accounts) and one payout
    /// (read_shopify_payments_payouts).
    static let proveQuery = """
        query Prove { shopifyPaymentsAccount { id defaultCurrency payouts(first: 1, query: "status:PAID") { nodes { id legacyResourceId issuedAt } } } }
        """

    public static let payoutPage = 100
    public static let transactionPage = 250

    func account(_ data: [String: Any], operation: String) throws -> [String: Any] {
        guard let account = data["shopifyPaymentsAccount"] as? [String: Any] else {
            throw RemoteFailure(.insufficientScope, "the shop has no Shopify Payments account lmb may read (shopifyPaymentsAccount is null)",
                                service: .shopifyAdmin, operation: operation,
                                evidence: ["data.shopifyPaymentsAccount is null: Shopify Payments is off, or the app lacks read_shopify_payments_accounts"])
        }
        return account
    }

    /// Proves the token and both scopes; answers the account's currency and whether it has a paid payout.
    public func prove() async throws -> (currency: String?, paidPayouts: Int) {
        let data = try await query(Self.proveQuery, variables: [:], operation: "shopifyPaymentsAccount", cost: 4)
        let account = try self.account(data, operation: "shopifyPaymentsAccount")
        let nodes = (account["payouts"] as? [String: Any])?["nodes"] as? [Any] ?? []
        return (account["defaultCurrency"] as? String, nodes.count)
    }

    /// PAID payouts issued at or after `since` (all when nil), oldest first, every page.
    public func paidPayouts(since: Date?) async throws -> [Payout] {
        var search = "status:PAID"
        if let since { search += " issued_at:>=\(ShopifyClient.dateTime(since))" }
        var out: [Payout] = []
        var after: String?
        repeat {
            var variables: [String: Any] = ["first": Self.payoutPage, "query": search]
            if let after { variables["after"] = after }
            let data = try await query(Self.payoutsQuery, variables: variables, operation: "payouts", cost: 3 + Self.payoutPage)
            guard let connection = try account(data, operation: "payouts")["payouts"] as? [String: Any],
                  let nodes = connection["nodes"] as? [[String: Any]] else {
                throw RemoteFailure(.unexpectedAnswer, "the payouts answer has no nodes", service: .shopifyAdmin, operation: "payouts")
            }
            for n in nodes {
                guard let id = n["id"] as? String, let net = n["net"] as? [String: Any], let amount = net["amount"] as? String,
                      let currency = net["currencyCode"] as? String else {
                    throw RemoteFailure(.unexpectedAnswer, "a payout without an id or net amount", service: .shopifyAdmin, operation: "payouts")
                }
                let legacy = (n["legacyResourceId"] as? String) ?? (n["legacyResourceId"] as? NSNumber)?.stringValue
                    ?? String(id.split(separator: "/").last ?? "")
                out.append(Payout(id: id, legacyID: legacy, issuedAt: (n["issuedAt"] as? String).flatMap(Self.parseDate),
                                  status: n["status"] as? String ?? "", transactionType: n["transactionType"] as? String ?? "DEPOSIT",
                                  net: amount, currency: currency))
            }
            after = Self.nextCursor(connection)
        } while after != nil
        return out.sorted { ($0.issuedAt ?? .distantPast, $0.legacyID) < ($1.issuedAt ?? .distantPast, $1.legacyID) }
    }

    /// Every balance transaction of one payout (`payments_transfer_id`) but the TRANSFER row of the payout itself
    /// (`hideTransfers`), every page.
    public func balanceTransactions(payoutLegacyID: String) async throws -> [BalanceTransaction] {
        var out: [BalanceTransaction] = []
        var after: String?
        repeat {
            var variables: [String: Any] = ["first": Self.transactionPage, "query": "payments_transfer_id:\(payoutLegacyID)"]
            if let after { variables["after"] = after }
            let data = try await query(Self.transactionsQuery, variables: variables, operation: "balanceTransactions", cost: 3 + Self.transactionPage)
            guard let connection = try account(data, operation: "balanceTransactions")["balanceTransactions"] as? [String: Any],
                  let nodes = connection["nodes"] as? [[String: Any]] else {
                throw RemoteFailure(.unexpectedAnswer, "the balanceTransactions answer has no nodes", service: .shopifyAdmin, operation: "balanceTransactions")
            }
            for n in nodes {
                func money(_ key: String) -> (String, String)? {
                    guard let m = n[key] as? [String: Any], let a = m["amount"] as? String else { return nil }
                    return (a, m["currencyCode"] as? String ?? "")
                }
                guard let id = n["id"] as? String, let type = n["type"] as? String, let amount = money("amount"), let fee = money("fee"),
                      let net = money("net") else {
                    throw RemoteFailure(.unexpectedAnswer, "a balance transaction without an id, type, amount, fee or net", service: .shopifyAdmin,
                                        operation: "balanceTransactions")
                }
                let sourceID = (n["sourceId"] as? String) ?? (n["sourceId"] as? NSNumber)?.stringValue
                out.append(BalanceTransaction(id: id, type: type, sourceType: n["sourceType"] as? String, sourceID: sourceID,
                                              date: n["transactionDate"] as? String ?? "", amount: amount.0, fee: fee.0, net: net.0,
                                              currency: amount.1, orderName: (n["associatedOrder"] as? [String: Any])?["name"] as? String))
            }
            after = Self.nextCursor(connection)
        } while after != nil
        return out
    }

    /// The GraphQL cost this client was charged so far: (queries, requested, actual).
    public func costs() -> (queries: Int, requested: Int, actual: Int) { throttle.totals() }

    static func nextCursor(_ connection: [String: Any]) -> String? {
        guard let info = connection["pageInfo"] as? [String: Any], info["hasNextPage"] as? Bool == true else { return nil }
        return info["endCursor"] as? String
    }

    static func dateTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func parseDate(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}
