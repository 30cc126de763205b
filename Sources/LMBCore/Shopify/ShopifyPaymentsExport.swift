import Foundation

/// A Shopify Payments transactions export (Shopify admin → Finances → Payouts → Export transactions), in either
/// layout: 16 columns, or 18 with `Payout ID` and `VAT`. `lmb fetch` writes each payout it downloads in the 18-column
/// layout too, so both paths read the same way.
///
/// A settlement per Payout ID, else per Payout Date and currency, from the rows whose payout is paid; rows of a
/// payout not yet paid are read as pending rows (`PendingPayoutRow`): the import keeps them, never sends them, and a
/// later export or fetch that shows them paid replaces them. Each row gives its Amount and, when non-zero, its Fee (as a
/// cost); the export's own `payout` row (the payout leaving the balance, net = −payout) is the check: the rows' nets
/// must add up to it, or the file is refused. The settlement is `SHP-<payout id>` (or `SHP-<payout date>-<currency>`),
/// booked under the contact "Shopify Payments".
public struct ShopifyPaymentsExport {
    let path: String
    let displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }

    public static let marketplace = "Shopify Payments"
    static let headerStart = "Transaction Date,Type,Order"
    public static let header18 = ["Transaction Date", "Type", "Order", "Card Brand", "Card Source", "Payout Status", "Payout Date", "Payout ID",
                                  "Available On", "Amount", "Fee", "Net", "Checkout", "Payment Method Name", "Presentment Amount",
                                  "Presentment Currency", "Currency", "VAT"]

    static func matches(firstLine: String) -> Bool {
        firstLine.replacingOccurrences(of: "\"", with: "").hasPrefix(headerStart)
    }

    /// The settlement id of a payout.
    public static func settlementID(payoutID: String) -> String { "SHP-\(payoutID)" }

    /// `CHARGE`, `DISPUTE_WITHDRAWAL` (the API's enum) or `charge`, `payout failure` (the export's words): one spelling.
    static func normalisedType(_ type: String) -> String {
        type.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: " ", with: "_")
    }

    func fail(_ line: Int?, _ message: String, _ kind: SettlementFileError.Kind = .malformed) -> SettlementFileError {
        SettlementFileError(kind, file: displayName, line: line, message)
    }

    struct Group {
        var key: String
        var payoutID: String?
        var payoutDate: CalendarDate
        var currency: String
        var rows: [ChannelPayoutRow] = []
        var netMinor: Int64 = 0
        var payoutRows: [(line: Int, netMinor: Int64)] = []
        var raw: [String] = []
    }

    /// The paid payouts only; a file with no paid row is refused (for preview and mapping explanations).
    public func parse() throws -> [ChannelPayoutSettlement] {
        let c = try contents()
        guard !c.payouts.isEmpty else {
            throw fail(nil, "no row of a paid payout (\(c.pending.count) rows of payouts not yet paid: `lmb import` keeps them until they are paid)")
        }
        return c.payouts
    }

    /// The paid payouts and the rows of payouts not yet paid.
    public func contents() throws -> ChannelExportContents {
        let records = try ChannelExports.records(path: path, displayName: displayName, what: "a Shopify Payments transactions export")
        let names = records[0].fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard names.count == 16 || names.count == 18 else {
            throw fail(1, "a Shopify Payments transactions export has 16 or 18 columns; this header has \(names.count)")
        }
        func column(_ name: String) throws -> Int {
            guard let i = names.firstIndex(of: name.lowercased()) else { throw fail(1, "the header has no '\(name)' column") }
            return i
        }
        let cDate = try column("Transaction Date"), cType = try column("Type"), cStatus = try column("Payout Status")
        let cPayoutDate = try column("Payout Date"), cAmount = try column("Amount"), cFee = try column("Fee"), cNet = try column("Net")
        let cCurrency = try column("Currency"), cOrder = try? column("Order"), cPayoutID = try? column("Payout ID")
        var groups: [Group] = []
        var pending: [PendingPayoutRow] = []
        var occurrences: [String: Int] = [:]
        for (line, f) in records.dropFirst() {
            if f.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard f.count == names.count else {
                throw fail(line, "\(f.count) fields where the header has \(names.count); is a field with a comma not quoted?")
            }
            func value(_ i: Int) -> String { f[i].trimmingCharacters(in: .whitespaces) }
            let status = value(cStatus).lowercased()
            let currency = value(cCurrency).uppercased()
            guard Currency.isPlausible(currency) else { throw fail(line, "currency '\(value(cCurrency))' is not an ISO 4217 code") }
            var amounts = AmountParser(exponent: Currency(code: currency).exponent, decimalMark: .point)
            func money(_ i: Int, _ name: String) throws -> Int64 {
                let t = value(i)
                if t.isEmpty { return 0 }
                do { return try amounts.parse(t) } catch { throw fail(line, "\(name) '\(t)': \(error)") }
            }
            let amount = try money(cAmount, "Amount"), fee = try money(cFee, "Fee"), net = try money(cNet, "Net")
            guard amount - fee == net else {
                throw fail(line, "Net \(value(cNet)) is not Amount \(value(cAmount)) less Fee \(value(cFee))")
            }
            guard let date = CalendarDate(iso: String(value(cDate).prefix(10))) else {
                throw fail(line, "Transaction Date '\(value(cDate))' is not a date like 2024-10-31 20:00:00 -0400")
            }
            let payoutID = cPayoutID.map(value).flatMap { $0.isEmpty ? nil : $0 }
            if let payoutID, !payoutID.allSatisfy(\.isNumber) { throw fail(line, "Payout ID '\(payoutID)' is not a number") }
            let type = Self.normalisedType(value(cType))
            let order = cOrder.map(value).flatMap { $0.isEmpty ? nil : $0 }
            guard status == "paid" else {
                // The payout's own row of a payout still to come is not a transaction: nothing to keep.
                if type == "PAYOUT" { continue }
                // Identical rows (same moment, type, order and amounts) are told apart by their order in the file.
                let key = [value(cDate), type, order ?? "", String(amount), String(fee), currency].joined(separator: "\u{1F}")
                let n = occurrences[key, default: 0]
                occurrences[key] = n + 1
                pending.append(PendingPayoutRow(format: .shopify, fingerprint: SHA256.hex(key + "\u{1F}\(n)"), line: line,
                                                transactionDate: value(cDate), date: date, transactionType: type, orderID: order,
                                                currency: currency, amountMinor: amount, feeMinor: fee, netMinor: net, payoutStatus: status.isEmpty ? "none" : status,
                                                payoutDate: CalendarDate(iso: String(value(cPayoutDate).prefix(10))), payoutID: payoutID))
                continue
            }
            guard let payoutDate = CalendarDate(iso: String(value(cPayoutDate).prefix(10))) else {
                throw fail(line, "Payout Date '\(value(cPayoutDate))' of a paid row is not a date (YYYY-MM-DD)")
            }
            let key = payoutID.map { "id:\($0)" } ?? "date:\(payoutDate):\(currency)"
            let gi: Int
            if let i = groups.firstIndex(where: { $0.key == key }) {
                gi = i
                guard groups[i].currency == currency else { throw fail(line, "payout \(payoutID ?? payoutDate.description) mixes currencies") }
            } else {
                groups.append(Group(key: key, payoutID: payoutID, payoutDate: payoutDate, currency: currency))
                gi = groups.count - 1
            }
            // What the payout is, not how the file spells it: a fetched payout and its export hash alike.
            groups[gi].raw.append([type, String(amount), String(fee), cOrder.map(value) ?? ""].joined(separator: "\u{1F}"))
            if type == "PAYOUT" {
                groups[gi].payoutRows.append((line, net))
                continue
            }
            groups[gi].rows.append(ChannelPayoutRow(line: line, transactionType: type, amountType: "Shopify", amountDescription: "Amount",
                                                    amountMinor: amount, date: date, orderID: order))
            if fee != 0 {
                groups[gi].rows.append(ChannelPayoutRow(line: line, transactionType: type, amountType: "Shopify", amountDescription: "Fee",
                                                        amountMinor: -fee, date: date, orderID: order))
            }
            groups[gi].netMinor += net
        }
        guard !groups.isEmpty || !pending.isEmpty else { throw fail(nil, "no rows after the header") }
        let payouts = try groups.map { g in
            let name = g.payoutID.map { "payout \($0)" } ?? "the payout of \(g.payoutDate) (\(g.currency))"
            guard let payoutRow = g.payoutRows.first else {
                throw fail(nil, "\(name) has no 'payout' row, so lmb cannot check that its rows add up to what was paid: export the transactions by payout date, so each payout comes with its payout row", .doesNotAddUp)
            }
            guard g.payoutRows.count == 1 else {
                throw fail(g.payoutRows[1].line, "\(name) has more than one 'payout' row", .doesNotAddUp)
            }
            let paid = -payoutRow.netMinor
            guard g.netMinor == paid else {
                let c = Currency(code: g.currency)
                throw fail(payoutRow.line, "\(name) does not add up: its rows' Net sum to \(Money(minorUnits: g.netMinor, currency: c).decimalString) but \(Money(minorUnits: paid, currency: c).decimalString) \(g.currency) was paid out", .doesNotAddUp)
            }
            let id = g.payoutID.map(Self.settlementID) ?? "SHP-\(g.payoutDate.description.replacingOccurrences(of: "-", with: ""))-\(g.currency)"
            return ChannelPayoutSettlement.make(id: id, format: .shopify, marketplace: Self.marketplace, currency: g.currency,
                                                payoutDate: g.payoutDate, rows: g.rows, hashOf: g.raw.sorted())
        }
        return ChannelExportContents(payouts: payouts, pending: pending)
    }
}
