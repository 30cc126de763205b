import Foundation

/// The eBay side of the sandbox: the app's credentials, consent codes, tokens, signing keys, payouts and their
/// transactions, the daily call count and the request log.
struct EbayState {
    struct Options {
        /// The app's keyset (`POST /_sandbox/ebay/config` changes them).
        var clientID = "SandboxS-lmb-PRD-0a1b2c3d4-e5f6a7b8"
        var clientSecret = "PRD-0a1b2c3d4e5f-6a7b-8c9d-0e1f-2a3b"
        /// The RuName registered for the app: `redirect_uri` of the consent and of the code grant must be it.
        var ruName = "Sandbox_Seller-SandboxS-lmb-PR-abcdefghi"
        /// Where the consent page sends the browser after "I agree" (the RuName's accept URL).
        var acceptURL = "https://lmb.example/ebay/accepted"
        /// … and after "No thanks" (deny_consent).
        var declineURL = "https://lmb.example/ebay/declined"
        var denyConsent = false
        /// The seller's own marketplace: EU/UK sellers must sign every Finances call.
        var sellerMarketplace = "EBAY_US"
        var accessTokenSeconds: TimeInterval = 7200
        /// 18 months, as eBay's `refresh_token_expires_in` (47,304,000 s).
        var refreshTokenSeconds: TimeInterval = 47_304_000
        var authCodeSeconds: TimeInterval = 299
        /// Finances API calls a day per application (eBay's default plan), the day running in Pacific time.
        var financesDailyLimit = 15_000
        /// v1.9.0 of the Finances API said getTransactions ignores `limit` when a payoutId, orderId or transactionId
        /// filter is given (pages then hold the default 20); v1.15.0 no longer says so. `true` emulates the older text.
        var ignoreLimitWithIDFilter = false
        /// How far `created` of a signature may be from the sandbox clock (eBay's allowance is unconfirmed; a Q&A says
        /// 5 minutes). nil: not checked, so a client on another clock than the sandbox's still verifies.
        var signatureMaxSkewSeconds: Double?
        /// getPayouts with nothing to list: 204 with no body (default), or `list`: 200 with `payouts: []`.
        var emptyPayoutsAnswer = "204"
    }

    var options = Options()
    var authCodes: [String: EbayAuthCode] = [:]
    var refreshTokens: [String: EbayRefreshToken] = [:]
    var accessTokens: [String: EbayAccessToken] = [:]
    /// What the state shows of each token issued: never the token itself.
    var issued: [EbayIssuedToken] = []
    var signingKeys: [EbaySigningKey] = []
    var payouts: [EbayPayout] = []
    /// Marketplaces of imported payouts: an EU/UK one makes the seller sign.
    var importedMarketplaces: Set<String> = []
    var nextPayoutNumber: Int64 = 5_000_106_638
    var nextTransactionNumber: Int64 = 24_019_512_101
    var quotaDay = ""
    var quotaUsed = 0
    var requests: [EbayLoggedRequest] = []

    func cleared() -> EbayState { EbayState(options: options) }

    /// eBay's EU/UK sites: their sellers' Finances calls are signed.
    static let signingMarketplaces: Set<String> = [
        "EBAY_GB", "EBAY_DE", "EBAY_FR", "EBAY_IT", "EBAY_ES", "EBAY_AT", "EBAY_BE", "EBAY_NL", "EBAY_IE", "EBAY_PL",
    ]

    var sellerMustSign: Bool {
        Self.signingMarketplaces.contains(options.sellerMarketplace)
            || !importedMarketplaces.isDisjoint(with: Self.signingMarketplaces)
    }
}

struct EbayAuthCode {
    var clientID: String
    var redirectURI: String
    var scopes: [String]
    var issuedAt: Date
    var expiresAt: Date
    var used = false
}

struct EbayRefreshToken {
    var clientID: String
    var scopes: [String]
    var consentedAt: Date
    var expiresAt: Date
    var fingerprint: String
}

struct EbayAccessToken {
    enum Kind: String { case user = "User Access Token", application = "Application Access Token" }
    var kind: Kind
    var clientID: String
    var scopes: [String]
    var expiresAt: Date
}

struct EbayIssuedToken {
    var kind: String          // access (user), access (application), refresh
    var grant: String         // authorization_code, refresh_token, client_credentials
    var fingerprint: String   // the first 12 hex digits of the token's SHA-256
    var issuedAt: Date
    var expiresAt: Date
    var scopes: [String]
}

struct EbaySigningKey {
    var id: String
    var cipher: String        // ED25519 or RSA
    /// The public key, DER (SubjectPublicKeyInfo): what eBay keeps. The private key is never stored.
    var publicKeyDER: Data
    var jwe: String
    var creationTime: Date
    var expirationTime: Date
}

struct EbayLoggedRequest {
    var method: String
    var path: String
    var query: String?
    var status: Int
    /// eBay's errorId, or the OAuth error code of a token answer.
    var error: String?
    var marketplace: String?
    /// Whether the call carried a signature the sandbox verified.
    var signatureVerified: Bool?
    /// Why a signature was refused (the answer itself says only "Signature validation failed", as eBay's does).
    var signatureProblem: String?
    var time: Date
}

/// An eBay amount: a positive decimal with a currency. The sign of a transaction comes from its booking entry.
struct EbayAmount: Equatable {
    var value: Decimal
    var currency: String
    var convertedFromValue: String?
    var convertedFromCurrency: String?
    var exchangeRate: String?

    var json: [String: Any] {
        var out: [String: Any] = ["value": EbayFormat.decimal(value), "currency": currency]
        if let v = convertedFromValue { out["convertedFromValue"] = v }
        if let v = convertedFromCurrency { out["convertedFromCurrency"] = v }
        if let v = exchangeRate { out["exchangeRate"] = v }
        return out
    }
}

struct EbayPayout {
    var payoutID: String
    var payoutDate: Date
    var amount: EbayAmount
    /// The express payout fee, if any: `totalAmount` = amount + totalFee.
    var totalFee: EbayAmount?
    var marketplaceID: String?
    var instrumentType = "BANK"
    var instrumentNickname = "Sandbox Bank"
    var accountLastFourDigits = "4321"
    var bankReference: String?
    var payoutMemo: String?
    var transactions: [EbayTransaction]

    var json: [String: Any] {
        var out: [String: Any] = [
            "payoutId": payoutID, "payoutStatus": "SUCCEEDED", "payoutStatusDescription": "Funds sent",
            "amount": amount.json, "payoutDate": EbayFormat.dateTime(payoutDate), "transactionCount": transactions.count,
            "payoutInstrument": ["instrumentType": instrumentType, "nickname": instrumentNickname,
                                 "accountLastFourDigits": accountLastFourDigits],
        ]
        if let fee = totalFee {
            out["totalFee"] = fee.json
            out["totalAmount"] = EbayAmount(value: amount.value + fee.value, currency: amount.currency).json
        }
        if let v = bankReference { out["bankReference"] = v }
        if let v = payoutMemo { out["payoutMemo"] = v }
        return out
    }
}

/// One Finances transaction. `fields` holds what the answer shows, in eBay's shape; the typed fields are what the
/// sandbox filters and adds up on.
struct EbayTransaction {
    var transactionID: String
    var transactionType: String
    var transactionStatus: String
    var bookingEntry: String        // CREDIT or DEBIT
    var amount: EbayAmount
    var transactionDate: Date
    var payoutID: String
    var orderID: String?
    var buyerUsername: String?
    var salesRecordReference: String?
    var fields: [String: Any]

    /// The amount with its sign: + for a CREDIT, − for a DEBIT.
    var signed: Decimal { bookingEntry == "DEBIT" ? -amount.value : amount.value }
}

enum EbayFormat {
    /// Values as eBay writes them: not padded, at least one decimal (`"2.0"`, `"195.0"`, `"2.3"`).
    static func decimal(_ value: Decimal) -> String {
        var v = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 2, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        return text.contains(".") ? text : text + ".0"
    }

    /// A decimal string with no sign, no exponent and no grouping (`"12"`, `"12.3"`, `"12.34"`), read exactly.
    static func parse(_ text: String) -> Decimal? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(isDigit),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].count <= 2 && parts[1].allSatisfy(isDigit)) else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    static func isDigit(_ c: Character) -> Bool { ("0"..."9").contains(c) }

    /// `2015-08-04T19:09:02.768Z`: UTC with milliseconds, as eBay writes and wants dates.
    static func dateTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// Exactly `YYYY-MM-DDTHH:MM:SS.SSSZ`, as the Finances filters require.
    static func strictFilterDate(_ text: String) -> Date? {
        let chars = Array(text)
        guard chars.count == 24, chars[4] == "-", chars[7] == "-", chars[10] == "T", chars[13] == ":", chars[16] == ":",
              chars[19] == ".", chars[23] == "Z" else { return nil }
        return dateTime(from: text)
    }

    /// An ISO 8601 date and time, with or without fractional seconds.
    static func dateTime(from text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}
