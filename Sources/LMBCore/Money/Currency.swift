/// An ISO 4217 currency code and the number of minor-unit digits it is booked in.
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    public init(code: String) {
        let upper = code.uppercased()
        self.code = upper
        self.exponent = Currency.exponents[upper] ?? 2
    }

    public var description: String { code }

    /// Currencies whose minor unit is not hundredths (ISO 4217).
    static let exponents: [String: Int] = [
        "JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3,
    ]

    /// True when the code looks like an ISO 4217 code (three ASCII letters).
    public static func isPlausible(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }
}

/// An exact amount of money: integer minor units of one currency.
public struct Money: Hashable, Sendable, CustomStringConvertible {
    public var minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// The amount as a plain decimal string with a `.` mark, e.g. `-12.30`, `1500` (JPY), `1.250` (KWD).
    public var decimalString: String { Money.format(minorUnits, exponent: currency.exponent) }

    public var description: String { "\(decimalString) \(currency.code)" }

    public static func format(_ minor: Int64, exponent: Int) -> String {
        let negative = minor < 0
        let magnitude = minor.magnitude
        guard exponent > 0 else { return (negative ? "-" : "") + String(magnitude) }
        var divisor: UInt64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let whole = magnitude / divisor
        var fraction = String(magnitude % divisor)
        while fraction.count < exponent { fraction = "0" + fraction }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }
}
