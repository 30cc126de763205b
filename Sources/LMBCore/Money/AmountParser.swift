/// Parses amounts written the way marketplaces write them (`196,65`, `-1,234.50`, `1.234,50`, `$69.20`)
/// into integer minor units, straight from bytes. The decimal mark is decided once per file, from the
/// first amount that shows one, and every later amount must agree.
public struct AmountParser: Sendable {
    public enum DecimalMark: UInt8, Sendable { case point = 46, comma = 44 }

    public private(set) var decimalMark: DecimalMark?
    public let exponent: Int

    public init(exponent: Int, decimalMark: DecimalMark? = nil) {
        self.exponent = exponent
        self.decimalMark = decimalMark
    }

    public enum Failure: Error, Equatable, Sendable {
        case empty
        case notANumber
        case tooManyDecimals(Int)
        case tooLarge
        case mixedDecimalMarks
    }

    /// Parses one amount. Leading/trailing spaces, one leading sign (or a sign after a currency symbol),
    /// and a currency symbol (`$`, `€`, `£`) are accepted.
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> Int64 {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 32 { start += 1 }
        while end > start, bytes[end - 1] == 32 { end -= 1 }
        guard start < end else { throw .empty }

        var negative = false
        // Sign and currency symbol in either order: "-$1.00", "$-1.00".
        var guardCount = 0
        while start < end, guardCount < 4 {
            let b = bytes[start]
            if b == 45 /* - */ && !negative { negative = true; start += 1 }
            else if b == 43 /* + */ { start += 1 }
            else if b == 36 /* $ */ || b == 0xA3 || b == 0xC2 { start += 1 }  // $, £ (latin-1 or UTF-8 lead)
            else if b == 0xE2, end - start >= 3, bytes[start + 1] == 0x82, bytes[start + 2] == 0xAC { start += 3 } // €
            else { break }
            guardCount += 1
        }
        guard start < end else { throw .notANumber }

        // Find the last separator: with a decided mark it must be that mark; otherwise decide now.
        var lastSeparator = -1
        var sawPoint = false, sawComma = false
        for i in start..<end {
            let b = bytes[i]
            if b == 46 { sawPoint = true; lastSeparator = i }
            else if b == 44 { sawComma = true; lastSeparator = i }
            else if b < 48 || b > 57 { throw .notANumber }
        }
        var mark = decimalMark
        if lastSeparator >= 0 {
            let lastChar = bytes[lastSeparator]
            let digitsAfter = end - lastSeparator - 1
            if mark == nil {
                if sawPoint && sawComma {
                    mark = lastChar == 46 ? .point : .comma
                } else if digitsAfter == 3 && exponent != 3 {
                    // "1,234" with no other mark reads as grouping; do not decide the file's mark from it.
                    mark = nil
                } else {
                    mark = lastChar == 46 ? .point : .comma
                }
                if let mark { decimalMark = mark }
            }
        }

        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var inFraction = false
        var digitsInWhole = 0
        var digitsSinceGroup = -1  // -1: no grouping separator seen yet
        for i in start..<end {
            let b = bytes[i]
            if b >= 48 && b <= 57 {
                let d = Int64(b &- 48)
                if inFraction {
                    fractionDigits += 1
                    if fractionDigits > exponent {
                        if d != 0 { throw .tooManyDecimals(fractionDigits) }
                        continue
                    }
                    fraction = fraction * 10 + d
                } else {
                    digitsInWhole += 1
                    if digitsSinceGroup >= 0 { digitsSinceGroup += 1 }
                    let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(d)
                    if o1 || o2 { throw .tooLarge }
                    whole = s
                }
            } else if let mark, b == mark.rawValue {
                if inFraction || (digitsSinceGroup >= 0 && digitsSinceGroup != 3) { throw .mixedDecimalMarks }
                inFraction = true
            } else {
                // A grouping separator: only the mark that is not the decimal mark, only before the fraction,
                // and only between groups of three digits ("1.234,50"; "54,20" in a point file is refused).
                if inFraction || digitsInWhole == 0 || (digitsSinceGroup >= 0 && digitsSinceGroup != 3) {
                    throw .mixedDecimalMarks
                }
                digitsSinceGroup = 0
            }
        }
        if digitsSinceGroup >= 0 && digitsSinceGroup != 3 { throw .mixedDecimalMarks }
        guard digitsInWhole + fractionDigits > 0 else { throw .notANumber }
        let used = min(fractionDigits, exponent)
        for _ in used..<exponent { fraction *= 10 }
        var scale: Int64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: scale)
        let (total, o2) = scaled.addingReportingOverflow(fraction)
        if o1 || o2 || total > 999_999_999_999_999 { throw .tooLarge }  // 10^15 minor units: far beyond any settlement
        return negative ? -total : total
    }

    /// Convenience for strings (tests, mapping files).
    public mutating func parse(_ text: String) throws(Failure) -> Int64 {
        var copy = Array(text.utf8)
        let result: Result<Int64, Failure> = copy.withUnsafeMutableBufferPointer { buffer in
            do throws(Failure) {
                return .success(try self.parse(UnsafeBufferPointer(buffer)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

extension AmountParser.Failure: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "the amount is empty"
        case .notANumber: return "not a number"
        case .tooManyDecimals(let n): return "\(n) decimal digits, more than the currency has"
        case .tooLarge: return "the amount is too large"
        case .mixedDecimalMarks: return "the decimal mark differs from the rest of the file"
        }
    }
}
