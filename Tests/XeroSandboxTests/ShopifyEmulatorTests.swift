import Foundation
import Testing
@testable import XeroSandbox

/// Talking to the sandbox's Shopify side as a payouts client would: the client-credentials grant, then GraphQL.
extension SandboxFixture {
    static let shopifyClientID = "sandbox-shopify-client-id"
    static let shopifyClientSecret = "shpss_sandbox-shopify-client-secret"
    static let shopifyGraphQLPath = "/admin/api/2026-01/graphql.json"

    func shopifyGrant(secret: String = SandboxFixture.shopifyClientSecret) async throws -> Reply {
        try await form("/admin/oauth/access_token", ["grant_type": "client_credentials", "client_id": Self.shopifyClientID,
                                                     "client_secret": secret])
    }

    func shopifyToken() async throws -> String {
        let r = try await shopifyGrant()
        #expect(r.status == 200, "\(r.text)")
        return try #require(r.object["access_token"] as? String)
    }

    func graphQL(_ query: String, variables: [String: Any] = [:], token: String,
                 path: String = SandboxFixture.shopifyGraphQLPath) async throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: ["query": query, "variables": variables])
        return try await send("POST", path, headers: ["X-Shopify-Access-Token": token, "Content-Type": "application/json"], body: body)
    }

    func postShopifyCSV(_ csv: String) async throws -> Reply {
        try await send("POST", "/_sandbox/shopify/payouts", headers: ["Content-Type": "text/csv"], body: Data(csv.utf8))
    }

    func shopifyState() async throws -> [String: Any] { try await state()["shopify"] as? [String: Any] ?? [:] }

    static let header16 = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency"
    static let header18 = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency,VAT"

    /// Two paid payouts (dates 2024-11-04 and 2024-11-05) and a pending row, 16 columns.
    static let csv16 = """
        \(header16)
        2024-11-01 10:00:00 -0400,charge,#1001,visa,online,paid,2024-11-04,2024-11-04,45.52,1.62,43.90,#12345678901234,card,45.52,USD,USD
        2024-11-01 11:00:00 -0400,refund,#1000,visa,online,paid,2024-11-04,2024-11-04,-3.45,0.00,-3.45,#12345678901233,card,3.45,USD,USD
        2024-11-02 09:30:00 -0400,dispute,#0999,master,online,paid,2024-11-04,2024-11-04,-10.00,15.00,-25.00,,,10.00,USD,USD
        2024-11-02 12:00:00 -0400,charge,#1002,visa,online,paid,2024-11-05,2024-11-05,200.00,6.10,193.90,#12345678901235,card,200.00,USD,USD
        2024-11-06 12:00:00 -0400,charge,#1003,visa,online,pending,,2024-11-08,20.00,0.88,19.12,#12345678901236,card,20.00,USD,USD

        """

    /// One payout by id, with the export's own payout row (left out), 18 columns.
    static let csv18 = """
        \(header18)
        2024-11-10 10:00:00 +0100,charge,#2001,visa,online,paid,2024-11-12,623721858,2024-11-12,"1,050.00",30.75,"1,019.25",#22345678901234,card,1050.00,EUR,EUR,1.20
        2024-11-10 11:00:00 +0100,adjustment,,,,paid,2024-11-12,623721858,2024-11-12,-5.10,0.00,-5.10,,,,,EUR,0.00
        2024-11-12 02:00:00 +0100,payout,,,,paid,2024-11-12,623721858,2024-11-12,-1014.15,0.00,-1014.15,,,,,EUR,0.00

        """

    static let payoutsQuery = """
        query Payouts($first: Int!, $after: String) {
          shopifyPaymentsAccount {
            payouts(first: $first, after: $after, query: "status:PAID") {
              pageInfo { hasNextPage endCursor }
              nodes { id legacyResourceId issuedAt status transactionType net { amount currencyCode } }
            }
          }
        }
        """

    static let transactionsQuery = """
        query Transactions($query: String!, $after: String) {
          shopifyPaymentsAccount {
            balanceTransactions(first: 100, after: $after, query: $query) {
              pageInfo { hasNextPage endCursor }
              edges { cursor node { id type sourceType sourceId amount { amount currencyCode } fee { amount } net { amount }
                                     associatedPayout { id status } associatedOrder { name } } }
            }
          }
        }
        """
}

func path(_ object: Any?, _ keys: String...) -> Any? {
    var current = object
    for key in keys { current = (current as? [String: Any])?[key] }
    return current
}

@Suite("Shopify Payments emulator")
struct ShopifyEmulatorTests {
    @Test("client-credentials grant: the right secret gives a 24 h shpat_ token with both scopes; a wrong one 401 invalid_client")
    func tokenGrant() async throws {
        let f = try await SandboxFixture()
        let good = try await f.shopifyGrant()
        #expect(good.status == 200)
        let token = try #require(good.object["access_token"] as? String)
        #expect(token.hasPrefix("shpat_"))
        #expect(good.object["scope"] as? String == "read_shopify_payments_accounts,read_shopify_payments_payouts")
        #expect(good.object["expires_in"] as? Int == 86399)
        #expect(good.object["refresh_token"] == nil)
        let bad = try await f.shopifyGrant(secret: "shpss_wrong")
        #expect(bad.status == 401)
        #expect(bad.object["error"] as? String == "invalid_client")
        #expect(bad.object["access_token"] == nil)
        #expect((try await f.shopifyState()["access_tokens"] as? [String]) == [token])
    }

    @Test("a good token answers a query with data and extensions.cost; the token dies after 24 h of sandbox clock")
    func goodToken() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.freeze().status == 200)
        #expect(try await f.postShopifyCSV(SandboxFixture.csv16).status == 200)
        let token = try await f.shopifyToken()
        let r = try await f.graphQL(SandboxFixture.payoutsQuery, variables: ["first": 10], token: token)
        #expect(r.status == 200)
        #expect(r.header("X-Shopify-API-Version") == "2026-01")
        let nodes = try #require(path(r.object, "data", "shopifyPaymentsAccount", "payouts", "nodes") as? [[String: Any]])
        #expect(nodes.count == 2)
        #expect(path(nodes.first, "net", "amount") as? String == "15.45")   // 43.90 − 3.45 − 25.00
        #expect(path(nodes.last, "net", "amount") as? String == "193.9", "MoneyV2 is not padded")
        #expect(nodes.first?["status"] as? String == "PAID")
        #expect((nodes.first?["id"] as? String)?.hasPrefix("gid://shopify/ShopifyPaymentsPayout/") == true)
        #expect(path(r.object, "extensions", "cost", "requestedQueryCost") as? Int == 13)
        #expect(path(r.object, "errors") == nil)
        // The 401 is checked in process: URLSession on Linux waits forever on its Basic challenge.
        let engine = SandboxEngine()
        let grant = await engine.handle(SandboxRequest(method: "POST", path: "/admin/oauth/access_token",
            headers: ["content-type": "application/x-www-form-urlencoded"],
            body: Data("grant_type=client_credentials&client_id=\(SandboxFixture.shopifyClientID)&client_secret=\(SandboxFixture.shopifyClientSecret)".utf8)))
        guard case .respond(let granted) = grant else { Issue.record("no answer"); return }
        let fresh = try #require((try JSONSerialization.jsonObject(with: granted.body) as? [String: Any])?["access_token"] as? String)
        await engine.advanceShopifyClockForTests(86400)
        let expired = await engine.handle(SandboxRequest(method: "POST", path: SandboxFixture.shopifyGraphQLPath,
            headers: ["x-shopify-access-token": fresh, "content-type": "application/json"], body: Data(#"{"query":"{ __typename }"}"#.utf8)))
        guard case .respond(let answer) = expired else { Issue.record("no answer"); return }
        #expect(answer.status == 401)
        let unknownVersion = try await f.graphQL(SandboxFixture.payoutsQuery, variables: ["first": 10], token: "x",
                                                 path: "/admin/api/2026-13/graphql.json")
        #expect(unknownVersion.status == 404)
    }

    @Test("250 payouts page by cursor in pages of the first asked, each once, in issue order")
    func paging() async throws {
        let f = try await SandboxFixture()
        var csv = SandboxFixture.header18 + "\n"
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone(identifier: "UTC")
        for i in 0..<250 {
            let date = day.string(from: start.addingTimeInterval(Double(i) * 86400))
            csv += "\(date) 08:00:00 +0000,charge,#\(3000 + i),visa,online,paid,\(date),\(700_000_000 + i),\(date),10.00,0.59,9.41,,card,10.00,USD,USD,0.00\n"
        }
        let imported = try await f.postShopifyCSV(csv)
        #expect(imported.status == 200, "\(imported.text)")
        #expect((imported.object["ids"] as? [String])?.count == 250)
        #expect(try await f.shopifyState()["payouts"] as? Int == 250)
        let token = try await f.shopifyToken()
        var after: String?
        var seen: [String] = []
        var pages: [Int] = []
        repeat {
            var variables: [String: Any] = ["first": 60]
            if let after { variables["after"] = after }
            let r = try await f.graphQL(SandboxFixture.payoutsQuery, variables: variables, token: token)
            let connection = path(r.object, "data", "shopifyPaymentsAccount", "payouts")
            let nodes = try #require(path(connection, "nodes") as? [[String: Any]], "\(r.text)")
            pages.append(nodes.count)
            seen += nodes.compactMap { $0["legacyResourceId"] as? String }
            after = path(connection, "pageInfo", "hasNextPage") as? Bool == true ? path(connection, "pageInfo", "endCursor") as? String : nil
        } while after != nil && pages.count < 10
        #expect(pages == [60, 60, 60, 60, 10])
        #expect(seen == (0..<250).map { String(700_000_000 + $0) })
        let dated = try await f.graphQL("""
            { shopifyPaymentsAccount { payouts(first: 250, query: "status:PAID issued_at:>=2023-12-01 issued_at:<2023-12-11") {
                nodes { legacyResourceId } } } }
            """, token: token)
        let datedNodes = path(dated.object, "data", "shopifyPaymentsAccount", "payouts", "nodes") as? [[String: Any]]
        #expect(datedNodes?.count == 10, "\(dated.text)")
    }

    @Test("a payout's balance transactions (payments_transfer_id) net to the payout without its TRANSFER row, and to 0 with it")
    func balanceTransactions() async throws {
        let f = try await SandboxFixture()
        let imported = try await f.postShopifyCSV(SandboxFixture.csv18)
        #expect(imported.object["ids"] as? [String] == ["623721858"])
        let token = try await f.shopifyToken()
        let r = try await f.graphQL(SandboxFixture.transactionsQuery, variables: ["query": "payments_transfer_id:623721858"], token: token)
        let edges = try #require(path(r.object, "data", "shopifyPaymentsAccount", "balanceTransactions", "edges") as? [[String: Any]],
                                 "\(r.text)")
        let nodes = edges.compactMap { $0["node"] as? [String: Any] }
        #expect(nodes.count == 3)
        let transfer = try #require(nodes.first { $0["type"] as? String == "TRANSFER" })
        #expect(transfer["sourceType"] as? String == "TRANSFER")
        #expect(transfer["sourceId"] as? String == "623721858")
        #expect(path(transfer, "net", "amount") as? String == "-1014.15")
        #expect(path(transfer, "fee", "amount") as? String == "0.0")
        func net(_ n: [String: Any]) -> Decimal { Decimal(string: path(n, "net", "amount") as? String ?? "x") ?? .nan }
        let withoutTransfer = nodes.filter { $0["type"] as? String != "TRANSFER" }.reduce(Decimal(0)) { $0 + net($1) }
        #expect(withoutTransfer == Decimal(string: "1014.15"))
        #expect(nodes.reduce(Decimal(0)) { $0 + net($1) } == 0)
        #expect(nodes.allSatisfy { path($0, "associatedPayout", "id") as? String == "gid://shopify/ShopifyPaymentsPayout/623721858" })
        #expect(nodes.allSatisfy { path($0, "amount", "currencyCode") as? String == "EUR" })
        #expect(path(nodes.first, "associatedOrder", "name") as? String == "#2001")
        let hidden = try await f.graphQL("""
            { shopifyPaymentsAccount { balanceTransactions(first: 10, hideTransfers: true, query: "payments_transfer_id:623721858") {
                nodes { type } } } }
            """, token: token)
        let types = (path(hidden.object, "data", "shopifyPaymentsAccount", "balanceTransactions", "nodes") as? [[String: Any]])?
            .compactMap { $0["type"] as? String }
        #expect(types == ["CHARGE", "ADJUSTMENT"])
        let payout = try await f.graphQL("{ shopifyPaymentsAccount { payouts(first: 1) { nodes { net { amount } } } } }", token: token)
        let nodes2 = path(payout.object, "data", "shopifyPaymentsAccount", "payouts", "nodes") as? [[String: Any]]
        #expect(path(nodes2?.first, "net", "amount") as? String == "1014.15")
    }

    @Test("every answer carries cost and throttleStatus; an empty bucket answers HTTP 200 THROTTLED; time refills it")
    func throttle() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.freeze().status == 200)
        var csv = SandboxFixture.header18 + "\n"
        for i in 0..<250 {
            csv += "2024-01-01 08:00:00 +0000,charge,#\(i),visa,online,paid,2024-01-02,\(800_000_000 + i),2024-01-02,10.00,0.59,9.41,,card,10.00,USD,USD,0.00\n"
        }
        #expect(try await f.postShopifyCSV(csv).status == 200)
        let token = try await f.shopifyToken()
        var available: [Int] = []
        for _ in 0..<3 {
            let r = try await f.graphQL(SandboxFixture.payoutsQuery, variables: ["first": 250], token: token)
            #expect(r.status == 200)
            #expect(path(r.object, "extensions", "cost", "requestedQueryCost") as? Int == 253)
            #expect(path(r.object, "extensions", "cost", "actualQueryCost") as? Int == 253)
            #expect(path(r.object, "extensions", "cost", "throttleStatus", "maximumAvailable") as? Double == 1000)
            #expect(path(r.object, "extensions", "cost", "throttleStatus", "restoreRate") as? Double == 50)
            available.append(path(r.object, "extensions", "cost", "throttleStatus", "currentlyAvailable") as? Int ?? -1)
        }
        #expect(available == [747, 494, 241])
        let throttled = try await f.graphQL(SandboxFixture.payoutsQuery, variables: ["first": 250], token: token)
        #expect(throttled.status == 200)
        #expect(path(throttled.object, "data") == nil)
        let error = (throttled.object["errors"] as? [[String: Any]])?.first
        #expect(error?["message"] as? String == "Throttled")
        #expect(path(error, "extensions", "code") as? String == "THROTTLED")
        #expect(path(throttled.object, "extensions", "cost", "actualQueryCost") is NSNull)
        #expect(path(throttled.object, "extensions", "cost", "throttleStatus", "currentlyAvailable") as? Int == 241)
        // A cheap query still fits, and the actual cost refunds what was not returned.
        let cheap = try await f.graphQL("{ shopifyPaymentsAccount { payouts(first: 5, query: \"id:1\") { nodes { id } } } }", token: token)
        #expect(path(cheap.object, "extensions", "cost", "requestedQueryCost") as? Int == 8)
        #expect(path(cheap.object, "extensions", "cost", "actualQueryCost") as? Int == 3)
        #expect(path(cheap.object, "extensions", "cost", "throttleStatus", "currentlyAvailable") as? Int == 238)
        // A query the emulator cannot answer is a GraphQL error, still with its cost.
        let unknown = try await f.graphQL("{ shop { name } }", token: token)
        #expect(unknown.status == 200)
        #expect(((unknown.object["errors"] as? [[String: Any]])?.first?["message"] as? String)?.contains("Field 'shop' doesn't exist") == true)
        #expect(path(unknown.object, "extensions", "cost", "throttleStatus") != nil)
        #expect(try await f.advance(20).status == 200)
        let refilled = try await f.graphQL(SandboxFixture.payoutsQuery, variables: ["first": 250], token: token)
        #expect(path(refilled.object, "extensions", "cost", "actualQueryCost") as? Int == 253)
        #expect(path(refilled.object, "extensions", "cost", "throttleStatus", "currentlyAvailable") as? Int == 1000 - 253)
        let codes = (try await f.shopifyState()["requests"] as? [[String: Any]])?.compactMap { $0["error_code"] as? String }
        #expect(codes == ["THROTTLED", "undefinedField"])
    }

    @Test("shopify-* scenarios: 401, ACCESS_DENIED at 200, THROTTLED at 200, 423, 402; healthy restores")
    func scenarios() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.postShopifyCSV(SandboxFixture.csv16).status == 200)
        let token = try await f.shopifyToken()
        let query = SandboxFixture.payoutsQuery
        let vars: [String: Any] = ["first": 5]

        // In process: URLSession on Linux waits forever on the 401's Basic challenge.
        let engine = SandboxEngine()
        await engine.setScenario(.shopifyTokenRevoked)
        let action = await engine.handle(SandboxRequest(method: "POST", path: SandboxFixture.shopifyGraphQLPath,
            headers: ["x-shopify-access-token": "shpat_sandboxlegacy00000000000000000", "content-type": "application/json"],
            body: Data(#"{"query":"{ __typename }"}"#.utf8)))
        guard case .respond(let revoked) = action else { Issue.record("no answer"); return }
        #expect(revoked.status == 401)
        #expect(String(decoding: revoked.body, as: UTF8.self) == #"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#)
        #expect(revoked.headers.contains { $0.0 == "WWW-Authenticate" && $0.1 == #"Basic Realm="Shopify API Authentication""# })

        try await f.scenario(.shopifyScopeMissing)
        let denied = try await f.graphQL(query, variables: vars, token: token)
        #expect(denied.status == 200)
        let error = (denied.object["errors"] as? [[String: Any]])?.first
        #expect(path(error, "extensions", "code") as? String == "ACCESS_DENIED")
        #expect((error?["message"] as? String)?.contains("read_shopify_payments_payouts") == true)
        #expect(error?["path"] as? [String] == ["shopifyPaymentsAccount", "payouts"])
        #expect(path(denied.object, "data", "shopifyPaymentsAccount") is NSNull)
        #expect(path(denied.object, "extensions", "cost") != nil)

        try await f.scenario(.shopifyThrottled)
        let throttled = try await f.graphQL(query, variables: vars, token: token)
        #expect(throttled.status == 200)
        #expect(path((throttled.object["errors"] as? [[String: Any]])?.first, "extensions", "code") as? String == "THROTTLED")
        #expect(path(throttled.object, "extensions", "cost", "throttleStatus", "currentlyAvailable") as? Int == 0)

        try await f.scenario(.shopifyShopLocked)
        let locked = try await f.graphQL(query, variables: vars, token: token)
        #expect(locked.status == 423)
        #expect(locked.object["errors"] as? String == "Locked")

        try await f.scenario(.shopifyShopFrozen)
        let frozen = try await f.graphQL(query, variables: vars, token: token)
        #expect(frozen.status == 402)
        #expect(frozen.object["errors"] as? String == "Payment Required")

        try await f.scenario(.healthy)
        let ok = try await f.graphQL(query, variables: vars, token: token)
        #expect(ok.status == 200)
        #expect((path(ok.object, "data", "shopifyPaymentsAccount", "payouts", "nodes") as? [Any])?.count == 2)
        let statuses = (try await f.shopifyState()["requests"] as? [[String: Any]])?
            .filter { $0["path"] as? String == SandboxFixture.shopifyGraphQLPath }.compactMap { $0["status"] as? Int }
        #expect(statuses == [200, 200, 423, 402, 200])
    }

    @Test("CSV import: 16 columns group by payout date (pending rows left out); 18 by payout id; bad files refused")
    func csvImport() async throws {
        let f = try await SandboxFixture()
        let sixteen = try await f.postShopifyCSV(SandboxFixture.csv16)
        #expect(sixteen.status == 200, "\(sixteen.text)")
        #expect((sixteen.object["ids"] as? [String])?.count == 2)
        let eighteen = try await f.postShopifyCSV(SandboxFixture.csv18)
        #expect(eighteen.object["ids"] as? [String] == ["623721858"])
        #expect(try await f.shopifyState()["payouts"] as? Int == 3)
        let again = try await f.postShopifyCSV(SandboxFixture.csv18)
        #expect(again.status == 400, "a payout id is imported once")
        let short = try await f.postShopifyCSV("Transaction Date,Type,Amount\n2024-11-01,charge,1.00\n")
        #expect(short.status == 400)
        let token = try await f.shopifyToken()
        let r = try await f.graphQL("""
            { shopifyPaymentsAccount { balanceTransactions(first: 50, hideTransfers: true, query: "payout_date:2024-11-04") {
                nodes { type net { amount } } } } }
            """, token: token)
        let types = (path(r.object, "data", "shopifyPaymentsAccount", "balanceTransactions", "nodes") as? [[String: Any]])?
            .compactMap { $0["type"] as? String }
        #expect(types == ["CHARGE", "REFUND", "DISPUTE_WITHDRAWAL"], "\(r.text)")
        #expect(try await f.send("POST", "/_sandbox/reset").status == 200)
        #expect(try await f.shopifyState()["payouts"] as? Int == 0)
    }
}

extension SandboxEngine {
    func advanceShopifyClockForTests(_ seconds: TimeInterval) { clockOffset += seconds }
}
