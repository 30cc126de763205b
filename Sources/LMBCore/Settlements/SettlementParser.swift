import Foundation

/// One amount of a settlement row, as the parser hands it out. The byte fields point into the parser's
/// buffer and are valid only during the callback; `decode` turns one into a String when a consumer needs it.
public struct ParsedEntry {
    public var line: Int
    public var transactionType: UnsafeBufferPointer<UInt8>
    public var amountType: UnsafeBufferPointer<UInt8>
    public var amountDescription: UnsafeBufferPointer<UInt8>
    public var marketplace: UnsafeBufferPointer<UInt8>
    public var orderID: UnsafeBufferPointer<UInt8>
    public var sku: UnsafeBufferPointer<UInt8>
    public var amountMinor: Int64
    public var postedDate: CalendarDate?
}

/// Streams an Amazon settlement report (Flat File V2 or V1), checks it, and sums its rows into groups.
/// Columns are found by name; the format is told from the header. Memory does not grow with the file.
public struct SettlementParser {
    public typealias Progress = (_ bytesRead: Int, _ totalBytes: Int) -> Void
    public typealias EntrySink = (borrowing ParsedEntry, inout TextDecoding) throws -> Void

    let path: String
    let displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }

    // MARK: Columns

    /// Where an amount lives in a row: V2 has one amount column; V1 spreads amounts over several.
    struct AmountColumn {
        var amount: Int
        var description: Int?           // column holding the amount-description, if any
        var amountType: StaticString?   // fixed amount-type for V1 columns; nil = read the amount-type column
    }

    final class Columns {
        var format: SettlementFormat
        var settlementID, startDate, endDate, depositDate, totalAmount, currency, transactionType: Int
        var amountType: Int?
        var marketplace, orderID, sku, postedDate: Int?
        var amounts: [AmountColumn]

        init(format: SettlementFormat, settlementID: Int, startDate: Int, endDate: Int, depositDate: Int,
             totalAmount: Int, currency: Int, transactionType: Int, amountType: Int?, marketplace: Int?, orderID: Int?,
             sku: Int?, postedDate: Int?, amounts: [AmountColumn]) {
            self.format = format; self.settlementID = settlementID; self.startDate = startDate
            self.endDate = endDate; self.depositDate = depositDate; self.totalAmount = totalAmount; self.currency = currency
            self.transactionType = transactionType; self.amountType = amountType; self.marketplace = marketplace
            self.orderID = orderID; self.sku = sku; self.postedDate = postedDate; self.amounts = amounts
        }

        /// How many leading fields of a row hold everything read.
        func needed(withRowDetail: Bool) -> Int {
            var used = [settlementID, startDate, endDate, depositDate, totalAmount, currency, transactionType]
            used += [amountType, marketplace, postedDate].compactMap { $0 }
            used += amounts.flatMap { [$0.amount] + ($0.description.map { [$0] } ?? []) }
            if withRowDetail { used += [orderID, sku].compactMap { $0 } }
            return used.max()! + 1
        }
    }

    static let v1AmountColumns: [(type: String?, amount: String, amountType: StaticString)] = [
        ("price-type", "price-amount", "ItemPrice"),
        ("item-related-fee-type", "item-related-fee-amount", "ItemFees"),
        ("shipment-fee-type", "shipment-fee-amount", "ShipmentFees"),
        ("order-fee-type", "order-fee-amount", "OrderFees"),
        (nil, "misc-fee-amount", "MiscFee"),
        ("other-fee-reason-description", "other-fee-amount", "OtherFee"),
        ("promotion-type", "promotion-amount", "Promotion"),
        ("direct-payment-type", "direct-payment-amount", "DirectPayment"),
        (nil, "other-amount", "other-transaction"),
    ]

    func columns(from names: [String], line: Int) throws(SettlementFileError) -> Columns {
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() where index[n] == nil { index[n.lowercased()] = i }
        func required(_ name: String) throws(SettlementFileError) -> Int {
            guard let i = index[name] else { throw fail(line, "the header has no '\(name)' column") }
            return i
        }
        let isV2 = index["amount-type"] != nil && index["amount"] != nil
        let isV1 = index["price-amount"] != nil || index["item-related-fee-amount"] != nil
        guard index["settlement-id"] != nil, isV2 || isV1 else {
            if names.count == 1, let only = names.first, only.contains(",") || only.contains(";") {
                throw fail(line, "the header is not tab-separated (found '\(only.contains(",") ? "," : ";")'); Amazon settlement reports are tab-separated text")
            }
            throw fail(line, "not an Amazon settlement report: the header lacks settlement-id and amount columns")
        }
        var amounts: [AmountColumn] = []
        let format: SettlementFormat
        if isV2 {
            format = .amazonV2
            amounts = [AmountColumn(amount: try required("amount"), description: try required("amount-description"), amountType: nil)]
        } else {
            format = .amazonV1
            for c in Self.v1AmountColumns {
                guard let a = index[c.amount] else { continue }
                let d = c.type.flatMap { index[$0] } ?? index["transaction-type"]
                amounts.append(AmountColumn(amount: a, description: d, amountType: c.amountType))
            }
        }
        return Columns(
            format: format,
            settlementID: try required("settlement-id"), startDate: try required("settlement-start-date"),
            endDate: try required("settlement-end-date"), depositDate: try required("deposit-date"),
            totalAmount: try required("total-amount"), currency: try required("currency"),
            transactionType: try required("transaction-type"),
            amountType: isV2 ? try required("amount-type") : nil,
            marketplace: index["marketplace-name"], orderID: index["order-id"], sku: index["sku"],
            postedDate: index["posted-date"] ?? index["posted-date-time"],
            amounts: amounts)
    }

    func fail(_ line: Int?, _ message: String, _ kind: SettlementFileError.Kind = .malformed) -> SettlementFileError {
        SettlementFileError(kind, file: displayName, line: line, message)
    }

    // MARK: Parsing

    /// Parses the whole file. `onEntry` sees every amount (for storing rows); the result holds the groups.
    public func parse(hashContent: Bool = true, progress: Progress? = nil, onHeader: ((SettlementHeader) throws -> Void)? = nil,
                      onEntry: EntrySink? = nil) throws -> ParsedSettlement {
        var reader: LineReader
        do { reader = try LineReader(path: path) } catch {
            if case .cannotOpen(_, let code) = error, code == ENOENT { throw fail(nil, "no such file", .notFound) }
            throw fail(nil, "cannot be read")
        }
        let totalBytes = Self.fileSize(path)
        let hasher: SHA256? = hashContent ? SHA256() : nil
        if let hasher { reader.onRead = { hasher.update($0) } }
        var text = TextDecoding()
        var dates = DateReader()
        var columns: Columns?
        var header: SettlementHeader?
        var amounts: AmountParser?
        var aggregator = GroupAggregator()
        var marketplaces = MarketplaceTally()
        var sum: Int64 = 0
        var rowCount = 0
        var lastProgress = 0
        var lastPosted: CalendarDate?
        var lastPostedBytes: [UInt8] = []

        let fieldCapacity = 128
        var neededFields = fieldCapacity  // until the header tells which columns are read
        var idBytes: [UInt8] = []
        let fields = UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: fieldCapacity)
        defer { fields.deallocate() }
        let empty = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

        while true {
            let more: Bool
            do {
                more = try reader.nextLine { (rawLine: UnsafeBufferPointer<UInt8>, lineNo: Int, consumed: Int) throws -> Bool in
                    var line = rawLine
                    if lineNo == 1, line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                        line = UnsafeBufferPointer(rebasing: line[3...])
                    }
                    if memchr(line.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, line.count) != nil, line.count > 0 {
                        throw fail(lineNo, "binary data (a NUL byte); a settlement report is text")
                    }
                    // Split on tabs, only as far as the last column read; note any non-ASCII byte on the way.
                    let want = neededFields
                    var n = 0
                    var fieldStart = 0
                    var high: UInt8 = 0
                    let count = line.count
                    if let base = line.baseAddress {
                        // Eight bytes at a time: find the tabs (exactly, per byte) and OR the bytes together.
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
                                guard n < fieldCapacity - 1 else { throw fail(lineNo, "more than \(fieldCapacity) fields") }
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
                                    guard n < fieldCapacity - 1 else { throw fail(lineNo, "more than \(fieldCapacity) fields") }
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
                    // Blank lines (a trailing one, or stray ones) carry nothing.
                    var blank = true
                    for k in 0..<n where !fields[k].allSatisfy({ $0 == 32 }) { blank = false; break }
                    if blank { return true }

                    guard let cols = columns else {
                        var names: [String] = []
                        for i in 0..<n { names.append(try text.string(fields[i]).trimmingSpaces()) }
                        let found = try self.columns(from: names, line: lineNo)
                        columns = found
                        neededFields = found.needed(withRowDetail: onEntry != nil)
                        return true
                    }
                    // Rows may drop trailing empty fields.
                    for i in n..<max(n, want) { fields[i] = empty }
                    let nonASCII = high & 0x80 != 0
                    func field(_ i: Int) -> UnsafeBufferPointer<UInt8> { fields[i] }

                    guard let head = header else {
                        header = try readSummary(field, cols, lineNo, &text, &dates)
                        try onHeader?(header!)
                        idBytes = Array(header!.id.utf8)
                        amounts = AmountParser(exponent: header!.currencyInfo.exponent, decimalMark: nil)
                        // Decide the decimal mark from the total where it shows one.
                        var probe = AmountParser(exponent: header!.currencyInfo.exponent)
                        _ = try? probe.parse(field(cols.totalAmount))
                        if let mark = probe.decimalMark { amounts = AmountParser(exponent: probe.exponent, decimalMark: mark) }
                        return true
                    }

                    let id = field(cols.settlementID)
                    if !id.isEmpty && (id.count != idBytes.count || memcmp(id.baseAddress!, idBytes, id.count) != 0) {
                        throw fail(lineNo, "settlement-id '\(try text.string(id))' differs from the summary row's '\(head.id)'; one file holds one settlement")
                    }
                    if !field(cols.totalAmount).isEmpty {
                        throw fail(lineNo, "a second summary row (total-amount is set); one file holds one settlement")
                    }
                    rowCount += 1

                    var posted: CalendarDate?
                    if let p = cols.postedDate, !field(p).isEmpty {
                        // Rows come in date order: most share the previous row's date text.
                        let f = field(p)
                        if let cached = lastPosted, f.count == lastPostedBytes.count, memcmp(f.baseAddress!, lastPostedBytes, f.count) == 0 {
                            posted = cached
                        } else {
                            posted = try readDate(field(p), "posted-date", lineNo, &dates)
                            lastPosted = posted
                            lastPostedBytes.removeAll(keepingCapacity: true)
                            lastPostedBytes.append(contentsOf: field(p))
                        }
                    }
                    let tt = field(cols.transactionType)
                    let at = cols.amountType.map(field) ?? empty
                    let market = cols.marketplace.map(field) ?? empty
                    if nonASCII {
                        for k in 0..<n { try text.observe(fields[k]) }
                    }
                    marketplaces.add(market)
                    for column in cols.amounts {
                        let raw = field(column.amount)
                        if raw.isEmpty {
                            // V1 rows without amounts (quantity rows) carry nothing to book; a V2 row always has one.
                            if cols.format == .amazonV2 { throw fail(lineNo, "the amount is empty (the row may be cut short)") }
                            continue
                        }
                        let value: Int64
                        do { value = try amounts!.parse(raw) } catch {
                            throw fail(lineNo, "amount '\(try text.string(raw))': \(error)")
                        }
                        let (s, overflow) = sum.addingReportingOverflow(value)
                        if overflow { throw fail(lineNo, "the amounts overflow") }
                        sum = s
                        let description = column.description.map(field) ?? empty
                        try withFixedAmountType(column.amountType, or: at) { amountType in
                            aggregator.add(tt, amountType, description, posted, value)
                            if let onEntry {
                                let entry = ParsedEntry(
                                    line: lineNo, transactionType: tt, amountType: amountType, amountDescription: description,
                                    marketplace: market, orderID: cols.orderID.map(field) ?? empty,
                                    sku: cols.sku.map(field) ?? empty, amountMinor: value, postedDate: posted)
                                try onEntry(entry, &text)
                            }
                        }
                    }
                    if let progress, consumed - lastProgress > (1 << 22) {
                        lastProgress = consumed
                        progress(lastProgress, totalBytes)
                    }
                    return true
                } ?? false
            } catch let error as SettlementFileError {
                throw error
            } catch let error as LineReader.Failure {
                switch error {
                case .lineTooLong(let line, let limit): throw fail(line, "a line longer than \(limit / 1024) KiB; this is not a settlement report")
                default: throw fail(nil, "cannot be read")
                }
            } catch is TextDecoding.Failure {
                throw fail(reader.lineNumber, "text that is neither valid UTF-8 nor consistently Windows-1252")
            }
            if !more { break }
        }
        progress?(totalBytes, totalBytes)

        guard columns != nil else { throw fail(nil, "the file is empty") }
        guard let head = header else { throw fail(reader.lineNumber + 1, "no summary row after the header (a header-only file)") }
        if sum != head.totalMinor {
            let currency = head.currencyInfo
            throw fail(nil, "settlement \(head.id) does not add up: its rows sum to \(Money.format(sum, exponent: currency.exponent)) but total-amount is \(head.total.decimalString) (difference \(Money.format(head.totalMinor - sum, exponent: currency.exponent)) \(currency.code))", .doesNotAddUp)
        }
        let market = try marketplaces.choose(&text)
        return ParsedSettlement(
            header: head, marketplace: market, groups: try aggregator.groups(&text), rowCount: rowCount,
            encoding: text.encoding.rawValue,
            decimalMark: amounts?.decimalMark == .comma ? "," : ".",
            dateOrder: dates.slashOrder?.rawValue,
            contentHash: hasher?.hexDigest() ?? "")
    }

    private func withFixedAmountType(_ fixed: StaticString?, or column: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        if let fixed {
            try body(UnsafeBufferPointer(start: fixed.utf8Start, count: fixed.utf8CodeUnitCount))
        } else {
            try body(column)
        }
    }

    private func readSummary(_ field: (Int) -> UnsafeBufferPointer<UInt8>, _ cols: Columns, _ lineNo: Int,
                             _ text: inout TextDecoding, _ dates: inout DateReader) throws -> SettlementHeader {
        let id = try text.string(field(cols.settlementID)).trimmingSpaces()
        guard !id.isEmpty else { throw fail(lineNo, "the summary row has no settlement-id") }
        guard id.utf8.count <= 64, id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) else {
            throw fail(lineNo, "settlement-id '\(id.prefix(40))' is not an Amazon settlement id (letters, digits, '-' and '_' only)")
        }
        let totalField = field(cols.totalAmount)
        guard !totalField.isEmpty else { throw fail(lineNo, "the first row after the header is not the summary row (total-amount is empty)") }
        let currency = try text.string(field(cols.currency)).trimmingSpaces()
        guard Currency.isPlausible(currency) else { throw fail(lineNo, "currency '\(currency)' is not an ISO 4217 code") }
        var amounts = AmountParser(exponent: Currency(code: currency).exponent)
        let total: Int64
        do { total = try amounts.parse(totalField) } catch {
            throw fail(lineNo, "total-amount '\(try text.string(totalField))': \(error)")
        }
        let start = try readDate(field(cols.startDate), "settlement-start-date", lineNo, &dates)
        let end = try readDate(field(cols.endDate), "settlement-end-date", lineNo, &dates)
        let deposit = try readDate(field(cols.depositDate), "deposit-date", lineNo, &dates)
        if end < start { throw fail(lineNo, "settlement-end-date \(end) is before settlement-start-date \(start)") }
        return SettlementHeader(id: id, format: cols.format, currency: currency.uppercased(), startDate: start, endDate: end,
                                depositDate: deposit, totalMinor: total)
    }

    private func readDate(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String, _ lineNo: Int, _ dates: inout DateReader) throws -> CalendarDate {
        guard let parts = DateReader.parts(bytes) else {
            throw fail(lineNo, "\(name) '\(String(decoding: bytes.prefix(40), as: UTF8.self))' is not a date")
        }
        if parts.shape == .slashed && dates.slashOrder == nil {
            dates.slashOrder = try decideSlashOrder()
        }
        do { return try dates.resolve(parts) } catch {
            throw fail(lineNo, "\(name) '\(String(decoding: bytes.prefix(40), as: UTF8.self))' is not a valid day")
        }
    }

    /// Reads every slashed date in the file once, so that `09/06/25` is read the same way on every row.
    func decideSlashOrder() throws -> DateReader.SlashOrder {
        var reader = try LineReader(path: path)
        var evidence = SlashOrderEvidence()
        var usd = false
        while try reader.nextLine({ line, _, _ -> Void in
            var start = 0
            for i in 0...line.count where i == line.count || line[i] == 9 {
                let field = UnsafeBufferPointer(rebasing: line[start..<i])
                if field.count >= 6, field.count <= 40, let p = DateReader.parts(field) { evidence.add(p) }
                if field.count == 3, field.elementsEqual("USD".utf8) { usd = true }
                start = i + 1
            }
        }) != nil {}
        switch evidence.verdict {
        case .decided(let order): return order
        case .contradictory:
            throw fail(nil, "slashed dates read only day-first on some rows and only month-first on others; the dates are inconsistent")
        case .undecided:
            // Every date reads both ways: follow the convention of the file's currency.
            return usd ? .monthFirst : .dayFirst
        }
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}

/// Sums entries by (transaction-type, amount-type, amount-description, month) without building anything per row:
/// an open-addressing table keyed by an FNV-1a hash of the field bytes, each hit checked byte for byte.
struct GroupAggregator {
    private struct Key {
        var bytes: [UInt8]   // tt, at, ad back to back
        var ttCount: Int, atCount: Int
        var yearMonth: Int   // 0 when the rows carry no date
        var hash: UInt64
    }
    private var slots = [Int32](repeating: -1, count: 1024)
    private var keys: [Key] = []
    private var sums: [(amount: Int64, count: Int)] = []

    @inline(__always) private static func fnv(_ hash: inout UInt64, _ bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        hash = (hash ^ 0x1F) &* 0x100000001b3
    }

    mutating func add(_ tt: UnsafeBufferPointer<UInt8>, _ at: UnsafeBufferPointer<UInt8>, _ ad: UnsafeBufferPointer<UInt8>,
                      _ date: CalendarDate?, _ amount: Int64) {
        let ym = date.map { $0.year * 100 + $0.month } ?? 0
        var hash: UInt64 = 0xcbf29ce484222325
        Self.fnv(&hash, tt); Self.fnv(&hash, at); Self.fnv(&hash, ad)
        hash = (hash ^ UInt64(ym)) &* 0x100000001b3
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let i = Int(slots[slot])
            if i < 0 { break }
            if keys[i].hash == hash && keys[i].yearMonth == ym && Self.same(keys[i], tt, at, ad) {
                sums[i].amount &+= amount
                sums[i].count += 1
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(keys.count)
        keys.append(Key(bytes: Array(tt) + Array(at) + Array(ad), ttCount: tt.count, atCount: at.count, yearMonth: ym, hash: hash))
        sums.append((amount, 1))
        if keys.count * 2 > slots.count { grow() }
    }

    private static func same(_ key: Key, _ tt: UnsafeBufferPointer<UInt8>, _ at: UnsafeBufferPointer<UInt8>, _ ad: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.ttCount == tt.count, key.atCount == at.count, key.bytes.count == tt.count + at.count + ad.count else { return false }
        return key.bytes.withUnsafeBufferPointer { k in
            func eq(_ offset: Int, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
                b.isEmpty || memcmp(k.baseAddress! + offset, b.baseAddress!, b.count) == 0
            }
            return eq(0, tt) && eq(tt.count, at) && eq(tt.count + at.count, ad)
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key.hash ^ (key.hash >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }

    func groups(_ text: inout TextDecoding) throws -> [SettlementGroup] {
        var out: [SettlementGroup] = []
        for (i, key) in keys.enumerated() {
            func s(_ range: Range<Int>) throws -> String {
                try Array(key.bytes[range]).withUnsafeBufferPointer { b throws(TextDecoding.Failure) in try text.string(b) }.trimmingSpaces()
            }
            let month = key.yearMonth == 0 ? "" : String(format: "%04d-%02d", key.yearMonth / 100, key.yearMonth % 100)
            out.append(SettlementGroup(
                transactionType: try s(0..<key.ttCount), amountType: try s(key.ttCount..<key.ttCount + key.atCount),
                amountDescription: try s(key.ttCount + key.atCount..<key.bytes.count),
                month: month, amountMinor: sums[i].amount, count: sums[i].count))
        }
        return out.sorted { ($0.month, $0.transactionType, $0.amountType, $0.amountDescription) < ($1.month, $1.transactionType, $1.amountType, $1.amountDescription) }
    }
}

/// Counts rows per marketplace-name; the settlement's marketplace is the commonest (not "Non-Amazon …").
struct MarketplaceTally {
    private var names: [[UInt8]] = []
    private var counts: [Int] = []
    private var last = -1

    mutating func add(_ name: UnsafeBufferPointer<UInt8>) {
        guard !name.isEmpty else { return }
        if last >= 0, names[last].elementsEqual(name) { counts[last] += 1; return }
        if let i = names.firstIndex(where: { $0.elementsEqual(name) }) {
            counts[i] += 1; last = i; return
        }
        guard names.count < 64 else { return }
        names.append(Array(name)); counts.append(1); last = names.count - 1
    }

    func choose(_ text: inout TextDecoding) throws -> String {
        var best: (name: String, count: Int)?
        for (i, bytes) in names.enumerated() {
            let name = try bytes.withUnsafeBufferPointer { b throws(TextDecoding.Failure) in try text.string(b) }.trimmingSpaces()
            if name.hasPrefix("Non-Amazon") || name.isEmpty { continue }
            if best == nil || counts[i] > best!.count || (counts[i] == best!.count && name < best!.name) { best = (name, counts[i]) }
        }
        return best?.name ?? "Amazon"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\u{FEFF}" { s = s.dropFirst() }
        while let l = s.last, l == " " { s = s.dropLast() }
        return String(s)
    }
}
