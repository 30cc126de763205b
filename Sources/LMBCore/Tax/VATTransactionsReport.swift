import Foundation

/// One row of Amazon's VAT Transactions Report (GET_VAT_TRANSACTION_DATA): a sale, refund, return, FC transfer or
/// inbound movement, with the VAT Amazon computed for it and where it is taxable. Money is in minor units of `currency`.
public struct VATReportRow: Sendable, Equatable, Codable {
    public var transactionType: String      // SALE, REFUND, RETURN, FC_TRANSFER, INBOUND, …
    public var eventID: String              // TRANSACTION_EVENT_ID (the order-id for SALE/REFUND/RETURN)
    public var activityTransactionID: String
    public var marketplace: String          // e.g. amazon.de, N/A
    public var activityPeriod: String       // e.g. 2024-OCT
    public var completeDate: CalendarDate?  // TRANSACTION_COMPLETE_DATE
    public var sku: String
    public var quantity: Int
    public var currency: String             // TRANSACTION_CURRENCY_CODE
    public var grossMinor: Int64            // TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL
    public var vatMinor: Int64              // TOTAL_ACTIVITY_VALUE_VAT_AMT
    public var netMinor: Int64              // TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL
    public var rateBasisPoints: Int         // PRICE_OF_ITEMS_VAT_RATE_PERCENT 0.2 -> 2000, 0.055 -> 550
    public var taxableJurisdiction: String  // TAXABLE_JURISDICTION as written (e.g. GERMANY, UNITED KINGDOM)
    public var jurisdictionCountry: String? // its ISO 3166 alpha-2 (DE, GB…), nil when unknown/empty
    public var departureCountry: String
    public var arrivalCountry: String
    public var scheme: String?              // TAX_REPORTING_SCHEME (REGULAR, UNION-OSS, UK_VOEC-DOMESTIC, …) when present
    public var responsibility: String?      // TAX_COLLECTION_RESPONSIBILITY (SELLER / MARKETPLACE) when present
    public var exportOutsideEU: Bool        // EXPORT_OUTSIDE_EU == YES/true
    public var buyerVATNumber: String?      // B2B when present
    /// ITEM_DESCRIPTION, with Amazon's backslash-octal escapes (`L\372menes`) decoded.
    public var itemDescription: String

    public init(transactionType: String, eventID: String, activityTransactionID: String = "", marketplace: String = "",
                activityPeriod: String = "", completeDate: CalendarDate? = nil, sku: String = "", quantity: Int = 0,
                currency: String, grossMinor: Int64, vatMinor: Int64, netMinor: Int64, rateBasisPoints: Int,
                taxableJurisdiction: String, jurisdictionCountry: String? = nil, departureCountry: String = "",
                arrivalCountry: String = "", scheme: String? = nil, responsibility: String? = nil, exportOutsideEU: Bool = false,
                buyerVATNumber: String? = nil, itemDescription: String = "") {
        self.transactionType = transactionType
        self.eventID = eventID
        self.activityTransactionID = activityTransactionID
        self.marketplace = marketplace
        self.activityPeriod = activityPeriod
        self.completeDate = completeDate
        self.sku = sku
        self.quantity = quantity
        self.currency = currency
        self.grossMinor = grossMinor
        self.vatMinor = vatMinor
        self.netMinor = netMinor
        self.rateBasisPoints = rateBasisPoints
        self.taxableJurisdiction = taxableJurisdiction
        self.jurisdictionCountry = jurisdictionCountry ?? VATJurisdiction.countryCode(taxableJurisdiction)
        self.departureCountry = departureCountry
        self.arrivalCountry = arrivalCountry
        self.scheme = scheme
        self.responsibility = responsibility
        self.exportOutsideEU = exportOutsideEU
        self.buyerVATNumber = buyerVATNumber
        self.itemDescription = itemDescription
    }

    /// The month (`YYYY-MM`) the row is reported in: its ACTIVITY_PERIOD, else the month of its completion.
    public var month: String? { VATTransactionsReport.month(ofActivityPeriod: activityPeriod) ?? completeDate?.monthKey }

    /// Amazon collected and remits the VAT itself (deemed supplier, UK VOEC): nothing for the seller to declare.
    public var collectedByMarketplace: Bool { responsibility?.uppercased() == "MARKETPLACE" }
}

/// Amazon's VAT Transactions Report, read whole: tab-separated, columns found by name (the 2018–2020 layout has 92,
/// later ones add TAX_REPORTING_SCHEME, TAX_COLLECTION_RESPONSIBILITY, PROGRAM_TYPE…), dates dd-mm-yyyy, rates as
/// fractions, amounts with a dot. A row that cannot be read refuses the whole file, naming its line.
public struct VATTransactionsReport: Sendable {
    public var rows: [VATReportRow]
    /// The months (`YYYY-MM`, ascending) the report covers: those of its rows' ACTIVITY_PERIOD. A fetch that knows the
    /// month it asked for may set it, so a month with no transactions still counts as covered.
    public var months: [String]
    /// The first and last TRANSACTION_COMPLETE_DATE, when any row has one.
    public var firstDate: CalendarDate?
    public var lastDate: CalendarDate?
    /// Lines (1-based, the header is line 1) whose VAT-inclusive total is not net + VAT: kept as Amazon wrote them,
    /// and said at import so a person can check them.
    public var unbalancedLines: [Int]
    /// The file's text encoding, as lmb's other readers decide it.
    public var encoding: TextDecoding.Encoding

    public init(rows: [VATReportRow], months: [String]? = nil, unbalancedLines: [Int] = [], encoding: TextDecoding.Encoding = .ascii) {
        self.rows = rows
        self.months = months ?? Array(Set(rows.compactMap(\.month))).sorted()
        let dates = rows.compactMap(\.completeDate)
        self.firstDate = dates.min()
        self.lastDate = dates.max()
        self.unbalancedLines = unbalancedLines
        self.encoding = encoding
    }

    /// The first column of every layout seen.
    public static let headerStart = "UNIQUE_ACCOUNT_IDENTIFIER"

    /// Whether a file's first line is this report's header (not a settlement's).
    public static func isHeader(_ line: String) -> Bool {
        let text = line.hasPrefix("\u{FEFF}") ? String(line.dropFirst()) : line
        if text.uppercased().hasPrefix(headerStart) { return true }
        let names = Set(text.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).uppercased() })
        return names.contains("TRANSACTION_EVENT_ID") && names.contains("TAXABLE_JURISDICTION")
    }

    public static func parse(_ data: Data) throws(SettlementFileError) -> Self {
        try parse(data, source: "VAT report")
    }

    /// Parses a whole report; `source` is what errors call the file.
    public static func parse(_ data: Data, source: String) throws(SettlementFileError) -> Self {
        var reader = VATReportReader(source: source)
        let bytes = [UInt8](data)
        return try bytes.withUnsafeBufferPointer { buffer throws(SettlementFileError) in try reader.read(buffer) }
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// `2024-OCT` (also `2024-10`) → `2024-10`; nil when it is neither.
    public static func month(ofActivityPeriod text: String) -> String? {
        let parts = text.trimmingCharacters(in: .whitespaces).uppercased().split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), year > 0 else { return nil }
        let m: Int
        if let i = monthNames.firstIndex(of: String(parts[1].prefix(3))), parts[1].count == 3 { m = i + 1 }
        else if let n = Int(parts[1]), (1...12).contains(n), parts[1].count == 2 { m = n }
        else { return nil }
        return "\(parts[0])-\(m < 10 ? "0" : "")\(m)"
    }

    /// `dd-mm-yyyy` (the report's), also `yyyy-mm-dd`; nil when it is neither.
    static func date(_ text: String) -> CalendarDate? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        if parts[2].count == 4, parts[0].count <= 2, parts[1].count <= 2,
           let d = Int(parts[0]), let m = Int(parts[1]), let y = Int(parts[2]) { return CalendarDate(year: y, month: m, day: d) }
        if parts[0].count == 4 { return CalendarDate(iso: text) }
        return nil
    }

    /// A fraction (`0.2`, `0.055`, `0.0`) in basis points; nil when it is not one, or finer than a basis point.
    static func basisPoints(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let whole = Int(parts[0]), whole <= 1 else { return nil }
        var fraction = parts.count == 2 ? Array(parts[1]) : []
        while fraction.count > 4, fraction.last == "0" { fraction.removeLast() }
        guard fraction.count <= 4 else { return nil }
        while fraction.count < 4 { fraction.append("0") }
        guard let f = Int(String(fraction)) else { return nil }
        let bp = whole * 10_000 + f
        return bp <= 10_000 ? bp : nil
    }

    /// Basis points as the report writes a rate: 1900 → `0.19`, 550 → `0.055`, 0 → `0`.
    public static func rateText(basisPoints bp: Int) -> String {
        let sign = bp < 0 ? "-" : ""
        let v = abs(bp)
        var fraction = String(v % 10_000)
        while fraction.count < 4 { fraction = "0" + fraction }
        while fraction.last == "0" { fraction.removeLast() }
        return sign + String(v / 10_000) + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// Decodes Amazon's backslash-octal escapes (`L\372menes` → `Lúmenes`): a run of escaped bytes is read as UTF-8
    /// when it is valid UTF-8, else as Windows-1252. Anything else, including a lone backslash, is kept as written.
    public static func decodeOctalEscapes(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func octalByte(at j: Int) -> UInt8? {
            guard j + 3 < scalars.count, scalars[j] == "\\" else { return nil }
            var v: UInt32 = 0
            for k in 1...3 {
                let c = scalars[j + k].value
                guard c >= 48 && c <= 55 else { return nil }
                v = v * 8 + (c - 48)
            }
            return v <= 255 ? UInt8(v) : nil
        }
        while i < scalars.count {
            var run: [UInt8] = []
            while let b = octalByte(at: i) { run.append(b); i += 4 }
            if !run.isEmpty {
                let decoded = run.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) ?? TextDecoding.windows1252($0) }
                out.append(contentsOf: decoded.unicodeScalars)
                continue
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }
}

/// TAXABLE_JURISDICTION as the report writes it (an English country name in capitals) to ISO 3166 alpha-2.
public enum VATJurisdiction {
    static let codes: [String: String] = [
        "AUSTRIA": "AT", "BELGIUM": "BE", "BULGARIA": "BG", "CROATIA": "HR", "CYPRUS": "CY", "CZECH REPUBLIC": "CZ", "CZECHIA": "CZ",
        "DENMARK": "DK", "ESTONIA": "EE", "FINLAND": "FI", "FRANCE": "FR", "GERMANY": "DE", "GREECE": "GR", "HUNGARY": "HU",
        "IRELAND": "IE", "ITALY": "IT", "LATVIA": "LV", "LITHUANIA": "LT", "LUXEMBOURG": "LU", "MALTA": "MT", "NETHERLANDS": "NL",
        "THE NETHERLANDS": "NL", "POLAND": "PL", "PORTUGAL": "PT", "ROMANIA": "RO", "SLOVAKIA": "SK", "SLOVENIA": "SI", "SPAIN": "ES",
        "SWEDEN": "SE", "UNITED KINGDOM": "GB", "GREAT BRITAIN": "GB", "UK": "GB", "NORTHERN IRELAND": "GB", "SWITZERLAND": "CH",
        "NORWAY": "NO", "TURKEY": "TR", "TÜRKIYE": "TR", "MONACO": "MC", "ISLE OF MAN": "IM",
    ]
    static let alpha2: Set<String> = Set(codes.values).union(["GB", "XI", "EL"])

    /// The ISO code of a jurisdiction name, or of a code written as one; nil when empty or unknown.
    public static func countryCode(_ name: String) -> String? {
        let key = name.trimmingCharacters(in: .whitespaces).uppercased()
        if let code = codes[key] { return code }
        if key.count == 2, alpha2.contains(key) { return key == "EL" ? "GR" : key == "XI" ? "GB" : key }
        return nil
    }
}

/// Reads the report's bytes: header, then one row a line.
struct VATReportReader {
    let source: String
    var text = TextDecoding()

    init(source: String) { self.source = source }

    /// Where each field the rows need sits in this file's layout.
    struct Columns {
        var type = 0, eventID = 0, currency = 0, gross = 0, vat = 0, net = 0, jurisdiction = 0
        var activityID: Int?, marketplace: Int?, period: Int?, completeDate: Int?, sku: Int?, quantity: Int?, rate: Int?
        var departure: Int?, arrival: Int?, scheme: Int?, responsibility: Int?, export: Int?, buyerVAT: Int?, description: Int?
    }

    static let required = ["TRANSACTION_TYPE", "TRANSACTION_EVENT_ID", "TRANSACTION_CURRENCY_CODE", "TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL",
                           "TOTAL_ACTIVITY_VALUE_VAT_AMT", "TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL", "TAXABLE_JURISDICTION"]

    func fail(_ line: Int?, _ message: String) -> SettlementFileError {
        SettlementFileError(.malformed, file: source, line: line, message)
    }

    mutating func read(_ all: UnsafeBufferPointer<UInt8>) throws(SettlementFileError) -> VATTransactionsReport {
        var lines: [Range<Int>] = []
        var start = 0
        for i in 0..<all.count where all[i] == 10 {
            lines.append(start..<i)
            start = i + 1
        }
        if start < all.count { lines.append(start..<all.count) }
        func trimmed(_ r: Range<Int>) -> Range<Int> { r.upperBound > r.lowerBound && all[r.upperBound - 1] == 13 ? r.lowerBound..<(r.upperBound - 1) : r }

        guard var headerRange = lines.first.map(trimmed), !headerRange.isEmpty else { throw fail(nil, "empty: not a VAT Transactions Report") }
        if headerRange.count >= 3, all[headerRange.lowerBound] == 0xEF, all[headerRange.lowerBound + 1] == 0xBB, all[headerRange.lowerBound + 2] == 0xBF {
            headerRange = (headerRange.lowerBound + 3)..<headerRange.upperBound
        }
        let headerText = String(decoding: UnsafeBufferPointer(rebasing: all[headerRange]), as: UTF8.self)
        let names = headerText.split(separator: "\t", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).uppercased() }
        let missing = Self.required.filter { !names.contains($0) }
        guard missing.isEmpty else {
            throw fail(1, "not a VAT Transactions Report: the header lacks \(missing.joined(separator: ", "))")
        }
        func index(_ name: String) -> Int? { names.firstIndex(of: name) }
        var c = Columns()
        c.type = index("TRANSACTION_TYPE") ?? 0
        c.eventID = index("TRANSACTION_EVENT_ID") ?? 0
        c.currency = index("TRANSACTION_CURRENCY_CODE") ?? 0
        c.gross = index("TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL") ?? 0
        c.vat = index("TOTAL_ACTIVITY_VALUE_VAT_AMT") ?? 0
        c.net = index("TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL") ?? 0
        c.jurisdiction = index("TAXABLE_JURISDICTION") ?? 0
        c.activityID = index("ACTIVITY_TRANSACTION_ID")
        c.marketplace = index("MARKETPLACE")
        c.period = index("ACTIVITY_PERIOD")
        c.completeDate = index("TRANSACTION_COMPLETE_DATE")
        c.sku = index("SELLER_SKU")
        c.quantity = index("QTY")
        c.rate = index("PRICE_OF_ITEMS_VAT_RATE_PERCENT")
        c.departure = index("DEPARTURE_COUNTRY")
        c.arrival = index("ARRIVAL_COUNTRY")
        c.scheme = index("TAX_REPORTING_SCHEME")
        c.responsibility = index("TAX_COLLECTION_RESPONSIBILITY")
        c.export = index("EXPORT_OUTSIDE_EU")
        c.buyerVAT = index("BUYER_VAT_NUMBER")
        c.description = index("ITEM_DESCRIPTION")

        var rows: [VATReportRow] = []
        rows.reserveCapacity(lines.count)
        var unbalanced: [Int] = []
        for (n, range) in lines.enumerated().dropFirst() {
            let r = trimmed(range)
            if r.isEmpty { continue }
            let lineNumber = n + 1
            var fields: [Range<Int>] = []
            var fieldStart = r.lowerBound
            for i in r where all[i] == 9 {
                fields.append(fieldStart..<i)
                fieldStart = i + 1
            }
            fields.append(fieldStart..<r.upperBound)
            if fields.count > names.count {
                // A trailing tab is harmless; more fields with text in them mean the columns shifted.
                guard fields[names.count...].allSatisfy(\.isEmpty) else {
                    throw fail(lineNumber, "\(fields.count) fields, but the header names \(names.count): a tab inside a field, or a broken row")
                }
            }
            let row = try readRow(all, fields: fields, columns: c, line: lineNumber)
            if row.grossMinor != row.netMinor + row.vatMinor { unbalanced.append(lineNumber) }
            rows.append(row)
        }
        return VATTransactionsReport(rows: rows, unbalancedLines: unbalanced, encoding: text.encoding)
    }

    mutating func readRow(_ all: UnsafeBufferPointer<UInt8>, fields: [Range<Int>], columns c: Columns, line: Int) throws(SettlementFileError) -> VATReportRow {
        func field(_ i: Int?) throws(SettlementFileError) -> String {
            guard let i, i < fields.count else { return "" }
            do {
                return try text.string(UnsafeBufferPointer(rebasing: all[fields[i]])).trimmingCharacters(in: .whitespaces)
            } catch {
                throw fail(line, "a field is not in the file's text encoding (\(text.encoding.rawValue))")
            }
        }
        func optional(_ i: Int?) throws(SettlementFileError) -> String? {
            let v = try field(i)
            return v.isEmpty ? nil : v
        }
        let type = try field(c.type)
        guard !type.isEmpty else { throw fail(line, "TRANSACTION_TYPE is empty") }
        let currency = try field(c.currency).uppercased()
        func amount(_ i: Int, _ name: String) throws(SettlementFileError) -> Int64 {
            let v = try field(i)
            if v.isEmpty { return 0 }
            var parser = AmountParser(exponent: Currency(code: currency.isEmpty ? "XXX" : currency).exponent, decimalMark: .point)
            do { return try parser.parse(v) } catch { throw fail(line, "\(name) '\(v)': \(error)") }
        }
        let gross = try amount(c.gross, "TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL")
        let vat = try amount(c.vat, "TOTAL_ACTIVITY_VALUE_VAT_AMT")
        let net = try amount(c.net, "TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL")
        if currency.isEmpty {
            guard gross == 0 && vat == 0 && net == 0 else { throw fail(line, "amounts without a TRANSACTION_CURRENCY_CODE") }
        } else if !Currency.isPlausible(currency) {
            throw fail(line, "TRANSACTION_CURRENCY_CODE '\(currency)' is not a currency code")
        }
        let rateText = try field(c.rate)
        var rate = 0
        if !rateText.isEmpty {
            guard let bp = VATTransactionsReport.basisPoints(rateText) else {
                throw fail(line, "PRICE_OF_ITEMS_VAT_RATE_PERCENT '\(rateText)' is not a rate written as a fraction (0.2 for 20%)")
            }
            rate = bp
        }
        let period = try field(c.period)
        if !period.isEmpty, VATTransactionsReport.month(ofActivityPeriod: period) == nil {
            throw fail(line, "ACTIVITY_PERIOD '\(period)' is not a month like 2024-OCT")
        }
        let dateText = try field(c.completeDate)
        var completeDate: CalendarDate?
        if !dateText.isEmpty {
            guard let d = VATTransactionsReport.date(dateText) else { throw fail(line, "TRANSACTION_COMPLETE_DATE '\(dateText)' is not a date like 31-10-2024") }
            completeDate = d
        }
        if period.isEmpty && completeDate == nil { throw fail(line, "neither ACTIVITY_PERIOD nor TRANSACTION_COMPLETE_DATE: the row has no month") }
        let qtyText = try field(c.quantity)
        var quantity = 0
        if !qtyText.isEmpty {
            // Some layouts write whole quantities with a decimal part ("1.0").
            let whole = qtyText.hasSuffix(".0") ? String(qtyText.dropLast(2)) : qtyText
            guard let q = Int(whole) else { throw fail(line, "QTY '\(qtyText)' is not a whole number") }
            quantity = q
        }
        let export = try field(c.export).uppercased()
        let jurisdiction = try field(c.jurisdiction)
        return VATReportRow(
            transactionType: type.uppercased(), eventID: try field(c.eventID), activityTransactionID: try field(c.activityID),
            marketplace: try field(c.marketplace), activityPeriod: period, completeDate: completeDate, sku: try field(c.sku),
            quantity: quantity, currency: currency, grossMinor: gross, vatMinor: vat, netMinor: net, rateBasisPoints: rate,
            taxableJurisdiction: jurisdiction, jurisdictionCountry: VATJurisdiction.countryCode(jurisdiction),
            departureCountry: try field(c.departure), arrivalCountry: try field(c.arrival), scheme: try optional(c.scheme),
            responsibility: try optional(c.responsibility).map { $0.uppercased() }, exportOutsideEU: ["YES", "TRUE", "Y", "1"].contains(export),
            buyerVATNumber: try optional(c.buyerVAT), itemDescription: VATTransactionsReport.decodeOctalEscapes(try field(c.description)))
    }
}
