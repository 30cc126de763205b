import Foundation

/// eBay's transaction report CSV (Seller Hub → Payments → Reports → Transaction report): a few preamble lines (the
/// report's title, range, seller), then a header row starting `Transaction creation date,Type,Order number`; `--`
/// marks an empty value and dates read `Oct 2, 2026`.
///
/// A settlement per Payout ID (`EBAY-<payout id>`), from the rows that carry one; rows not yet in a payout wait for a
/// later report. A row's `Net amount` is what it moved; its fee columns (signed as the report shows them, fees
/// negative) go on lines of their own, and the rest of the net is the row's gross, so every row's lines sum to its
/// net. When the report holds the payout's own `Payout` row, the other rows must add up to it, or the file is
/// refused. The contact is "eBay <site>", the site told from the payout currency where one site uses it.
///
/// The types are spelt as the Finances API's (Order → SALE, Refund → REFUND, Other fee → NON_SALE_CHARGE, …) and the
/// fee columns as its fee types, so one set of mapping rules covers both.
public struct EbayTransactionReport {
    let path: String
    let displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }

    static let headerStart = "transaction creation date,type,order number"

    /// A report has its header within its first lines, after the preamble.
    static func matches(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 8192), as: UTF8.self)
        return head.split(whereSeparator: \.isNewline).prefix(12).contains { line in
            line.replacingOccurrences(of: "\"", with: "").lowercased().hasPrefix(headerStart)
        }
    }

    public static func settlementID(payoutID: String) -> String { "EBAY-\(payoutID)" }

    /// "eBay UK" from a payout's currency where one eBay site pays out in it; plain "eBay" for the euro.
    public static func contact(currency: String) -> String {
        let sites = ["GBP": "UK", "USD": "US", "AUD": "AU", "CAD": "CA", "CHF": "CH", "PLN": "PL", "HKD": "HK", "SGD": "SG"]
        return sites[currency.uppercased()].map { "eBay \($0)" } ?? "eBay"
    }

    /// The site code of `--site EBAY_GB` as a contact: "eBay UK" (as the report's GBP payouts are), "eBay DE", "eBay US".
    public static func contact(site: String) -> String {
        let code = site.uppercased().hasPrefix("EBAY_") ? String(site.dropFirst(5)).uppercased() : site.uppercased()
        return "eBay " + (code == "GB" ? "UK" : code)
    }

    /// A fee column of a type the report has no column for (the fetched document's): `fee: AD_FEE`.
    public static let feeColumnPrefix = "fee: "
    /// A preamble line naming the site (the fetched document's): `eBay site: EBAY_GB`; the contact follows it.
    public static let sitePreamble = "eBay site: "

    /// The report's Type → the Finances API's transactionType.
    static func apiType(_ type: String) -> String {
        switch type.trimmingCharacters(in: .whitespaces).lowercased() {
        case "order", "sale": return "SALE"
        case "refund": return "REFUND"
        case "other fee", "fee": return "NON_SALE_CHARGE"
        case "shipping label": return "SHIPPING_LABEL"
        case "claim", "dispute", "payment dispute": return "DISPUTE"
        case "transfer": return "TRANSFER"
        case "credit": return "CREDIT"
        case "adjustment": return "ADJUSTMENT"
        case "payout": return "PAYOUT"
        case "hold": return "HOLD"
        case "charge": return "NON_SALE_CHARGE"
        default: return type.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: " ", with: "_")
        }
    }

    /// The fee columns and the Finances API fee type each stands for.
    static let feeColumns: [(String, String)] = [
        ("final value fee - fixed", "FINAL_VALUE_FEE_FIXED_PER_ORDER"), ("final value fee - variable", "FINAL_VALUE_FEE"),
        ("regulatory operating fee", "REGULATORY_OPERATING_FEE"), ("very high fee", "HIGH_ITEM_NOT_AS_DESCRIBED_FEE"),
        ("very high \"item not as described\" fee", "HIGH_ITEM_NOT_AS_DESCRIBED_FEE"),
        ("below standard performance fee", "BELOW_STANDARD_FEE"), ("international fee", "INTERNATIONAL_FEE"),
        ("charity donation", "CHARITY_DONATION"), ("deposit processing fee", "DEPOSIT_PROCESSING_FEE"),
    ]

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `Oct 2, 2026` (or `October 2, 2026`, or ISO `2026-10-02`).
    static func date(_ text: String) -> CalendarDate? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let iso = CalendarDate(iso: String(t.prefix(10))) { return iso }
        let parts = t.replacingOccurrences(of: ",", with: "").split(separator: " ")
        guard parts.count >= 3, let m = months.firstIndex(of: String(parts[0].prefix(3)).lowercased()), let d = Int(parts[1]),
              let y = Int(parts[2]) else { return nil }
        return CalendarDate(year: y, month: m + 1, day: d)
    }

    func fail(_ line: Int?, _ message: String, _ kind: SettlementFileError.Kind = .malformed) -> SettlementFileError {
        SettlementFileError(kind, file: displayName, line: line, message)
    }

    struct Group {
        var payoutID: String
        var currency: String
        var payoutDate: CalendarDate?
        var rows: [ChannelPayoutRow] = []
        var netMinor: Int64 = 0
        var payoutRow: (line: Int, netMinor: Int64)?
        var raw: [String] = []
    }

    public func parse() throws -> [ChannelPayoutSettlement] {
        let all = try ChannelExports.records(path: path, displayName: displayName, what: "an eBay transaction report")
        guard let headerIndex = all.prefix(12).firstIndex(where: { $0.fields.joined(separator: ",").lowercased().hasPrefix(Self.headerStart) }) else {
            throw fail(nil, "no header row starting 'Transaction creation date,Type,Order number' in the first lines")
        }
        let (headerLine, headerFields) = all[headerIndex]
        let names = headerFields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ name: String) throws -> Int {
            guard let i = names.firstIndex(of: name) else { throw fail(headerLine, "the header has no '\(name)' column") }
            return i
        }
        let cDate = try column("transaction creation date"), cType = try column("type"), cNet = try column("net amount")
        let cCurrency = try column("payout currency"), cPayoutID = try column("payout id")
        let cPayoutDate = names.firstIndex(of: "payout date"), cOrder = names.firstIndex(of: "order number")
        let cDescription = names.firstIndex(of: "description")
        let fees = Self.feeColumns.compactMap { name, type in names.firstIndex(of: name).map { ($0, type) } }
            + names.enumerated().filter { $0.element.hasPrefix(Self.feeColumnPrefix) && $0.element.count > Self.feeColumnPrefix.count }
                .map { ($0.offset, String($0.element.dropFirst(Self.feeColumnPrefix.count)).uppercased()) }
        let site = all.prefix(headerIndex).lazy.map { $0.fields.joined(separator: ",").trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix(Self.sitePreamble.lowercased()) }
            .map { String($0.dropFirst(Self.sitePreamble.count)).trimmingCharacters(in: .whitespaces) }
        var groups: [Group] = []
        var waiting = 0
        for (line, f) in all.dropFirst(headerIndex + 1) {
            if f.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            guard f.count == names.count else { throw fail(line, "\(f.count) fields where the header has \(names.count)") }
            func value(_ i: Int) -> String {
                let t = f[i].trimmingCharacters(in: .whitespaces)
                return t == "--" ? "" : t
            }
            let payoutID = value(cPayoutID)
            guard !payoutID.isEmpty else { waiting += 1; continue }
            let currency = value(cCurrency).uppercased()
            guard Currency.isPlausible(currency) else { throw fail(line, "payout currency '\(value(cCurrency))' is not an ISO 4217 code") }
            var amounts = AmountParser(exponent: Currency(code: currency).exponent, decimalMark: .point)
            func money(_ i: Int, _ name: String) throws -> Int64 {
                let t = value(i)
                if t.isEmpty { return 0 }
                do { return try amounts.parse(t) } catch { throw fail(line, "\(name) '\(t)': \(error)") }
            }
            guard let date = Self.date(value(cDate)) else { throw fail(line, "transaction creation date '\(value(cDate))' is not a date like 'Oct 2, 2026'") }
            let net = try money(cNet, "Net amount")
            let gi: Int
            if let i = groups.firstIndex(where: { $0.payoutID == payoutID }) {
                gi = i
                guard groups[i].currency == currency else { throw fail(line, "payout \(payoutID) mixes currencies") }
            } else {
                groups.append(Group(payoutID: payoutID, currency: currency))
                gi = groups.count - 1
            }
            if groups[gi].payoutDate == nil, let c = cPayoutDate { groups[gi].payoutDate = Self.date(value(c)) }
            let type = Self.apiType(value(cType))
            groups[gi].raw.append(f.joined(separator: "\u{1F}"))
            if type == "PAYOUT" {
                groups[gi].payoutRow = (line, net)
                continue
            }
            let order = cOrder.map(value).flatMap { $0.isEmpty ? nil : $0 }
            var feeTotal: Int64 = 0
            var feeRows: [ChannelPayoutRow] = []
            for (c, feeType) in fees {
                let fee = try money(c, names[c])
                guard fee != 0 else { continue }
                feeTotal += fee
                feeRows.append(ChannelPayoutRow(line: line, transactionType: type, amountType: "eBay", amountDescription: feeType,
                                                amountMinor: fee, date: date, orderID: order))
            }
            let description: String
            if type == "SALE" || type == "REFUND" {
                description = "Gross"
            } else {
                let text = cDescription.map(value) ?? ""
                description = text.isEmpty ? "Net" : text
            }
            groups[gi].rows.append(ChannelPayoutRow(line: line, transactionType: type, amountType: "eBay", amountDescription: description,
                                                    amountMinor: net - feeTotal, date: date, orderID: order))
            groups[gi].rows += feeRows
            groups[gi].netMinor += net
        }
        guard !groups.isEmpty else {
            throw fail(nil, waiting > 0 ? "no row is in a payout yet (\(waiting) rows wait for one: import the report once they are paid out)" : "no rows after the header")
        }
        return try groups.map { g in
            if let payout = g.payoutRow, abs(payout.netMinor) != abs(g.netMinor) || (payout.netMinor != 0 && (payout.netMinor > 0) == (g.netMinor > 0)) {
                let c = Currency(code: g.currency)
                throw fail(payout.line, "payout \(g.payoutID) does not add up: its rows' net amounts sum to \(Money(minorUnits: g.netMinor, currency: c).decimalString) but \(Money(minorUnits: abs(payout.netMinor), currency: c).decimalString) \(g.currency) was paid out", .doesNotAddUp)
            }
            let payoutDate = g.payoutDate ?? g.rows.compactMap(\.date).max() ?? CalendarDate(year: 1970, month: 1, day: 1)!
            return ChannelPayoutSettlement.make(id: Self.settlementID(payoutID: g.payoutID), format: .ebay,
                                                marketplace: site.map(Self.contact(site:)) ?? Self.contact(currency: g.currency),
                                                currency: g.currency, payoutDate: payoutDate, rows: g.rows, hashOf: g.raw)
        }
    }
}
