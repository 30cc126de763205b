import Foundation
import Testing
@testable import LMBCore

/// An eBay seller answering lmb's calls: the refresh grant, one SUCCEEDED payout of `amount`, and `transactions` (JSON
/// objects in the Finances API's shape) for it, on one page or 204.
enum EbayFixture {
    static let refreshToken = "v^1.1#i^1#r^1#unit-refresh-token"
    static let clientSecret = "PRD-unit-client-secret-0000"

    static func gbp(_ v: String) -> String { #"{"value":"\#(v)","currency":"GBP"}"# }

    static func payouts(_ id: String, amount: String) -> String {
        #"{"href":"x","limit":200,"offset":0,"payouts":[{"payoutId":"\#(id)","payoutStatus":"SUCCEEDED","amount":\#(gbp(amount)),"payoutDate":"2026-01-10T02:00:00.000Z","transactionCount":5}],"total":1}"#
    }

    /// The payout of the transaction report in `EbayE2E.report()`: 4.42.
    static let mixed = [
        #"{"transactionId":"1","transactionType":"SALE","bookingEntry":"CREDIT","transactionStatus":"PAYOUT","amount":\#(gbp("17.12")),"totalFeeBasisAmount":\#(gbp("20.0")),"totalFeeAmount":\#(gbp("2.88")),"ebayCollectedTaxAmount":\#(gbp("4.0")),"orderId":"12-34567-89012","transactionDate":"2026-01-08T10:00:00.000Z","orderLineItems":[{"lineItemId":"1","feeBasisAmount":\#(gbp("24.0")),"marketplaceFees":[{"feeType":"FINAL_VALUE_FEE_FIXED_PER_ORDER","amount":\#(gbp("0.3"))},{"feeType":"FINAL_VALUE_FEE","amount":\#(gbp("2.58"))}]}]}"#,
        #"{"transactionId":"2","transactionType":"NON_SALE_CHARGE","bookingEntry":"DEBIT","feeType":"AD_FEE","amount":\#(gbp("1.5")),"transactionDate":"2026-01-08T11:00:00.000Z"}"#,
        #"{"transactionId":"3","transactionType":"REFUND","bookingEntry":"DEBIT","amount":\#(gbp("10.0")),"totalFeeBasisAmount":\#(gbp("11.29")),"orderId":"12-34567-89000","transactionDate":"2026-01-08T12:00:00.000Z","orderLineItems":[{"lineItemId":"2","marketplaceFees":[{"feeType":"FINAL_VALUE_FEE","amount":\#(gbp("1.29"))}]}]}"#,
        #"{"transactionId":"4","transactionType":"SHIPPING_LABEL","bookingEntry":"DEBIT","amount":\#(gbp("3.2")),"transactionDate":"2026-01-08T13:00:00.000Z","transactionMemo":"Shipping label"}"#,
        #"{"transactionId":"5","transactionType":"TRANSFER","bookingEntry":"CREDIT","amount":\#(gbp("2.0")),"transactionDate":"2026-01-08T14:00:00.000Z","transactionMemo":"Transfer from your bank account"}"#,
    ]

    static func transactions(_ items: [String]) -> String {
        #"{"href":"x","limit":200,"offset":0,"transactions":[\#(items.joined(separator: ","))],"total":\#(items.count)}"#
    }

    /// `transactions` nil: the test scripts getPayouts and getTransactions itself (the first route that matches wins).
    static func world(amount: String = "4.42", transactions: String?) throws -> FakeWorld {
        let world = try FakeWorld()
        try world.ctx.store().saveChannelAccount(kind: .ebay, label: "ebay-gb",
                                                 settings: ["clientId": "unit-app", "ruName": "unit-runame", "site": "EBAY_GB",
                                                            "refreshIssuedAt": Store.isoText(world.clock.now)],
                                                 secrets: ["clientSecret": clientSecret, "refreshToken": refreshToken],
                                                 tenantID: nil, tenantName: nil, now: world.clock.now)
        world.transport.on("POST", "/identity/v1/oauth2/token", ScriptedTransport.json(200, #"{"access_token":"v^1.1#unit-access","expires_in":7200,"token_type":"User Access Token"}"#))
        guard let transactions else { return world }
        world.transport.on("GET", "/sell/finances/v1/payout", ScriptedTransport.json(200, payouts("6000123456", amount: amount)))
        world.transport.on("GET", "/sell/finances/v1/transaction", ScriptedTransport.json(200, transactions))
        return world
    }

    static func fetch(_ world: FakeWorld) async throws -> FetchReport {
        var env = try world.ctx.channelEnvironment()
        env.environment = ["LMB_EBAY_BASE_URL": "http://127.0.0.1:9"]
        return try await Fetcher(env: env, mapping: .defaults).fetch(try Channels.connected(world.ctx.store()))
    }

    /// eBay's transaction report of the same payout, by hand (as EbayE2E.report builds it).
    static let report = """
        "Transaction report"
        "Jan 1, 2026 - Jan 31, 2026"
        "Seller: unit-seller"

        Transaction creation date,Type,Order number,Net amount,Payout currency,Payout date,Payout ID,Final Value Fee - fixed,Final Value Fee - variable,Description
        "Jan 8, 2026",Order,12-34567-89012,17.12,GBP,"Jan 10, 2026",6000123456,-0.30,-2.58,--
        "Jan 8, 2026",Other fee,--,-1.50,GBP,"Jan 10, 2026",6000123456,--,--,Promoted Listings - General fee
        "Jan 8, 2026",Refund,12-34567-89000,-10.00,GBP,"Jan 10, 2026",6000123456,--,1.29,--
        "Jan 8, 2026",Shipping label,--,-3.20,GBP,"Jan 10, 2026",6000123456,--,--,Shipping label
        "Jan 8, 2026",Transfer,--,2.00,GBP,"Jan 10, 2026",6000123456,--,--,Transfer from your bank account
        "Jan 10, 2026",Payout,--,-4.42,GBP,"Jan 10, 2026",6000123456,--,--,Payout

        """
}

@Suite("eBay Finances client")
struct EbayClientTests {
    // MARK: Signatures

    @Test("eBay's published test vector: the signature base of the README's POST and its Ed25519 signature, byte for byte")
    func testVector() throws {
        // RFC 9421's Ed25519 test key (B.1.4), which eBay's digital-signature guide uses with this request.
        let privateKey = try #require(Data(base64Encoded: "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"))
        let jwe = "eyJ6aXAiOiJERUYiLCJlbmMiOiJBMjU2R0NNIiwidGFnIjoiSGdLcjNSSWFlZll0Mkd4blBUUTEwUSIsImFsZyI6IkEyNTZHQ01LVyIsIml2IjoiQTVOQXFYUXlITkNIT01GVSJ9.z3JcS0vvxrYboqpySAq_Znww-3V6AllxmJP5JEMkuLY.K1f4MVMEc8ylbfSS.fASwJyMCk2tXZsNWk13IcuVgSWTOcynSdAoJrK4WApZANlxAP9J0qr0Jz_4aFldFDSZ5tfuxLGqzJmWU7CiZWwNjk2XoVy8q5ogMrFNFwFXP4SrX1XORhNLZPTyS5DEqLDPYn2NX944xendEwfcxxXsTSeNCUnmSyfitiscUC04GYOfn0UWQ2buSWx7Yod0IR2GtTGUsM9o3J-riuNDKhw.rRsWM1Sl_2stTnZLJkWVmQ"
        let params = EbaySigner.params(["content-digest", "x-ebay-signature-key", "@method", "@path", "@authority"], created: 1_659_651_955)
        #expect(params == #"("content-digest" "x-ebay-signature-key" "@method" "@path" "@authority");created=1659651955"#)
        let base = EbaySigner.base([("content-digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"), ("x-ebay-signature-key", jwe),
                                    ("@method", "POST"), ("@path", "/verifysignature"), ("@authority", "localhost:8080")], params: params)
        #expect(base == "\"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\"x-ebay-signature-key\": \(jwe)\n\"@method\": POST\n\"@path\": /verifysignature\n\"@authority\": localhost:8080\n\"@signature-params\": \(params)")
        #expect(EbaySigner.sign(privateKeyDER: privateKey, message: Data(base.utf8))?.base64EncodedString()
                == "uunxYrXKC8KaoupD5D1DKdmQmrOhz6b4Xbhb3o9d4x4xFIpg++XzEZztOyeOI59rMMjM3NIcFgxBH0c1ckpfBw==")
        #expect(EbaySigner.sign(privateKeyDER: Data(privateKey.dropLast()), message: Data(base.utf8)) == nil, "a truncated key signs nothing")
    }

    @Test("a GET's headers: the key, Signature-Input over key/method/path/authority (host with its port, no query), Signature over that base")
    func getHeaders() throws {
        let privateKey = try #require(Data(base64Encoded: "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"))
        let key = EbaySigningKey(id: "k1", cipher: "ED25519", privateKeyDER: privateKey, jwe: "a.b.c.d.e", expiresAt: nil)
        let url = try #require(URL(string: "http://127.0.0.1:8123/sell/finances/v1/payout?filter=payoutStatus%3A%7BSUCCEEDED%7D&limit=1"))
        let headers = Dictionary(try EbaySigner.headers(method: "GET", url: url, key: key, created: 1_700_000_000)) { a, _ in a }
        #expect(headers["x-ebay-signature-key"] == "a.b.c.d.e")
        #expect(headers["signature-input"] == #"sig1=("x-ebay-signature-key" "@method" "@path" "@authority");created=1700000000"#)
        #expect(headers["x-ebay-enforce-signature"] == "true")
        let base = "\"x-ebay-signature-key\": a.b.c.d.e\n\"@method\": GET\n\"@path\": /sell/finances/v1/payout\n\"@authority\": 127.0.0.1:8123\n\"@signature-params\": (\"x-ebay-signature-key\" \"@method\" \"@path\" \"@authority\");created=1700000000"
        let expected = try #require(EbaySigner.sign(privateKeyDER: privateKey, message: Data(base.utf8)))
        #expect(headers["signature"] == "sig1=:\(expected.base64EncodedString()):")
        #expect(EbaySigner.authority(try #require(URL(string: "https://apiz.ebay.com:443/x"))) == "apiz.ebay.com")
        #expect(EbaySigner.authority(try #require(URL(string: "https://apiz.ebay.com/x"))) == "apiz.ebay.com")
        #expect("\(key)".contains("redacted") && !"\(key)".contains("a.b.c.d.e"))
    }

    // MARK: Fetch

    @Test("a payout of a sale with fees, an ad fee, a refund, a label and a transfer: imported as EBAY-<id> (eBay UK), the same settlement as its transaction report by hand")
    func sameAsReport() async throws {
        let world = try EbayFixture.world(transactions: EbayFixture.transactions(EbayFixture.mixed.reversed()))
        let report = try await EbayFixture.fetch(world)
        #expect(report.results.map(\.outcome) == [.imported], "\(report.results.map(\.message))")
        #expect(report.results.first?.settlementID == "EBAY-6000123456")
        let stored = try #require(try world.ctx.store().settlement(id: "EBAY-6000123456"))
        #expect(stored.header.totalMinor == 442 && stored.marketplace == "eBay UK")

        let path = world.home.url.appendingPathComponent("report.csv").path
        try EbayFixture.report.write(toFile: path, atomically: true, encoding: .utf8)
        let byHand = try #require(try EbayTransactionReport(path: path).parse().first?.settlement)
        #expect(byHand.header.id == stored.header.id && byHand.header.totalMinor == stored.header.totalMinor && byHand.marketplace == stored.marketplace)
        // Line by line: the same types and amounts; the descriptions of sales, refunds and fees the same; each line
        // booked to the same category.
        func lines(_ groups: [SettlementGroup]) -> [String] {
            groups.map { g in
                let category = Mapping.defaults.category(of: g)?.rawValue ?? "unmapped"
                let description = ["SALE", "REFUND"].contains(g.transactionType) ? g.amountDescription : "-"
                return "\(g.transactionType)/\(description)=\(g.amountMinor) \(category)"
            }.sorted()
        }
        #expect(lines(stored.groups) == lines(byHand.groups))
        #expect(!lines(stored.groups).contains { $0.hasSuffix("unmapped") }, "\(lines(stored.groups))")
        #expect(Set(stored.groups.map { "\($0.transactionType)/\($0.amountDescription)=\($0.amountMinor)" }).isSuperset(of: [
            "SALE/Gross=2000", "SALE/FINAL_VALUE_FEE=-258", "SALE/FINAL_VALUE_FEE_FIXED_PER_ORDER=-30", "REFUND/Gross=-1129",
            "REFUND/FINAL_VALUE_FEE=129", "NON_SALE_CHARGE/AD_FEE=-150"]))
        let again = try await EbayFixture.fetch(world)
        #expect(again.results.isEmpty)
        #expect(world.transport.requests("GET", "/sell/finances/v1/transaction").count == 1)
        // The refresh grant carried the refresh token in the form, Basic client auth, the sell.finances scope.
        let grant = try #require(world.transport.requests("POST", "/identity/v1/oauth2/token").first)
        let form = String(decoding: grant.body ?? Data(), as: UTF8.self)
        #expect(form.contains("grant_type=refresh_token") && form.contains("scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope%2Fsell.finances"))
        #expect(form.contains("refresh_token=v%5E1.1%23"), "the token's ^ and # are form-encoded: \(form)")
        #expect(grant.headers.contains { $0.0 == "authorization" && $0.1.hasPrefix("Basic ") })
        // The filters: SUCCEEDED with a payoutDate range, sorted, paged; the payout's transactions by payoutId.
        let listing = try #require(world.transport.requests("GET", "/sell/finances/v1/payout").first?.url.query)
        #expect(listing.contains("payoutStatus%3A%7BSUCCEEDED%7D%2CpayoutDate%3A%5B") && listing.contains("limit=200") && listing.contains("sort=payoutDate"))
        #expect(world.transport.requests("GET", "/sell/finances/v1/transaction").first?.url.query?.contains("payoutId%3A%7B6000123456%7D") == true)
    }

    @Test("a payout whose transactions do not add up to its amount is refused (does_not_add_up, 65), recorded, and not downloaded again")
    func doesNotAddUp() async throws {
        let world = try EbayFixture.world(amount: "4.40", transactions: EbayFixture.transactions(EbayFixture.mixed))
        let report = try await EbayFixture.fetch(world)
        #expect(report.results.first?.classification == "does_not_add_up", "\(report.results.map(\.message))")
        #expect(report.exitStatus == .dataError)
        #expect(try world.ctx.store().channelPayouts(kind: .ebay).map(\.outcome) == [.failed])
        #expect(try world.ctx.store().settlement(id: "EBAY-6000123456") == nil)
        #expect(try await EbayFixture.fetch(world).results.isEmpty)
    }

    @Test("getTransactions answering 204 (no body) is no transaction: the payout of 4.42 does not add up and is refused, not read as empty success")
    func noContent() async throws {
        let world = try EbayFixture.world(transactions: nil)
        world.transport.on("GET", "/sell/finances/v1/payout", ScriptedTransport.json(200, EbayFixture.payouts("6000123456", amount: "4.42")))
        world.transport.on("GET", "/sell/finances/v1/transaction", HTTPResponse(status: 204, headers: [:], body: Data()))
        let report = try await EbayFixture.fetch(world)
        #expect(report.results.first?.classification == "does_not_add_up", "\(report.results.map(\.message))")
    }

    @Test("paging: pages follow `next` by the count received, whatever limit the answer kept (v1.9 ignored limit with a payoutId filter)")
    func paging() async throws {
        let world = try EbayFixture.world(transactions: nil)
        world.transport.on("GET", "/sell/finances/v1/payout", ScriptedTransport.json(200, EbayFixture.payouts("6000123456", amount: "4.42")))
        let first = #"{"href":"x","limit":20,"offset":0,"next":"x","transactions":[\#(EbayFixture.mixed[0...2].joined(separator: ","))],"total":5}"#
        let second = #"{"href":"x","limit":20,"offset":3,"transactions":[\#(EbayFixture.mixed[3...4].joined(separator: ","))],"total":5}"#
        world.transport.on("GET", "/sell/finances/v1/transaction", answer: { r in
            ScriptedTransport.json(200, r.url.query?.contains("offset=3") == true ? second : first)
        })
        let report = try await EbayFixture.fetch(world)
        #expect(report.results.map(\.outcome) == [.imported], "\(report.results.map(\.message))")
        #expect(world.transport.requests("GET", "/sell/finances/v1/transaction").compactMap { $0.url.query?.contains("offset=0") }.first == true)
    }

    @Test("an unknown transaction type is kept and needs mapping, never dropped; an amount in another currency is refused, never converted")
    func unknownTypeAndCurrency() async throws {
        let loan = #"{"transactionId":"9","transactionType":"SOMETHING_NEW","bookingEntry":"DEBIT","amount":{"value":"1.0","currency":"GBP"}}"#
        let world = try EbayFixture.world(amount: "3.42", transactions: EbayFixture.transactions(EbayFixture.mixed + [loan]))
        let report = try await EbayFixture.fetch(world)
        #expect(report.results.first?.outcome == .imported)
        #expect(report.results.first?.classification == "needs_mapping")
        let usd = #"{"transactionId":"9","transactionType":"SALE","bookingEntry":"CREDIT","amount":{"value":"1.0","currency":"USD"}}"#
        let other = try EbayFixture.world(amount: "5.42", transactions: EbayFixture.transactions(EbayFixture.mixed + [usd]))
        let refused = try await EbayFixture.fetch(other)
        #expect(refused.results.first?.outcome == .failed)
        #expect(refused.results.first?.message.contains("USD") == true)
    }

    // MARK: Classifications

    static func answer(_ status: Int, _ errorID: Int) -> HTTPResponse {
        ScriptedTransport.json(status, #"{"errors":[{"errorId":\#(errorID),"domain":"ACCESS","category":"REQUEST","message":"m","longMessage":"l"}]}"#)
    }

    @Test("eBay's refusals: 1001 renews the token, 1100 insufficient_scope (77), 215120/215122 permission_denied (77), 2001 rate_limited (75) with a wait to Pacific midnight; invalid_grant stale_connection (77)")
    func classifications() throws {
        let now = Date(timeIntervalSince1970: 1_767_225_600)   // 2026-01-01T00:00:00Z = 2025-12-31 16:00 Pacific
        let c = { (r: HTTPResponse) in EbayClassifier.classify(r, service: .ebayFinances, now: now) }
        #expect(c(Self.answer(401, 1001))?.accessTokenRejected == true)
        #expect(c(Self.answer(403, 1100))?.classification == .insufficientScope)
        #expect(c(Self.answer(403, 1100))?.exitCode == 77)
        for id in [215120, 215122] {
            #expect(c(Self.answer(403, id))?.classification == .permissionDenied)
            #expect(c(Self.answer(403, id))?.exitCode == 77)
            #expect(c(Self.answer(403, id)).map { Runbook.of($0).fix } == "lmb ebay connect --new-key")
        }
        let quota = try #require(c(Self.answer(429, 2001)))
        #expect(quota.classification == .rateLimited && quota.exitCode == 75 && quota.code == "2001")
        #expect(abs((quota.retryAfter ?? 0) - 8 * 3600) < 1, "to midnight, Pacific time")
        #expect(Runbook.of(quota).steps.joined().contains("retrying soon does not help"))
        #expect(c(HTTPResponse(status: 204, headers: [:], body: Data())) == nil)
        let grant = EbayTokenRequests.classify(ScriptedTransport.json(400, #"{"error":"invalid_grant","error_description":"the provided authorization refresh token is invalid or was issued to another client"}"#))
        #expect(grant?.classification == .staleConnection && grant?.exitCode == 77 && grant?.code == "invalid_grant")
        #expect(Runbook.of(try #require(grant)).fix == "lmb ebay connect")
    }

    @Test("the daily quota is not waited out: one call, refused with 75, the reset time from the Developer Analytics API")
    func quotaNotRetried() async throws {
        let world = try EbayFixture.world(transactions: nil)
        world.transport.on("GET", "/sell/finances/v1/payout", Self.answer(429, 2001))
        world.transport.on("GET", "/developer/analytics/v1_beta/user_rate_limit",
                           ScriptedTransport.json(200, #"{"rateLimits":[{"apiContext":"sell","apiName":"Finances","resources":[{"name":"sell.finances","rates":[{"count":15000,"limit":15000,"remaining":0,"reset":"2026-01-02T08:00:00.000Z","timeWindow":86400}]}]}]}"#))
        let report = try await EbayFixture.fetch(world)
        #expect(report.exitStatus == .temporary)
        #expect(report.results.first?.classification == "rate_limited")
        #expect(report.results.first?.runbook.joined().contains("2026-01-02T08:00:00Z") == true, "\(report.results.first?.runbook ?? [])")
        #expect(world.transport.requests("GET", "/sell/finances/v1/payout").count == 1)
    }

    @Test("the consent redirect: the code read when state matches; a wrong state or an error refused")
    func consentRedirect() throws {
        let ok = try #require(URL(string: "https://lmb.example/ebay/accepted?state=s1&code=v%5E1.1%23abc&expires_in=299"))
        #expect(try EbayConnectFlow.code(fromRedirect: ok, expectedState: "s1") == "v^1.1#abc")
        #expect(throws: RemoteFailure.self) { try EbayConnectFlow.code(fromRedirect: ok, expectedState: "s2") }
        let denied = try #require(URL(string: "https://lmb.example/ebay/declined?state=s1&error=access_denied"))
        #expect { try EbayConnectFlow.code(fromRedirect: denied, expectedState: "s1") } throws: { ($0 as? RemoteFailure)?.exitCode == 77 }
        let endpoints = try EbayEndpoints.resolve(environment: [:])
        #expect(endpoints.finances.absoluteString == "https://apiz.ebay.com/sell/finances/v1")
        #expect(endpoints.token.absoluteString == "https://api.ebay.com/identity/v1/oauth2/token")
        let consent = endpoints.consentURL(clientID: "app", ruName: "My_RuName", state: "s1").absoluteString
        #expect(consent.hasPrefix("https://auth.ebay.com/oauth2/authorize?client_id=app&redirect_uri=My_RuName&response_type=code&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope%2Fsell.finances&state=s1"))
        #expect(EbaySites.normalise("uk") == "EBAY_GB" && EbaySites.mustSign("EBAY_DE") && !EbaySites.mustSign("EBAY_US"))
    }

    @Test("the document: amounts as eBay writes them (\"2.0\", unpadded) to exact minor units; the payout row negated; a fee in another currency refused")
    func document() throws {
        let payout = EbayClient.Payout(id: "1", date: nil, amount: "2.0", currency: "GBP", transactionCount: 1, status: "SUCCEEDED")
        let t = EbayClient.Transaction(id: "t", type: "SALE", bookingEntry: "CREDIT", amount: "2.0", currency: "GBP", date: nil, orderID: nil,
                                       feeType: nil, memo: nil, totalFeeAmount: nil, fees: [EbayClient.Fee(type: "AD_FEE", value: "0.1", currency: "GBP")])
        let text = try EbayPayoutDocument.render(payout: payout, transactions: [t], site: "EBAY_GB")
        #expect(text.contains("\"eBay site: EBAY_GB\""))
        #expect(text.contains("\"fee: AD_FEE\""))
        #expect(text.contains("\"2.00\"") && text.contains("\"-0.10\"") && text.contains("\"-2.00\""), "\(text)")
        var foreign = t
        foreign.fees = [EbayClient.Fee(type: "FINAL_VALUE_FEE", value: "0.1", currency: "USD")]
        #expect(throws: RemoteFailure.self) { try EbayPayoutDocument.render(payout: payout, transactions: [foreign], site: "EBAY_GB") }
    }
}
