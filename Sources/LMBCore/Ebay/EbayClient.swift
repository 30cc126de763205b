import Foundation

/// Where eBay is: the consent page (auth.ebay.com), the token service and the Developer Analytics API (api.ebay.com),
/// the Finances and Key Management APIs (apiz.ebay.com); or, under `LMB_EBAY_BASE_URL`, one base URL for all (the sandbox).
public struct EbayEndpoints: Sendable, Equatable {
    public static let baseURLVariable = "LMB_EBAY_BASE_URL"
    public static let financesScope = "https://api.ebay.com/oauth/api_scope/sell.finances"
    /// The application scope the Key Management API wants (client-credentials token).
    public static let publicScope = "https://api.ebay.com/oauth/api_scope"

    public var authorize: URL
    public var token: URL
    public var finances: URL
    public var keyManagement: URL
    public var analytics: URL

    public static func resolve(environment: [String: String]) throws -> EbayEndpoints {
        var auth = "https://auth.ebay.com", api = "https://api.ebay.com", apiz = "https://apiz.ebay.com"
        if let override = environment[baseURLVariable]?.trimmingCharacters(in: .whitespaces), !override.isEmpty {
            let base = override.hasSuffix("/") ? String(override.dropLast()) : override
            (auth, api, apiz) = (base, base, base)
        }
        guard let authorize = URL(string: auth + "/oauth2/authorize"), let token = URL(string: api + "/identity/v1/oauth2/token"),
              let finances = URL(string: apiz + "/sell/finances/v1"), let keys = URL(string: apiz + "/developer/key_management/v1"),
              let analytics = URL(string: api + "/developer/analytics/v1_beta"), finances.isHTTPSOrLoopback, token.isHTTPSOrLoopback else {
            throw RemoteFailure(.config, "'\(apiz)' is not a usable eBay address (https, or http to a loopback sandbox)", service: .ebayFinances)
        }
        return EbayEndpoints(authorize: authorize, token: token, finances: finances, keyManagement: keys, analytics: analytics)
    }

    /// The consent address: `redirect_uri` is the RuName, not a URL.
    public func consentURL(clientID: String, ruName: String, state: String) -> URL {
        let query = FormEncoding.encode([("client_id", clientID), ("redirect_uri", ruName), ("response_type", "code"),
                                         ("scope", Self.financesScope), ("state", state), ("prompt", "login")])
        return URL(string: authorize.absoluteString + "?" + query) ?? authorize
    }
}

/// eBay's sites: `--site EBAY_GB`. EU and UK sellers must sign every Finances call.
public enum EbaySites {
    public static let known = ["EBAY_US", "EBAY_GB", "EBAY_DE", "EBAY_FR", "EBAY_IT", "EBAY_ES", "EBAY_AT", "EBAY_BE", "EBAY_NL", "EBAY_IE",
                               "EBAY_PL", "EBAY_CH", "EBAY_AU", "EBAY_CA", "EBAY_HK", "EBAY_SG"]
    public static let signing: Set<String> = ["EBAY_GB", "EBAY_DE", "EBAY_FR", "EBAY_IT", "EBAY_ES", "EBAY_AT", "EBAY_BE", "EBAY_NL",
                                              "EBAY_IE", "EBAY_PL"]

    public static func normalise(_ text: String) -> String? {
        var s = text.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "-", with: "_")
        if !s.hasPrefix("EBAY_") { s = "EBAY_" + s }
        if s == "EBAY_UK" { s = "EBAY_GB" }
        return known.contains(s) ? s : nil
    }

    public static func mustSign(_ site: String) -> Bool { signing.contains(site.uppercased()) }
}

/// A signing key from the Key Management API: the private key (returned once, at creation) and the JWE eBay reads
/// the public key from. No description shows either.
public struct EbaySigningKey: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    public var id: String
    public var cipher: String
    public var privateKeyDER: Data
    public var jwe: String
    public var expiresAt: Date?

    public var description: String { "EbaySigningKey(\(id), \(cipher), private key and JWE <redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: ["id": id, "cipher": cipher, "expiresAt": expiresAt as Any]) }
}

/// eBay's two grants, one request shape (form body, Basic client credentials): the refresh-token grant for the seller's
/// Finances calls (eBay issues no new refresh token, so the one from the consent lasts 18 months), and the
/// client-credentials grant, an application token for the Key Management API.
struct EbayGrant: TokenGrant {
    enum Kind { case refresh, application }
    let kind: Kind
    let clientID: String
    let clientSecret: String
    let tokenURL: URL
    var service: RemoteService { .ebayIdentity }
    var defaultLifetime: Int { 7200 }
    var secrets: [String] { [clientSecret] }

    func request(renewing held: HeldTokens, now: Date) throws -> HTTPRequest {
        let fields: [(String, String)]
        switch kind {
        case .refresh:
            guard let refresh = held.refreshToken, !refresh.isEmpty else {
                throw RemoteFailure(.notConnected, "no eBay refresh token is stored", service: service)
            }
            fields = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", EbayEndpoints.financesScope)]
        case .application:
            fields = [("grant_type", "client_credentials"), ("scope", EbayEndpoints.publicScope)]
        }
        return EbayTokenRequests.request(tokenURL, clientID: clientID, secret: clientSecret, fields)
    }

    func classify(_ r: HTTPResponse) -> RemoteFailure? { EbayTokenRequests.classify(r) }
}

enum EbayTokenRequests {
    static func request(_ url: URL, clientID: String, secret: String, _ fields: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: "POST", url: url, headers: [("content-type", "application/x-www-form-urlencoded"), ("accept", "application/json"),
                                                        ("authorization", FormEncoding.basic(clientID, secret))],
                    body: Data(FormEncoding.encode(fields).utf8))
    }

    /// The token service's refusals: `invalid_grant` (the refresh token expired or was revoked, or a code was bad),
    /// `invalid_client` (the client id or secret), `invalid_scope`.
    static func classify(_ r: HTTPResponse) -> RemoteFailure? {
        guard !(200..<300).contains(r.status) else { return nil }
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let code = json?["error"] as? String
        let message = (json?["error_description"] as? String) ?? code ?? "HTTP \(r.status)"
        let service = RemoteService.ebayIdentity
        let requestID = r.header("rlogid")
        switch (r.status, code) {
        case (_, "invalid_grant"):
            return RemoteFailure(.staleConnection, message, service: service, code: "invalid_grant", status: r.status, requestID: requestID,
                                 evidence: ["the token service answered invalid_grant: the refresh token (or consent code) is no longer valid"])
        case (_, "invalid_client"), (401, _):
            return RemoteFailure(.config, message, service: service, code: code ?? "invalid_client", status: r.status, requestID: requestID,
                                 evidence: ["the token service refused the client id and secret"])
        case (_, "invalid_scope"):
            return RemoteFailure(.insufficientScope, message, service: service, code: code, status: r.status, requestID: requestID)
        case (429, _):
            return RemoteFailure(.rateLimited, message, service: service, status: r.status, requestID: requestID, retryAfter: r.retryAfterSeconds)
        case (500..., _):
            return RemoteFailure(.unavailable, message, service: service, status: r.status, requestID: requestID)
        default:
            return RemoteFailure(.requestRejected, message, service: service, code: code, status: r.status, requestID: requestID)
        }
    }
}

/// Reading an eBay REST answer: `{"errors":[{errorId, domain, category, message, longMessage}]}`.
enum EbayClassifier {
    static func classify(_ r: HTTPResponse, service: RemoteService, now: Date) -> RemoteFailure? {
        guard !(200..<300).contains(r.status) else { return nil }
        let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let first = (json?["errors"] as? [[String: Any]])?.first
        let errorID = (first?["errorId"] as? NSNumber)?.intValue
        let message = (first?["message"] as? String) ?? (r.text.isEmpty ? "HTTP \(r.status)" : String(r.text.prefix(300)))
        let long = first?["longMessage"] as? String
        let code = errorID.map(String.init)
        let requestID = r.header("rlogid")
        func failure(_ c: Classification, _ evidence: String) -> RemoteFailure {
            RemoteFailure(c, message, service: service, code: code, details: long, status: r.status, requestID: requestID, evidence: [evidence])
        }
        switch (r.status, errorID) {
        case (401, _):
            var f = failure(.tokenExpired, "HTTP 401 (errorId \(code ?? "-")): the access token was refused")
            f.accessTokenRejected = true
            return f
        case (403, 1100?):
            return failure(.insufficientScope, "HTTP 403 errorId 1100: the token lacks the sell.finances scope")
        case (403, 215120?), (403, 215122?), (403, 215001?), (403, 215114?):
            return failure(.permissionDenied, "HTTP 403 errorId \(code ?? "-"): eBay refused the request's digital signature")
        case (429, _):
            var f = failure(.rateLimited, errorID == 2001 ? "HTTP 429 errorId 2001: the daily call limit is reached" : "HTTP 429")
            if errorID == 2001 {
                // A daily quota: no quick retry. The wait is until it resets (the next midnight, Pacific time), which the
                // exchange loop will not wait out.
                let reset = EbayQuota.resetsAt(now)
                f.retryAfter = max(1, reset.timeIntervalSince(now))
                f.details = "the quota resets at \(EbayQuota.text(reset)) (midnight, Pacific time)"
            } else {
                f.retryAfter = r.retryAfterSeconds
            }
            return f
        case (403, _):
            return failure(.insufficientScope, "HTTP 403")
        case (404, _):
            return failure(.notFound, "HTTP 404")
        case (500..., _):
            var f = failure(.unavailable, "HTTP \(r.status)")
            f.retryAfter = r.retryAfterSeconds
            return f
        default:
            return failure(.requestRejected, "HTTP \(r.status)")
        }
    }
}

/// eBay's daily quota runs by the day in Pacific time.
enum EbayQuota {
    static var pacific: TimeZone { TimeZone(identifier: "America/Los_Angeles") ?? TimeZone(secondsFromGMT: -8 * 3600) ?? .current }

    static func resetsAt(_ now: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = pacific
        return calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: now)) ?? now.addingTimeInterval(86_400)
    }

    static func text(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}

/// Counts the Finances calls of one client (for the fetch's summary and the measurements).
final class EbayCallCounter: @unchecked Sendable {
    // @unchecked: `count` is read and written only under `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var total: Int { lock.withLock { count } }
}

/// An eBay seller's Finances client for one run: one token source (the refresh grant through the shared token
/// manager), the signing key when the seller's calls are signed, every call through the one exchange loop.
public struct EbayClient: Sendable {
    public struct Credentials: Sendable, CustomStringConvertible, CustomReflectable {
        public var clientID: String
        public var clientSecret: String
        public var refreshToken: String?
        public var description: String { "eBay credentials (client id \(clientID), secret and refresh token <redacted>)" }
        public var customMirror: Mirror { Mirror(self, children: ["clientID": clientID]) }

        public init(clientID: String, clientSecret: String, refreshToken: String?) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
        }
    }

    let endpoints: EndpointsBox
    let exchange: Exchange
    let credentials: Credentials
    let userTokens: any AccessTokenSource
    public let site: String
    let signingKey: EbaySigningKey?
    let clock: any LMBClock
    let transport: any HTTPTransport
    let calls = EbayCallCounter()

    struct EndpointsBox: Sendable { var value: EbayEndpoints }

    public init(credentials: Credentials, site: String, signingKey: EbaySigningKey?, accessToken: HeldTokens? = nil,
                environment: [String: String], transport: any HTTPTransport, clock: any LMBClock,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let endpoints = try EbayEndpoints.resolve(environment: environment)
        self.endpoints = EndpointsBox(value: endpoints)
        self.credentials = credentials
        self.site = site
        self.signingKey = signingKey
        self.clock = clock
        self.transport = transport
        // eBay's only "slow down" is the daily quota, which no short wait helps: a server error with Retry-After is
        // waited out briefly, a 2001 not at all.
        exchange = Exchange(transport: transport, clock: clock, waits: WaitPolicy(maxWaits: 2, maxSingleWait: 30, maxTotalWait: 60, defaultWait: 5),
                            onWait: { _, reason in log(reason) })
        var held = accessToken ?? HeldTokens()
        held.refreshToken = credentials.refreshToken
        userTokens = OAuthTokenManager(vault: MemoryTokenVault(held),
                                       grant: EbayGrant(kind: .refresh, clientID: credentials.clientID, clientSecret: credentials.clientSecret,
                                                               tokenURL: endpoints.token),
                                       transport: transport, clock: clock, margin: 300)
    }

    var secrets: [String] {
        [credentials.clientSecret, credentials.refreshToken, signingKey?.jwe, signingKey.map { $0.privateKeyDER.base64EncodedString() }].compactMap { $0 }
    }

    /// Finances calls made so far.
    public var financesCalls: Int { calls.total }

    /// A user access token (proves the refresh token).
    public func accessToken() async throws -> String { try await userTokens.accessToken() }

    // MARK: Calls

    /// One signed (when a key is held) GET of the Finances API; nil for 204.
    func get(_ path: String, query: [(String, String)], operation: String) async throws -> [String: Any]? {
        let base = endpoints.value.finances.absoluteString + path
        guard let url = URL(string: query.isEmpty ? base : base + "?" + FormEncoding.encode(query)) else {
            throw RemoteFailure(.config, "not a usable eBay address: \(base)", service: .ebayFinances)
        }
        let key = signingKey, site = self.site, clock = self.clock, calls = self.calls
        let response: HTTPResponse
        do {
            response = try await exchange.perform(
                service: .ebayFinances, operation: operation, tokens: userTokens, secrets: secrets,
                classify: { EbayClassifier.classify($0, service: .ebayFinances, now: clock.now) },
                observe: { _ in calls.add() },
                request: { token in
                    var request = HTTPRequest(method: "GET", url: url, headers: [
                        ("authorization", "Bearer \(token ?? "")"), ("accept", "application/json"), ("x-ebay-c-marketplace-id", site),
                        ("user-agent", "lmb/\(LMBVersion.current)"),
                    ])
                    if let key { request.headers += try EbaySigner.headers(method: "GET", url: url, key: key, created: Int(clock.now.timeIntervalSince1970)) }
                    return request
                })
        } catch var f as RemoteFailure where f.classification == .rateLimited && f.code == "2001" {
            // The answer names no reset time: eBay's Developer Analytics API does.
            if let reset = await quotaReset() {
                f.details = "the quota resets at \(EbayQuota.text(reset))"
                f.retryAfter = max(1, reset.timeIntervalSince(clock.now))
            }
            throw f
        }
        if response.status == 204 || response.body.isEmpty { return nil }
        guard let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else {
            throw RemoteFailure.unexpectedAnswer(response, service: .ebayFinances, operation: operation, expected: "a JSON object",
                                                 requestID: response.header("rlogid"))
        }
        return json
    }

    /// The Finances quota's reset time from `GET /developer/analytics/v1_beta/user_rate_limit/` (best effort).
    func quotaReset() async -> Date? {
        guard let url = URL(string: endpoints.value.analytics.absoluteString + "/user_rate_limit/?api_context=sell&api_name=Finances"),
              let token = try? await userTokens.accessToken(),
              let response = try? await transport.send(HTTPRequest(method: "GET", url: url, headers: [("authorization", "Bearer \(token)"),
                                                                                                    ("accept", "application/json")])),
              response.status == 200, let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] else { return nil }
        for api in json["rateLimits"] as? [[String: Any]] ?? [] {
            for resource in api["resources"] as? [[String: Any]] ?? [] {
                for rate in resource["rates"] as? [[String: Any]] ?? [] {
                    if let text = rate["reset"] as? String, let date = EbayDates.parse(text) { return date }
                }
            }
        }
        return nil
    }

    // MARK: Payouts

    public struct Payout: Sendable, Equatable {
        public var id: String
        public var date: Date?
        public var amount: String
        public var currency: String
        public var transactionCount: Int?
        public var status: String
    }

    public static let payoutPage = 200
    public static let transactionPage = 200

    /// SUCCEEDED payouts dated in `from...to`, oldest first, every page.
    public func succeededPayouts(from: Date, to: Date) async throws -> [Payout] {
        var out: [Payout] = []
        var offset = 0
        while true {
            let query = [("filter", "payoutStatus:{SUCCEEDED},payoutDate:[\(EbayDates.filter(from))..\(EbayDates.filter(to))]"),
                         ("sort", "payoutDate"), ("limit", String(Self.payoutPage)), ("offset", String(offset))]
            guard let page = try await get("/payout", query: query, operation: "getPayouts") else { break }
            let items = page["payouts"] as? [[String: Any]] ?? []
            for p in items {
                guard let id = p["payoutId"] as? String, let amount = p["amount"] as? [String: Any], let value = amount["value"] as? String,
                      let currency = amount["currency"] as? String else {
                    throw RemoteFailure(.unexpectedAnswer, "a payout without a payoutId or amount", service: .ebayFinances, operation: "getPayouts")
                }
                out.append(Payout(id: id, date: (p["payoutDate"] as? String).flatMap(EbayDates.parse), amount: value, currency: currency,
                                  transactionCount: (p["transactionCount"] as? NSNumber)?.intValue, status: p["payoutStatus"] as? String ?? ""))
            }
            offset += items.count
            let total = (page["total"] as? NSNumber)?.intValue
            if items.isEmpty || (page["next"] == nil && (total.map { offset >= $0 } ?? true)) { break }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.id).inserted }.sorted { ($0.date ?? .distantPast, $0.id) < ($1.date ?? .distantPast, $1.id) }
    }

    /// One listing call (limit 1): proves the token, the scope and the signature.
    public func probe() async throws -> Int {
        let page = try await get("/payout", query: [("filter", "payoutStatus:{SUCCEEDED}"), ("limit", "1")], operation: "getPayouts")
        return (page?["total"] as? NSNumber)?.intValue ?? 0
    }

    // MARK: Transactions

    public struct Fee: Sendable, Equatable {
        public var type: String
        public var value: String
        public var currency: String
    }

    public struct Transaction: Sendable, Equatable {
        public var id: String
        public var type: String
        public var bookingEntry: String
        public var amount: String
        public var currency: String
        public var date: Date?
        public var orderID: String?
        public var feeType: String?
        public var memo: String?
        public var totalFeeAmount: (value: String, currency: String)?
        public var fees: [Fee]

        public static func == (a: Transaction, b: Transaction) -> Bool {
            a.id == b.id && a.type == b.type && a.bookingEntry == b.bookingEntry && a.amount == b.amount && a.currency == b.currency
                && a.fees == b.fees && a.totalFeeAmount?.value == b.totalFeeAmount?.value
        }
    }

    /// Every transaction of one payout (`payoutId:{…}`), every page; 204 means none.
    public func transactions(payoutID: String) async throws -> [Transaction] {
        var out: [Transaction] = []
        var offset = 0
        while true {
            let query = [("filter", "payoutId:{\(payoutID)}"), ("limit", String(Self.transactionPage)), ("offset", String(offset))]
            guard let page = try await get("/transaction", query: query, operation: "getTransactions") else { break }
            let items = page["transactions"] as? [[String: Any]] ?? []
            for t in items { out.append(try Self.transaction(t)) }
            offset += items.count
            let total = (page["total"] as? NSNumber)?.intValue
            if items.isEmpty || (page["next"] == nil && (total.map { offset >= $0 } ?? true)) { break }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.type + "/" + $0.id).inserted }
    }

    static func transaction(_ t: [String: Any]) throws -> Transaction {
        func amount(_ any: Any?) -> (value: String, currency: String)? {
            guard let a = any as? [String: Any], let v = a["value"] as? String, let c = a["currency"] as? String else { return nil }
            return (v, c)
        }
        guard let id = t["transactionId"] as? String, let type = t["transactionType"] as? String, let booking = t["bookingEntry"] as? String,
              booking == "CREDIT" || booking == "DEBIT", let a = amount(t["amount"]) else {
            throw RemoteFailure(.unexpectedAnswer, "a transaction without a transactionId, transactionType, bookingEntry or amount",
                                service: .ebayFinances, operation: "getTransactions")
        }
        var fees: [Fee] = []
        for line in t["orderLineItems"] as? [[String: Any]] ?? [] {
            for fee in line["marketplaceFees"] as? [[String: Any]] ?? [] {
                guard let feeType = fee["feeType"] as? String, let value = amount(fee["amount"]) else { continue }
                fees.append(Fee(type: feeType, value: value.value, currency: value.currency))
            }
        }
        return Transaction(id: id, type: type, bookingEntry: booking, amount: a.value, currency: a.currency,
                           date: (t["transactionDate"] as? String).flatMap(EbayDates.parse), orderID: t["orderId"] as? String,
                           feeType: t["feeType"] as? String, memo: t["transactionMemo"] as? String,
                           totalFeeAmount: amount(t["totalFeeAmount"]), fees: fees)
    }

    // MARK: Consent, application token, signing key

    /// The authorization-code grant: the refresh token (18 months) and its lifetime.
    public static func exchangeCode(_ code: String, ruName: String, clientID: String, clientSecret: String, endpoints: EbayEndpoints,
                                    transport: any HTTPTransport) async throws -> (refreshToken: String, refreshExpiresIn: Int?, accessToken: String, expiresIn: Int) {
        let request = EbayTokenRequests.request(endpoints.token, clientID: clientID, secret: clientSecret,
                                                [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", ruName)])
        let secrets = [clientSecret, code]
        let response: HTTPResponse
        do { response = try await transport.send(request) } catch let e as TransportError {
            throw RemoteFailure.transport(e, service: .ebayIdentity, operation: "authorization-code grant").redacting(secrets)
        }
        if let f = EbayTokenRequests.classify(response) {
            var failure = f
            failure.operation = "authorization-code grant"
            if failure.code == "invalid_grant" {
                failure.classification = .config
                failure.evidence = ["the consent code was refused (used already, expired after 5 minutes, or issued for another RuName)"]
            }
            throw failure.redacting(secrets)
        }
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        guard let refresh = json?["refresh_token"] as? String, !refresh.isEmpty, let access = json?["access_token"] as? String else {
            throw RemoteFailure.unexpectedAnswer(response, service: .ebayIdentity, operation: "authorization-code grant",
                                                 expected: "an access_token and a refresh_token")
        }
        return (refresh, (json?["refresh_token_expires_in"] as? NSNumber)?.intValue, access, (json?["expires_in"] as? NSNumber)?.intValue ?? 7200)
    }

    /// `POST /signing_key {"signingKeyCipher":"ED25519"}` with an application token: the private key comes back once.
    public static func createSigningKey(clientID: String, clientSecret: String, endpoints: EbayEndpoints, transport: any HTTPTransport,
                                        clock: any LMBClock) async throws -> EbaySigningKey {
        let app = OAuthTokenManager(vault: MemoryTokenVault(HeldTokens()),
                                    grant: EbayGrant(kind: .application, clientID: clientID, clientSecret: clientSecret, tokenURL: endpoints.token),
                                    transport: transport, clock: clock, margin: 300)
        let exchange = Exchange(transport: transport, clock: clock, waits: WaitPolicy(maxWaits: 1, maxSingleWait: 10, maxTotalWait: 10, defaultWait: 5))
        let url = endpoints.keyManagement.appendingPathComponent("signing_key")
        let response = try await exchange.perform(
            service: .ebayKeyManagement, operation: "createSigningKey", tokens: app, secrets: [clientSecret],
            classify: { EbayClassifier.classify($0, service: .ebayKeyManagement, now: clock.now) },
            request: { token in
                HTTPRequest(method: "POST", url: url, headers: [("authorization", "Bearer \(token ?? "")"), ("content-type", "application/json"),
                                                                ("accept", "application/json")],
                            body: Data(#"{"signingKeyCipher":"ED25519"}"#.utf8))
            })
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        guard let id = json?["signingKeyId"] as? String, let privateText = json?["privateKey"] as? String,
              let privateKey = Data(base64Encoded: privateText), let jwe = json?["jwe"] as? String, !jwe.isEmpty else {
            throw RemoteFailure.unexpectedAnswer(response, service: .ebayKeyManagement, operation: "createSigningKey",
                                                 expected: "a signingKeyId, privateKey and jwe")
        }
        guard EbaySigner.sign(privateKeyDER: privateKey, message: Data("lmb".utf8)) != nil else {
            throw RemoteFailure(.unexpectedAnswer, "the Key Management API's private key is not an Ed25519 PKCS#8 key lmb can sign with",
                                service: .ebayKeyManagement, operation: "createSigningKey")
        }
        let expires = (json?["expirationTime"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue > 10_000_000_000 ? $0.doubleValue / 1000 : $0.doubleValue) }
        return EbaySigningKey(id: id, cipher: json?["signingKeyCipher"] as? String ?? "ED25519", privateKeyDER: privateKey, jwe: jwe, expiresAt: expires)
    }
}

/// eBay's dates: `2015-08-04T19:09:02.768Z` (UTC with milliseconds) in filters and answers.
enum EbayDates {
    static func filter(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
