/// The report as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched from anywhere,
/// readable on a phone and on paper. Every text from the store is escaped.
extension SettlementReport {
    public func html(generatedOn today: CalendarDate) -> String {
        var page = ReportPage()
        page.head(title: title)
        page.header(title: title, subtitle: subtitle(today: today), storeIsEmpty: storeIsEmpty)
        if isEmpty {
            page.emptyNotice(storeIsEmpty ? "Nothing to report yet: no settlement has been imported. Import one with lmb import FILE."
                                          : "No settlement matches \(selectionWords). Try a wider period, or list them all with lmb settlements.")
        }
        page.attention(needsMapping: needsMapping, failed: failed)
        if !settled.isEmpty && selection.id == nil { page.period(summaries: summaries, settled: settled) }
        page.settlements(settled.reversed())
        page.end()
        return page.text
    }

    var title: String { selection.id.map { "Settlement \($0)" } ?? "Settlement report" }

    /// The selection in words: "settlements ending 2024-10-01 to 2024-10-31 from Amazon.com".
    public var selectionWords: String {
        if let id = selection.id { return "settlement \(id)" }
        var words = "settlements ending"
        switch (selection.since, selection.until) {
        case let (s?, u?): words += " \(s) to \(u)"
        case let (s?, nil): words += " on or after \(s)"
        case let (nil, u?): words += " on or before \(u)"
        case (nil, nil): words = "all settlements"
        }
        if let m = selection.marketplace { words += " from \(m)" }
        return words
    }

    func subtitle(today: CalendarDate) -> String {
        let what = selectionWords
        return what.prefix(1).uppercased() + what.dropFirst() + " · made by lmb on \(today)"
    }
}

/// Builds the page top to bottom, one section at a time.
struct ReportPage {
    private(set) var text = ""

    mutating func add(_ s: String) { text += s; text += "\n" }
    static func e(_ s: String) -> String { HTMLText.escape(s) }
    static func money(_ minor: Int64, _ c: Currency) -> String { Amounts.text(minor, exponent: c.exponent) }
    static func percent(_ p: Percent?) -> String { p?.description ?? "—" }

    mutating func head(title: String) {
        add("<!DOCTYPE html>")
        add("<html lang=\"en\">")
        add("<head>")
        add("<meta charset=\"utf-8\">")
        add("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        add("<title>\(Self.e(title)) — lmb</title>")
        add("<style>\(Self.css)</style>")
        add("</head>")
        add("<body>")
    }

    mutating func header(title: String, subtitle: String, storeIsEmpty: Bool) {
        add("<header>")
        add("<h1>\(Self.e(title))</h1>")
        add("<p class=\"meta\">\(Self.e(subtitle))</p>")
        if !storeIsEmpty {
            add("<p class=\"note\">Every figure comes from the stored rows through the same grouping and mapping as the invoices: each waterfall runs from sales to the bank deposit and ends there to the cent. Amounts are in each settlement’s own currency; two currencies are never added together.</p>")
        }
        add("</header>")
        add("<main>")
    }

    mutating func emptyNotice(_ words: String) {
        add("<p class=\"empty\">\(Self.e(words))</p>")
    }

    mutating func attention(needsMapping: [SettlementReport.NeedsMapping], failed: [SettlementReport.FailedSend]) {
        guard !needsMapping.isEmpty || !failed.isEmpty else { return }
        add("<section class=\"attention\" id=\"attention\">")
        add("<h2>Needs attention</h2>")
        if !needsMapping.isEmpty {
            add("<h3>Needs mapping: no waterfall until every row has a category</h3>")
            add("<ul class=\"fixes\">")
            for s in needsMapping {
                add("<li id=\"needs-\(Self.anchor(s.id))\"><p><strong>Settlement \(Self.e(s.id))</strong> · \(Self.e(s.marketplace)) · ended \(s.end) · deposit \(Self.money(s.depositMinor, s.currency)) \(s.currency.code) · \(s.unmapped.count == 1 ? "1 combination matches" : "\(s.unmapped.count) combinations match") no rule.</p>")
                add("<p>Map each (CATEGORY is one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))):</p><ul>")
                for u in s.unmapped {
                    add("<li><code>\(Self.e(u.addCommand))</code> <span class=\"aside\">(\(u.count) row\(u.count == 1 ? "" : "s"), \(Self.money(u.amountMinor, s.currency)) \(s.currency.code))</span></li>")
                }
                add("</ul><p>Then check the invoice it becomes: <code>\(Self.e(s.command))</code></p></li>")
            }
            add("</ul>")
        }
        if !failed.isEmpty {
            add("<h3>Failed to send</h3>")
            add("<ul class=\"fixes\">")
            for f in failed {
                add("<li id=\"failed-\(Self.anchor(f.id))\"><p><strong>Settlement \(Self.e(f.id))</strong> · \(Self.e(f.marketplace)) · [\(Self.e(f.classification))] “\(Self.e(f.message))”\(f.at.map { " · " + Self.e($0) } ?? "")</p>")
                add("<p>Find the cause, then send it again: <code>\(Self.e(f.command))</code></p></li>")
            }
            add("</ul>")
        }
        add("</section>")
    }

    mutating func period(summaries: [SettlementReport.Summary], settled: [SettlementReport.Settled]) {
        add("<section id=\"period\">")
        add("<h2>The period, per marketplace and currency</h2>")
        add("<div class=\"scroll\"><table class=\"summary stack\">")
        add("<caption>Totals of the settlements shown. Fees are seller, FBA, storage and advertising fees; shares are of sales.</caption>")
        add(Self.headings(["Marketplace", "Currency", "Settlements", "Deposits", "Sales", "Fees", "Fees / sales", "Refunds", "Refund rate"], numeric: 2...))
        add("<tbody>")
        for s in summaries {
            add("<tr><th scope=\"row\">\(Self.e(s.marketplace))</th>" + Self.cell("Currency", s.currency.code) + Self.cell("Settlements", "\(s.settlements)", num: true)
                + Self.cell("Deposits", Self.money(s.depositMinor, s.currency), num: true) + Self.cell("Sales", Self.money(s.salesMinor, s.currency), num: true)
                + Self.cell("Fees", Self.money(s.feesMinor, s.currency), num: true) + Self.cell("Fees / sales", Self.percent(s.feeShare), num: true)
                + Self.cell("Refunds", Self.money(s.refundsMinor, s.currency), num: true) + Self.cell("Refund rate", Self.percent(s.refundRate), num: true) + "</tr>")
        }
        add("</tbody></table></div>")
        for s in summaries {
            add("<h3>\(Self.e(s.marketplace)) · \(s.currency.code): each settlement, newest first</h3>")
            add("<div class=\"scroll\"><table class=\"trend\">")
            add(Self.headings(["Settlement", "Ended", "Deposit", "Change", "Fees / sales", "Refund rate", "Status"], numeric: 2...5, optional: [1, 6]))
            add("<tbody>")
            for r in settled.filter({ $0.marketplace == s.marketplace && $0.currency == s.currency }).reversed() {
                let change = r.previous.map { Amounts.signed(r.depositMinor - $0.waterfall.depositMinor, exponent: r.currency.exponent) } ?? "—"
                add("<tr><th scope=\"row\"><a href=\"#\(Self.anchor(r.id))\">\(Self.e(r.id))</a></th>" + Self.cell("Ended", r.end.description, optional: true)
                    + Self.cell("Deposit", Self.money(r.depositMinor, r.currency), num: true) + Self.cell("Change", change, num: true)
                    + Self.cell("Fees / sales", Self.percent(r.waterfall.feeShare), num: true)
                    + Self.cell("Refund rate", Self.percent(r.waterfall.refundRate), num: true) + "<td data-label=\"Status\" class=\"optional\">\(Self.status(r.status))</td></tr>")
            }
            add("</tbody></table></div>")
        }
        add("</section>")
    }

    /// A header row; the columns in `numeric` hold amounts and align right.
    /// A header row; the columns in `numeric` hold amounts and align right, the `optional` ones a phone leaves out.
    static func headings<R: RangeExpression<Int>>(_ names: [String], numeric: R, optional: Set<Int> = []) -> String {
        "<thead><tr>" + names.enumerated().map { i, name in
            "<th scope=\"col\"\(classes(num: numeric.contains(i), optional: optional.contains(i)))>\(e(name))</th>"
        }.joined() + "</tr></thead>"
    }

    /// A cell that names its column, so that on a phone a row can be read as a card.
    static func cell(_ column: String, _ text: String, num: Bool = false, optional: Bool = false) -> String {
        "<td data-label=\"\(e(column))\"\(classes(num: num, optional: optional))>\(e(text))</td>"
    }

    static func classes(num: Bool, optional: Bool) -> String {
        let names = (num ? ["num"] : []) + (optional ? ["optional"] : [])
        return names.isEmpty ? "" : " class=\"\(names.joined(separator: " "))\""
    }

    mutating func settlements(_ settled: [SettlementReport.Settled]) {
        guard !settled.isEmpty else { return }
        add("<section id=\"settlements\">")
        add("<h2>From sales to deposit</h2>")
        for s in settled { settlement(s) }
        add("</section>")
    }

    mutating func settlement(_ s: SettlementReport.Settled) {
        let c = s.currency
        add("<article class=\"settlement\" id=\"\(Self.anchor(s.id))\">")
        add("<h3>Settlement \(Self.e(s.id)) <span class=\"deposit\">\(Self.money(s.depositMinor, c)) \(c.code)</span></h3>")
        add("<p class=\"meta\">\(Self.e(s.marketplace)) · \(s.start) to \(s.end) · deposited \(s.depositDate) · \(Self.status(s.status)) · fees \(Self.percent(s.waterfall.feeShare)) of sales · refunds \(Self.percent(s.waterfall.refundRate)) of sales\(s.costOfGoodsMinor.map { " · cost of goods \(Self.e(Self.money($0, s.currency)))" } ?? "")\(s.grossMarginMinor.map { " · gross margin after cost of goods \(Self.e(Self.money($0, s.currency)))" } ?? "")</p>")
        add("<div class=\"figures\">")
        add(WaterfallSVG.render(s.waterfall, currency: c, settlementID: s.id))
        add("<div class=\"scroll\"><table class=\"steps\">")
        if let p = s.previous {
            add("<caption>Each step, beside the previous \(Self.e(s.marketplace)) settlement \(Self.e(p.id)) (ended \(p.end))</caption>")
            add("\(Self.headings(["Step", "Amount", "Previous", "Change"], numeric: 1...))<tbody>")
            for category in SettlementWaterfall.order {
                let now = s.waterfall.amount(category), then = p.waterfall.amount(category)
                guard now != 0 || then != 0 else { continue }
                add("<tr><th scope=\"row\">\(Self.e(category.label))</th><td class=\"num\">\(Self.money(now, c))</td><td class=\"num\">\(Self.money(then, c))</td><td class=\"num\">\(Amounts.signed(now - then, exponent: c.exponent))</td></tr>")
            }
            add("</tbody><tfoot><tr><th scope=\"row\">Deposit</th><td class=\"num\">\(Self.money(s.depositMinor, c))</td><td class=\"num\">\(Self.money(p.waterfall.depositMinor, c))</td><td class=\"num\">\(Amounts.signed(s.depositMinor - p.waterfall.depositMinor, exponent: c.exponent))</td></tr></tfoot>")
        } else {
            add("<caption>Each step (no earlier \(Self.e(s.marketplace)) settlement in \(c.code) to compare with)</caption>")
            add("\(Self.headings(["Step", "Amount", "Running total"], numeric: 1...))<tbody>")
            for (step, running) in zip(s.waterfall.steps, s.waterfall.runningTotals) {
                add("<tr><th scope=\"row\">\(Self.e(step.label))</th><td class=\"num\">\(Amounts.signed(step.amountMinor, exponent: c.exponent))</td><td class=\"num\">\(Self.money(running, c))</td></tr>")
            }
            add("</tbody><tfoot><tr><th scope=\"row\">Deposit</th><td class=\"num\">\(Self.money(s.depositMinor, c))</td><td></td></tr></tfoot>")
        }
        add("</table></div>")
        add("</div>")
        add("</article>")
    }

    mutating func end() {
        add("</main>")
        add("<footer><p>Made by lmb from its own store, offline. The same figures: <code>lmb report --csv</code>, <code>lmb report --json</code>.</p></footer>")
        add("</body>")
        add("</html>")
    }

    static func status(_ s: SettlementStatus) -> String { "<span class=\"status status-\(s.rawValue)\">\(s.rawValue)</span>" }

    /// A fragment id from a settlement id: only characters that need no escaping anywhere.
    static func anchor(_ id: String) -> String {
        "settlement-" + String(id.unicodeScalars.map { ch -> Character in
            ch.isASCII && (ch.properties.isAlphabetic || ("0"..."9").contains(ch) || ch == "-" || ch == "_") ? Character(ch) : "_"
        })
    }

    /// System fonts only (nothing to download); colours that stay apart in grey on paper.
    static let css = """
    :root{color-scheme:light;--ink:#1d1d1f;--muted:#555b63;--rule:#d5d8dd;--down:#b3261e;--total:#1f4e9c}
    *{box-sizing:border-box}
    body{margin:0 auto;max-width:62rem;padding:1rem;color:var(--ink);background:#fff;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
    h1{font-size:1.55rem;margin:.2rem 0}
    h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.2rem;border-bottom:2px solid var(--ink)}
    h3{font-size:1.05rem;margin:1.2rem 0 .3rem}
    .meta,.note,.aside,caption{color:var(--muted)}
    .note{font-size:.9rem}
    .empty{font-size:1.1rem;padding:1rem;border:1px dashed var(--rule)}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-variant-numeric:tabular-nums}
    caption{text-align:left;font-size:.85rem;padding:.2rem 0}
    th,td{padding:.3rem .5rem;border-bottom:1px solid var(--rule);text-align:left;vertical-align:top}
    thead th{border-bottom:2px solid var(--ink);font-size:.85rem;vertical-align:bottom}
    thead th.num{white-space:normal}
    tfoot th,tfoot td{font-weight:bold;border-bottom:none;border-top:2px solid var(--ink)}
    .num,.trend td{white-space:nowrap}
    .num{text-align:right}
    a{color:var(--total)}
    code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:.85em;background:#f2f3f5;padding:.05rem .3rem;border-radius:3px;overflow-wrap:anywhere}
    .attention{border-left:4px solid var(--down);padding-left:.8rem}
    .fixes>li{margin-bottom:.8rem}
    .fixes p{margin:.2rem 0}
    .settlement{border:1px solid var(--rule);border-radius:6px;padding:.6rem .9rem;margin:1rem 0}
    .settlement h3{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap;margin-top:.2rem}
    .settlement .meta{margin:.2rem 0 .6rem;font-size:.9rem}
    .status{font-size:.8rem;padding:0 .35rem;border:1px solid currentColor;border-radius:3px;white-space:nowrap}
    .status-failed,.status-needs-mapping{color:var(--down)}
    .figures{display:grid;grid-template-columns:minmax(0,1fr);gap:.4rem 1.5rem}
    @media (min-width:60rem){.figures{grid-template-columns:minmax(0,28rem) minmax(0,1fr);align-items:start}}
    svg.waterfall{display:block;width:100%;max-width:28rem;height:auto;margin:.3rem 0 .6rem}
    svg.waterfall text{font:16px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:var(--ink)}
    footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
    @media (max-width:36rem){body{padding:.6rem;font-size:14px}th,td{padding:.25rem .3rem}.settlement{padding:.5rem}
    .optional{display:none}
    table.stack thead{position:absolute;left:-9999px}
    table.stack tr{display:block;padding:.3rem 0;border-bottom:1px solid var(--rule)}
    table.stack th,table.stack td{display:flex;justify-content:space-between;gap:1rem;border:none;padding:.05rem .2rem}
    table.stack td::before{content:attr(data-label);color:var(--muted)}}
    @media print{body{max-width:none;padding:0;font-size:10.5pt}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}.scroll{overflow:visible}.settlement,table,.fixes>li{break-inside:avoid}a{color:inherit;text-decoration:none}h2{break-after:avoid}}
    """
}
