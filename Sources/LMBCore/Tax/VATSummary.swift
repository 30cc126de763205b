import Foundation

/// A VAT period as `lmb tax summary --period` names it: a month (`2024-10`) or a calendar quarter (`2024-Q4`).
public struct VATPeriod: Sendable, Equatable, CustomStringConvertible {
    /// As given, normalised: `2024-10`, `2024-Q4`.
    public let label: String
    public let start: CalendarDate
    public let end: CalendarDate

    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }), let year = Int(parts[0]), year >= 1 else { return nil }
        var first = 0, last = 0
        if parts[1].count == 2, parts[1].hasPrefix("Q"), let q = Int(parts[1].dropFirst()), (1...4).contains(q) {
            first = q * 3 - 2
            last = q * 3
            label = "\(parts[0])-Q\(q)"
        } else if parts[1].count == 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let m = Int(parts[1]), (1...12).contains(m) {
            first = m
            last = m
            label = "\(parts[0])-\(parts[1])"
        } else {
            return nil
        }
        guard let s = CalendarDate(year: year, month: first, day: 1),
              let e = CalendarDate(year: year, month: last, day: CalendarDate.daysIn(month: last, year: year)) else { return nil }
        start = s
        end = e
    }

    public var range: ClosedRange<CalendarDate> { start...end }
    /// Its months, `YYYY-MM`, ascending.
    public var months: [String] { Store.months(from: start, through: end) }
    public var description: String { label }
}

/// The VAT report's rows of a period added up per transaction type, taxable jurisdiction, currency and rate: what a
/// VAT return is filled in from. Sums are exact, in minor units of each line's currency.
public struct VATSummary: Sendable {
    public struct Line: Sendable, Equatable {
        public var type: String
        public var jurisdiction: String
        public var country: String?
        public var currency: String
        public var rateBasisPoints: Int
        public var grossMinor: Int64
        public var vatMinor: Int64
        public var netMinor: Int64
        public var rows: Int

        /// The rate as the report writes it: a fraction, `0.19` for 19%.
        public var rate: String { VATTransactionsReport.rateText(basisPoints: rateBasisPoints) }
        var exponent: Int { Currency(code: currency).exponent }
    }

    /// One jurisdiction's total in one currency.
    public struct Total: Sendable, Equatable {
        public var jurisdiction: String
        public var country: String?
        public var currency: String
        public var grossMinor: Int64
        public var vatMinor: Int64
        public var netMinor: Int64
    }

    public var period: VATPeriod
    /// Ordered by jurisdiction, currency, transaction type, rate.
    public var lines: [Line]

    public init(period: VATPeriod, rows: [VATReportRow]) {
        self.period = period
        struct Key: Hashable { var type, jurisdiction, currency: String; var rate: Int }
        var sums: [Key: Line] = [:]
        for r in rows {
            let key = Key(type: r.transactionType, jurisdiction: r.taxableJurisdiction, currency: r.currency, rate: r.rateBasisPoints)
            var line = sums[key] ?? Line(type: r.transactionType, jurisdiction: r.taxableJurisdiction, country: r.jurisdictionCountry,
                                         currency: r.currency, rateBasisPoints: r.rateBasisPoints, grossMinor: 0, vatMinor: 0, netMinor: 0, rows: 0)
            line.grossMinor += r.grossMinor
            line.vatMinor += r.vatMinor
            line.netMinor += r.netMinor
            line.rows += 1
            sums[key] = line
        }
        lines = sums.values.sorted {
            ($0.jurisdiction, $0.currency, $0.type, $0.rateBasisPoints) < ($1.jurisdiction, $1.currency, $1.type, $1.rateBasisPoints)
        }
    }

    /// Per jurisdiction and currency (amounts in different currencies are never added), in the lines' order.
    public var totals: [Total] {
        var out: [Total] = []
        for l in lines {
            if let last = out.last, last.jurisdiction == l.jurisdiction, last.currency == l.currency {
                out[out.count - 1].grossMinor += l.grossMinor
                out[out.count - 1].vatMinor += l.vatMinor
                out[out.count - 1].netMinor += l.netMinor
            } else {
                out.append(Total(jurisdiction: l.jurisdiction, country: l.country, currency: l.currency,
                                 grossMinor: l.grossMinor, vatMinor: l.vatMinor, netMinor: l.netMinor))
            }
        }
        return out
    }

    /// `{"period": "2024-10", "rows": [{"type", "jurisdiction", "country", "currency", "rate", "gross", "vat", "net"}]}`;
    /// money and the rate as decimal strings.
    public var json: JSON {
        .object([
            ("period", .string(period.label)),
            ("rows", .array(lines.map { l in
                .object([
                    ("type", .string(l.type)), ("jurisdiction", .string(l.jurisdiction)), ("country", .optional(l.country)),
                    ("currency", .string(l.currency)), ("rate", .string(l.rate)),
                    ("gross", .string(Money.format(l.grossMinor, exponent: l.exponent))),
                    ("vat", .string(Money.format(l.vatMinor, exponent: l.exponent))),
                    ("net", .string(Money.format(l.netMinor, exponent: l.exponent))),
                ])
            })),
        ])
    }

    public static let csvHeader = ["type", "jurisdiction", "country", "currency", "rate", "gross", "vat", "net"]

    /// One row per line under a header; CRLF, as lmb's other CSV.
    public var csv: String {
        var rows = [Self.csvHeader]
        for l in lines {
            rows.append([l.type, l.jurisdiction, l.country ?? "", l.currency, l.rate, Money.format(l.grossMinor, exponent: l.exponent),
                         Money.format(l.vatMinor, exponent: l.exponent), Money.format(l.netMinor, exponent: l.exponent)])
        }
        return rows.map { $0.map(SettlementReport.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    /// The text table's cells: each jurisdiction's lines, then its total per currency.
    public var tableRows: [[String]] {
        var rows = [["TYPE", "JURISDICTION", "COUNTRY", "CURRENCY", "RATE", "GROSS", "VAT", "NET"]]
        let totals = self.totals
        var t = 0
        for (i, l) in lines.enumerated() {
            let e = l.exponent
            rows.append([l.type, l.jurisdiction, l.country ?? "", l.currency, l.rate, Money.format(l.grossMinor, exponent: e),
                         Money.format(l.vatMinor, exponent: e), Money.format(l.netMinor, exponent: e)])
            let next = i + 1 < lines.count ? lines[i + 1] : nil
            if next?.jurisdiction != l.jurisdiction || next?.currency != l.currency {
                let total = totals[t]
                t += 1
                rows.append(["total", total.jurisdiction, total.country ?? "", total.currency, "",
                             Money.format(total.grossMinor, exponent: e), Money.format(total.vatMinor, exponent: e),
                             Money.format(total.netMinor, exponent: e)])
            }
        }
        return rows
    }
}
