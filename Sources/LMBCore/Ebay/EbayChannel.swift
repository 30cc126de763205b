import Foundation

/// An eBay seller as a settlement channel: SUCCEEDED payouts listed through the Finances API's getPayouts, each
/// payout's transactions (getTransactions by payoutId) written as an eBay transaction report (the by-hand path's
/// format, with its payout row) and imported as `lmb import` imports one, recorded in `channel_payout` with its
/// settlement.
public struct EbayChannel: SettlementChannel {
    public let account: StoredChannelAccount
    public var provider: Provider { .ebay }
    public var label: String { account.label }
    public var tenantID: String? { account.tenantID }
    public var site: String { account.settings["site"] ?? "EBAY_US" }

    /// The first fetch reads this far back; later ones from the last fetch less `overlap`.
    static let firstFetchDays = 90
    static let overlap: TimeInterval = 2 * 86_400

    public init(_ account: StoredChannelAccount) { self.account = account }

    static func make(_ account: StoredChannelAccount) -> (any SettlementChannel)? { EbayChannel(account) }

    public func client(_ env: ChannelEnvironment) throws -> EbayClient {
        let label = self.label, log = env.log
        return try EbayClient(credentials: try EbayAccounts.credentials(account), site: site, signingKey: EbayAccounts.signingKey(account),
                              environment: env.environment, transport: env.transport, clock: env.clock, log: { log("\(label): \($0)") })
    }

    public func open(_ env: ChannelEnvironment) throws -> any ChannelSession {
        EbaySession(account: account, client: try client(env), env: env)
    }

    /// The stored credentials and the refresh token's age, the signing key, a token (the refresh grant), then one
    /// listing call (the scope and the signature), then the days since the last fetch.
    public func diagnose(_ env: ChannelEnvironment, offline: Bool) async -> [DiagnosticCheck] {
        var checks: [DiagnosticCheck] = []
        let client: EbayClient
        do {
            client = try self.client(env)
            checks.append(.pass("ebay_credentials", "\(label): site \(site), client id \(account.settings["clientId"] ?? "?"), client secret and refresh token stored"))
        } catch let f as RemoteFailure {
            return [.fail("ebay_credentials", f, detail: "\(label): \(f.description)")]
        } catch {
            return [.fail("ebay_credentials", RemoteFailure(.config, "\(error)", service: .ebayFinances), detail: "\(label): \(error)")]
        }
        if let age = EbayAccounts.refreshAge(account, now: env.clock.now) {
            if age.daysLeft <= 0 {
                checks.append(.fail("ebay_refresh_age", RemoteFailure(.staleConnection, "the refresh token expired \(-age.daysLeft) days ago (18 months after consent)",
                                                                      service: .ebayIdentity, code: "invalid_grant"),
                                    detail: "\(label): the refresh token is \(age.days) days old and expired"))
            } else if age.daysLeft <= 30 {
                checks.append(.warn("ebay_refresh_age", "\(label): the refresh token is \(age.days) days old; it expires in \(age.daysLeft) days (18 months after consent)",
                                    fix: "Run lmb ebay connect again before it expires."))
            } else {
                checks.append(.pass("ebay_refresh_age", "\(label): the refresh token is \(age.days) days old; \(age.daysLeft) days of its 18 months left"))
            }
        }
        let key = EbayAccounts.signingKey(account)
        if let key {
            if let expires = key.expiresAt, expires <= env.clock.now {
                checks.append(.fail("ebay_signing_key", RemoteFailure(.permissionDenied, "the signing key \(key.id) expired", service: .ebayKeyManagement, code: "215122"),
                                    detail: "\(label): the signing key \(key.id) expired", fix: "lmb ebay connect --new-key"))
            } else {
                checks.append(.pass("ebay_signing_key", "\(label): Ed25519 signing key \(key.id) stored\(key.expiresAt.map { ", valid until \(ReportsAPI.dateText($0))" } ?? "")"))
            }
        } else if EbaySites.mustSign(site) {
            checks.append(.fail("ebay_signing_key", RemoteFailure(.permissionDenied, "no signing key is stored: \(site) sellers' Finances calls must be signed",
                                                                  service: .ebayKeyManagement, code: "215120"),
                                detail: "\(label): no signing key stored", fix: "lmb ebay connect --new-key"))
        } else {
            checks.append(.pass("ebay_signing_key", "\(label): \(site) sellers' calls need no signature; none is stored"))
        }
        if offline {
            checks.append(.warn("ebay_token", "\(label): skipped (--offline)"))
        } else {
            do {
                _ = try await client.accessToken()
                checks.append(.pass("ebay_token", "\(label): the refresh token gave a 2-hour access token"))
                let total = try await client.probe()
                checks.append(.pass("ebay_payouts", "\(label): getPayouts answered (\(total) succeeded payouts in its last 90 days)\(key == nil ? "" : ", signed")"))
                checks.append(.pass("ebay_scope", "\(label): the sell.finances scope is granted"))
            } catch let f as RemoteFailure {
                let id: String
                switch f.classification {
                case .insufficientScope: id = "ebay_scope"
                case .permissionDenied: id = "ebay_signing_key"
                default: id = f.service == .ebayIdentity ? "ebay_token" : "ebay_payouts"
                }
                checks.append(.fail(id, f, detail: "\(label): \(f.description)"))
            } catch {
                checks.append(.fail("ebay_payouts", RemoteFailure(.network, "\(error)", service: .ebayFinances), detail: "\(label): \(error)"))
            }
        }
        if let last = account.lastFetchAt {
            let days = max(0, Int(env.clock.now.timeIntervalSince(last) / 86_400))
            checks.append(days >= 14 ? .warn("ebay_window", "\(label): last fetch \(days) days ago", fix: "Run lmb sync from cron daily.")
                                     : .pass("ebay_window", "\(label): last fetch \(days) days ago"))
        } else {
            checks.append(.pass("ebay_window", "\(label): never fetched; the first lmb fetch reads \(Self.firstFetchDays) days back"))
        }
        return checks
    }
}

/// One fetch's connection to an eBay seller: one client, so its access token carries across its calls.
struct EbaySession: ChannelSession {
    let account: StoredChannelAccount
    let client: EbayClient
    let env: ChannelEnvironment
    let listed = ListedPayouts()

    var label: String { account.label }
    var site: String { account.settings["site"] ?? "EBAY_US" }

    final class ListedPayouts: @unchecked Sendable {
        // @unchecked: `byID` is read and written only under `lock`.
        private let lock = NSLock()
        private var byID: [String: EbayClient.Payout] = [:]
        func set(_ payouts: [EbayClient.Payout]) { lock.withLock { for p in payouts { byID[p.id] = p } } }
        func get(_ id: String) -> EbayClient.Payout? { lock.withLock { byID[id] } }
    }

    func listNew() async throws -> ChannelListing {
        let listedAt = env.clock.now
        let since = account.lastFetchAt.map { $0.addingTimeInterval(-EbayChannel.overlap) }
            ?? listedAt.addingTimeInterval(-Double(EbayChannel.firstFetchDays) * 86_400)
        let payouts = try await client.succeededPayouts(from: since, to: listedAt)
        let have = try env.store.fetchedChannelPayoutIDs(kind: .ebay)
        let todo = payouts.filter { !have.contains($0.id) }
        listed.set(todo)
        return ChannelListing(new: todo.map { p in
            ChannelPayout(id: p.id, documentID: nil, createdAt: p.date,
                          summary: "paid out \(p.date.map(ReportsAPI.dateText) ?? "?"), \(p.amount) \(p.currency)\(p.transactionCount.map { ", \($0) transactions" } ?? "")")
        }, listed: payouts.count, since: since, mayHaveMissedPayouts: false, listedAt: listedAt)
    }

    func download(_ payout: ChannelPayout) async throws -> ChannelDocument {
        guard let p = listed.get(payout.id) else {
            throw RemoteFailure(.unexpectedAnswer, "payout \(payout.id) was not in this fetch's listing", service: .ebayFinances)
        }
        let transactions = try await client.transactions(payoutID: p.id)
        let text = try EbayPayoutDocument.render(payout: p, transactions: transactions, site: site)
        var notes = ["\(transactions.count) transactions"]
        if let n = p.transactionCount, n != transactions.count { notes.append("the payout names \(n)") }
        return ChannelDocument(utf8: Data(text.utf8), notes: notes)
    }

    func recordImport(_ writer: ImportWriter, payout: ChannelPayout, outcome: ImportOutcome, at: Date) throws {
        try writer.recordChannelPayout(record(payout, settlementID: outcome.settlement.header.id, outcome: Fetcher.fetchOutcome(outcome),
                                              message: Fetcher.describe(outcome), at: at))
    }

    func recordFailure(_ payout: ChannelPayout, settlementID: String?, message: String) throws {
        try env.store.recordChannelPayout(record(payout, settlementID: settlementID, outcome: .failed, message: message, at: env.clock.now),
                                          event: "eBay payout \(payout.id) from \(label): failed: \(message)")
    }

    func finish(_ listing: ChannelListing) throws {
        try env.store.setChannelLastFetch(accountID: account.id, at: listing.listedAt)
        env.log("\(label): \(client.financesCalls) eBay Finances API calls")
    }

    func record(_ payout: ChannelPayout, settlementID: String?, outcome: FetchOutcome, message: String, at: Date) -> ChannelPayoutRecord {
        ChannelPayoutRecord(kind: .ebay, payoutID: payout.id, accountID: account.id, accountLabel: account.label, tenantID: account.tenantID,
                            settlementID: settlementID, outcome: outcome, message: message, payoutDate: payout.createdAt, fetchedAt: at)
    }

    func unreadableSteps(_ payout: ChannelPayout, message: String) -> [String] {
        ["eBay's payout \(payout.id) does not read as a settlement: \(message)",
         "lmb will not download it again (`lmb ebay status` lists it).",
         "Download the transaction report for the payout's dates from Seller Hub (Payments → Reports → Transaction report), and run `lmb import FILE` to see the row at fault; if the file is right, send `lmb diagnose --bundle FILE` to lmb's maintainers."]
    }
}

/// A fetched payout as an eBay transaction report: a preamble naming the site, then one row per transaction (its
/// net signed by its booking entry; a SALE's or REFUND's marketplace fees in fee columns, so that the import rebuilds
/// the gross as it does for a report by hand; eBay-collected tax never in it), then the payout's own row of −amount,
/// which the import checks the rows against.
public enum EbayPayoutDocument {
    static let fixedColumns = ["Transaction creation date", "Type", "Order number", "Net amount", "Payout currency", "Payout date", "Payout ID",
                               "Transaction ID"]

    /// The report's column for a fee type, or `fee: TYPE` for one the report has no column for.
    static func column(_ feeType: String) -> String {
        let named: [String: String] = [
            "FINAL_VALUE_FEE_FIXED_PER_ORDER": "Final Value Fee - fixed", "FINAL_VALUE_FEE": "Final Value Fee - variable",
            "REGULATORY_OPERATING_FEE": "Regulatory operating fee", "HIGH_ITEM_NOT_AS_DESCRIBED_FEE": "Very high fee",
            "BELOW_STANDARD_FEE": "Below standard performance fee", "INTERNATIONAL_FEE": "International fee",
            "CHARITY_DONATION": "Charity donation", "DEPOSIT_PROCESSING_FEE": "Deposit processing fee",
        ]
        return named[feeType] ?? EbayTransactionReport.feeColumnPrefix + feeType
    }

    public static func render(payout p: EbayClient.Payout, transactions: [EbayClient.Transaction], site: String) throws -> String {
        let currency = p.currency.uppercased()
        guard Currency.isPlausible(currency) else {
            throw RemoteFailure(.documentUnreadable, "payout \(p.id) is in '\(p.currency)', not an ISO 4217 currency", service: .ebayFinances)
        }
        let c = Currency(code: currency)
        var parser = AmountParser(exponent: c.exponent, decimalMark: .point)
        func minor(_ value: String, _ what: String) throws -> Int64 {
            do { return try parser.parse(value) } catch {
                throw RemoteFailure(.documentUnreadable, "payout \(p.id): \(what) '\(value)' is not an amount in \(currency)", service: .ebayFinances)
            }
        }
        func text(_ m: Int64) -> String { Money(minorUnits: m, currency: c).decimalString }
        let payoutDate = p.date.map { String(EbayDates.filter($0).prefix(10)) } ?? ""

        struct Row { var t: EbayClient.Transaction; var net: Int64; var fees: [String: Int64]; var description: String }
        var rows: [Row] = []
        var feeTypes: [String] = []
        // Oldest first (eBay lists newest first).
        for t in transactions.reversed() {
            guard t.currency.uppercased() == currency else {
                throw RemoteFailure(.documentUnreadable, "payout \(p.id): transaction \(t.id) is in \(t.currency), the payout in \(currency)", service: .ebayFinances)
            }
            let sign: Int64 = t.bookingEntry == "DEBIT" ? -1 : 1
            let net = sign * (try minor(t.amount, "the amount of transaction \(t.id)"))
            var fees: [String: Int64] = [:]
            if t.type == "SALE" || t.type == "REFUND" {
                var items = t.fees
                if items.isEmpty, let total = t.totalFeeAmount, total.value != "0", total.value != "0.0" {
                    items = [EbayClient.Fee(type: "OTHER_FEES", value: total.value, currency: total.currency)]
                }
                for fee in items {
                    guard fee.currency.uppercased() == currency else {
                        throw RemoteFailure(.documentUnreadable, "payout \(p.id): a \(fee.type) of transaction \(t.id) is in \(fee.currency), the payout in \(currency): the gross cannot be rebuilt",
                                            service: .ebayFinances)
                    }
                    // A fee a sale bears lowers the payout; a fee a refund credits back raises it.
                    fees[fee.type, default: 0] += -sign * (try minor(fee.value, "a \(fee.type) of transaction \(t.id)"))
                    if !feeTypes.contains(fee.type) { feeTypes.append(fee.type) }
                }
            }
            let description: String
            switch t.type {
            case "SALE", "REFUND": description = ""
            case "NON_SALE_CHARGE": description = t.feeType ?? t.memo ?? ""
            default: description = t.memo ?? ""
            }
            rows.append(Row(t: t, net: net, fees: fees, description: description))
        }
        let header = fixedColumns + feeTypes.map(column) + ["Description"]
        var lines = ["\"Transaction report\"", "\"eBay Finances API: payout \(p.id)\"", "\"\(EbayTransactionReport.sitePreamble)\(site)\"", "",
                     ChannelExports.csvLine(header)]
        for r in rows {
            let date = r.t.date.map { String(EbayDates.filter($0).prefix(10)) } ?? payoutDate
            lines.append(ChannelExports.csvLine([date, r.t.type, r.t.orderID ?? "--", text(r.net), currency, payoutDate, p.id, r.t.id]
                                                + feeTypes.map { r.fees[$0].map(text) ?? "--" } + [r.description.isEmpty ? "--" : r.description]))
        }
        let out = -(try minor(p.amount, "the payout amount"))
        lines.append(ChannelExports.csvLine([payoutDate, "Payout", "--", text(out), currency, payoutDate, p.id, "--"]
                                            + feeTypes.map { _ in "--" } + ["Payout"]))
        return lines.joined(separator: "\n") + "\n"
    }
}
