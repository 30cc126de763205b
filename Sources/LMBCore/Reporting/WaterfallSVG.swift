/// A settlement's waterfall as inline SVG: one horizontal bar per step, floating from the running total before it
/// to the one after, then the deposit bar from zero. Each bar has a `<title>` and a text label; amounts are
/// written beside the bars, so nothing depends on colour. Doubles only place the geometry; every figure shown
/// is formatted from the integers.
enum WaterfallSVG {
    // Narrow on purpose: drawn at a phone's width, the 16-unit text stays readable.
    static let width = 440.0
    static let barLeft = 146.0
    static let barRight = 342.0
    static let rowHeight = 30.0
    static let barHeight = 20.0
    static let top = 6.0

    static let rising = "#1e7b34"
    static let falling = "#b3261e"
    static let deposit = "#1f4e9c"
    static let rule = "#8a8f98"

    static func render(_ waterfall: SettlementWaterfall, currency: Currency, settlementID: String) -> String {
        let e = currency.exponent
        let steps = waterfall.steps
        let running = waterfall.runningTotals
        let all = [Int64(0)] + running + [waterfall.depositMinor]
        let low = Double(all.min() ?? 0), high = Double(all.max() ?? 0)
        let span = high > low ? high - low : 1
        func x(_ minor: Int64) -> Double { barLeft + (Double(minor) - low) / span * (barRight - barLeft) }
        let rows = steps.count + 1
        let height = top * 2 + rowHeight * Double(rows)

        var out = "<svg class=\"waterfall\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\""
        out += " data-settlement=\"\(HTMLText.escape(settlementID))\">"
        out += "<title>Settlement \(HTMLText.escape(settlementID)): from sales to the deposit of \(HTMLText.escape(Amounts.text(waterfall.depositMinor, exponent: e))) \(currency.code)</title>"
        let zero = x(0)
        out += "<line class=\"axis\" x1=\"\(n(zero))\" y1=\"0\" x2=\"\(n(zero))\" y2=\"\(n(height))\" stroke=\"\(rule)\" stroke-width=\"1\"/>"
        var before: Int64 = 0
        for (i, step) in steps.enumerated() {
            let after = running[i]
            let y = top + rowHeight * Double(i)
            out += bar(row: y, from: x(before), to: x(after), colour: step.amountMinor >= 0 ? rising : falling, kind: "step",
                       title: "\(step.label): \(Amounts.signed(step.amountMinor, exponent: e)) \(currency.code), running total \(Amounts.text(after, exponent: e))")
            out += label(row: y, step.label, amount: Amounts.signed(step.amountMinor, exponent: e))
            // A dashed connector carries the running total down to the next bar.
            out += "<line class=\"connector\" x1=\"\(n(x(after)))\" y1=\"\(n(y + (rowHeight + barHeight) / 2))\" x2=\"\(n(x(after)))\" y2=\"\(n(y + rowHeight + (rowHeight - barHeight) / 2))\" stroke=\"\(rule)\" stroke-dasharray=\"2 2\"/>"
            before = after
        }
        let y = top + rowHeight * Double(steps.count)
        out += bar(row: y, from: zero, to: x(waterfall.depositMinor), colour: deposit, kind: "deposit",
                   title: "Deposit: \(Amounts.text(waterfall.depositMinor, exponent: e)) \(currency.code)")
        out += label(row: y, "Deposit", amount: Amounts.text(waterfall.depositMinor, exponent: e), bold: true)
        return out + "</svg>"
    }

    static func bar(row y: Double, from a: Double, to b: Double, colour: String, kind: String, title: String) -> String {
        let left = min(a, b), w = max(abs(b - a), 1)
        return "<rect class=\"bar \(kind)\" x=\"\(n(left))\" y=\"\(n(y + (rowHeight - barHeight) / 2))\" width=\"\(n(w))\" height=\"\(n(barHeight))\" fill=\"\(colour)\"><title>\(HTMLText.escape(title))</title></rect>"
    }

    static func label(row y: Double, _ text: String, amount: String, bold: Bool = false) -> String {
        let baseline = n(y + rowHeight / 2 + 5.5)
        let weight = bold ? " font-weight=\"bold\"" : ""
        return "<text class=\"label\" x=\"0\" y=\"\(baseline)\"\(weight)>\(HTMLText.escape(text))</text>"
            + "<text class=\"amount\" x=\"\(n(width))\" y=\"\(baseline)\" text-anchor=\"end\"\(weight)>\(HTMLText.escape(amount))</text>"
    }

    /// A coordinate with at most one decimal, so the markup stays short and stable.
    static func n(_ v: Double) -> String {
        let tenths = (v * 10).rounded()
        let whole = Int(tenths) / 10, rest = abs(Int(tenths) % 10)
        let sign = tenths < 0 && whole == 0 ? "-" : ""
        return rest == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(rest)"
    }
}

/// Amounts as a person reads them on the page: thousands grouped, a true minus sign. Exact: formatted from minor units.
enum Amounts {
    static func text(_ minor: Int64, exponent: Int) -> String {
        let plain = Money.format(minor, exponent: exponent)
        let negative = plain.hasPrefix("-")
        let digits = negative ? plain.dropFirst() : Substring(plain)
        let whole = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var grouped = ""
        for (i, ch) in whole[0].enumerated() {
            if i > 0 && (whole[0].count - i) % 3 == 0 { grouped += "," }
            grouped.append(ch)
        }
        let fraction = whole.count > 1 ? "." + whole[1] : ""
        return (negative ? "\u{2212}" : "") + grouped + fraction
    }

    /// With a `+` on gains, as a step of a waterfall is read.
    static func signed(_ minor: Int64, exponent: Int) -> String {
        (minor > 0 ? "+" : "") + text(minor, exponent: exponent)
    }
}

/// Text made safe for HTML and SVG content and for quoted attribute values.
enum HTMLText {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case _ where ch.value < 0x20 && ch != "\n" && ch != "\t": out += "\u{FFFD}"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
