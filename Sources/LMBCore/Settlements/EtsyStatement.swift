import Foundation

/// An Etsy monthly statement (CSV): `Date,Type,Title,Info,Currency,Amount,"Fees & Taxes",Net,"Tax Details"`, newest row
/// first. A payout is the set of rows between two deposits; each becomes a settlement. What Etsy keeps back (the
/// difference between a payout's rows and its deposit) is booked as the Etsy balance carried, so every payout
/// totals its deposit; the rows after the month's last deposit go with that last payout, so no row is lost.
public struct EtsyStatementParser {
    let path: String
    let displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }

    /// The first bytes of an Etsy statement, after any byte-order mark (SettlementFormat.detect reads them).
    static let headerStart = "Date,Type,Title"

    public struct Row: Sendable {
        public var line: Int
        public var date: CalendarDate
        public var type: String
        public var title: String
        public var info: String
        public var currency: String
        public var netMinor: Int64
        public var depositMinor: Int64?
        var raw: String
    }

    public struct Payout: Sendable {
        public var settlement: ParsedSettlement
        public var rows: [Row]
    }

    func fail(_ line: Int?, _ message: String) -> SettlementFileError {
        SettlementFileError(.malformed, file: displayName, line: line, message)
    }

    private func openReader() throws -> LineReader {
        do { return try LineReader(path: path) } catch {
            if case .cannotOpen(_, let code) = error, code == ENOENT { throw SettlementFileError(.notFound, file: displayName, "no such file") }
            throw fail(nil, "cannot be read")
        }
    }

    /// Reads the statement line by line (memory holds the rows kept, not the file), then splits it into payouts.
    public func parse() throws -> [Payout] {
        var records = CSVRecords(lines: try openReader(), fail: fail)
        guard let header = try records.next() else { throw fail(nil, "the file is empty") }
        let names = header.fields.map { $0.lowercased() }
        func column(_ name: String) throws -> Int {
            guard let i = names.firstIndex(of: name) else { throw fail(1, "the header has no '\(name)' column") }
            return i
        }
        let (cDate, cType, cTitle, cInfo, cCurrency, cNet) = (try column("date"), try column("type"), try column("title"),
                                                              try column("info"), try column("currency"), try column("net"))
        var amounts = AmountParser(exponent: 2)
        var rows: [Row] = []
        while let record = try records.next() {
            if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            let f = record.fields
            guard f.count == names.count else { throw fail(record.line, "\(f.count) fields where the header has \(names.count); is a field with a comma not quoted?") }
            guard let date = Self.date(f[cDate]) else { throw fail(record.line, "date '\(f[cDate])' is not a date like 'October 31, 2025'") }
            let currency = f[cCurrency].trimmingCharacters(in: .whitespaces).uppercased()
            guard Currency.isPlausible(currency) else { throw fail(record.line, "currency '\(f[cCurrency])' is not an ISO 4217 code") }
            var exponentParser = amounts
            if Currency(code: currency).exponent != 2 { exponentParser = AmountParser(exponent: Currency(code: currency).exponent, decimalMark: amounts.decimalMark) }
            func money(_ s: String) throws -> Int64 {
                let t = s.trimmingCharacters(in: .whitespaces)
                if t == "--" || t.isEmpty { return 0 }
                do { return try exponentParser.parse(t) } catch { throw fail(record.line, "amount '\(t)': \(error)") }
            }
            var row = Row(line: record.line, date: date, type: f[cType], title: f[cTitle], info: f[cInfo], currency: currency,
                          netMinor: try money(f[cNet]), depositMinor: nil, raw: f.joined(separator: "\u{1F}"))
            if row.type == "Deposit" {
                guard let amount = row.title.split(separator: " ").first else { throw fail(record.line, "a deposit without an amount in its title") }
                row.depositMinor = try money(String(amount))
            }
            if exponentParser.decimalMark != nil { amounts = AmountParser(exponent: 2, decimalMark: exponentParser.decimalMark) }
            rows.append(row)
        }
        guard !rows.isEmpty else { throw fail(2, "no rows after the header") }
        guard Set(rows.map(\.currency)).count == 1 else { throw fail(nil, "the statement mixes currencies; lmb expects one shop currency") }
        // Oldest first: the statement lists the newest row first.
        let chronological = Array(rows.reversed())
        var segments: [[Row]] = []
        var current: [Row] = []
        for row in chronological {
            current.append(row)
            if row.depositMinor != nil { segments.append(current); current = [] }
        }
        guard !segments.isEmpty else { throw fail(nil, "no deposit in this statement: there is no payout to book yet") }
        segments[segments.count - 1] += current   // rows after the last deposit stay with it, so no row is lost
        return try segments.map(payout)
    }

    func payout(_ rows: [Row]) throws -> Payout {
        guard let deposit = rows.first(where: { $0.depositMinor != nil }), let depositMinor = deposit.depositMinor,
              let first = rows.first, let last = rows.last else {
            throw fail(nil, "a payout without a deposit")
        }
        let currency = deposit.currency
        let id = "etsy-\(deposit.date.description.replacingOccurrences(of: "-", with: ""))-\(depositMinor)"
        var totals = GroupTotals()
        var transactions: Int64 = 0
        for r in rows where r.depositMinor == nil {
            totals.add(transactionType: r.type, amountType: "Etsy", amountDescription: Self.describe(r.title), date: r.date, amount: r.netMinor)
            transactions += r.netMinor
        }
        // What Etsy held back or released: the payout's rows and its deposit differ by exactly this.
        totals.add(transactionType: "Deposit", amountType: "Etsy", amountDescription: "Etsy balance carried", date: deposit.date,
                   amount: depositMinor - transactions)
        let hash = SHA256.hex(rows.map(\.raw).joined(separator: "\n"))
        let header = SettlementHeader(id: id, format: .etsy, currency: currency, startDate: first.date, endDate: last.date,
                                      depositDate: deposit.date, totalMinor: depositMinor)
        let groups = totals.groups()
        let parsed = ParsedSettlement(header: header, marketplace: "Etsy", groups: groups, rowCount: rows.count - 1,
                                      encoding: "utf-8", decimalMark: ".", dateOrder: nil, contentHash: hash)
        return Payout(settlement: parsed, rows: rows.filter { $0.depositMinor == nil })
    }

    /// "Transaction fee: Modern Hourglass…" → "Transaction fee"; "Payment for Order #38…" → "Payment for Order".
    static func describe(_ title: String) -> String {
        var t = title.split(separator: ":", maxSplits: 1).first.map(String.init) ?? title
        t = t.replacingOccurrences(of: #"\s*#\d+"#, with: "", options: .regularExpression)
        t = t.replacingOccurrences(of: #"\$[\d,\.]+"#, with: "", options: .regularExpression)
        return t.trimmingCharacters(in: .whitespaces)
    }

    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]

    /// "October 31, 2025".
    static func date(_ s: String) -> CalendarDate? {
        let parts = s.replacingOccurrences(of: ",", with: "").split(separator: " ")
        guard parts.count == 3, let m = months.firstIndex(of: parts[0].lowercased()), let d = Int(parts[1]), let y = Int(parts[2]) else { return nil }
        return CalendarDate(year: y, month: m + 1, day: d)
    }

    struct Record { var line: Int; var fields: [String] }
}

/// RFC 4180 records, read line by line: quoted fields with doubled quotes, and commas and line breaks inside quotes
/// (a record then spans lines). Text is UTF-8, or Windows-1252 when it is not, decided as for Amazon reports.
struct CSVRecords: ~Copyable {
    private var lines: LineReader
    private var text = TextDecoding()
    private var consumed = 0
    private let fail: (Int?, String) -> SettlementFileError

    init(lines: consuming LineReader, fail: @escaping (Int?, String) -> SettlementFileError) {
        self.lines = lines
        self.fail = fail
    }

    /// The next record, or nil at the end of the file.
    mutating func next() throws -> EtsyStatementParser.Record? {
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var recordLine: Int?
        while let next = try nextLine() {
            let (line, number, crlf) = next
            if recordLine == nil { recordLine = number }
            var chars = line.unicodeScalars[...]
            while let c = chars.popFirst() {
                if inQuotes {
                    if c == "\"" {
                        if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { inQuotes = false }
                    } else {
                        field.unicodeScalars.append(c)
                    }
                    continue
                }
                switch c {
                case "\"": inQuotes = true
                case ",": fields.append(field); field = ""
                case "\r": continue
                case "\0": throw fail(number, "binary data (a NUL byte); a statement is text")
                default: field.unicodeScalars.append(c)
                }
            }
            if inQuotes {
                field += crlf ? "\r\n" : "\n"   // a line break inside quotes belongs to the field
                continue
            }
            fields.append(field)
            return EtsyStatementParser.Record(line: recordLine ?? number, fields: fields)
        }
        if inQuotes { throw fail(recordLine, "a quoted field is never closed (the file ends mid-row)") }
        return nil
    }

    /// The next line as text, its number, and whether it ended in CR LF (kept as such inside a quoted field).
    private mutating func nextLine() throws -> (String, Int, Bool)? {
        var decoder = text
        var before = consumed
        defer { text = decoder; consumed = before }
        do {
            return try lines.nextLine { bytes, number, after -> (String, Int, Bool) in
                let terminator = after - before - bytes.count
                before = after
                var bytes = bytes
                if number == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeBufferPointer(rebasing: bytes[3...]) }
                return (try decoder.string(bytes), number, terminator == 2)
            }
        } catch let error as LineReader.Failure {
            switch error {
            case .lineTooLong(let line, let limit): throw fail(line, "a line longer than \(limit / 1024) KiB; this is not an Etsy statement")
            default: throw fail(nil, "cannot be read")
            }
        } catch is TextDecoding.Failure {
            throw fail(lines.lineNumber, "text that is neither valid UTF-8 nor consistently Windows-1252")
        }
    }
}
