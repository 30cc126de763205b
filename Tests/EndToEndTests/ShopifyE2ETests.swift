import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

/// The Shopify side of a sandbox home: payouts posted to the emulator as a transactions export, the shop's token in
/// the environment (never on a command line), and the emulator's request log.
enum ShopifyE2E {
    static let legacyToken = "shpat_sandboxlegacy00000000000000000"
    static let clientID = "sandbox-shopify-client-id"
    static let clientSecret = "shpss_sandbox-shopify-client-secret"
    static let header18 = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency,VAT"
    static let header16 = "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency"

    /// A date `days` ago (UTC), inside the first fetch's 90 days.
    static func day(_ days: Int) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date().addingTimeInterval(-Double(days) * 86_400))
    }

    /// `count` payouts (ids from `firstID`), each of `charges` charges of 10.00 less a 0.59 fee, plus one refund of
    /// 3.45 and a chargeback of 10.00 with a 15.00 fee in the first, and the export's own payout rows.
    static func export(payouts count: Int, charges: Int = 2, firstID: Int = 700_000_001, daysAgo: Int = 10) -> String {
        var lines = [header18]
        for p in 0..<count {
            let id = firstID + p
            let payoutDate = day(daysAgo)
            var net = 0
            for c in 0..<charges {
                lines.append("\(day(daysAgo + 2)) 10:\(String(format: "%02d", c % 60)):00 -0400,charge,#\(1000 + c),visa,online,paid,\(payoutDate),\(id),\(payoutDate),10.00,0.59,9.41,#1234,card,10.00,USD,USD,")
                net += 941
            }
            if p == 0 {
                lines.append("\(day(daysAgo + 2)) 11:00:00 -0400,refund,#0999,visa,online,paid,\(payoutDate),\(id),\(payoutDate),-3.45,0.00,-3.45,#1233,card,3.45,USD,USD,")
                lines.append("\(day(daysAgo + 2)) 12:00:00 -0400,dispute,#0998,master,online,paid,\(payoutDate),\(id),\(payoutDate),-10.00,15.00,-25.00,,,10.00,USD,USD,")
                net -= 345 + 2500
            }
            let out = (net > 0 ? "-" : "") + String(format: "%d.%02d", abs(net) / 100, abs(net) % 100)   // the payout leaving: −net
            lines.append("\(payoutDate) 02:00:00 -0400,payout,,,,paid,\(payoutDate),\(id),\(payoutDate),\(out),0.00,\(out),,,,,USD,")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    struct Requests {
        var all: [[String: Any]]
        var graphQL: [[String: Any]] { all.filter { ($0["path"] as? String)?.hasSuffix("graphql.json") == true } }
        var grants: Int { all.filter { $0["path"] as? String == "/admin/oauth/access_token" }.count }
    }
}

extension SandboxHome {
    var shopifyEnv: [String: String] {
        env.merging(["LMB_SHOPIFY_BASE_URL": sandbox.baseURL, "LMB_SHOPIFY_ACCESS_TOKEN": ShopifyE2E.legacyToken]) { $1 }
    }

    func shop(_ args: [String], _ extra: [String: String] = [:]) async throws -> LMBRun {
        try await run(args, environment: shopifyEnv.merging(extra) { $1 })
    }

    @discardableResult
    func shopifyConnect(_ extra: [String] = [], env: [String: String] = [:]) async throws -> LMBRun {
        let r = try await shop(["shopify", "connect", "--shop", "e2e-shop.myshopify.com"] + extra, env)
        #expect(r.status == 0, "\(r.stderr)")
        return r
    }

    @discardableResult
    func postShopifyExport(_ csv: String) async throws -> [String] {
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/shopify/payouts")!)
        request.httpMethod = "POST"
        request.httpBody = Data(csv.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["ids"] as? [String]) ?? []
    }

    func shopifyRequests() async throws -> ShopifyE2E.Requests {
        ShopifyE2E.Requests(all: ((try await state()["shopify"] as? [String: Any])?["requests"] as? [[String: Any]]) ?? [])
    }

    /// The tokens the emulator issued, and the secrets lmb was given.
    func shopifySecrets() async throws -> [String] {
        (((try await state()["shopify"] as? [String: Any])?["access_tokens"] as? [String]) ?? []) + [ShopifyE2E.legacyToken, ShopifyE2E.clientSecret]
    }
}

extension EndToEnd {
    @Suite("Shopify Payments — the built binary against the Shopify emulator")
    struct ShopifyE2ETests {
        static func fetched(_ r: LMBRun) throws -> [[String: Any]] {
            try #require((try E2E.json(r.stdout) as? [String: Any])?["fetched"] as? [[String: Any]], "\(r.stdout)\(r.stderr)")
        }

        @Test("connect, fetch two payouts, send each once as SHP-<id> to contact Shopify Payments; a second fetch downloads nothing; no token in any output")
        func fetchSendOnce() async throws {
            let s = try await SandboxHome()
            #expect(try await s.connect().status == 0)
            let ids = try await s.postShopifyExport(ShopifyE2E.export(payouts: 2))
            #expect(ids == ["700000001", "700000002"])
            let connect = try await s.shopifyConnect()
            #expect(connect.stdout.contains("Connected Shopify shop e2e-shop"))
            let mark = try await s.shopifyRequests().graphQL.count
            let r = try await s.shop(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.map { $0["outcome"] as? String } == ["imported", "imported"])
            #expect(results.compactMap { $0["settlement"] as? String } == ["SHP-700000001", "SHP-700000002"])
            #expect(results.allSatisfy { $0["classification"] as? String == "ok" }, "\(results)")
            let first = Array(try await s.shopifyRequests().graphQL.dropFirst(mark))
            print("Shopify fetch of 2 payouts: \(first.count) GraphQL requests")
            #expect(first.count == 3)   // one payouts page, one balanceTransactions page per payout
            // 2 × 10.00 − 2 × 0.59 − 3.45 − 10.00 − 15.00 = −9.63: a bill; the second 18.82: an invoice.
            #expect(try await E2E.column("SELECT total_minor FROM settlement ORDER BY id", home: s.home) == ["-963", "1882"])
            #expect(try await E2E.count("SELECT COUNT(*) FROM channel_payout WHERE outcome = 'imported'", home: s.home) == 2)

            let send = try await s.shop(["send", "--all"])
            #expect(send.status == 0, "\(send.stderr)")
            let invoices = try await s.invoices()
            let numbers = Set(invoices.compactMap { $0["InvoiceNumber"] as? String })
            #expect(numbers == ["SHP-700000001", "SHP-700000002"])
            #expect(invoices.allSatisfy { ($0["Contact"] as? [String: Any])?["Name"] as? String == "Shopify Payments" })
            #expect(invoices.first { $0["InvoiceNumber"] as? String == "SHP-700000001" }?["Type"] as? String == "ACCPAY")

            let again = try await s.shop(["fetch", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try Self.fetched(again).isEmpty)
            let resend = try await s.shop(["send", "--all"])
            #expect(resend.status == 0)
            #expect(try await s.invoices().count == 2)

            let status = try await s.shop(["shopify", "status"])
            #expect(status.stdout.contains("2 imported"), "\(status.stdout)")
            for secret in try await s.shopifySecrets() {
                for text in [connect.stdout, connect.stderr, r.stdout, r.stderr, again.stdout, again.stderr, send.stdout, send.stderr,
                             status.stdout, status.stderr] {
                    #expect(!text.contains(secret))
                }
            }
        }

        @Test("250 payouts page through the payouts connection 100 at a time (3 pages) and import once each")
        func twoHundredFifty() async throws {
            let s = try await SandboxHome()
            try await s.postShopifyExport(ShopifyE2E.export(payouts: 250, charges: 1, firstID: 800_000_001))
            try await s.shopifyConnect()
            let mark = try await s.shopifyRequests().graphQL.count
            let r = try await s.shop(["fetch", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.count == 250 && results.allSatisfy { $0["outcome"] as? String == "imported" })
            #expect(Set(results.compactMap { $0["settlement"] as? String }).count == 250)
            let requests = Array(try await s.shopifyRequests().graphQL.dropFirst(mark))
            print("Shopify fetch of 250 payouts: \(requests.count) GraphQL requests; \(r.stderr.split(separator: "\n").last ?? "")")
            #expect(requests.count == 3 + 250)
            #expect(requests.allSatisfy { $0["status"] as? Int == 200 && $0["error_code"] == nil })
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 250)
        }

        @Test("10 payouts of 250 transactions: the GraphQL cost of the fetch, paced within the bucket (no THROTTLED)")
        func cost() async throws {
            let s = try await SandboxHome()
            try await s.postShopifyExport(ShopifyE2E.export(payouts: 10, charges: 250, firstID: 900_000_001))
            try await s.shopifyConnect()
            let mark = try await s.shopifyRequests().graphQL.count
            let r = try await s.shop(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            let requests = Array(try await s.shopifyRequests().graphQL.dropFirst(mark))
            let costLine = r.stderr.split(separator: "\n").first { $0.contains("GraphQL queries, cost") } ?? ""
            print("Shopify fetch of 10 payouts × 250 transactions: \(requests.count) GraphQL requests; \(costLine)")
            #expect(requests.allSatisfy { $0["error_code"] == nil })
            #expect(costLine.contains("\(requests.count) GraphQL queries"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 10)
            #expect(try await E2E.count("SELECT SUM(row_count) FROM settlement", home: s.home) == 10 * 250 + 2)
        }

        @Test("client credentials: a 24-hour token asked for once per run through the token manager; the client secret never printed")
        func clientCredentials() async throws {
            let s = try await SandboxHome()
            try await s.postShopifyExport(ShopifyE2E.export(payouts: 1))
            let env = ["LMB_SHOPIFY_ACCESS_TOKEN": "", "LMB_SHOPIFY_CLIENT_SECRET": ShopifyE2E.clientSecret]
            let c = try await s.shopifyConnect(["--client-id", ShopifyE2E.clientID], env: env)
            let grants = try await s.shopifyRequests().grants
            let r = try await s.shop(["fetch"], env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.shopifyRequests().grants == grants + 1)
            let bad = try await s.shop(["shopify", "connect", "--shop", "other.myshopify.com", "--client-id", ShopifyE2E.clientID],
                                       env.merging(["LMB_SHOPIFY_CLIENT_SECRET": "shpss_wrong-secret-e2e"]) { $1 })
            #expect(bad.status == 78)
            #expect(bad.stderr.contains("lmb shopify secret"))
            for secret in try await s.shopifySecrets() + ["shpss_wrong-secret-e2e"] {
                for text in [c.stdout, c.stderr, r.stdout, r.stderr, bad.stdout, bad.stderr] { #expect(!text.contains(secret)) }
            }
        }

        struct Case: Sendable, CustomStringConvertible {
            var scenario: String
            var classification: String
            var exit: Int32
            var runbook: String
            var description: String { scenario }
        }

        static let cases: [Case] = [
            Case(scenario: "shopify-token-revoked", classification: "stale_connection", exit: 77, runbook: "Develop apps"),
            Case(scenario: "shopify-scope-missing", classification: "insufficient_scope", exit: 77, runbook: "read_shopify_payments_payouts"),
            Case(scenario: "shopify-throttled", classification: "rate_limited", exit: 75, runbook: "query-cost bucket"),
            Case(scenario: "shopify-shop-locked", classification: "permission_denied", exit: 77, runbook: "423 Locked"),
            Case(scenario: "shopify-shop-frozen", classification: "permission_denied", exit: 77, runbook: "Settings → Billing"),
        ]

        @Test("each scenario: its classification, exit code and runbook; nothing imported; no token printed", arguments: cases)
        func scenarios(c: Case) async throws {
            let s = try await SandboxHome()
            try await s.postShopifyExport(ShopifyE2E.export(payouts: 1))
            try await s.shopifyConnect()
            try await s.control("scenario", ["scenario": c.scenario])
            let r = try await s.shop(["fetch", "--json"])
            #expect(r.status == c.exit, "\(r.stderr)")
            let results = try Self.fetched(r)
            #expect(results.count == 1)
            #expect(results.first?["classification"] as? String == c.classification)
            let runbook = (results.first?["runbook"] as? [String] ?? []).joined(separator: " ")
            #expect(runbook.contains(c.runbook), "\(runbook)")
            let text = try await s.shop(["fetch"])
            #expect(text.status == c.exit)
            #expect(text.stderr.contains("[\(c.classification)]"), "\(text.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 0)
            for secret in try await s.shopifySecrets() {
                for out in [r.stdout, r.stderr, text.stdout, text.stderr] { #expect(!out.contains(secret)) }
            }
            let diagnose = try await s.shop(["diagnose", "--json"])
            #expect(diagnose.stdout.contains("shopify_"), "\(diagnose.stdout)")
        }

        @Test("by hand: an 18-column export imports one settlement per Payout ID, a 16-column one per Payout Date; pending rows wait; a payout that does not add up is refused (65)")
        func importByHand() async throws {
            let s = try await SandboxHome()
            let dir = s.home
            let eighteen = dir + "/payouts18.csv"
            try ShopifyE2E.export(payouts: 2).write(toFile: eighteen, atomically: true, encoding: .utf8)
            let r = try await s.run(["import", eighteen])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await E2E.column("SELECT id FROM settlement ORDER BY id", home: s.home) == ["SHP-700000001", "SHP-700000002"])
            let sixteen = dir + "/payouts16.csv"
            try """
                \(ShopifyE2E.header16)
                2024-11-01 10:00:00 -0400,charge,#1001,visa,online,paid,2024-11-04,2024-11-04,45.52,1.62,43.90,#12345678901234,card,45.52,USD,USD
                2024-11-01 11:00:00 -0400,refund,#1000,visa,online,paid,2024-11-04,2024-11-04,-3.45,0.00,-3.45,#12345678901233,card,3.45,USD,USD
                2024-11-04 02:00:00 -0400,payout,,,,paid,2024-11-04,2024-11-04,-40.45,0.00,-40.45,,,,,USD
                2024-11-06 12:00:00 -0400,charge,#1003,visa,online,pending,,2024-11-08,20.00,0.88,19.12,#12345678901236,card,20.00,USD,USD

                """.write(toFile: sixteen, atomically: true, encoding: .utf8)
            let r16 = try await s.run(["import", sixteen])
            #expect(r16.status == 0, "\(r16.stderr)")
            #expect(try await E2E.column("SELECT total_minor FROM settlement WHERE id = 'SHP-20241104-USD'", home: s.home) == ["4045"])
            // The pending charge is kept apart: in no settlement, listed, never sent.
            #expect(r16.stdout.contains("kept 1 row of Shopify payouts not yet paid (net 19.12 USD)"), "\(r16.stdout)")
            let pending = try await s.run(["shopify", "pending", "--json"])
            #expect(pending.status == 0, "\(pending.stderr)")
            let kept = try #require(try E2E.json(pending.stdout) as? [[String: Any]], "\(pending.stdout)")
            #expect(kept.count == 1 && kept.first?["order"] as? String == "#1003" && kept.first?["net"] as? Double == 19.12
                    && kept.first?["payoutStatus"] as? String == "pending", "\(kept)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM transaction_row WHERE order_id = '#1003'", home: s.home) == 0)
            #expect(try await s.connect().status == 0)
            let send = try await s.run(["send", "--all", "--json"])
            #expect(send.status == 0, "\(send.stderr)")
            let sent = try await s.invoices().filter { ($0["InvoiceNumber"] as? String)?.hasPrefix("SHP-") == true }
            #expect(Set(sent.compactMap { $0["InvoiceNumber"] as? String }) == ["SHP-700000001", "SHP-700000002", "SHP-20241104-USD"])
            let total = sent.first { $0["InvoiceNumber"] as? String == "SHP-20241104-USD" }?["Total"]
            #expect((total as? Double) == 40.45 || (total as? String) == "40.45", "the payout's deposit, without the pending row: \(String(describing: total))")
            // Paid later: the next export's payout takes its place; the row is no longer pending.
            let paid = dir + "/paid16.csv"
            try """
                \(ShopifyE2E.header16)
                2024-11-06 12:00:00 -0400,charge,#1003,visa,online,paid,2024-11-08,2024-11-08,20.00,0.88,19.12,#12345678901236,card,20.00,USD,USD
                2024-11-08 02:00:00 -0400,payout,,,,paid,2024-11-08,2024-11-08,-19.12,0.00,-19.12,,,,,USD

                """.write(toFile: paid, atomically: true, encoding: .utf8)
            let rPaid = try await s.run(["import", "--json", paid])
            #expect(rPaid.status == 0, "\(rPaid.stderr)")
            let outcomes = try #require(try E2E.json(rPaid.stdout) as? [[String: Any]], "\(rPaid.stdout)")
            #expect(outcomes.map { $0["outcome"] as? String } == ["imported", "pending"], "\(outcomes)")
            #expect(outcomes.last?["replaced"] as? Int == 1 && outcomes.last?["waiting"] as? Int == 0, "\(outcomes)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM pending_payout_row", home: s.home) == 0)
            #expect(try await E2E.column("SELECT total_minor FROM settlement WHERE id = 'SHP-20241108-USD'", home: s.home) == ["1912"])
            let wrong = dir + "/wrong.csv"
            try """
                \(ShopifyE2E.header16)
                2024-11-01 10:00:00 -0400,charge,#1001,visa,online,paid,2024-11-05,2024-11-05,45.52,1.62,43.90,#1,card,45.52,USD,USD
                2024-11-05 02:00:00 -0400,payout,,,,paid,2024-11-05,2024-11-05,-43.00,0.00,-43.00,,,,,USD

                """.write(toFile: wrong, atomically: true, encoding: .utf8)
            let bad = try await s.run(["import", wrong])
            #expect(bad.status == 65)
            #expect(bad.stderr.contains("does not add up"), "\(bad.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 4)
        }
    }
}
