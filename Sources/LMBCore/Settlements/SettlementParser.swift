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
    /// quantity-purchased and fulfillment-id (AFN/MFN) as the row gives them; empty when absent (refund rows often
    /// carry no quantity) or when the file has no such column.
    public var quantity: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)
    public var fulfilment: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)
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
        /// quantity-purchased and fulfillment-id, read for cost of goods sold (rows stored with the import).
        var quantity, fulfilment: Int?
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
            if withRowDetail { used += [orderID, sku, quantity, fulfilment].compactMap { $0 } }
            return (used.max() ?? 0) + 1
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
        guard let format = SettlementFormat.amazon(hasColumn: { index[$0] != nil }) else {
            if names.count == 1, let only = names.first, only.contains(",") || only.contains(";") {
                throw fail(line, "the header is not tab-separated (found '\(only.contains(",") ? "," : ";")'); Amazon settlement reports are tab-separated text")
            }
            throw fail(line, "not an Amazon settlement report: the header lacks settlement-id and amount columns")
        }
        var amounts: [AmountColumn] = []
        let isV2 = format == .amazonV2
        if isV2 {
            amounts = [AmountColumn(amount: try required("amount"), description: try required("amount-description"), amountType: nil)]
        } else {
            for c in Self.v1AmountColumns {
                guard let a = index[c.amount] else { continue }
                let d = c.type.flatMap { index[$0] } ?? index["transaction-type"]
                amounts.append(AmountColumn(amount: a, description: d, amountType: c.amountType))
            }
        }
        let found = Columns(
            format: format,
            settlementID: try required("settlement-id"), startDate: try required("settlement-start-date"),
            endDate: try required("settlement-end-date"), depositDate: try required("deposit-date"),
            totalAmount: try required("total-amount"), currency: try required("currency"),
            transactionType: try required("transaction-type"),
            amountType: isV2 ? try required("amount-type") : nil,
            marketplace: index["marketplace-name"], orderID: index["order-id"], sku: index["sku"],
            postedDate: index["posted-date"] ?? index["posted-date-time"],
            amounts: amounts)
        found.quantity = index["quantity-purchased"]
        found.fulfilment = index["fulfillment-id"]
        return found
    }

    func fail(_ line: Int?, _ message: String, _ kind: SettlementFileError.Kind = .malformed) -> SettlementFileError {
        SettlementFileError(kind, file: displayName, line: line, message)
    }

    // MARK: Parsing

    /// Which row detail groups carry besides the three fields and the month: none, the SKU or the marketplace.
    public enum GroupDetail: Sendable { case none, sku, marketplace }

    /// Parses the whole file. `onEntry` sees every amount (for storing rows); the result holds the groups.
    public func parse(hashContent: Bool = true, detail: GroupDetail = .none, progress: Progress? = nil,
                      onHeader: ((SettlementHeader) throws -> Void)? = nil, onEntry: EntrySink? = nil) throws -> ParsedSettlement {
        var reader = try openReader()
        let fields = UnsafeMutableBufferPointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: ParseRun.fieldCapacity)
        defer { fields.deallocate() }
        var run = ParseRun(parser: self, fields: fields, detail: detail, totalBytes: Self.fileSize(path), progress: progress,
                           onHeader: onHeader, onEntry: onEntry)
        if hashContent {
            let hasher = SHA256()
            run.hasher = hasher
            reader.onRead = { hasher.update($0) }
        }
        try readLines(&reader, into: &run)
        progress?(run.totalBytes, run.totalBytes)
        return try run.finish(lastLine: reader.lineNumber)
    }

    private func openReader() throws -> LineReader {
        do { return try LineReader(path: path) } catch {
            if case .cannotOpen(_, let code) = error, code == ENOENT { throw fail(nil, "no such file", .notFound) }
            throw fail(nil, "cannot be read")
        }
    }

    /// Feeds every line to the run, turning the reader's and the decoder's failures into `file:line` refusals.
    private func readLines(_ reader: inout LineReader, into run: inout ParseRun) throws {
        do {
            while try reader.nextLine({ line, number, consumed in try run.consume(line, number, consumed) }) != nil {}
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
    }

    func withFixedAmountType(_ fixed: StaticString?, or column: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        if let fixed {
            try body(UnsafeBufferPointer(start: fixed.utf8Start, count: fixed.utf8CodeUnitCount))
        } else {
            try body(column)
        }
    }

    func readSummary(_ field: (Int) -> UnsafeBufferPointer<UInt8>, _ cols: Columns, _ lineNo: Int,
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

    func readDate(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String, _ lineNo: Int, _ dates: inout DateReader) throws -> CalendarDate {
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
