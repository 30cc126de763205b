import Foundation

/// A Shopify shop as a settlement channel: PAID payouts listed through the Admin GraphQL API, each payout's balance
/// transactions written as a transactions export (18 columns, with its payout row) and imported as `lmb import`
/// imports one, recorded in `channel_payout` with its settlement.
public struct ShopifyChannel: SettlementChannel {
    public let account: StoredChannelAccount
    public var provider: Provider { .shopify }
    public var label: String { account.label }
    public var tenantID: String? { account.tenantID }
    public var shop: String { account.settings["shop"] ?? account.label }

    /// The first fetch reads this far back; later ones from the last fetch less `overlap`.
    static let firstFetchDays = 90
    static let overlap: TimeInterval = 2 * 86_400

    public init(_ account: StoredChannelAccount) { self.account = account }

    public func client(_ env: ChannelEnvironment) throws -> ShopifyClient {
        let label = self.label, log = env.log
        return try ShopifyClient(shop: shop, auth: try ShopifyAuth.from(account), environment: env.environment, transport: env.transport,
                                 clock: env.clock, log: { log("\(label): \($0)") })
    }

    public func open(_ env: ChannelEnvironment) throws -> any ChannelSession {
        ShopifySession(account: account, client: try client(env), env: env)
    }

    /// The stored credentials, a token (client credentials: the grant), then the query that needs both scopes, then
    /// the days since the last fetch.
    public func diagnose(_ env: ChannelEnvironment, offline: Bool) async -> [DiagnosticCheck] {
        var checks: [DiagnosticCheck] = []
        let client: ShopifyClient
        do {
            client = try self.client(env)
            let auth = (try? ShopifyAuth.from(account))?.description ?? "?"
            checks.append(.pass("shopify_credentials", "\(label): shop \(shop), \(auth) stored"))
        } catch let f as RemoteFailure {
            return [.fail("shopify_credentials", f, detail: "\(label): \(f.description)")]
        } catch {
            return [.fail("shopify_credentials", RemoteFailure(.config, "\(error)", service: .shopifyAdmin), detail: "\(label): \(error)")]
        }
        if offline {
            checks.append(.warn("shopify_token", "\(label): skipped (--offline)"))
        } else {
            do {
                _ = try await client.accessToken()
                checks.append(.pass("shopify_token", "\(label): \(account.settings["auth"] == "client_credentials" ? "the client-credentials grant gave a 24-hour token" : "an Admin API access token is held")"))
                let proved = try await client.prove()
                checks.append(.pass("shopify_payouts", "\(label): shopifyPaymentsAccount answered (currency \(proved.currency ?? "?")); \(proved.paidPayouts == 0 ? "no paid payout yet" : "paid payouts are listable")"))
                checks.append(.pass("shopify_scopes", "\(label): read_shopify_payments_accounts and read_shopify_payments_payouts are granted"))
            } catch let f as RemoteFailure {
                let id = f.classification == .insufficientScope ? "shopify_scopes" : (f.service == .shopifyOAuth ? "shopify_token" : "shopify_payouts")
                checks.append(.fail(id, f, detail: "\(label): \(f.description)"))
            } catch {
                checks.append(.fail("shopify_payouts", RemoteFailure(.network, "\(error)", service: .shopifyAdmin), detail: "\(label): \(error)"))
            }
        }
        if let last = account.lastFetchAt {
            let days = max(0, Int(env.clock.now.timeIntervalSince(last) / 86_400))
            checks.append(days >= 14 ? .warn("shopify_window", "\(label): last fetch \(days) days ago", fix: "Run lmb sync from cron daily.")
                                     : .pass("shopify_window", "\(label): last fetch \(days) days ago"))
        } else {
            checks.append(.pass("shopify_window", "\(label): never fetched; the first lmb fetch reads \(Self.firstFetchDays) days back"))
        }
        return checks
    }
}

/// One fetch's connection to a shop: one client, so its token and the bucket it paces by carry across its queries.
struct ShopifySession: ChannelSession {
    let account: StoredChannelAccount
    let client: ShopifyClient
    let env: ChannelEnvironment
    let listed = ListedPayouts()

    var label: String { account.label }

    /// The payouts the listing found, for the download to check against.
    final class ListedPayouts: @unchecked Sendable {
        // @unchecked: `byID` is read and written only under `lock`.
        private let lock = NSLock()
        private var byID: [String: ShopifyClient.Payout] = [:]
        func set(_ payouts: [ShopifyClient.Payout]) { lock.withLock { for p in payouts { byID[p.legacyID] = p } } }
        func get(_ id: String) -> ShopifyClient.Payout? { lock.withLock { byID[id] } }
    }

    func listNew() async throws -> ChannelListing {
        let listedAt = env.clock.now
        let since = account.lastFetchAt.map { $0.addingTimeInterval(-ShopifyChannel.overlap) }
            ?? listedAt.addingTimeInterval(-Double(ShopifyChannel.firstFetchDays) * 86_400)
        let payouts = try await client.paidPayouts(since: since)
        let have = try env.store.fetchedChannelPayoutIDs(kind: .shopify)
        let todo = payouts.filter { !have.contains($0.legacyID) }
        listed.set(todo)
        return ChannelListing(new: todo.map { p in
            ChannelPayout(id: p.legacyID, documentID: p.id, createdAt: p.issuedAt,
                          summary: "issued \(p.issuedAt.map(ReportsAPI.dateText) ?? "?"), \(p.transactionType.lowercased()) \(p.net) \(p.currency)")
        }, listed: payouts.count, since: since, mayHaveMissedPayouts: false, listedAt: listedAt)
    }

    func download(_ payout: ChannelPayout) async throws -> ChannelDocument {
        guard let p = listed.get(payout.id) else {
            throw RemoteFailure(.unexpectedAnswer, "payout \(payout.id) was not in this fetch's listing", service: .shopifyAdmin)
        }
        let transactions = try await client.balanceTransactions(payoutLegacyID: p.legacyID)
        let document = ShopifyPayoutDocument.render(payout: p, transactions: transactions)
        return ChannelDocument(utf8: Data(document.text.utf8),
                               notes: ["\(transactions.count) balance transactions\(document.transferLeftOut ? ", its TRANSFER row left out" : "")"])
    }

    func recordImport(_ writer: ImportWriter, payout: ChannelPayout, outcome: ImportOutcome, at: Date) throws {
        try writer.recordChannelPayout(record(payout, settlementID: outcome.settlement.header.id, outcome: Fetcher.fetchOutcome(outcome),
                                              message: Fetcher.describe(outcome), at: at))
    }

    func recordFailure(_ payout: ChannelPayout, settlementID: String?, message: String) throws {
        try env.store.recordChannelPayout(record(payout, settlementID: settlementID, outcome: .failed, message: message, at: env.clock.now),
                                          event: "Shopify payout \(payout.id) from \(label): failed: \(message)")
    }

    func finish(_ listing: ChannelListing) throws {
        try env.store.setChannelLastFetch(accountID: account.id, at: listing.listedAt)
        let (queries, requested, actual) = client.costs()
        env.log("\(label): \(queries) GraphQL queries, cost \(actual) (requested \(requested))")
    }

    func record(_ payout: ChannelPayout, settlementID: String?, outcome: FetchOutcome, message: String, at: Date) -> ChannelPayoutRecord {
        ChannelPayoutRecord(kind: .shopify, payoutID: payout.id, accountID: account.id, accountLabel: account.label, tenantID: account.tenantID,
                            settlementID: settlementID, outcome: outcome, message: message, payoutDate: payout.createdAt, fetchedAt: at)
    }

    func unreadableSteps(_ payout: ChannelPayout, message: String) -> [String] {
        ["Shopify's payout \(payout.id) does not read as a settlement: \(message)",
         "lmb will not download it again (`lmb shopify status` lists it).",
         "Export the payout's transactions from the Shopify admin (Finances → Payouts → the payout → Export), and run `lmb import FILE` to see the row at fault; if the file is right, send `lmb diagnose --bundle FILE` to lmb's maintainers."]
    }
}

/// A fetched payout as the 18-column transactions export: its balance transactions (less its own TRANSFER row, the
/// payout leaving the balance) and one `payout` row of −net, which the import checks the rows against.
enum ShopifyPayoutDocument {
    static func render(payout p: ShopifyClient.Payout, transactions: [ShopifyClient.BalanceTransaction]) -> (text: String, transferLeftOut: Bool) {
        let payoutDate = p.issuedAt.map { String(ShopifyClient.dateTime($0).prefix(10)) } ?? ""
        var lines = [ShopifyPaymentsExport.header18.joined(separator: ",")]
        var transferLeftOut = false
        func row(date: String, type: String, order: String, amount: String, fee: String, net: String, currency: String) -> String {
            // Transaction Date, Type, Order, Card Brand, Card Source, Payout Status, Payout Date, Payout ID, Available On,
            // Amount, Fee, Net, Checkout, Payment Method Name, Presentment Amount, Presentment Currency, Currency, VAT
            ChannelExports.csvLine([date, type, order, "", "", "paid", payoutDate, p.legacyID, payoutDate, amount, fee, net, "", "", "", "", currency, ""])
        }
        for t in transactions {
            if t.type == "TRANSFER" && (t.sourceID == p.legacyID || t.sourceType == "TRANSFER") && !transferLeftOut {
                transferLeftOut = true
                continue
            }
            lines.append(row(date: exportDate(t.date), type: t.type, order: t.orderName ?? "", amount: t.amount, fee: t.fee, net: t.net,
                             currency: t.currency.isEmpty ? p.currency : t.currency))
        }
        let out = negate(p.net)
        lines.append(row(date: p.issuedAt.map { exportDate(ShopifyClient.dateTime($0)) } ?? "", type: "payout", order: "", amount: out, fee: "0.0",
                         net: out, currency: p.currency))
        return (lines.joined(separator: "\n") + "\n", transferLeftOut)
    }

    /// `2024-10-31T20:00:00Z` → `2024-10-31 20:00:00 +0000`, as the export writes dates.
    static func exportDate(_ iso: String) -> String {
        guard let d = ShopifyClient.parseDate(iso) else { return iso }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss Z"
        return f.string(from: d)
    }

    /// A decimal string's negation, as text (never through a Double).
    static func negate(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("-") ? String(t.dropFirst()) : "-" + t
    }
}
