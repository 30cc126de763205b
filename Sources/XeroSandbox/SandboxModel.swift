import Foundation

/// The fault scenarios the sandbox can play, by the names tests and `lmb sandbox --scenario` use.
public enum SandboxScenario: String, CaseIterable, Sendable {
    case healthy
    case userRoleReadonly = "user-role-readonly"
    case userRoleInvoiceOnly = "user-role-invoice-only"
    case appDisconnected = "app-disconnected"
    case organisationInactive = "organisation-inactive"
    case refreshTokenRevoked = "refresh-token-revoked"
    case accessTokenExpired = "access-token-expired"
    case missingScope = "missing-scope"
    case rateLimitMinute = "rate-limit-minute"
    case rateLimitDay = "rate-limit-day"
    case organisationOffline = "organisation-offline"
    case slow
    case dropConnection = "drop-connection"
    case loseResponse = "lose-response"
    // Amazon's side: Login with Amazon, the Reports API and the S3 downloads.
    case amazonRefreshRevoked = "amazon-refresh-revoked"
    case amazonClientSecretExpired = "amazon-client-secret-expired"
    case amazonRoleMissing = "amazon-role-missing"
    case amazonQuota = "amazon-quota"
    case amazonURLExpired = "amazon-url-expired"
    // Shopify Payments' side: the Admin GraphQL API.
    case shopifyTokenRevoked = "shopify-token-revoked"
    case shopifyScopeMissing = "shopify-scope-missing"
    case shopifyThrottled = "shopify-throttled"
    case shopifyShopLocked = "shopify-shop-locked"
    case shopifyShopFrozen = "shopify-shop-frozen"
    // eBay's side: OAuth, the Finances API and its message signatures.
    case ebayRefreshExpired = "ebay-refresh-expired"
    case ebayScopeMissing = "ebay-scope-missing"
    case ebaySignatureMissing = "ebay-signature-missing"
    case ebayQuota = "ebay-quota"
}

/// A request as the sandbox sees it, independent of the HTTP server under it.
public struct SandboxRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    /// The query string as sent (percent-encoded); built from `query` when not given.
    public var rawQuery: String
    public var headers: [String: String]   // lower-cased names
    public var body: Data

    public init(method: String, path: String, query: [String: String] = [:], rawQuery: String? = nil, headers: [String: String] = [:],
                body: Data = Data()) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.rawQuery = rawQuery ?? query.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? $0.value)" }
            .joined(separator: "&")
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `application/x-www-form-urlencoded` fields of the body.
    var form: [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? String(s)
            }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}

/// What the sandbox does with a request.
public enum SandboxAction: Sendable {
    case respond(SandboxResponse)
    /// Close the connection without answering.
    case drop
    /// Wait (in real time) before answering.
    case delayed(seconds: Double, SandboxResponse)
}

public struct SandboxResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> SandboxResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return SandboxResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: data)
    }

    static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> SandboxResponse {
        SandboxResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Data(text.utf8))
    }

    /// Xero's problem body (401/403), PascalCase as the SDK captures show.
    static func problem(_ status: Int, title: String, detail: String, headers: [(String, String)] = []) -> SandboxResponse {
        json(status, ["Type": NSNull(), "Title": title, "Status": status, "Detail": detail,
                      "Instance": UUID().uuidString.lowercased(), "Extensions": [String: Any]()], headers: headers)
    }
}

struct SandboxAccount {
    var accountID = UUID().uuidString.lowercased()
    var code: String
    var name: String
    var type: String        // REVENUE, OTHERINCOME, EXPENSE, CURRLIAB, CURRENT, BANK …
    var status = "ACTIVE"
    var taxType: String
    /// Xero's SystemAccount value (GST, ROUNDING, DEBTORS …), "" for an ordinary account.
    var systemAccount = ""
    var description: String?
    var enablePaymentsToAccount = false
    var bankAccountNumber: String?
}

struct SandboxTaxRate {
    var name: String
    var taxType: String
    var status = "ACTIVE"
    /// The rate in ten-thousandths of a percent, exactly (Xero gives rates to 4 dp): 20 % is 200_000, 8.5 % is 85_000.
    var rate: Int
    /// Account classes the rate may be used with ("REVENUE", "EXPENSES", "LIABILITIES", "ASSETS", "EQUITY").
    var appliesTo: Set<String>
    /// nil: the TaxType itself (NONE for NONE), as the demo organisation always answered; "" leaves it out (US and
    /// GLOBAL user rates have none).
    var reportTaxType: String? = nil
    /// The components when not one named like the rate: (name, rate in ten-thousandths of a percent).
    var components: [(name: String, rate: Int)]? = nil

    /// What tax is computed at: the sum of the components (a reverse charge's +20 and −20 make 0).
    var effectiveRate: Int { components.map { $0.reduce(0) { $0 + $1.rate } } ?? rate }
}

struct SandboxUser {
    var userID: String
    var email: String
    var firstName: String
    var lastName: String
    var role: String
}

struct SandboxContact {
    var contactID = UUID().uuidString.lowercased()
    var name: String
    var status = "ACTIVE"
}

struct SandboxConnection {
    var id: String
    var tenantID: String
    var tenantName: String
    var authEventID: String
    var created: Date
    var updated: Date
}

/// One user's authorisation of one app: what tokens are issued under.
struct SandboxGrant {
    var authEventID: String
    var clientID: String
    var userID: String
    var scopes: [String]
    var customConnection: Bool
    /// The organisations (tenant ids) its tokens may be used with: a custom connection's one, or what the consent granted.
    var tenants: [String]
}

struct SandboxRefreshToken {
    var value: String
    var grant: String            // authEventID
    var issuedAt: Date
    var rotatedAt: Date?         // set when a newer one replaced it: usable for the grace period only
    var revoked = false
}

struct SandboxAccessToken {
    var value: String
    var grant: String
    var issuedAt: Date
    var expiresAt: Date
    var scopes: [String]
}

struct SandboxAuthCode {
    var code: String
    var clientID: String
    var redirectURI: String
    var challenge: String?
    var scopes: [String]
    var issuedAt: Date
    var used = false
}

struct LoggedRequest {
    var method: String
    var path: String
    var status: Int
    var time: Date
}
