/// A share of one amount in another, as a percentage with one decimal, computed from the integers alone
/// (rounded half away from zero), so the same minor units always give the same figure.
public struct Percent: Sendable, Equatable, CustomStringConvertible {
    /// Tenths of a percent: 285 is 28.5 %.
    public let tenths: Int64

    /// Nil when there is no positive base to share: no sales, or more refunded than sold. Nil too in the
    /// unreachable case of a share too large for an Int64.
    public init?(_ part: Int64, of base: Int64) {
        guard base > 0 else { return nil }
        let magnitude = part.magnitude, divisor = UInt64(base)
        let (whole, rest) = magnitude.quotientAndRemainder(dividingBy: divisor)
        // rest < divisor ≤ Int64.max, so rest × 2000 + divisor fits in two words and its quotient by 2 × divisor is at most 1000.
        let scaled = rest.multipliedFullWidth(by: 2000)
        let (low, carry) = scaled.low.addingReportingOverflow(divisor)
        let (fraction, _) = (2 * divisor).dividingFullWidth((scaled.high + (carry ? 1 : 0), low))
        let (wholeTenths, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (sum, o2) = wholeTenths.addingReportingOverflow(fraction)
        guard !o1, !o2, sum <= UInt64(Int64.max) else { return nil }
        tenths = part < 0 ? -Int64(sum) : Int64(sum)
    }

    /// `28.5` — a decimal literal, also what JSON carries.
    public var decimalString: String { Money.format(tenths, exponent: 1) }
    /// `28.5%`
    public var description: String { decimalString + "%" }
}
