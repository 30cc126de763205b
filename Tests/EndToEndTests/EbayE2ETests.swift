import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import XeroSandbox

/// eBay's transaction report, built as the facts doc describes it: preamble lines, the header, `--` for empty.
enum EbayE2E {
    static let columns = ["Transaction creation date", "Type", "Order number", "Legacy order ID", "Buyer username", "Buyer name", "Ship to city",
                          "Ship to province/region/state", "Ship to zip", "Ship to country", "Net amount", "Payout currency", "Payout date",
                          "Payout ID", "Payout method", "Payout status", "Reason for hold", "Item ID", "Transaction ID", "Item title",
                          "Custom label", "Quantity", "Item subtotal", "Shipping and handling", "Seller collected tax", "eBay collected tax",
                          "Final Value Fee - fixed", "Final Value Fee - variable", "Regulatory operating fee", "Very high fee",
                          "Below standard performance fee", "International fee", "Charity donation", "Deposit processing fee",
                          "Gross transaction amount", "Transaction currency", "Exchange rate", "Reference ID", "Description"]

    static func row(_ values: [String: String]) -> String {
        columns.map { c in
            let v = values[c] ?? "--"
            return v.contains(",") ? "\"\(v)\"" : v
        }.joined(separator: ",")
    }

    /// One payout of a sale with fees, a Promoted Listings fee, a refund, a shipping label and a transfer in, and its
    /// payout row; one sale not yet paid out. `payout` is the payout row's net (−4.42 adds up).
    static func report(payout: String = "-4.42") -> String {
        func r(_ type: String, _ net: String, _ extra: [String: String] = [:]) -> String {
            row(["Transaction creation date": "Oct 2, 2026", "Type": type, "Net amount": net, "Payout currency": "GBP", "Payout date": "Oct 5, 2026",
                 "Payout ID": "6000123456", "Payout status": "Paid", "Transaction currency": "GBP"].merging(extra) { $1 })
        }
        return [
            "\"Transaction report\"", "\"Oct 1, 2026 - Oct 31, 2026\"", "\"Seller: e2e-seller\"", "",
            columns.joined(separator: ","),
            r("Order", "17.12", ["Order number": "12-34567-89012", "Item subtotal": "20.00", "Final Value Fee - fixed": "-0.30",
                                 "Final Value Fee - variable": "-2.58", "Gross transaction amount": "20.00"]),
            r("Other fee", "-1.50", ["Description": "Promoted Listings - General fee"]),
            r("Refund", "-10.00", ["Order number": "12-34567-89000", "Final Value Fee - variable": "1.29"]),
            r("Shipping label", "-3.20", ["Description": "Shipping label"]),
            r("Transfer", "2.00", ["Description": "Transfer from your bank account"]),
            r("Payout", payout, ["Description": "Payout"]),
            row(["Transaction creation date": "Oct 20, 2026", "Type": "Order", "Net amount": "9.00", "Payout currency": "GBP", "Payout ID": "--"]),
        ].joined(separator: "\n") + "\n"
    }
}

extension EndToEnd {
    @Suite("eBay — the built binary reads eBay's transaction report")
    struct EbayE2ETests {
        @Test("a transaction report imports one settlement per payout (EBAY-<id>, contact eBay UK): the sale's fees on their own lines, the ad fee, refund, label and transfer mapped, the lines adding up to the payout")
        func importReport() async throws {
            let home = try E2E.newHome()
            let path = home + "/ebay-report.csv"
            try EbayE2E.report().write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await E2E.run(["import", path], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await E2E.column("SELECT id || ' ' || total_minor || ' ' || currency || ' ' || marketplace FROM settlement", home: home)
                    == ["EBAY-6000123456 442 GBP eBay UK"])
            let preview = try await E2E.run(["preview", "EBAY-6000123456", "--json"], home: home)
            #expect(preview.status == 0, "\(preview.stderr)")
            let text = try await E2E.run(["preview", "EBAY-6000123456"], home: home)
            #expect(text.stdout.contains("contact eBay UK"), "\(text.stdout)")
            #expect(text.stdout.contains("EBAY-6000123456"))
            #expect(!text.stdout.contains("needs mapping") && !text.stderr.contains("needs mapping"), "\(text.stdout)\(text.stderr)")
            let groups = try await E2E.column("SELECT transaction_type || '/' || amount_description || '=' || amount_minor FROM settlement_group ORDER BY 1", home: home)
            #expect(groups == ["NON_SALE_CHARGE/Promoted Listings - General fee=-150", "REFUND/FINAL_VALUE_FEE=129", "REFUND/Gross=-1129",
                               "SALE/FINAL_VALUE_FEE=-258", "SALE/FINAL_VALUE_FEE_FIXED_PER_ORDER=-30", "SALE/Gross=2000",
                               "SHIPPING_LABEL/Shipping label=-320", "TRANSFER/Transfer from your bank account=200"], "\(groups)")
        }

        @Test("a report whose rows do not add up to its payout row is refused (65) and nothing is stored")
        func doesNotAddUp() async throws {
            let home = try E2E.newHome()
            let path = home + "/ebay-report.csv"
            try EbayE2E.report(payout: "-4.40").write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await E2E.run(["import", path], home: home)
            #expect(r.status == 65)
            #expect(r.stderr.contains("does not add up"), "\(r.stderr)")
        }
    }
}

/// The eBay side of a sandbox home: the app's keyset read from the emulator, payouts posted to it as JSON, the seller's
/// consent played by following the consent address and pasting where it redirects, and the emulator's request log.
enum EbayAPI {
    /// The payout of `EbayE2E.report()` as the Finances API holds it: a sale of 20.00 less its final value fees
    /// (eBay-collected tax of 4.00 beside it, not in the payout), a Promoted Listings fee, a refund of 11.29 less the fee
    /// credited back, a shipping label and a transfer in: 4.42.
    static func mixed(id: String) -> [String: Any] {
        func gbp(_ v: String) -> [String: Any] { ["value": v, "currency": "GBP"] }
        return ["payoutId": id, "currency": "GBP", "transactions": [
            ["transactionType": "SALE", "bookingEntry": "CREDIT", "orderId": "12-34567-89012", "totalFeeBasisAmount": gbp("20.0"),
             "ebayCollectedTaxAmount": gbp("4.0"),
             "orderLineItems": [["lineItemId": "1", "feeBasisAmount": gbp("24.0"), "marketplaceFees": [
                 ["feeType": "FINAL_VALUE_FEE_FIXED_PER_ORDER", "amount": gbp("0.3")], ["feeType": "FINAL_VALUE_FEE", "amount": gbp("2.58")]]]]],
            ["transactionType": "NON_SALE_CHARGE", "bookingEntry": "DEBIT", "feeType": "AD_FEE", "amount": gbp("1.5")],
            ["transactionType": "REFUND", "bookingEntry": "DEBIT", "orderId": "12-34567-89000", "amount": gbp("10.0"), "totalFeeBasisAmount": gbp("11.29"),
             "orderLineItems": [["lineItemId": "2", "marketplaceFees": [["feeType": "FINAL_VALUE_FEE", "amount": gbp("1.29")]]]]],
            ["transactionType": "SHIPPING_LABEL", "bookingEntry": "DEBIT", "amount": gbp("3.2")],
            ["transactionType": "TRANSFER", "bookingEntry": "CREDIT", "amount": gbp("2.0"), "transactionMemo": "TRANSFER_FROM"],
        ] as [[String: Any]]]
    }

    /// A payout of `sales` sales of 10.00 less a 1.00 final value fee.
    static func sales(id: String, sales: Int) -> [String: Any] {
        ["payoutId": id, "currency": "GBP", "transactions": (0..<sales).map { _ in
            ["transactionType": "SALE", "bookingEntry": "CREDIT", "totalFeeBasisAmount": ["value": "10.0", "currency": "GBP"],
             "orderLineItems": [["marketplaceFees": [["feeType": "FINAL_VALUE_FEE", "amount": ["value": "1.0", "currency": "GBP"]]]]]] as [String: Any]
        }]
    }

    struct Requests {
        var all: [[String: Any]]
        var finances: [[String: Any]] { all.filter { ($0["path"] as? String)?.hasPrefix("/sell/finances/") == true } }
        var tokens: Int { all.filter { $0["path"] as? String == "/identity/v1/oauth2/token" }.count }
        var count: Int { all.count }
    }
}

extension SandboxHome {
    var ebayEnv: [String: String] { env.merging(["LMB_EBAY_BASE_URL": sandbox.baseURL]) { $1 } }

    func ebayConfig() async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: sandbox.baseURL + "/_sandbox/ebay/config")!)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func ebay(_ args: [String], _ extra: [String: String] = [:]) async throws -> LMBRun {
        try await run(args, environment: ebayEnv.merging(extra) { $1 })
    }

    /// `lmb ebay connect --no-browser`: the consent address followed as a browser would, the redirect pasted.
    @discardableResult
    func ebayConnect(site: String = "EBAY_GB", extra: [String] = [], expect status: Int32 = 0) async throws -> LMBRun {
        let config = try await ebayConfig()
        let id = try #require(config["client_id"] as? String), ruName = try #require(config["ru_name"] as? String)
        let secret = try #require(config["client_secret"] as? String)
        let p = try LMBProcess(["ebay", "connect", "--client-id", id, "--ru-name", ruName, "--site", site, "--no-browser"] + extra, home: home,
                               environment: ebayEnv.merging(["LMB_EBAY_CLIENT_SECRET": secret]) { $1 })
        let url = try await p.waitForStderr("http://127\\.0\\.0\\.1:\\d+/oauth2/authorize\\S+")
        let location = try #require(try await rawGet(url).location)
        if status == 0 { #expect(location.hasPrefix("https://lmb.example/ebay/accepted?"), "\(location)") }
        p.write(location)
        let r = try await p.finish()
        #expect(r.status == status, "\(r.stderr)")
        return r
    }

    @discardableResult
    func postEbayPayouts(_ payouts: [[String: Any]], marketplace: String = "EBAY_GB") async throws -> [String] {
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/ebay/payouts")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: ["marketplaceId": marketplace, "payouts": payouts])
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["ids"] as? [String]) ?? []
    }

    func ebayRequests() async throws -> EbayAPI.Requests {
        EbayAPI.Requests(all: ((try await state()["ebay"] as? [String: Any])?["requests"] as? [[String: Any]]) ?? [])
    }

    /// What lmb holds that must never be printed: the client secret, the refresh token, the signing key and its JWE.
    func ebaySecrets() async throws -> [String] {
        let stored = try await E2E.column("SELECT secrets FROM channel_account WHERE kind = 'ebay'", home: home)
        var out = [try #require(try await ebayConfig()["client_secret"] as? String)]
        for text in stored {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
            out += object.values
        }
        return out
    }

    func expectNoEbaySecret(in runs: [LMBRun]) async throws {
        let secrets = try await ebaySecrets()
        #expect(secrets.count >= 3)
        for r in runs {
            for text in [r.stdout, r.stderr] {
                for secret in secrets { #expect(!text.contains(secret)) }
                // eBay's tokens and codes all start v^1.1#: none, access tokens included, is ever shown.
                #expect(!text.contains("v^1.1#"), "\(text)")
            }
        }
    }
}

extension EndToEnd {
    @Suite("eBay API — the built binary against the eBay emulator")
    struct EbayAPIE2ETests {
        static func fetched(_ r: LMBRun) throws -> [[String: Any]] {
            try #require((try E2E.json(r.stdout) as? [String: Any])?["fetched"] as? [[String: Any]], "\(r.stdout)\(r.stderr)")
        }

        @Test("connect (code grant, pasted address, a signing key for EBAY_GB), fetch a payout of sales with fees, an ad fee, a refund, a label and a transfer, signed; send once as EBAY-<id> to eBay UK; a second fetch downloads nothing; no secret printed")
        func fetchSendOnce() async throws {
            let s = try await SandboxHome()
            #expect(try await s.connect().status == 0)
            #expect(try await s.postEbayPayouts([EbayAPI.mixed(id: "6000123456"), EbayAPI.sales(id: "6000123457", sales: 2)]) == ["6000123456", "6000123457"])
            let connect = try await s.ebayConnect()
            #expect(connect.stdout.contains("Connected eBay account ebay-gb"), "\(connect.stdout)")
            #expect(connect.stdout.contains("created now through the Key Management API"))
            let mark = try await s.ebayRequests().count
            let r = try await s.ebay(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["imported", "imported"])
            #expect(results.compactMap { $0["settlement"] as? String }.sorted() == ["EBAY-6000123456", "EBAY-6000123457"])
            #expect(results.allSatisfy { $0["classification"] as? String == "ok" }, "\(results)")
            let requests = Array(try await s.ebayRequests().all.dropFirst(mark))
            let finances = requests.filter { ($0["path"] as? String)?.hasPrefix("/sell/finances/") == true }
            print("eBay fetch of 2 payouts: \(requests.count) requests (\(finances.count) Finances calls, \(requests.count - finances.count) token)")
            #expect(finances.count == 3)   // one getPayouts page, one getTransactions page per payout
            #expect(requests.count == 4)   // and one refresh grant
            #expect(finances.allSatisfy { $0["signature_verified"] as? Bool == true && $0["marketplace"] as? String == "EBAY_GB" }, "\(finances)")
            #expect(try await E2E.column("SELECT id || ' ' || total_minor || ' ' || marketplace FROM settlement ORDER BY id", home: s.home)
                    == ["EBAY-6000123456 442 eBay UK", "EBAY-6000123457 1800 eBay UK"])
            // The same lines as the transaction report by hand: the gross rebuilt, each fee on its own line, tax kept out.
            let groups = try await E2E.column("SELECT transaction_type || '/' || amount_description || '=' || amount_minor FROM settlement_group WHERE settlement_id = 'EBAY-6000123456' ORDER BY 1", home: s.home)
            #expect(groups == ["NON_SALE_CHARGE/AD_FEE=-150", "REFUND/FINAL_VALUE_FEE=129", "REFUND/Gross=-1129",
                               "SALE/FINAL_VALUE_FEE=-258", "SALE/FINAL_VALUE_FEE_FIXED_PER_ORDER=-30", "SALE/Gross=2000",
                               "SHIPPING_LABEL/Net=-320", "TRANSFER/TRANSFER_FROM=200"], "\(groups)")
            let preview = try await s.ebay(["preview", "EBAY-6000123456"])
            #expect(!preview.stdout.contains("needs mapping") && preview.stdout.contains("contact eBay UK"), "\(preview.stdout)")

            let send = try await s.ebay(["send", "--all"])
            #expect(send.status == 0, "\(send.stderr)")
            let invoices = try await s.invoices()
            #expect(Set(invoices.compactMap { $0["InvoiceNumber"] as? String }) == ["EBAY-6000123456", "EBAY-6000123457"])
            #expect(invoices.allSatisfy { ($0["Contact"] as? [String: Any])?["Name"] as? String == "eBay UK" })

            let again = try await s.ebay(["fetch", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try Self.fetched(again).isEmpty)
            let resend = try await s.ebay(["send", "--all"])
            #expect(resend.status == 0)
            #expect(try await s.invoices().count == 2)

            let status = try await s.ebay(["ebay", "status"])
            #expect(status.stdout.contains("2 imported") && status.stdout.contains("Ed25519 key") && status.stdout.contains("days left"), "\(status.stdout)")
            let settlements = try await s.ebay(["settlements"])
            #expect(settlements.stdout.contains("EBAY-6000123456"))
            let diagnose = try await s.ebay(["diagnose", "--json"])
            for check in ["ebay_credentials", "ebay_token", "ebay_payouts", "ebay_scope", "ebay_signing_key", "ebay_refresh_age"] {
                #expect(diagnose.stdout.contains(check), "\(check): \(diagnose.stdout)")
            }
            let log = try await s.ebay(["log"])
            try await s.expectNoEbaySecret(in: [connect, r, again, send, resend, status, settlements, diagnose, log, preview])
        }

        @Test("paging: 250 payouts (getPayouts 200 at a time), the first of 250 transactions (getTransactions 200 at a time); each imported once; the request count")
        func paging() async throws {
            let s = try await SandboxHome()
            let payouts = [EbayAPI.sales(id: "7000000000", sales: 250)] + (1..<250).map { EbayAPI.sales(id: String(7_000_000_000 + $0), sales: 1) }
            #expect(try await s.postEbayPayouts(payouts, marketplace: "EBAY_US").count == 250)
            try await s.ebayConnect(site: "EBAY_US")
            let mark = try await s.ebayRequests().count
            let r = try await s.ebay(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.count == 250 && results.allSatisfy { $0["outcome"] as? String == "imported" })
            let requests = Array(try await s.ebayRequests().all.dropFirst(mark))
            let finances = requests.filter { ($0["path"] as? String)?.hasPrefix("/sell/finances/") == true }
            let pages = finances.filter { $0["path"] as? String == "/sell/finances/v1/payout" }.count
            print("eBay fetch of 250 payouts (one of 250 transactions): \(requests.count) requests = \(pages) getPayouts pages + \(finances.count - pages) getTransactions pages + \(requests.count - finances.count) token")
            #expect(pages == 2)
            #expect(finances.count == 2 + 249 + 2)
            #expect(requests.count == finances.count + 1)
            #expect(finances.allSatisfy { $0["status"] as? Int == 200 })
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 250)
            #expect(try await E2E.column("SELECT total_minor FROM settlement WHERE id = 'EBAY-7000000000'", home: s.home) == ["225000"])
            #expect(try await E2E.count("SELECT SUM(row_count) FROM settlement", home: s.home) == 250 + 249)
            // Each sale a gross line and a fee line.
            #expect(try await E2E.count("SELECT COUNT(*) FROM transaction_row", home: s.home) == 2 * (250 + 249))
        }

        struct Case: Sendable, CustomStringConvertible {
            var scenario: String
            var classification: String
            var exit: Int32
            var runbook: String
            var description: String { scenario }
        }

        static let cases: [Case] = [
            Case(scenario: "ebay-refresh-expired", classification: "stale_connection", exit: 77, runbook: "invalid_grant"),
            Case(scenario: "ebay-scope-missing", classification: "insufficient_scope", exit: 77, runbook: "sell.finances"),
            Case(scenario: "ebay-signature-missing", classification: "permission_denied", exit: 77, runbook: "--new-key"),
            Case(scenario: "ebay-quota", classification: "rate_limited", exit: 75, runbook: "the quota resets at"),
        ]

        @Test("each scenario: its classification, exit code and runbook; nothing imported; no secret printed", arguments: cases)
        func scenarios(c: Case) async throws {
            let s = try await SandboxHome()
            try await s.postEbayPayouts([EbayAPI.mixed(id: "6000200001")])
            try await s.ebayConnect()
            try await s.control("scenario", ["scenario": c.scenario])
            let mark = try await s.ebayRequests().finances.count
            let r = try await s.ebay(["fetch", "--json"])
            #expect(r.status == c.exit, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.count == 1)
            #expect(results.first?["classification"] as? String == c.classification, "\(results)")
            let runbook = (results.first?["runbook"] as? [String] ?? []).joined(separator: " ")
            #expect(runbook.contains(c.runbook), "\(runbook)")
            if c.scenario == "ebay-quota" {
                // A daily quota is not retried: one call, refused, then the answer's reset time.
                #expect(try await s.ebayRequests().finances.count == mark + 1)
            }
            let text = try await s.ebay(["fetch"])
            #expect(text.status == c.exit)
            #expect(text.stderr.contains("[\(c.classification)]"), "\(text.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 0)
            let diagnose = try await s.ebay(["diagnose", "--json"])
            #expect(diagnose.stdout.contains("ebay_"), "\(diagnose.stdout)")
            try await s.expectNoEbaySecret(in: [r, text, diagnose])
        }

        @Test("a new signing key: --new-key replaces the stored one and fetches verify with it")
        func newKey() async throws {
            let s = try await SandboxHome()
            try await s.postEbayPayouts([EbayAPI.mixed(id: "6000300001")])
            try await s.ebayConnect()
            let first = try await E2E.column("SELECT json_extract(settings, '$.signingKeyId') FROM channel_account", home: s.home)
            let again = try await s.ebayConnect(extra: ["--new-key"])
            #expect(again.stdout.contains("Renewed the authorisation"), "\(again.stdout)")
            let second = try await E2E.column("SELECT json_extract(settings, '$.signingKeyId') FROM channel_account", home: s.home)
            #expect(first != second && second.count == 1)
            let r = try await s.ebay(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.ebayRequests().finances.allSatisfy { $0["signature_verified"] as? Bool == true })
        }

        @Test("kill -9 at random points during a fetch of 20 payouts, then a fetch: every settlement once, whole, with its payout record")
        func killNine() async throws {
            let s = try await SandboxHome()
            let ids = (0..<20).map { String(6_000_400_000 + $0) }
            try await s.postEbayPayouts(ids.map { EbayAPI.sales(id: $0, sales: 30) })
            try await s.ebayConnect()
            var rng = SeededGenerator("kill -9 during an eBay fetch")
            var afterKills: [Int] = []
            var landed = 0
            for _ in 0..<6 {
                let done = try await s.ebayRequests().finances.filter { $0["path"] as? String == "/sell/finances/v1/transaction" }.count
                let target = done + Int.random(in: 1...3, using: &rng)
                let p = try LMBProcess(["fetch", "--quiet"], home: s.home, environment: s.ebayEnv)
                if try await E2E.sigkill(p, when: "\(target) payouts' transactions downloaded", {
                    try await s.ebayRequests().finances.filter { $0["path"] as? String == "/sell/finances/v1/transaction" }.count >= target
                }) { landed += 1 }
                afterKills.append(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home))
            }
            print("kill -9 during an eBay fetch: settlements stored after each kill: \(afterKills)")
            #expect(landed > 0 && afterKills.contains { $0 < 20 }, "no kill landed before the fetch had finished: \(afterKills)")
            let final = try await s.ebay(["fetch"])
            #expect(final.status == 0, "\(final.stderr)")
            #expect(Set(try await E2E.column("SELECT id FROM settlement", home: s.home)) == Set(ids.map { "EBAY-\($0)" }))
            // Whole: 30 sales, each its gross and its fee line.
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement s WHERE s.row_count != 30 OR (SELECT COUNT(*) FROM transaction_row t WHERE t.settlement_id = s.id) != 60", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement s WHERE NOT EXISTS (SELECT 1 FROM channel_payout p WHERE p.settlement_id = s.id AND p.outcome = 'imported')", home: s.home) == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM channel_payout WHERE kind = 'ebay'", home: s.home) == 20)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: s.home).filter { $0.hasPrefix(".fetch-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
        }

        @Test("connect refuses a tampered state and a missing client secret (78), and a declined consent (77); nothing is stored")
        func connectRefusals() async throws {
            let s = try await SandboxHome()
            let config = try await s.ebayConfig()
            let id = try #require(config["client_id"] as? String), ruName = try #require(config["ru_name"] as? String)
            let missing = try await s.ebay(["ebay", "connect", "--client-id", id, "--ru-name", ruName])
            #expect(missing.status == 78)
            #expect(missing.stderr.contains("LMB_EBAY_CLIENT_SECRET"), "\(missing.stderr)")
            let onLine = try await s.ebay(["ebay", "connect", "--client-id", id, "--ru-name", ruName, "--client-secret", "x"])
            #expect(onLine.status == 64)
            let secret = try #require(config["client_secret"] as? String)
            let p = try LMBProcess(["ebay", "connect", "--client-id", id, "--ru-name", ruName, "--no-browser"], home: s.home,
                                   environment: s.ebayEnv.merging(["LMB_EBAY_CLIENT_SECRET": secret]) { $1 })
            let url = try await p.waitForStderr("http://127\\.0\\.0\\.1:\\d+/oauth2/authorize\\S+")
            let location = try #require(try await rawGet(url).location)
            p.write(location.replacingOccurrences(of: "state=", with: "state=x"))
            let tampered = try await p.finish()
            #expect(tampered.status == 78)
            #expect(tampered.stderr.contains("state"), "\(tampered.stderr)")
            try await s.control("ebay/config", ["deny_consent": true])
            let declined = try await s.ebayConnect(expect: 77)
            #expect(declined.stderr.contains("access_denied"), "\(declined.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM channel_account", home: s.home) == 0)
            for r in [missing, tampered, declined] { #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret)) }
        }
    }
}
