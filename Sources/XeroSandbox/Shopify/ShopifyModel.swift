import Foundation

/// The Shopify Payments side of the sandbox: tokens, the cost bucket, the payouts and their balance transactions.
struct ShopifyState {
    struct Options {
        /// The app's credentials for the client-credentials grant (`POST /_sandbox/shopify/config` changes them).
        var clientID = "sandbox-shopify-client-id"
        var clientSecret = "shpss_sandbox-shopify-client-secret"
        /// A permanent Admin API token, as a legacy custom app made in the admin shows once at install.
        var legacyToken = "shpat_sandboxlegacy00000000000000000"
        /// Client-credentials tokens last 24 h and come with no refresh token.
        var tokenSeconds: TimeInterval = 86400
        /// The leaky bucket as seen on a Standard plan: 1000 points, 50 restored a second.
        var maximumAvailable: Double = 1000
        var restoreRate: Double = 50
    }

    var options = Options()
    /// Issued client-credentials tokens → their expiry (sandbox clock).
    var tokens: [String: Date] = [:]
    var issuedTokens: [String] = []
    var bucket: Double = 1000
    var bucketUpdatedAt: Date?
    var payouts: [ShopifyPayout] = []
    var nextPayoutID: Int64 = 600_000_001
    var nextTransactionID: Int64 = 10_000_001
    var orderIDs: [String: Int64] = [:]
    var requests: [ShopifyLoggedRequest] = []
}

struct ShopifyLoggedRequest {
    var method: String
    var path: String
    var status: Int
    /// The GraphQL error code of an HTTP 200 answer, if any (THROTTLED, ACCESS_DENIED, …).
    var errorCode: String?
    var time: Date
}

struct ShopifyPayout {
    var id: Int64
    var issuedAt: Date
    var currency: String
    var status = "PAID"
    var transactionType = "DEPOSIT"
    /// The balance transactions the payout holds, without its own TRANSFER row (see `transferRow`).
    var transactions: [ShopifyBalanceTransaction]
    var transferID: Int64

    /// The sum of the net of the transactions it holds.
    var net: Decimal { transactions.reduce(Decimal(0)) { $0 + $1.net } }

    /// The row that moves the payout out of the balance: amount and net = −payout.net, no fee, source the payout.
    var transferRow: ShopifyBalanceTransaction {
        ShopifyBalanceTransaction(id: transferID, type: "TRANSFER", sourceType: "TRANSFER", amount: -net, fee: 0,
                                  date: issuedAt, currency: currency, payoutID: id, sourceID: id, orderName: nil)
    }
}

struct ShopifyBalanceTransaction {
    var id: Int64
    var type: String         // ShopifyPaymentsTransactionType
    var sourceType: String?  // ShopifyPaymentsSourceType
    var amount: Decimal
    var fee: Decimal
    var net: Decimal { amount - fee }
    var date: Date
    var currency: String
    var payoutID: Int64
    var sourceID: Int64?
    var orderName: String?
    var test = false
}

extension ShopifyState {
    /// Every balance transaction with its payout, the TRANSFER rows included.
    var allTransactions: [(ShopifyBalanceTransaction, ShopifyPayout)] {
        payouts.flatMap { payout in (payout.transactions + [payout.transferRow]).map { ($0, payout) } }
    }
}

enum ShopifyFormat {
    /// MoneyV2 amounts as Shopify writes them: not padded, at least one decimal (`"41.9"`, `"-41.9"`, `"0.0"`, `"11.0"`).
    static func decimal(_ value: Decimal) -> String {
        var v = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 2, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        return text.contains(".") ? text : text + ".0"
    }

    static func money(_ value: Decimal, _ currency: String) -> [String: Any] {
        ["amount": decimal(value), "currencyCode": currency]
    }

    /// DateTime as `2024-10-31T20:00:00Z`.
    static func dateTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    static func gid(_ type: String, _ id: Int64) -> String { "gid://shopify/\(type)/\(id)" }
}
