/// Reads the date shapes settlement files use, straight from bytes:
/// `2024-10-09 14:28:38 UTC`, `2024-10-18`, `2025-08-14T06:23:59+00:00` (year first),
/// `11.10.2024 08:59:52 UTC`, `14.10.2024` (day first), and `09/06/25`, `09/06/2025` (slashes, order decided per file).
/// Only the calendar day is kept: settlement reports give times in UTC and book by day.
public struct DateReader: Sendable {
    /// How a slashed date orders its first two numbers. Decided per file, never per row.
    public enum SlashOrder: String, Sendable { case dayFirst = "dd/mm", monthFirst = "mm/dd" }

    public var slashOrder: SlashOrder?

    public init(slashOrder: SlashOrder? = nil) { self.slashOrder = slashOrder }

    public enum Failure: Error, Equatable, Sendable {
        case unrecognised
        case invalidDay
        case slashOrderUndecided
    }

    /// The three numbers of a date as written, before deciding what each one is.
    public struct Parts: Equatable, Sendable {
        public enum Shape: Sendable { case yearFirst, dayFirstDotted, slashed }
        public var shape: Shape
        public var a: Int, b: Int, c: Int  // in the order written
    }

    /// Splits the leading date of a field into its numbers and shape, without deciding slashed order.
    public static func parts(_ bytes: UnsafeBufferPointer<UInt8>) -> Parts? {
        // Fixed-size locals, not arrays: this runs once per row on the parser's hot path.
        var n0 = 0, n1 = 0, n2 = 0
        var w0 = 0, w1 = 0, w2 = 0
        var separator: UInt8 = 0
        var index = 0
        var i = 0
        while i < bytes.count, bytes[i] == 32 { i += 1 }
        while i < bytes.count {
            let b = bytes[i]
            if b >= 48 && b <= 57 {
                let d = Int(b &- 48)
                switch index {
                case 0: n0 = n0 * 10 + d; w0 += 1
                case 1: n1 = n1 * 10 + d; w1 += 1
                default: n2 = n2 * 10 + d; w2 += 1
                }
                if w0 > 6 || w1 > 6 || w2 > 6 { return nil }
            } else if (b == 45 || b == 46 || b == 47) && index < 2 {
                if separator == 0 { separator = b } else if separator != b { return nil }
                guard (index == 0 ? w0 : w1) > 0 else { return nil }
                index += 1
            } else {
                break  // a time or zone follows: " 14:28:38 UTC", "T06:23:59+00:00"
            }
            i += 1
        }
        let numbers = (n0, n1, n2)
        let widths = (w0, w1, w2)
        guard index == 2, widths.2 > 0 else { return nil }
        if i < bytes.count {
            let b = bytes[i]
            guard b == 32 || b == 84 /* T */ else { return nil }
        }
        switch separator {
        case 45 where widths.0 >= 4: return Parts(shape: .yearFirst, a: numbers.0, b: numbers.1, c: numbers.2)
        case 46 where widths.2 == 4 || widths.2 == 2: return Parts(shape: .dayFirstDotted, a: numbers.0, b: numbers.1, c: numbers.2)
        case 47 where widths.0 >= 4: return Parts(shape: .yearFirst, a: numbers.0, b: numbers.1, c: numbers.2)
        case 47 where widths.2 == 4 || widths.2 == 2: return Parts(shape: .slashed, a: numbers.0, b: numbers.1, c: numbers.2)
        default: return nil
        }
    }

    public func read(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> CalendarDate {
        guard let p = DateReader.parts(bytes) else { throw .unrecognised }
        return try resolve(p)
    }

    public func resolve(_ p: Parts) throws(Failure) -> CalendarDate {
        let date: CalendarDate?
        switch p.shape {
        case .yearFirst: date = CalendarDate(year: p.a, month: p.b, day: p.c)
        case .dayFirstDotted: date = CalendarDate(year: Self.fullYear(p.c), month: p.b, day: p.a)
        case .slashed:
            guard let order = slashOrder else { throw .slashOrderUndecided }
            switch order {
            case .dayFirst: date = CalendarDate(year: Self.fullYear(p.c), month: p.b, day: p.a)
            case .monthFirst: date = CalendarDate(year: Self.fullYear(p.c), month: p.a, day: p.b)
            }
        }
        guard let date else { throw .invalidDay }
        return date
    }

    static func fullYear(_ y: Int) -> Int { y < 100 ? 2000 + y : y }

    public func read(_ text: String) throws(Failure) -> CalendarDate {
        let bytes = Array(text.utf8)
        let result: Result<CalendarDate, Failure> = bytes.withUnsafeBufferPointer { buffer in
            do throws(Failure) { return .success(try read(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

/// Collects evidence, over a whole file, for how its slashed dates are ordered.
public struct SlashOrderEvidence: Sendable {
    public private(set) var firstAbove12 = 0   // dates whose first number can only be a day
    public private(set) var secondAbove12 = 0  // dates whose second number can only be a day
    public private(set) var seen = 0

    public init() {}

    public mutating func add(_ p: DateReader.Parts) {
        guard p.shape == .slashed else { return }
        seen += 1
        if p.a > 12 { firstAbove12 += 1 }
        if p.b > 12 { secondAbove12 += 1 }
    }

    public enum Verdict: Equatable, Sendable {
        case decided(DateReader.SlashOrder)
        case contradictory   // some dates only read day-first, others only month-first
        case undecided       // every date reads both ways
    }

    public var verdict: Verdict {
        switch (firstAbove12 > 0, secondAbove12 > 0) {
        case (true, true): return .contradictory
        case (true, false): return .decided(.dayFirst)
        case (false, true): return .decided(.monthFirst)
        case (false, false): return .undecided
        }
    }
}
