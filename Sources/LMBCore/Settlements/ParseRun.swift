#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One pass over an Amazon settlement report: the header line names the columns, the first row is the summary,
/// every later row is transactions. Each step below reads one kind of line; `finish` checks the sum.
struct ParseRun {
    static let fieldCapacity = 128

    let parser: SettlementParser
    /// The current line split at tabs; only as many fields as the columns read.
    let fields: UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>
    let detail: SettlementParser.GroupDetail
    let totalBytes: Int
    let progress: SettlementParser.Progress?
    let onHeader: ((SettlementHeader) throws -> Void)?
    let onEntry: SettlementParser.EntrySink?
    var hasher: SHA256?

    var text = TextDecoding()
    var dates = DateReader()
    var columns: SettlementParser.Columns?
    var header: SettlementHeader?
    /// Past the summary row (a plain flag: the hot path never touches the header's strings).
    var readingTransactions = false
    var amounts: AmountParser?
    var totals = GroupTotals()
    var marketplaces = MarketplaceTally()
    var sum: Int64 = 0
    var rowCount = 0
    var lastProgress = 0
    var lastPosted: CalendarDate?
    var lastPostedBytes: [UInt8] = []
    var neededFields = fieldCapacity  // until the header tells which columns are read
    var idBytes: [UInt8] = []
    static var empty: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: nil, count: 0) }

    init(parser: SettlementParser, fields: UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>, detail: SettlementParser.GroupDetail,
         totalBytes: Int, progress: SettlementParser.Progress?, onHeader: ((SettlementHeader) throws -> Void)?,
         onEntry: SettlementParser.EntrySink?) {
        self.parser = parser
        self.fields = fields
        self.detail = detail
        self.totalBytes = totalBytes
        self.progress = progress
        self.onHeader = onHeader
        self.onEntry = onEntry
    }

    func fail(_ line: Int?, _ message: String, _ kind: SettlementFileError.Kind = .malformed) -> SettlementFileError {
        parser.fail(line, message, kind)
    }

    @inline(__always) func field(_ i: Int) -> UnsafeBufferPointer<UInt8> { fields[i] }

    // MARK: One line

    /// Reads one line; always true (the reader stops at the end of the file).
    mutating func consume(_ rawLine: UnsafeBufferPointer<UInt8>, _ lineNo: Int, _ consumed: Int) throws -> Bool {
        let line = try checkedText(rawLine, lineNo)
        let (count, nonASCII) = try split(line, lineNo)
        if isBlank(count) { return true }   // a trailing or stray blank line carries nothing
        if readingTransactions {
            try readTransactionRow(count, nonASCII, lineNo)
            reportProgress(consumed)
        } else if columns == nil {
            try readColumnNames(count, lineNo)
        } else {
            try readSummaryRow(count, lineNo)
        }
        return true
    }

    /// Without a leading byte-order mark; a NUL byte means the file is not text.
    func checkedText(_ line: UnsafeBufferPointer<UInt8>, _ lineNo: Int) throws -> UnsafeBufferPointer<UInt8> {
        var line = line
        if lineNo == 1, line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
            line = UnsafeBufferPointer(rebasing: line[3...])
        }
        if let base = line.baseAddress, line.count > 0, memchr(base, 0, line.count) != nil {
            throw fail(lineNo, "binary data (a NUL byte); a settlement report is text")
        }
        return line
    }

    /// Splits on tabs, only as far as the last column read, eight bytes at a time; notes any non-ASCII byte.
    mutating func split(_ line: UnsafeBufferPointer<UInt8>, _ lineNo: Int) throws -> (count: Int, nonASCII: Bool) {
        let want = neededFields
        var n = 0
        var fieldStart = 0
        var high: UInt8 = 0
        let count = line.count
        if let base = line.baseAddress {
            let raw = UnsafeRawPointer(base)
            var highWord: UInt64 = 0
            var i = 0
            var done = false
            scan: while i + 8 <= count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                highWord |= w
                let t = w ^ 0x0909_0909_0909_0909
                var m = ~(((t & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | t | 0x7F7F_7F7F_7F7F_7F7F)
                while m != 0 {
                    let position = i + m.trailingZeroBitCount >> 3
                    fields[n] = UnsafeBufferPointer(start: base + fieldStart, count: position - fieldStart)
                    n += 1
                    fieldStart = position + 1
                    if n == want { done = true; break scan }
                    guard n < Self.fieldCapacity - 1 else { throw fail(lineNo, "more than \(Self.fieldCapacity) fields") }
                    m &= m &- 1
                }
                i += 8
            }
            if !done {
                while i < count {
                    let b = base[i]
                    high |= b
                    if b == 9 {
                        fields[n] = UnsafeBufferPointer(start: base + fieldStart, count: i - fieldStart)
                        n += 1
                        fieldStart = i + 1
                        if n == want { done = true; break }
                        guard n < Self.fieldCapacity - 1 else { throw fail(lineNo, "more than \(Self.fieldCapacity) fields") }
                    }
                    i += 1
                }
            }
            if !done {
                fields[n] = UnsafeBufferPointer(start: base + fieldStart, count: count - fieldStart)
                n += 1
            }
            if highWord & 0x8080_8080_8080_8080 != 0 { high |= 0x80 }
        }
        // Rows may drop trailing empty fields.
        if columns != nil { for i in n..<max(n, want) { fields[i] = Self.empty } }
        return (n, high & 0x80 != 0)
    }

    func isBlank(_ count: Int) -> Bool {
        for k in 0..<count where !fields[k].allSatisfy({ $0 == 32 }) { return false }
        return true
    }

    // MARK: The three kinds of line

    mutating func readColumnNames(_ count: Int, _ lineNo: Int) throws {
        var names: [String] = []
        for i in 0..<count { names.append(try text.string(fields[i]).trimmingSpaces()) }
        let found = try parser.columns(from: names, line: lineNo)
        columns = found
        neededFields = found.needed(withRowDetail: onEntry != nil || detail == .sku)
    }

    mutating func readSummaryRow(_ count: Int, _ lineNo: Int) throws {
        guard let cols = columns else { return }
        let fields = self.fields
        let head = try parser.readSummary({ fields[$0] }, cols, lineNo, &text, &dates)
        header = head
        readingTransactions = true
        try onHeader?(head)
        idBytes = Array(head.id.utf8)
        // Decide the decimal mark from the total where it shows one.
        var probe = AmountParser(exponent: head.currencyInfo.exponent)
        _ = try? probe.parse(field(cols.totalAmount))
        amounts = AmountParser(exponent: head.currencyInfo.exponent, decimalMark: probe.decimalMark)
    }

    mutating func readTransactionRow(_ count: Int, _ nonASCII: Bool, _ lineNo: Int) throws {
        guard let cols = columns else { return }
        try checkSameSettlement(cols, lineNo)
        rowCount += 1
        let posted = try postedDate(cols, lineNo)
        let tt = field(cols.transactionType)
        let at = cols.amountType.map(field) ?? Self.empty
        let market = cols.marketplace.map(field) ?? Self.empty
        if nonASCII {
            for k in 0..<count { try text.observe(fields[k]) }
        }
        marketplaces.add(market)
        let groupDetail: UnsafeBufferPointer<UInt8>
        switch detail {
        case .none: groupDetail = Self.empty
        case .sku: groupDetail = cols.sku.map(field) ?? Self.empty
        case .marketplace: groupDetail = market
        }
        for column in cols.amounts {
            guard let value = try amount(column, cols, lineNo) else { continue }
            let description = column.description.map(field) ?? Self.empty
            try parser.withFixedAmountType(column.amountType, or: at) { amountType in
                totals.add(tt, amountType, description, detail: groupDetail, posted, value)
                if let onEntry {
                    let entry = ParsedEntry(
                        line: lineNo, transactionType: tt, amountType: amountType, amountDescription: description,
                        marketplace: market, orderID: cols.orderID.map(field) ?? Self.empty,
                        sku: cols.sku.map(field) ?? Self.empty, quantity: cols.quantity.map(field) ?? Self.empty,
                        fulfilment: cols.fulfilment.map(field) ?? Self.empty, amountMinor: value, postedDate: posted)
                    try onEntry(entry, &text)
                }
            }
        }
    }

    // MARK: Steps of a transaction row

    func checkSameSettlement(_ cols: SettlementParser.Columns, _ lineNo: Int) throws {
        let id = field(cols.settlementID)
        if let base = id.baseAddress, !id.isEmpty, id.count != idBytes.count || memcmp(base, idBytes, id.count) != 0 {
            var text = self.text
            throw fail(lineNo, "settlement-id '\(try text.string(id))' differs from the summary row's '\(header?.id ?? "")'; one file holds one settlement")
        }
        if !field(cols.totalAmount).isEmpty {
            throw fail(lineNo, "a second summary row (total-amount is set); one file holds one settlement")
        }
    }

    /// Rows come in date order: most share the previous row's date text, so it is parsed once.
    mutating func postedDate(_ cols: SettlementParser.Columns, _ lineNo: Int) throws -> CalendarDate? {
        guard let p = cols.postedDate else { return nil }
        let f = field(p)
        guard let base = f.baseAddress, !f.isEmpty else { return nil }
        if let cached = lastPosted, f.count == lastPostedBytes.count, memcmp(base, lastPostedBytes, f.count) == 0 {
            return cached
        }
        let posted = try parser.readDate(f, "posted-date", lineNo, &dates)
        lastPosted = posted
        lastPostedBytes.removeAll(keepingCapacity: true)
        lastPostedBytes.append(contentsOf: f)
        return posted
    }

    /// The amount in minor units, added to the running sum; nil for a V1 column left empty.
    mutating func amount(_ column: SettlementParser.AmountColumn, _ cols: SettlementParser.Columns, _ lineNo: Int) throws -> Int64? {
        let raw = field(column.amount)
        if raw.isEmpty {
            // V1 rows without amounts (quantity rows) carry nothing to book; a V2 row always has one.
            if cols.format == .amazonV2 { throw fail(lineNo, "the amount is empty (the row may be cut short)") }
            return nil
        }
        guard var parser = amounts else { return nil }
        let value: Int64
        do { value = try parser.parse(raw) } catch {
            throw fail(lineNo, "amount '\(try text.string(raw))': \(error)")
        }
        amounts = parser
        let (s, overflow) = sum.addingReportingOverflow(value)
        if overflow { throw fail(lineNo, "the amounts overflow") }
        sum = s
        return value
    }

    mutating func reportProgress(_ consumed: Int) {
        if let progress, consumed - lastProgress > (1 << 22) {
            lastProgress = consumed
            progress(lastProgress, totalBytes)
        }
    }

    // MARK: The end

    /// Checks the file had a header and a summary, and that its rows add up to the total.
    mutating func finish(lastLine: Int) throws -> ParsedSettlement {
        guard columns != nil else { throw fail(nil, "the file is empty") }
        guard let head = header else { throw fail(lastLine + 1, "no summary row after the header (a header-only file)") }
        if sum != head.totalMinor {
            let currency = head.currencyInfo
            throw fail(nil, "settlement \(head.id) does not add up: its rows sum to \(Money.format(sum, exponent: currency.exponent)) but total-amount is \(head.total.decimalString) (difference \(Money.format(head.totalMinor - sum, exponent: currency.exponent)) \(currency.code))", .doesNotAddUp)
        }
        let market = try marketplaces.choose(&text)
        return ParsedSettlement(
            header: head, marketplace: market, groups: try totals.groups(&text), rowCount: rowCount,
            encoding: text.encoding.rawValue,
            decimalMark: amounts?.decimalMark == .comma ? "," : ".",
            dateOrder: dates.slashOrder?.rawValue,
            contentHash: hasher?.hexDigest() ?? "")
    }
}
