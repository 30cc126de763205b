import Foundation
import Testing
@testable import LMBCore

/// A shop answering lmb's two queries: one PAID payout of `net`, and `transactions` (JSON nodes) for it.
enum ShopifyFixture {
    static let token = "shpat_unit0000000000000000000000000"

    static func cost(_ requested: Int, available: Double = 1000) -> String {
        #""extensions":{"cost":{"requestedQueryCost":\#(requested),"actualQueryCost":\#(requested),"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":\#(available),"restoreRate":50.0}}}"#
    }

    static let payouts = #"{"data":{"shopifyPaymentsAccount":{"payouts":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[{"id":"gid://shopify/ShopifyPaymentsPayout/623721858","legacyResourceId":"623721858","issuedAt":"2026-01-10T02:00:00Z","status":"PAID","transactionType":"DEPOSIT","net":{"amount":"41.9","currencyCode":"USD"}}]}}},"#

    static func node(_ id: Int, _ type: String, _ amount: String, _ fee: String, _ net: String, source: (String, String)? = nil) -> String {
        let (sourceType, sourceID) = source ?? ("CHARGE", String(id))
        return ##"{"id":"gid://shopify/ShopifyPaymentsBalanceTransaction/\##(id)","type":"\##(type)","sourceType":"\##(sourceType)","sourceId":"\##(sourceID)","transactionDate":"2026-01-08T10:00:00Z","amount":{"amount":"\##(amount)","currencyCode":"USD"},"fee":{"amount":"\##(fee)","currencyCode":"USD"},"net":{"amount":"\##(net)","currencyCode":"USD"},"associatedOrder":{"name":"#1001"}}"##
    }

    static func transactions(_ nodes: [String], available: Double = 1000) -> String {
        #"{"data":{"shopifyPaymentsAccount":{"balanceTransactions":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[\#(nodes.joined(separator: ","))]}}},\#(cost(253, available: available))}"#
    }

    /// The world with a shop connected by token, answering the listing (with `available` left in the bucket) and the
    /// transactions.
    static func world(transactions: String, listingAvailable: Double = 1000) throws -> FakeWorld {
        let world = try FakeWorld()
        try world.ctx.store().saveChannelAccount(kind: .shopify, label: "shop", settings: ["shop": "shop.myshopify.com", "auth": "access_token"],
                                                 secrets: ["accessToken": token], tenantID: nil, tenantName: nil, now: world.clock.now)
        let listing = payouts + cost(103, available: listingAvailable) + "}"
        world.transport.on("POST", "graphql.json") { request in
            let body = String(decoding: request.body ?? Data(), as: UTF8.self)
            return ScriptedTransport.json(200, body.contains("query Payouts") ? listing : transactions)
        }
        return world
    }

    static func fetch(_ world: FakeWorld) async throws -> FetchReport {
        let env = try world.ctx.channelEnvironment()
        var e = env
        e.environment = ["LMB_SHOPIFY_BASE_URL": "http://127.0.0.1:9"]
        return try await Fetcher(env: e, mapping: .defaults).fetch(try Channels.connected(world.ctx.store()))
    }
}

@Suite("Shopify Payments channel")
struct ShopifyChannelTests {
    @Test("a payout whose balance transactions add up to its net is imported as SHP-<id>; the TRANSFER row and the fee handled; a second fetch downloads nothing")
    func addsUp() async throws {
        let world = try ShopifyFixture.world(transactions: ShopifyFixture.transactions([
            ShopifyFixture.node(1, "CHARGE", "45.52", "1.62", "43.9"), ShopifyFixture.node(2, "REFUND", "-2.0", "0.0", "-2.0"),
            ShopifyFixture.node(3, "TRANSFER", "-41.9", "0.0", "-41.9", source: ("TRANSFER", "623721858")),
        ]))
        let report = try await ShopifyFixture.fetch(world)
        #expect(report.results.map(\.outcome) == [.imported], "\(report.results.map(\.message))")
        #expect(report.results.first?.settlementID == "SHP-623721858")
        let stored = try #require(try world.ctx.store().settlement(id: "SHP-623721858"))
        #expect(stored.header.totalMinor == 4190 && stored.marketplace == "Shopify Payments")
        #expect(Set(stored.groups.map { "\($0.transactionType)/\($0.amountDescription)=\($0.amountMinor)" })
                == ["CHARGE/Amount=4552", "CHARGE/Fee=-162", "REFUND/Amount=-200"])
        let again = try await ShopifyFixture.fetch(world)
        #expect(again.results.isEmpty)
        #expect(world.transport.requests.filter { String(decoding: $0.body ?? Data(), as: UTF8.self).contains("query Transactions") }.count == 1)
    }

    @Test("a payout whose rows do not add up to its net is refused (does_not_add_up, 65), recorded, and not downloaded again")
    func doesNotAddUp() async throws {
        let world = try ShopifyFixture.world(transactions: ShopifyFixture.transactions([ShopifyFixture.node(1, "CHARGE", "45.52", "1.62", "43.9")]))
        let report = try await ShopifyFixture.fetch(world)
        #expect(report.results.first?.classification == "does_not_add_up")
        #expect(report.exitStatus == .dataError)
        #expect(try world.ctx.store().channelPayouts(kind: .shopify).map(\.outcome) == [.failed])
        #expect(try world.ctx.store().settlement(id: "SHP-623721858") == nil)
        let again = try await ShopifyFixture.fetch(world)
        #expect(again.results.isEmpty)
    }

    @Test("an unknown balance-transaction type is kept and needs mapping, never dropped")
    func unknownType() async throws {
        let world = try ShopifyFixture.world(transactions: ShopifyFixture.transactions([
            ShopifyFixture.node(1, "CHARGE", "40.0", "0.0", "40.0"), ShopifyFixture.node(2, "SOMETHING_NEW_2027", "1.9", "0.0", "1.9"),
        ]))
        let report = try await ShopifyFixture.fetch(world)
        #expect(report.results.first?.outcome == .imported)
        #expect(report.results.first?.classification == "needs_mapping")
    }

    @Test("pacing: with 10 points left and 50 restored a second, the next query of cost 253 waits (253 − 10) / 50 s first, and is not THROTTLED")
    func pacing() async throws {
        let world = try ShopifyFixture.world(transactions: ShopifyFixture.transactions([
            ShopifyFixture.node(1, "CHARGE", "41.9", "0.0", "41.9")]), listingAvailable: 10)
        let report = try await ShopifyFixture.fetch(world)
        #expect(report.results.first?.outcome == .imported)
        let waited = try #require(world.clock.sleeps.first)
        #expect(abs(waited - (253.0 - 10) / 50) < 0.01, "\(world.clock.sleeps)")
    }

    @Test("GraphQL errors answered with HTTP 200 and HTTP refusals: each its classification")
    func classifier() {
        func classify(_ status: Int, _ body: String) -> RemoteFailure? {
            ShopifyClassifier.classify(HTTPResponse(status: status, headers: ["x-request-id": "r-1"], body: Data(body.utf8)), renewable: true)
        }
        let throttled = classify(200, #"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":253,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":3,"restoreRate":50.0}}}}"#)
        #expect(throttled?.classification == .rateLimited && throttled?.exitStatus == .temporary)
        #expect(abs((throttled?.retryAfter ?? 0) - 5.0) < 0.01)
        let denied = classify(200, #"{"errors":[{"message":"Access denied for shopifyPaymentsAccount field.","extensions":{"code":"ACCESS_DENIED"}}],"data":{"shopifyPaymentsAccount":null}}"#)
        #expect(denied?.classification == .insufficientScope && denied?.exitStatus == .mustAct)
        let revoked = classify(401, #"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#)
        #expect(revoked?.classification == .staleConnection && revoked?.accessTokenRejected == true && revoked?.requestID == "r-1")
        #expect(classify(402, #"{"errors":"Payment Required"}"#)?.code == "shop_frozen")
        #expect(classify(423, #"{"errors":"Locked"}"#)?.classification == .permissionDenied)
        #expect(classify(200, #"{"data":{"shopifyPaymentsAccount":{"id":"x"}}}"#) == nil)
        #expect(classify(200, "<html>")?.classification == .unexpectedAnswer)
        #expect(classify(503, "")?.classification == .unavailable)
    }

    @Test("every documented balance-transaction type maps by default, in the API's spelling and the export's")
    func mapping() {
        let types = ["CHARGE", "REFUND", "REFUND_FAILURE", "REFUND_ADJUSTMENT", "DISPUTE_WITHDRAWAL", "DISPUTE_REVERSAL", "CHARGEBACK_FEE",
                     "CHARGEBACK_FEE_REFUND", "CHARGEBACK_HOLD", "CHARGEBACK_HOLD_RELEASE", "ADJUSTMENT", "CHARGE_ADJUSTMENT", "RESERVED_FUNDS",
                     "RESERVED_FUNDS_WITHDRAWAL", "RESERVED_FUNDS_REVERSAL", "RISK_WITHDRAWAL", "RISK_REVERSAL", "TRANSFER", "TRANSFER_FAILURE",
                     "TRANSFER_CANCEL", "TRANSFER_REFUND", "ADVANCE", "ADVANCE_FUNDING", "SHIPPING_LABEL", "SHIPPING_LABEL_ADJUSTMENT",
                     "BILLING_DEBIT", "BILLING_DEBIT_REVERSAL", "TAX_ADJUSTMENT_CREDIT", "TAX_ADJUSTMENT_DEBIT", "IMPORT_TAX",
                     "CUSTOMS_DUTY", "SHOP_CASH_CREDIT", "SHOPIFY_COLLECTIVE_DEBIT", "MARKETPLACE_FEE_CREDIT", "VAT_REFUND_CREDIT", "STRIPE_FEE",
                     "CURRENCY_CONVERSION", "DISPUTE", "RESERVE", "PAYOUT_FAILURE", "PAYOUT_CANCELLATION", "CREDIT", "DEBIT"]
        let groups = types.flatMap { t in [SettlementGroup(transactionType: t, amountType: "Shopify", amountDescription: "Amount", month: "2026-01", amountMinor: 100, count: 1),
                                           SettlementGroup(transactionType: t, amountType: "Shopify", amountDescription: "Fee", month: "2026-01", amountMinor: -10, count: 1)] }
        let header = SettlementHeader(id: "SHP-1", format: .shopify, currency: "USD", startDate: CalendarDate(iso: "2026-01-01")!,
                                      endDate: CalendarDate(iso: "2026-01-31")!, depositDate: CalendarDate(iso: "2026-01-31")!, totalMinor: 90 * Int64(types.count))
        let result = Ledger(mapping: .defaults).book(header: header, marketplace: "Shopify Payments", groups: groups)
        #expect(!result.needsMapping, "\(result.unmapped)")
        #expect(result.postings.first?.invoiceNumber == "SHP-1" && result.postings.first?.contactName == "Shopify Payments")
    }

    @Test("rows of payouts not yet paid are kept apart, in no settlement; a later export that shows them paid replaces them; an older export does not bring them back")
    func pendingRows() throws {
        let header = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency"
        let paidRows = """
            2024-11-01 10:00:00 -0400,charge,#1001,visa,online,paid,2024-11-04,2024-11-04,45.52,1.62,43.90,#1,card,45.52,USD,USD
            2024-11-04 02:00:00 -0400,payout,,,,paid,2024-11-04,2024-11-04,-43.90,0.00,-43.90,,,,,USD
            """
        let early = try writeTemp("""
            \(header)
            \(paidRows)
            2024-11-06 12:00:00 -0400,charge,#1003,visa,online,pending,,2024-11-08,20.00,0.88,19.12,#3,card,20.00,USD,USD
            2024-11-06 13:00:00 -0400,adjustment,,,,pending,,2024-11-08,-2.00,0.00,-2.00,,,,,USD
            2024-11-06 13:00:00 -0400,adjustment,,,,pending,,2024-11-08,-2.00,0.00,-2.00,,,,,USD

            """, name: "early.csv")
        let contents = try ShopifyPaymentsExport(path: early).contents()
        #expect(contents.payouts.map(\.settlement.header.id) == ["SHP-20241104-USD"])
        #expect(contents.payouts.first?.settlement.header.totalMinor == 4390)
        #expect(contents.pending.map(\.netMinor) == [1912, -200, -200])
        #expect(Set(contents.pending.map(\.fingerprint)).count == 3, "identical rows are told apart")
        #expect(contents.pending.first?.payoutStatus == "pending" && contents.pending.first?.orderID == "#1003")

        let store = try Store.open(home: try temporaryHome())
        let importer = Importer(store: store)
        let first = try importer.importContents(path: early, conflict: .refuse)
        #expect(first.outcomes.map(\.verb) == ["imported"])
        #expect(first.pending == PendingImport(kept: 3, alreadyPaid: 0, replaced: 0, totals: [.init(currency: "USD", rows: 3, netMinor: 1512)], waiting: 3))
        #expect(try store.pendingPayoutRows(format: .shopify).count == 3)
        #expect(try store.allSettlements().map(\.header.id) == ["SHP-20241104-USD"], "a pending row is in no settlement")
        // The same export again: the rows are kept once.
        #expect(try importer.importContents(path: early, conflict: .refuse).pending?.waiting == 3)

        let later = try writeTemp("""
            \(header)
            2024-11-06 12:00:00 -0400,charge,#1003,visa,online,paid,2024-11-11,2024-11-08,20.00,0.88,19.12,#3,card,20.00,USD,USD
            2024-11-06 13:00:00 -0400,adjustment,,,,paid,2024-11-11,2024-11-08,-2.00,0.00,-2.00,,,,,USD
            2024-11-06 13:00:00 -0400,adjustment,,,,paid,2024-11-11,2024-11-08,-2.00,0.00,-2.00,,,,,USD
            2024-11-11 02:00:00 -0400,payout,,,,paid,2024-11-11,2024-11-11,-15.12,0.00,-15.12,,,,,USD
            2024-11-12 09:00:00 -0400,charge,#1004,visa,online,scheduled,2024-11-18,2024-11-14,5.00,0.30,4.70,#4,card,5.00,USD,USD

            """, name: "later.csv")
        let second = try importer.importContents(path: later, conflict: .refuse)
        #expect(second.outcomes.map { $0.settlement.header.id } == ["SHP-20241111-USD"])
        #expect(second.pending?.replaced == 3 && second.pending?.kept == 1 && second.pending?.waiting == 1)
        #expect(try store.pendingPayoutRows(format: .shopify).map(\.orderID) == ["#1004"])

        // The early export once more: its pending rows are in a stored payout now, so they are not kept again.
        let again = try importer.importContents(path: early, conflict: .refuse)
        #expect(again.pending?.alreadyPaid == 3 && again.pending?.kept == 0 && again.pending?.waiting == 1)

        // A file of pending rows only is not refused: nothing to send, its rows kept.
        let onlyPending = try writeTemp("\(header)\n2024-11-20 09:00:00 -0400,charge,#1005,visa,online,pending,,2024-11-22,7.00,0.40,6.60,#5,card,7.00,USD,USD\n",
                                        name: "pending.csv")
        let third = try importer.importContents(path: onlyPending, conflict: .refuse)
        #expect(third.outcomes.isEmpty && third.pending?.kept == 1 && third.pending?.waiting == 2)
        #expect(throws: SettlementFileError.self) { try ShopifyPaymentsExport(path: onlyPending).parse() }
    }

    @Test("the document a fetch writes negates the payout net as text, and reads back through the export parser")
    func document() throws {
        #expect(ShopifyPayoutDocument.negate("41.9") == "-41.9" && ShopifyPayoutDocument.negate("-0.5") == "0.5")
        let payout = ShopifyClient.Payout(id: "gid://shopify/ShopifyPaymentsPayout/7", legacyID: "7", issuedAt: Date(timeIntervalSince1970: 1_767_225_600),
                                          status: "PAID", transactionType: "DEPOSIT", net: "10.5", currency: "EUR")
        let rows = [ShopifyClient.BalanceTransaction(id: "1", type: "CHARGE", sourceType: "CHARGE", sourceID: "1", date: "2025-12-30T10:00:00Z",
                                                     amount: "11.0", fee: "0.5", net: "10.5", currency: "EUR", orderName: "#1, with a comma")]
        let text = ShopifyPayoutDocument.render(payout: payout, transactions: rows).text
        let parsed = try ShopifyPaymentsExport(path: try writeTemp(text, name: "payout.csv")).parse()
        #expect(parsed.map(\.settlement.header.id) == ["SHP-7"])
        #expect(parsed.first?.settlement.header.totalMinor == 1050 && parsed.first?.rows.first?.orderID == "#1, with a comma")
    }
}
