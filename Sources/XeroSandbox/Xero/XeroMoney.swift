import Foundation

/// Exact money for the Xero emulator: amounts are integers of minor units (cents), rates integers of ten-thousandths
/// of a percent, parsed from the JSON's decimal text and never through binary floating-point arithmetic. A JSON
/// number goes out as a Double made from the exact value, whose shortest form is that value (196.65, not 196.6499…).
enum XeroMoney {
    static let posix = Locale(identifier: "en_US_POSIX")

    /// The exact decimal of a JSON number or a numeric string ("12", "-3.5", "0.8432"); nil for anything else.
    static func decimal(_ value: Any?) -> Decimal? {
        let text: String
        if let n = value as? NSNumber {
            // A JSON true/false is an NSNumber too: it is no amount.
            if n.objCType.pointee == CChar(UInt8(ascii: "c")) { return nil }
            text = n.stringValue
        } else if let s = value as? String {
            text = s.trimmingCharacters(in: .whitespaces)
        } else {
            return nil
        }
        guard text.range(of: #"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
        return Decimal(string: text, locale: posix)
    }

    /// `value` rounded to `scale` decimal places, half away from zero (Xero's rounding).
    static func rounded(_ value: Decimal, scale: Int) -> Decimal {
        var input = value
        var output = Decimal()
        NSDecimalRound(&output, &input, scale, .plain)
        return output
    }

    /// Above this (a hundred billion in major units) no amount or rate is taken: sums of as many lines as a 3.5 MB
    /// body can hold then stay far inside Int, so no input can make the arithmetic trap.
    static let limit = Decimal(10_000_000_000_000)

    /// An exact whole number of a rounded Decimal; nil when it is past `limit` (or not a number).
    static func integer(_ value: Decimal) -> Int? {
        let whole = rounded(value, scale: 0)
        guard whole.magnitude < limit else { return nil }
        return Int(whole.description) ?? Int(NSDecimalNumber(decimal: whole).int64Value)
    }

    /// An amount in minor units, rounded to 2 places half away from zero.
    static func minor(_ value: Any?) -> Int? { decimal(value).flatMap { integer($0 * 100) } }

    /// A rate ("20", "13.5", 8.5) in ten-thousandths of a percent, rounded to Xero's 4 places.
    static func rate(_ value: Any?) -> Int? { decimal(value).flatMap { integer($0 * 10_000) } }

    /// The JSON number of an amount in minor units.
    static func number(_ minor: Int) -> Double { Double(minor) / 100 }

    /// The JSON number of an exact decimal (a currency rate): through its text, as NSDecimalNumber's doubleValue
    /// can land one unit in the last place off (0.8432000000000001) on Linux.
    static func double(_ value: Decimal) -> Double { Double(value.description) ?? 0 }

    /// The JSON number of a rate in ten-thousandths of a percent.
    static func rateNumber(_ rate: Int) -> Double { Double(rate) / 10_000 }

    /// "100.00", "-10.00": an amount in minor units as Xero prints it in its messages.
    static func text(_ minor: Int) -> String {
        let sign = minor < 0 ? "-" : ""
        let units = minor.magnitude / 100, cents = minor.magnitude % 100
        return "\(sign)\(units).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// The tax in a line of `lineMinor`, rounded per line to the cent, half away from zero, as Xero does:
    /// Inclusive: line × r / (100 + r); Exclusive: line × r / 100; `rate` in ten-thousandths of a percent.
    static func tax(lineMinor: Int, rate: Int, inclusive: Bool) -> Int {
        guard rate != 0 else { return 0 }
        let numerator = Decimal(lineMinor) * Decimal(rate)
        let denominator = Decimal(1_000_000 + (inclusive ? rate : 0))
        return integer(numerator / denominator) ?? 0
    }

    /// A line's amount in minor units: LineAmount when sent, else Quantity (1 when absent) × UnitAmount, rounded to the cent.
    static func lineMinor(_ line: [String: Any]) -> Int? {
        if line["LineAmount"] != nil, !(line["LineAmount"] is NSNull) { return minor(line["LineAmount"]) }
        guard let unit = decimal(line["UnitAmount"]) else { return nil }
        let quantity = decimal(line["Quantity"]) ?? 1
        return integer(unit * quantity * 100)
    }
}
