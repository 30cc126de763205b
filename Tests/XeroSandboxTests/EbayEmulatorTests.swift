import Foundation
import Testing
@testable import XeroSandbox

/// Talking to the sandbox's eBay side as lmb's eBay client would: consent, the token service, Key Management, then
/// signed Finances calls.
extension SandboxFixture {
    static let ebayFinancesScope = "https://api.ebay.com/oauth/api_scope/sell.finances"
    static let ebayPublicScope = "https://api.ebay.com/oauth/api_scope"

    func ebayConfig() async throws -> [String: Any] { try await send("GET", "/_sandbox/ebay/config").object }

    @discardableResult
    func configureEbay(_ object: [String: Any]) async throws -> Reply {
        let r = try await send("POST", "/_sandbox/ebay/config", body: try JSONSerialization.data(withJSONObject: object))
        #expect(r.status == 200, "\(r.text)")
        return r
    }

    func ebayState() async throws -> [String: Any] { try await state()["ebay"] as? [String: Any] ?? [:] }

    /// The form body and Basic header of a token request, as eBay's token service wants them.
    func ebayTokenRequest(_ fields: [String: String], secret: String? = nil) async throws -> Reply {
        let config = try await ebayConfig()
        let id = config["client_id"] as? String ?? ""
        return try await form("/identity/v1/oauth2/token", fields, basic: (id, secret ?? config["client_secret"] as? String ?? ""))
    }

    /// Consent through the authorize redirect: the code from the accept URL.
    func ebayConsent(scopes: [String] = [SandboxFixture.ebayFinancesScope], state: String = "st-1") async throws -> String {
        let config = try await ebayConfig()
        var c = URLComponents()
        c.queryItems = [URLQueryItem(name: "client_id", value: config["client_id"] as? String),
                        URLQueryItem(name: "redirect_uri", value: config["ru_name"] as? String),
                        URLQueryItem(name: "response_type", value: "code"),
                        URLQueryItem(name: "scope", value: scopes.joined(separator: " ")),
                        URLQueryItem(name: "state", value: state)]
        let r = try await send("GET", "/oauth2/authorize?" + (c.percentEncodedQuery ?? ""))
        #expect(r.status == 302, "\(r.text)")
        let location = try #require(r.header("Location"))
        #expect(location.hasPrefix("https://lmb.example/ebay/accepted?"))
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(items.first { $0.name == "state" }?.value == state)
        return try #require(items.first { $0.name == "code" }?.value)
    }

    /// A User token (and its refresh token) with the given scopes.
    func ebayUserTokens(scopes: [String] = [SandboxFixture.ebayFinancesScope]) async throws -> (access: String, refresh: String) {
        let code = try await ebayConsent(scopes: scopes)
        let config = try await ebayConfig()
        let r = try await ebayTokenRequest(["grant_type": "authorization_code", "code": code,
                                            "redirect_uri": config["ru_name"] as? String ?? ""])
        #expect(r.status == 200, "\(r.text)")
        return (try #require(r.object["access_token"] as? String), try #require(r.object["refresh_token"] as? String))
    }

    func ebayAppToken() async throws -> String {
        let r = try await ebayTokenRequest(["grant_type": "client_credentials", "scope": Self.ebayPublicScope])
        #expect(r.status == 200, "\(r.text)")
        return try #require(r.object["access_token"] as? String)
    }

    func ebayGet(_ pathAndQuery: String, token: String, headers: [String: String] = [:]) async throws -> Reply {
        var h = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
        h.merge(headers) { $1 }
        return try await send("GET", pathAndQuery, headers: h)
    }

    func importEbay(_ payouts: Any) async throws -> Reply {
        try await send("POST", "/_sandbox/ebay/payouts", headers: ["Content-Type": "application/json"],
                       body: try JSONSerialization.data(withJSONObject: payouts))
    }

    /// A signing key made through the Key Management API: its JWE and private key.
    func ebaySigningKey(cipher: String = "ED25519") async throws -> (jwe: String, privateKey: Data, id: String) {
        let app = try await ebayAppToken()
        let r = try await send("POST", "/developer/key_management/v1/signing_key",
                               headers: ["Authorization": "Bearer \(app)", "Content-Type": "application/json"],
                               body: Data(#"{"signingKeyCipher":"\#(cipher)"}"#.utf8))
        #expect(r.status == 200, "\(r.text)")
        let key = try #require(Data(base64Encoded: r.object["privateKey"] as? String ?? ""))
        return (try #require(r.object["jwe"] as? String), key, try #require(r.object["signingKeyId"] as? String))
    }

    var authority: String { "127.0.0.1:\(server.port)" }

    /// The headers that sign a body-less call, as eBay's digital-signature guide builds them.
    static func ebaySignature(method: String = "GET", path: String, authority: String, jwe: String, privateKey: Data,
                              cipher: String = "ED25519", created: Int = Int(Date().timeIntervalSince1970)) -> [String: String] {
        let params = #"("x-ebay-signature-key" "@method" "@path" "@authority");created=\#(created)"#
        let base = """
            "x-ebay-signature-key": \(jwe)
            "@method": \(method)
            "@path": \(path)
            "@authority": \(authority)
            "@signature-params": \(params)
            """
        let signature = cipher == "RSA" ? EbayCrypto.signRSA(privateKeyDER: privateKey, message: Data(base.utf8))
            : EbayCrypto.signEd25519(privateKeyDER: privateKey, message: Data(base.utf8))
        return ["x-ebay-signature-key": jwe, "Signature-Input": "sig1=" + params,
                "Signature": "sig1=:\(signature?.base64EncodedString() ?? ""):"]
    }

    static func amount(_ value: String, _ currency: String = "GBP") -> [String: Any] { ["value": value, "currency": currency] }

    /// A payout whose lines add up the way eBay's do: a sale net of its fees, an ad fee, a refund net of the fees
    /// credited back, a dispute and its release, a shipping label, and a transfer that covers a charge.
    static func mixedPayout(id: String = "5000200001", date: String = "2026-11-20T09:00:00.000Z") -> [String: Any] {
        [
            "payoutId": id, "payoutDate": date, "amount": amount("120.83"),
            "transactions": [
                ["transactionType": "SALE", "bookingEntry": "CREDIT", "orderId": "11-11111-11111",
                 "buyer": ["username": "buyer_one"], "totalFeeBasisAmount": amount("195.00"),
                 "ebayCollectedTaxAmount": amount("19.50"),
                 "orderLineItems": [["lineItemId": "10001", "feeBasisAmount": amount("214.50"),
                                     "marketplaceFees": [["feeType": "FINAL_VALUE_FEE", "amount": amount("25.35")],
                                                         ["feeType": "FINAL_VALUE_FEE_FIXED_PER_ORDER", "amount": amount("0.30")],
                                                         ["feeType": "REGULATORY_OPERATING_FEE", "amount": amount("0.70")]]]]],
                ["transactionType": "NON_SALE_CHARGE", "bookingEntry": "DEBIT", "feeType": "AD_FEE", "amount": amount("9.75"),
                 "references": [["referenceId": "11-11111-11111", "referenceType": "ORDER_ID"]]],
                ["transactionType": "REFUND", "bookingEntry": "DEBIT", "orderId": "11-11111-11110",
                 "totalFeeBasisAmount": amount("40.00"), "totalFeeAmount": amount("5.20"), "amount": amount("34.80")],
                ["transactionType": "DISPUTE", "bookingEntry": "DEBIT", "amount": amount("20.00"), "transactionMemo": "DISPUTE_HOLD-1"],
                ["transactionType": "CREDIT", "bookingEntry": "CREDIT", "amount": amount("20.00"), "transactionMemo": "DISPUTE_HOLD_REVERSE-1",
                 "references": [["referenceId": "5001", "referenceType": "CASE_ID"]]],
                ["transactionType": "SHIPPING_LABEL", "bookingEntry": "DEBIT", "amount": amount("3.27")],
                ["transactionType": "NON_SALE_CHARGE", "bookingEntry": "DEBIT", "feeType": "INSERTION_FEE", "amount": amount("2.00")],
                ["transactionType": "TRANSFER", "bookingEntry": "CREDIT", "amount": amount("2.00"), "transactionMemo": "TRANSFER_FROM"],
            ],
        ]
    }
    // 195.00 − 26.35 = 168.65 for the sale; 168.65 − 9.75 − 34.80 − 20.00 + 20.00 − 3.27 − 2.00 + 2.00 = 120.83.
}

extension SandboxEngine {
    func advanceEbayClockForTests(_ seconds: TimeInterval) { clockOffset += seconds }
    func ebayAppForTests() -> (clientID: String, clientSecret: String, ruName: String) {
        (ebay.options.clientID, ebay.options.clientSecret, ebay.options.ruName)
    }
    func addEbayKeyForTests(_ key: EbaySigningKey) { ebay.signingKeys.append(key) }
    func ebaySignatureFailureForTests(_ r: SandboxRequest) -> String? { ebaySignatureFailure(r)?.problem }
}

/// One in-process request (for the 401s: URLSession on Linux can hang on them).
func ebayInProcess(_ engine: SandboxEngine, _ method: String, _ path: String, query: String = "", headers: [String: String] = [:],
                   body: Data = Data()) async -> (status: Int, object: [String: Any], body: Data) {
    let action = await engine.handle(SandboxRequest(method: method, path: path, rawQuery: query, headers: headers, body: body))
    guard case .respond(let r) = action else { return (0, [:], Data()) }
    return (r.status, (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:], r.body)
}

func ebayErrorID(_ object: [String: Any]) -> Int? { (object["errors"] as? [[String: Any]])?.first?["errorId"] as? Int }

@Suite("eBay emulator")
struct EbayEmulatorTests {
    @Test("consent redirects to the accept URL with state and an eBay-style code; the code grant gives a 2 h User token and an 18-month refresh token, once")
    func codeGrant() async throws {
        let f = try await SandboxFixture()
        let code = try await f.ebayConsent()
        #expect(code.hasPrefix("v^1.1#"), "eBay's codes hold ^ and #, which the client must encode")
        let ruName = try await f.ebayConfig()["ru_name"] as? String ?? ""
        let r = try await f.ebayTokenRequest(["grant_type": "authorization_code", "code": code, "redirect_uri": ruName])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.object["token_type"] as? String == "User Access Token")
        #expect(r.object["expires_in"] as? Int == 7200)
        #expect(r.object["refresh_token_expires_in"] as? Int == 47_304_000)
        #expect((r.object["access_token"] as? String)?.hasPrefix("v^1.1#") == true)
        #expect(r.object["refresh_token"] is String)
        let again = try await f.ebayTokenRequest(["grant_type": "authorization_code", "code": code, "redirect_uri": ruName])
        #expect(again.status == 400)
        #expect(again.object["error"] as? String == "invalid_grant")
        // The code is bound to the RuName it was asked with.
        let other = try await f.ebayConsent()
        let wrongRedirect = try await f.ebayTokenRequest(["grant_type": "authorization_code", "code": other,
                                                          "redirect_uri": "https://lmb.example/callback"])
        #expect(wrongRedirect.object["error"] as? String == "invalid_grant")
        // The consent page itself refuses a redirect_uri that is not the app's RuName, and unknown scopes.
        let config = try await f.ebayConfig()
        let badRu = try await f.send("GET", "/oauth2/authorize?client_id=\(config["client_id"] as? String ?? "")&redirect_uri=https%3A%2F%2Fx.example&response_type=code&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope%2Fsell.finances")
        #expect(badRu.status == 400)
        let badScope = try await f.send("GET", "/oauth2/authorize?client_id=\(config["client_id"] as? String ?? "")&redirect_uri=\(ruName)&response_type=code&scope=openid&state=z")
        #expect(badScope.status == 302)
        #expect(badScope.header("Location")?.contains("error=invalid_scope") == true)
        // The control shortcut gives a code the grant accepts.
        let shortcut = try await f.control("ebay/authorize", ["scopes": [SandboxFixture.ebayFinancesScope]])
        let shortCode = try #require(shortcut.object["code"] as? String)
        let viaShortcut = try await f.ebayTokenRequest(["grant_type": "authorization_code", "code": shortCode, "redirect_uri": ruName])
        #expect(viaShortcut.status == 200)
    }

    @Test("a wrong client secret is 401 invalid_client; an unknown or expired access token is 401 errorId 1001 (in process)")
    func unauthorised() async throws {
        let engine = SandboxEngine()
        let wrong = "Basic " + Data("SandboxS-lmb-PRD-0a1b2c3d4-e5f6a7b8:nope".utf8).base64EncodedString()
        let grant = await ebayInProcess(engine, "POST", "/identity/v1/oauth2/token",
                                        headers: ["authorization": wrong, "content-type": "application/x-www-form-urlencoded"],
                                        body: Data("grant_type=client_credentials&scope=https%3A%2F%2Fapi.ebay.com%2Foauth%2Fapi_scope".utf8))
        #expect(grant.status == 401)
        #expect(grant.object["error"] as? String == "invalid_client")
        let unknown = await ebayInProcess(engine, "GET", "/sell/finances/v1/payout", headers: ["authorization": "Bearer v^1.1#nothing"])
        #expect(unknown.status == 401)
        #expect(ebayErrorID(unknown.object) == 1001)
        let error = (unknown.object["errors"] as? [[String: Any]])?.first
        #expect(error?["domain"] as? String == "OAuth")
        #expect(error?["message"] as? String == "Invalid access token")
        // A real token dies after two hours of sandbox clock.
        let config = await engine.ebayAppForTests()
        let code = await engine.issueEbayAuthCode(scopes: [SandboxFixture.ebayFinancesScope], redirectURI: config.ruName)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let basic = "Basic " + Data("\(config.clientID):\(config.clientSecret)".utf8).base64EncodedString()
        let issued = await ebayInProcess(engine, "POST", "/identity/v1/oauth2/token",
                                         headers: ["authorization": basic, "content-type": "application/x-www-form-urlencoded"],
                                         body: Data("grant_type=authorization_code&code=\(code.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")&redirect_uri=\(config.ruName)".utf8))
        let token = try #require(issued.object["access_token"] as? String)
        let fresh = await ebayInProcess(engine, "GET", "/sell/finances/v1/payout", headers: ["authorization": "Bearer \(token)"])
        #expect(fresh.status == 204)
        await engine.advanceEbayClockForTests(7200)
        let expired = await ebayInProcess(engine, "GET", "/sell/finances/v1/payout", headers: ["authorization": "Bearer \(token)"])
        #expect(expired.status == 401)
        #expect(ebayErrorID(expired.object) == 1001)
    }

    @Test("refresh: a new 2 h token with no new refresh token; a narrower scope is fine, a wider one invalid_scope; dead after 18 months")
    func refresh() async throws {
        let f = try await SandboxFixture()
        let tokens = try await f.ebayUserTokens(scopes: [SandboxFixture.ebayFinancesScope, SandboxFixture.ebayPublicScope])
        let r = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh,
                                              "scope": SandboxFixture.ebayFinancesScope])
        #expect(r.status == 200, "\(r.text)")
        #expect(r.object["refresh_token"] == nil)
        #expect(r.object["token_type"] as? String == "User Access Token")
        #expect(r.object["expires_in"] as? Int == 7200)
        let access = try #require(r.object["access_token"] as? String)
        #expect(access != tokens.access)
        #expect(try await f.ebayGet("/sell/finances/v1/payout", token: access).status == 204)
        let wider = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh,
                                                  "scope": SandboxFixture.ebayFinancesScope + " https://api.ebay.com/oauth/api_scope/sell.account"])
        #expect(wider.status == 400)
        #expect(wider.object["error"] as? String == "invalid_scope")
        let noScope = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh])
        #expect(noScope.status == 200)
        let bogus = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": "v^1.1#bogus"])
        #expect(bogus.status == 400)
        #expect(bogus.object["error"] as? String == "invalid_grant")
        #expect((bogus.object["error_description"] as? String)?.contains("refresh token") == true)
        // Still good the day before 18 months are up, dead the day after.
        try await f.advance(47_304_000 - 86400)
        #expect(try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh]).status == 200)
        try await f.advance(2 * 86400)
        let dead = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh])
        #expect(dead.status == 400)
        #expect(dead.object["error"] as? String == "invalid_grant")
    }

    @Test("payout import: lines add up with fees, ad fees, a refund, a dispute and its release, a label and a transfer; amounts unpadded, positive, signed by bookingEntry")
    func importAndShapes() async throws {
        let f = try await SandboxFixture()
        let imported = try await f.importEbay([SandboxFixture.mixedPayout()])
        #expect(imported.status == 200, "\(imported.text)")
        #expect(imported.object["ids"] as? [String] == ["5000200001"])
        let token = try await f.ebayUserTokens().access
        let payout = try await f.ebayGet("/sell/finances/v1/payout/5000200001", token: token)
        #expect(payout.status == 200)
        #expect(path(payout.object, "amount", "value") as? String == "120.83")
        #expect(payout.object["payoutStatus"] as? String == "SUCCEEDED")
        #expect(payout.object["payoutStatusDescription"] as? String == "Funds sent")
        #expect(payout.object["transactionCount"] as? Int == 8)
        #expect(payout.object["payoutDate"] as? String == "2026-11-20T09:00:00.000Z")
        let r = try await f.ebayGet("/sell/finances/v1/transaction?filter=payoutId:%7B5000200001%7D&limit=50", token: token)
        #expect(r.status == 200, "\(r.text)")
        let rows = try #require(r.object["transactions"] as? [[String: Any]])
        #expect(rows.count == 8)
        var sum = Decimal(0)
        for row in rows {
            let value = try #require(path(row, "amount", "value") as? String)
            #expect(!value.hasPrefix("-"), "eBay's amounts are positive")
            let d = try #require(Decimal(string: value))
            sum += row["bookingEntry"] as? String == "DEBIT" ? -d : d
        }
        #expect(sum == Decimal(string: "120.83"))
        let sale = try #require(rows.first { $0["transactionType"] as? String == "SALE" })
        #expect(path(sale, "amount", "value") as? String == "168.65")
        #expect(path(sale, "totalFeeBasisAmount", "value") as? String == "195.0", "values are not padded")
        #expect(path(sale, "totalFeeAmount", "value") as? String == "26.35")
        #expect(path(sale, "ebayCollectedTaxAmount", "value") as? String == "19.5")
        #expect(sale["eBayCollectedTaxAmount"] == nil, "the wire spelling, not the spec's")
        #expect(sale["salesRecordReference"] as? String == "0")
        #expect(sale["transactionStatus"] as? String == "PAYOUT")
        #expect(sale["payoutId"] as? String == "5000200001")
        let fees = (sale["orderLineItems"] as? [[String: Any]])?.first?["marketplaceFees"] as? [[String: Any]]
        #expect(fees?.compactMap { $0["feeType"] as? String } == ["FINAL_VALUE_FEE", "FINAL_VALUE_FEE_FIXED_PER_ORDER", "REGULATORY_OPERATING_FEE"])
        let ad = try #require(rows.first { $0["feeType"] as? String == "AD_FEE" })
        #expect(ad["transactionType"] as? String == "NON_SALE_CHARGE")
        #expect(ad["bookingEntry"] as? String == "DEBIT")
        let refund = try #require(rows.first { $0["transactionType"] as? String == "REFUND" })
        #expect(path(refund, "amount", "value") as? String == "34.8")
        // Newest first.
        let dates = rows.compactMap { $0["transactionDate"] as? String }
        #expect(dates == dates.sorted(by: >))
        // total comes after the list in the JSON, as in eBay's answers.
        let text = r.text
        let list = try #require(text.range(of: "\"transactions\""))
        let total = try #require(text.range(of: "\"total\":8"))
        #expect(list.lowerBound < total.lowerBound)
        #expect(r.object["next"] == nil)
        #expect(r.object["prev"] == nil)
    }

    @Test("payouts that do not add up are refused with a message, and nothing of the batch is stored")
    func importRefusals() async throws {
        let f = try await SandboxFixture()
        var wrongTotal = SandboxFixture.mixedPayout(id: "5000300001")
        wrongTotal["amount"] = SandboxFixture.amount("120.84")
        let good = SandboxFixture.mixedPayout(id: "5000300002")
        let r = try await f.importEbay([good, wrongTotal])
        #expect(r.status == 400)
        let message = r.object["error"] as? String ?? ""
        #expect(message.contains("5000300001") && message.contains("120.83") && message.contains("120.84"), "\(message)")
        #expect((try await f.ebayState()["payouts"] as? [Any])?.isEmpty == true, "all or nothing")

        func refused(_ transaction: [String: Any], _ fragment: String) async throws {
            let reply = try await f.importEbay([["payoutId": "5000300003", "transactions": [transaction]]])
            #expect(reply.status == 400, "\(reply.text)")
            #expect((reply.object["error"] as? String)?.contains(fragment) == true, "\(reply.text)")
        }
        try await refused(["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("-5.00")], "no sign")
        try await refused(["transactionType": "SALE", "amount": SandboxFixture.amount("5.00")], "bookingEntry")
        try await refused(["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("90.00"),
                           "totalFeeBasisAmount": SandboxFixture.amount("100.00"),
                           "orderLineItems": [["marketplaceFees": [["feeType": "FINAL_VALUE_FEE", "amount": SandboxFixture.amount("12.00")]]]]],
                          "net of its fees")
        try await refused(["transactionType": "NON_SALE_CHARGE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("5.00")], "feeType")
        try await refused(["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": ["value": 5, "currency": "GBP"]], "string")
        try await refused(["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("5.001")], "two places")
        // A payout must come to more than zero.
        try await refused(["transactionType": "SHIPPING_LABEL", "bookingEntry": "DEBIT", "amount": SandboxFixture.amount("5.00")], "more than zero")
        // A SALE's amount may be left out: the basis less the fees.
        let derived = try await f.importEbay([["payoutId": "5000300004", "transactions": [
            ["transactionType": "SALE", "bookingEntry": "CREDIT", "totalFeeBasisAmount": SandboxFixture.amount("100.00", "USD"),
             "orderLineItems": [["marketplaceFees": [["feeType": "FINAL_VALUE_FEE", "amount": SandboxFixture.amount("13.25", "USD")]]]]],
        ]]])
        #expect(derived.status == 200, "\(derived.text)")
        #expect(path((derived.object["payouts"] as? [[String: Any]])?.first, "amount", "value") as? String == "86.75")
        let duplicate = try await f.importEbay([["payoutId": "5000300004", "transactions": [
            ["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("1.00", "USD")]]]])
        #expect(duplicate.status == 400)
        #expect(try await f.send("POST", "/_sandbox/reset").status == 200)
        #expect((try await f.ebayState()["payouts"] as? [Any])?.isEmpty == true)
    }

    @Test("250 transactions of one payout page by limit/offset with next links and total; 204 with no body when none")
    func transactionPaging() async throws {
        let f = try await SandboxFixture()
        let rows: [[String: Any]] = (0..<250).map { i in
            ["transactionType": "SALE", "bookingEntry": "CREDIT", "orderId": String(format: "20-%05d-00001", i),
             "transactionDate": String(format: "2026-11-01T%02d:%02d:00.000Z", i / 60, i % 60),
             "totalFeeBasisAmount": SandboxFixture.amount("10.00", "USD"), "totalFeeAmount": SandboxFixture.amount("1.33", "USD")]
        }
        let imported = try await f.importEbay([["payoutId": "5000400001", "payoutDate": "2026-11-02T08:00:00.000Z", "transactions": rows]])
        #expect(imported.status == 200, "\(imported.text)")
        let token = try await f.ebayUserTokens().access
        var next: String? = "/sell/finances/v1/transaction?filter=payoutId%3A%7B5000400001%7D&limit=100"
        var pages: [Int] = []
        var seen: [String] = []
        var sum = Decimal(0)
        while let url = next, pages.count < 10 {
            let r = try await f.ebayGet(url, token: token)
            #expect(r.status == 200, "\(r.text)")
            let list = r.object["transactions"] as? [[String: Any]] ?? []
            pages.append(list.count)
            seen += list.compactMap { $0["orderId"] as? String }
            sum += list.compactMap { Decimal(string: path($0, "amount", "value") as? String ?? "") }.reduce(0, +)
            #expect(r.object["total"] as? Int == 250)
            #expect(r.object["limit"] as? Int == 100)
            next = (r.object["next"] as? String).map { $0.replacingOccurrences(of: f.base, with: "") }
        }
        #expect(pages == [100, 100, 50])
        #expect(Set(seen).count == 250)
        #expect(seen.first == "20-00249-00001", "newest first")
        #expect(sum == Decimal(string: "2167.50"))
        // eBay's older text: with a payoutId filter the limit is ignored, and pages hold 20.
        try await f.configureEbay(["ignore_limit_with_id_filter": true])
        let ignored = try await f.ebayGet("/sell/finances/v1/transaction?filter=payoutId:%7B5000400001%7D&limit=200&offset=240", token: token)
        #expect(ignored.object["limit"] as? Int == 20)
        #expect((ignored.object["transactions"] as? [Any])?.count == 10)
        #expect(ignored.object["prev"] is String)
        // None: 204 and not even an empty object.
        let none = try await f.ebayGet("/sell/finances/v1/transaction?filter=payoutId:%7B5999999999%7D", token: token)
        #expect(none.status == 204)
        #expect(none.body.isEmpty)
        let past = try await f.ebayGet("/sell/finances/v1/transaction?filter=payoutId:%7B5000400001%7D&offset=250", token: token)
        #expect(past.status == 204)
        let tooMany = try await f.ebayGet("/sell/finances/v1/transaction?limit=1001", token: token)
        #expect(tooMany.status == 400)
        #expect(ebayErrorID(tooMany.object) == 135003)
    }

    @Test("getPayouts: payoutStatus and payoutDate filters (one parameter or several), sort, limit/offset, 204 when none, 404 135001")
    func payoutFilters() async throws {
        let f = try await SandboxFixture()
        let payouts: [[String: Any]] = (0..<25).map { i in
            ["payoutId": String(5_000_500_000 + i), "payoutDate": String(format: "2025-10-%02dT06:00:00.000Z", i + 1),
             "transactions": [["transactionType": "SALE", "bookingEntry": "CREDIT", "amount": SandboxFixture.amount("\(i + 1).50", "EUR")]]]
        }
        #expect(try await f.importEbay(["marketplaceId": "EBAY_US", "payouts": payouts]).status == 200)
        let token = try await f.ebayUserTokens().access
        let base = "/sell/finances/v1/payout?"
        let range = "payoutDate:%5B2025-10-01T00:00:00.000Z..2025-10-31T23:59:59.999Z%5D"
        // Comma-joined in one filter, ascending, paged by 10.
        var ids: [String] = []
        var counts: [Int] = []
        var offset = 0
        repeat {
            let r = try await f.ebayGet(base + "filter=payoutStatus:%7BSUCCEEDED%7D,\(range)&sort=payoutDate&limit=10&offset=\(offset)", token: token)
            #expect(r.status == 200, "\(r.text)")
            let list = r.object["payouts"] as? [[String: Any]] ?? []
            counts.append(list.count)
            ids += list.compactMap { $0["payoutId"] as? String }
            #expect(r.object["total"] as? Int == 25)
            #expect((r.object["next"] != nil) == (offset + 10 < 25))
            offset += 10
        } while offset < 25
        #expect(counts == [10, 10, 5])
        #expect(ids == (0..<25).map { String(5_000_500_000 + $0) })
        // The same as repeated filter parameters, newest first.
        let desc = try await f.ebayGet(base + "filter=payoutStatus:%7BSUCCEEDED%7D&filter=\(range)&sort=-payoutDate&limit=3", token: token)
        #expect((desc.object["payouts"] as? [[String: Any]])?.compactMap { $0["payoutId"] as? String } == ["5000500024", "5000500023", "5000500022"])
        let first = (desc.object["payouts"] as? [[String: Any]])?.first
        #expect(path(first, "amount", "value") as? String == "25.5")
        #expect(path(first, "amount", "currency") as? String == "EUR")
        #expect(path(first, "payoutInstrument", "instrumentType") as? String == "BANK")
        // A narrower range; an open one runs 90 days from its start.
        let week = try await f.ebayGet(base + "filter=payoutDate:%5B2025-10-05T00:00:00.000Z..2025-10-11T23:59:59.000Z%5D", token: token)
        #expect((week.object["payouts"] as? [Any])?.count == 7)
        let open = try await f.ebayGet(base + "filter=payoutDate:%5B2025-10-20T00:00:00.000Z..%5D&limit=200", token: token)
        #expect((open.object["payouts"] as? [Any])?.count == 6)
        // Other statuses: none here, so 204.
        #expect(try await f.ebayGet(base + "filter=payoutStatus:%7BINITIATED%7D", token: token).status == 204)
        // Errors.
        let noMillis = try await f.ebayGet(base + "filter=payoutDate:%5B2025-10-01T00:00:00Z..2025-10-02T00:00:00Z%5D", token: token)
        #expect(noMillis.status == 400)
        #expect(ebayErrorID(noMillis.object) == 135004)
        #expect(ebayErrorID(try await f.ebayGet(base + "filter=payoutStatus:%7BPAID%7D", token: token).object) == 135002)
        #expect(ebayErrorID(try await f.ebayGet(base + "filter=payoutStatus:%7BSUCCEEDED%7CINITIATED%7D", token: token).object) == 135002)
        #expect(ebayErrorID(try await f.ebayGet(base + "limit=201", token: token).object) == 135003)
        #expect(ebayErrorID(try await f.ebayGet(base + "offset=-1", token: token).object) == 135003)
        #expect(ebayErrorID(try await f.ebayGet(base + "sort=amount", token: token).object) == 135005)
        let missing = try await f.ebayGet("/sell/finances/v1/payout/5999999999", token: token)
        #expect(missing.status == 404)
        #expect(ebayErrorID(missing.object) == 135001)
        // With no date filter: the last 90 days of sandbox clock, which these are not in (they are more than 90 days old).
        #expect(try await f.ebayGet(base + "filter=payoutStatus:%7BSUCCEEDED%7D", token: token).status == 204)
        try await f.configureEbay(["empty_payouts_answer": "list"])
        let listed = try await f.ebayGet(base + "filter=payoutStatus:%7BSUCCEEDED%7D", token: token)
        #expect(listed.status == 200)
        #expect((listed.object["payouts"] as? [Any])?.isEmpty == true)
        #expect(listed.object["total"] as? Int == 0)
        // getTransactions filters: by type, and a transactionId needs a type.
        let sales = try await f.ebayGet("/sell/finances/v1/transaction?filter=transactionType:%7BSALE%7D,transactionDate:%5B2025-09-01T00:00:00.000Z..2025-11-30T00:00:00.000Z%5D&limit=100", token: token)
        #expect(sales.object["total"] as? Int == 25)
        let byID = try await f.ebayGet("/sell/finances/v1/transaction?filter=transactionId:%7B1%7D", token: token)
        #expect(ebayErrorID(byID.object) == 135009)
        #expect(ebayErrorID(try await f.ebayGet("/sell/finances/v1/transaction?filter=transactionType:%7BORDER%7D", token: token).object) == 135006)
        #expect(ebayErrorID(try await f.ebayGet("/sell/finances/v1/transaction?filter=transactionStatus:%7BPAID%7D", token: token).object) == 135007)
        let summary = try await f.ebayGet("/sell/finances/v1/payout_summary?filter=\(range)", token: token)
        #expect(summary.object["payoutCount"] as? Int == 25)
        #expect(try await f.ebayGet("/sell/finances/v1/seller_funds_summary", token: token).status == 204)
        #expect(ebayErrorID(try await f.ebayGet("/sell/finances/v1/transfer/TR1", token: token).object) == 135012)
        #expect(path(summary.object, "amount", "value") as? String == "337.5")
    }

    @Test("an EU/UK seller's Finances calls must be signed with a Key Management key: verified with Ed25519 and RSA; missing, tampered or unknown refused 215120/215122")
    func signing() async throws {
        let f = try await SandboxFixture()
        var gb = SandboxFixture.mixedPayout(id: "5000600001")
        gb["marketplaceId"] = "EBAY_GB"
        let imported = try await f.importEbay([gb])
        #expect(imported.object["signing_required"] as? Bool == true)
        let token = try await f.ebayUserTokens().access
        let path = "/sell/finances/v1/payout"
        let unsigned = try await f.ebayGet(path, token: token, headers: ["X-EBAY-C-MARKETPLACE-ID": "EBAY_GB"])
        #expect(unsigned.status == 403)
        #expect(ebayErrorID(unsigned.object) == 215120)
        #expect((unsigned.object["errors"] as? [[String: Any]])?.first?["message"] as? String == "Signature validation failed")
        // Key Management wants an application token's scope: a User token with sell.finances only is refused.
        let denied = try await f.send("POST", "/developer/key_management/v1/signing_key",
                                      headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                                      body: Data(#"{"signingKeyCipher":"ED25519"}"#.utf8))
        #expect(denied.status == 403)
        #expect(ebayErrorID(denied.object) == 1100)
        let key = try await f.ebaySigningKey()
        let created = Int(Date().timeIntervalSince1970)
        let headers = SandboxFixture.ebaySignature(path: path, authority: f.authority, jwe: key.jwe, privateKey: key.privateKey, created: created)
        let signed = try await f.ebayGet(path + "?filter=payoutStatus:%7BSUCCEEDED%7D&filter=payoutDate:%5B2026-11-01T00:00:00.000Z..2026-11-30T00:00:00.000Z%5D",
                                         token: token, headers: headers.merging(["X-EBAY-C-MARKETPLACE-ID": "EBAY_GB"]) { $1 })
        #expect(signed.status == 200, "\(signed.text)")
        #expect((signed.object["payouts"] as? [Any])?.count == 1)
        // The same signature does not cover another path; a JWE eBay never issued is 215122; milliseconds are refused.
        let otherPath = try await f.ebayGet("/sell/finances/v1/transaction?filter=payoutId:%7B5000600001%7D", token: token, headers: headers)
        #expect(ebayErrorID(otherPath.object) == 215120)
        let foreign = SandboxFixture.ebaySignature(path: path, authority: f.authority, jwe: "eyJ6aXAiOiJERUYifQ.a.b.c.d", privateKey: key.privateKey)
        #expect(ebayErrorID(try await f.ebayGet(path, token: token, headers: foreign).object) == 215122)
        let millis = SandboxFixture.ebaySignature(path: path, authority: f.authority, jwe: key.jwe, privateKey: key.privateKey,
                                                  created: created * 1000)
        #expect(ebayErrorID(try await f.ebayGet(path, token: token, headers: millis).object) == 215120)
        var wrongAuthority = SandboxFixture.ebaySignature(path: path, authority: "apiz.ebay.com", jwe: key.jwe, privateKey: key.privateKey)
        #expect(ebayErrorID(try await f.ebayGet(path, token: token, headers: wrongAuthority).object) == 215120)
        wrongAuthority["Signature"] = headers["Signature"]?.replacingOccurrences(of: "sig1=", with: "sig2=")
        #expect(ebayErrorID(try await f.ebayGet(path, token: token, headers: wrongAuthority).object) == 215120)
        // With a clock-skew allowance set, a signature made an hour ago is stale.
        try await f.configureEbay(["signature_max_skew_seconds": 300])
        let stale = SandboxFixture.ebaySignature(path: path, authority: f.authority, jwe: key.jwe, privateKey: key.privateKey, created: created - 3600)
        #expect(ebayErrorID(try await f.ebayGet(path, token: token, headers: stale).object) == 215120)
        try await f.configureEbay(["signature_max_skew_seconds": NSNull()])
        // An RSA key (eBay's fallback cipher) verifies too.
        let rsa = try await f.ebaySigningKey(cipher: "RSA")
        let rsaHeaders = SandboxFixture.ebaySignature(path: "/sell/finances/v1/payout/5000600001", authority: f.authority, jwe: rsa.jwe,
                                                      privateKey: rsa.privateKey, cipher: "RSA")
        #expect(try await f.ebayGet("/sell/finances/v1/payout/5000600001", token: token, headers: rsaHeaders).status == 200)
        // The log says what was wrong; the answer only what eBay says.
        let requests = try await f.ebayState()["requests"] as? [[String: Any]] ?? []
        let finances = requests.filter { ($0["path"] as? String)?.hasPrefix("/sell/") == true }
        #expect(finances.compactMap { $0["signature_verified"] as? Bool } == [false, true, false, false, false, false, false, false, true])
        #expect(finances.first?["signature_problem"] as? String == "x-ebay-signature-key header missing")
        #expect(finances.first?["marketplace"] as? String == "EBAY_GB")
    }

    @Test("a US seller needs no signature; one sent anyway is checked for the log and otherwise ignored")
    func usSellerIgnoresSignature() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.importEbay([SandboxFixture.mixedPayout(id: "5000650001")]).object["signing_required"] as? Bool == false)
        let token = try await f.ebayUserTokens().access
        #expect(try await f.ebayGet("/sell/finances/v1/payout/5000650001", token: token).status == 200)
        let bad = ["x-ebay-signature-key": "x.y.z", "Signature-Input": "sig1=(\"@method\");created=1", "Signature": "sig1=:AAAA:"]
        #expect(try await f.ebayGet("/sell/finances/v1/payout/5000650001", token: token, headers: bad).status == 200)
        let requests = try await f.ebayState()["requests"] as? [[String: Any]] ?? []
        #expect(requests.last?["signature_verified"] as? Bool == false)
        // seller_marketplace makes the seller EU/UK without an import.
        try await f.configureEbay(["seller_marketplace": "EBAY_DE"])
        #expect(ebayErrorID(try await f.ebayGet("/sell/finances/v1/payout/5000650001", token: token).object) == 215120)
    }

    @Test("eBay's published test vector: the RFC 9421 Ed25519 key signs the README's request to the same signature, and the emulator's check accepts it")
    func knownAnswer() async throws {
        // The Ed25519 test key of RFC 9421 (B.1.4), which eBay's digital-signature guide also uses, and its example.
        let privateKey = try #require(Data(base64Encoded: "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF"))
        let publicKey = try #require(Data(base64Encoded: "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs="))
        let jwe = "eyJ6aXAiOiJERUYiLCJlbmMiOiJBMjU2R0NNIiwidGFnIjoiSGdLcjNSSWFlZll0Mkd4blBUUTEwUSIsImFsZyI6IkEyNTZHQ01LVyIsIml2IjoiQTVOQXFYUXlITkNIT01GVSJ9.z3JcS0vvxrYboqpySAq_Znww-3V6AllxmJP5JEMkuLY.K1f4MVMEc8ylbfSS.fASwJyMCk2tXZsNWk13IcuVgSWTOcynSdAoJrK4WApZANlxAP9J0qr0Jz_4aFldFDSZ5tfuxLGqzJmWU7CiZWwNjk2XoVy8q5ogMrFNFwFXP4SrX1XORhNLZPTyS5DEqLDPYn2NX944xendEwfcxxXsTSeNCUnmSyfitiscUC04GYOfn0UWQ2buSWx7Yod0IR2GtTGUsM9o3J-riuNDKhw.rRsWM1Sl_2stTnZLJkWVmQ"
        let params = #"("content-digest" "x-ebay-signature-key" "@method" "@path" "@authority");created=1659651955"#
        let digest = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        let expected = "uunxYrXKC8KaoupD5D1DKdmQmrOhz6b4Xbhb3o9d4x4xFIpg++XzEZztOyeOI59rMMjM3NIcFgxBH0c1ckpfBw=="
        let body = Data(#"{"hello": "world"}"#.utf8)
        #expect(EbayCrypto.digest(body, sha512: false).base64EncodedString() == "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=")
        let base = "\"content-digest\": \(digest)\n\"x-ebay-signature-key\": \(jwe)\n\"@method\": POST\n\"@path\": /verifysignature\n\"@authority\": localhost:8080\n\"@signature-params\": \(params)"
        #expect(EbayCrypto.signEd25519(privateKeyDER: privateKey, message: Data(base.utf8))?.base64EncodedString() == expected)
        #expect(EbayCrypto.verifyEd25519(publicKeyDER: publicKey, message: Data(base.utf8), signature: try #require(Data(base64Encoded: expected))))
        let engine = SandboxEngine()
        await engine.addEbayKeyForTests(EbaySigningKey(id: "test", cipher: "ED25519", publicKeyDER: publicKey, jwe: jwe,
                                                       creationTime: Date(), expirationTime: Date().addingTimeInterval(86400)))
        var headers = ["host": "localhost:8080", "content-digest": digest, "x-ebay-signature-key": jwe,
                       "signature-input": "sig1=" + params, "signature": "sig1=:\(expected):", "content-type": "application/json"]
        let request = SandboxRequest(method: "POST", path: "/verifysignature", headers: headers, body: body)
        #expect(await engine.ebaySignatureFailureForTests(request) == nil)
        // A changed body breaks the digest; a changed method the signature.
        let changed = SandboxRequest(method: "POST", path: "/verifysignature", headers: headers, body: Data(#"{"hello": "World"}"#.utf8))
        #expect(await engine.ebaySignatureFailureForTests(changed) == "Content-Digest does not match the body")
        headers["signature"] = "sig1=:\(expected.replacingOccurrences(of: "uunx", with: "uuny")):"
        #expect(await engine.ebaySignatureFailureForTests(SandboxRequest(method: "POST", path: "/verifysignature", headers: headers, body: body))
                == "the signature does not verify over the signature base")
    }

    @Test("Key Management: create answers the private key once; list and get never do; bad cipher 210001; unknown id 404 210002; keys last 3 years")
    func keyManagement() async throws {
        let f = try await SandboxFixture()
        let app = try await f.ebayAppToken()
        let auth = ["Authorization": "Bearer \(app)", "Content-Type": "application/json"]
        let created = try await f.send("POST", "/developer/key_management/v1/signing_key", headers: auth,
                                       body: Data(#"{"signingKeyCipher":"ED25519"}"#.utf8))
        #expect(created.status == 200)
        let id = try #require(created.object["signingKeyId"] as? String)
        #expect((created.object["privateKey"] as? String)?.hasPrefix("MC4CAQAwBQYDK2Vw") == true, "PKCS#8 DER, base64, no PEM armour")
        #expect((created.object["publicKey"] as? String)?.hasPrefix("MCowBQYDK2VwAyEA") == true)
        #expect((created.object["jwe"] as? String)?.split(separator: ".").count == 5)
        let start = try #require(created.object["creationTime"] as? Int)
        let end = try #require(created.object["expirationTime"] as? Int)
        #expect((end - start) / 86400 >= 365 * 3 && (end - start) / 86400 <= 365 * 3 + 1)
        #expect(start < 10_000_000_000, "seconds, not milliseconds")
        let list = try await f.send("GET", "/developer/key_management/v1/signing_key", headers: auth)
        let keys = try #require(list.object["signingKeys"] as? [[String: Any]])
        #expect(keys.count == 1)
        #expect(keys.first?["privateKey"] == nil)
        #expect(keys.first?["publicKey"] as? String == created.object["publicKey"] as? String)
        let one = try await f.send("GET", "/developer/key_management/v1/signing_key/\(id)", headers: auth)
        #expect(one.status == 200)
        #expect(one.object["privateKey"] == nil)
        let missing = try await f.send("GET", "/developer/key_management/v1/signing_key/nope", headers: auth)
        #expect(missing.status == 404)
        #expect(ebayErrorID(missing.object) == 210002)
        let badCipher = try await f.send("POST", "/developer/key_management/v1/signing_key", headers: auth,
                                         body: Data(#"{"signingKeyCipher":"ECDSA"}"#.utf8))
        #expect(ebayErrorID(badCipher.object) == 210001)
        // An application token cannot read finances: sell.finances is a User token scope.
        let finances = try await f.ebayGet("/sell/finances/v1/payout", token: app)
        #expect(finances.status == 403)
        #expect(ebayErrorID(finances.object) == 1100)
        let appFinances = try await f.ebayTokenRequest(["grant_type": "client_credentials", "scope": SandboxFixture.ebayFinancesScope])
        #expect(appFinances.object["error"] as? String == "invalid_scope")
    }

    @Test("scenarios: ebay-refresh-expired invalid_grant, ebay-scope-missing 1100, ebay-signature-missing 215120 even when signed, ebay-quota 429 2001; a daily limit resets at Pacific midnight")
    func scenarios() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.importEbay([SandboxFixture.mixedPayout(id: "5000700001")]).status == 200)
        let tokens = try await f.ebayUserTokens()
        let path = "/sell/finances/v1/payout/5000700001"

        try await f.scenario(.ebayRefreshExpired)
        let refresh = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh])
        #expect(refresh.status == 400)
        #expect(refresh.object["error"] as? String == "invalid_grant")

        try await f.scenario(.ebayScopeMissing)
        let scope = try await f.ebayGet(path, token: tokens.access)
        #expect(scope.status == 403)
        #expect(ebayErrorID(scope.object) == 1100)
        #expect((scope.object["errors"] as? [[String: Any]])?.first?["message"] as? String == "Access denied")

        try await f.scenario(.ebaySignatureMissing)
        let key = try await f.ebaySigningKey()
        let signed = SandboxFixture.ebaySignature(path: path, authority: f.authority, jwe: key.jwe, privateKey: key.privateKey)
        let signature = try await f.ebayGet(path, token: tokens.access, headers: signed)
        #expect(signature.status == 403)
        #expect(ebayErrorID(signature.object) == 215120)

        try await f.scenario(.ebayQuota)
        let quota = try await f.ebayGet(path, token: tokens.access)
        #expect(quota.status == 429)
        #expect(ebayErrorID(quota.object) == 2001)
        #expect((quota.object["errors"] as? [[String: Any]])?.first?["longMessage"] as? String == "The request limit has been reached for the resource.")

        try await f.scenario(.healthy)
        #expect(try await f.ebayGet(path, token: tokens.access).status == 200)

        // A real daily limit: the call after the last one allowed is 429 until midnight in Pacific time.
        #expect(try await f.freeze().status == 200)
        try await f.configureEbay(["finances_daily_limit": 3])
        let state = try await f.ebayState()
        let quotaState = try #require(state["quota"] as? [String: Any])
        let resetsAt = try #require((quotaState["resets_at"] as? String).flatMap(SandboxFixture.parseDate))
        var statuses: [Int] = []
        for _ in 0..<3 { statuses.append(try await f.ebayGet(path, token: tokens.access).status) }
        #expect(statuses == [200, 200, 429], "one call of the three was made before the limit was set")
        // The Developer Analytics API tells the same: nothing left until the reset.
        let app = try await f.ebayAppToken()
        let limits = try await f.ebayGet("/developer/analytics/v1_beta/rate_limit/?api_name=Finances", token: app)
        let resources = (limits.object["rateLimits"] as? [[String: Any]])?.first?["resources"] as? [[String: Any]]
        let rate = resources?.first?["rates"] as? [[String: Any]]
        #expect(rate?.first?["remaining"] as? Int == 0, "\(limits.text)")
        #expect(rate?.first?["limit"] as? Int == 3)
        #expect((rate?.first?["reset"] as? String).flatMap(SandboxFixture.parseDate) == resetsAt)
        let now = try await f.sandboxNow()
        try await f.advance(resetsAt.timeIntervalSince(now) + 1)
        let fresh = try await f.ebayTokenRequest(["grant_type": "refresh_token", "refresh_token": tokens.refresh])
        let access = try #require(fresh.object["access_token"] as? String)
        #expect(try await f.ebayGet(path, token: access).status == 200)
        var pacific = Calendar(identifier: .gregorian)
        pacific.timeZone = try #require(TimeZone(identifier: "America/Los_Angeles"))
        #expect(pacific.dateComponents([.hour, .minute], from: resetsAt) == DateComponents(hour: 0, minute: 0))
    }

    @Test("the state shows payouts, keys, token fingerprints and requests, but never a token, a code or a key")
    func stateHasNoSecrets() async throws {
        let f = try await SandboxFixture()
        #expect(try await f.importEbay([SandboxFixture.mixedPayout(id: "5000800001")]).status == 200)
        let tokens = try await f.ebayUserTokens()
        let key = try await f.ebaySigningKey()
        _ = try await f.ebayGet("/sell/finances/v1/payout/5000800001", token: tokens.access)
        let text = try await f.send("GET", "/_sandbox/state").text
        for secret in [tokens.access, tokens.refresh, key.privateKey.base64EncodedString(), key.jwe] {
            #expect(!text.contains(secret))
            #expect(!text.contains(secret.replacingOccurrences(of: "/", with: "\\/")))
        }
        let state = try await f.ebayState()
        #expect((state["payouts"] as? [[String: Any]])?.first?["payoutId"] as? String == "5000800001")
        #expect((state["signing_keys"] as? [[String: Any]])?.first?["signingKeyId"] as? String == key.id)
        let issued = state["tokens"] as? [[String: Any]] ?? []
        #expect(issued.compactMap { $0["kind"] as? String } == ["refresh", "access (user)", "access (application)"])
        #expect(issued.allSatisfy { ($0["fingerprint"] as? String)?.count == 12 })
        let requests = state["requests"] as? [[String: Any]] ?? []
        #expect(requests.map { "\($0["method"] ?? "") \($0["path"] ?? "") \($0["status"] ?? "")" } == [
            "GET /oauth2/authorize 302", "POST /identity/v1/oauth2/token 200", "POST /identity/v1/oauth2/token 200",
            "POST /developer/key_management/v1/signing_key 200", "GET /sell/finances/v1/payout/5000800001 200",
        ])
    }
}
