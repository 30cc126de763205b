/// The report's figures for a script (JSON) and for a spreadsheet (CSV): the same numbers the HTML draws,
/// amounts as exact decimals in each settlement's own currency.
extension SettlementReport {
    public var json: JSON {
        .object([
            ("period", .object([("since", .optional(selection.since?.description)), ("until", .optional(selection.until?.description))])),
            ("summaries", .array(summaries.map(\.json))),
            ("settlements", .array(settled.map(\.json))),
            ("needsMapping", .array(needsMapping.map(\.json))),
            ("failed", .array(failed.map(\.json))),
        ])
    }

    /// One row per (settlement, step), RFC 4180: CRLF line ends, fields quoted when they must be.
    public var csv: String {
        var rows = [["settlement", "marketplace", "currency", "start", "end", "deposit_date", "status", "step", "category", "label", "amount",
                     "running_total", "deposit"]]
        for s in settled {
            let e = s.currency.exponent
            for (i, (step, running)) in zip(s.waterfall.steps, s.waterfall.runningTotals).enumerated() {
                rows.append([s.id, s.marketplace, s.currency.code, s.start.description, s.end.description, s.depositDate.description,
                             s.status.rawValue, String(i + 1), step.category.rawValue, step.label, Money.format(step.amountMinor, exponent: e),
                             Money.format(running, exponent: e), Money.format(s.depositMinor, exponent: e)])
            }
        }
        return rows.map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SettlementReport.Summary {
    var json: JSON {
        let e = currency.exponent
        return .object([
            ("marketplace", .string(marketplace)), ("currency", .string(currency.code)), ("settlements", .int(settlements)),
            ("deposit", .money(depositMinor, exponent: e)), ("sales", .money(salesMinor, exponent: e)), ("fees", .money(feesMinor, exponent: e)),
            ("feeShare", feeShare.map { .number($0.decimalString) } ?? .null), ("refunds", .money(refundsMinor, exponent: e)),
            ("refundRate", refundRate.map { .number($0.decimalString) } ?? .null),
            ("costOfGoods", costedSettlements == 0 ? .null : .money(costOfGoodsMinor, exponent: e)),
            ("grossMargin", grossMarginMinor.map { .money($0, exponent: e) } ?? .null),
            ("grossMarginShare", grossMarginShare.map { .number($0.decimalString) } ?? .null),
        ])
    }
}

extension SettlementReport.Settled {
    var json: JSON {
        let e = currency.exponent
        return .object([
            ("id", .string(id)), ("marketplace", .string(marketplace)), ("currency", .string(currency.code)),
            ("start", .string(start.description)), ("end", .string(end.description)), ("depositDate", .string(depositDate.description)),
            ("deposit", .money(depositMinor, exponent: e)), ("status", .string(status.rawValue)),
            ("sales", .money(waterfall.salesMinor, exponent: e)), ("fees", .money(waterfall.feesMinor, exponent: e)),
            ("feeShare", waterfall.feeShare.map { .number($0.decimalString) } ?? .null),
            ("refunds", .money(waterfall.refundsMinor, exponent: e)),
            ("refundRate", waterfall.refundRate.map { .number($0.decimalString) } ?? .null),
            ("costOfGoods", costOfGoodsMinor.map { .money($0, exponent: e) } ?? .null),
            ("grossMargin", grossMarginMinor.map { .money($0, exponent: e) } ?? .null),
            ("grossMarginShare", grossMarginShare.map { .number($0.decimalString) } ?? .null),
            ("converted", .object(converted.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
            ("previous", previous.map { .object([("id", .string($0.id)), ("deposit", .money($0.waterfall.depositMinor, exponent: e))]) } ?? .null),
            ("steps", .array(waterfall.steps.map { step in
                .object([("category", .string(step.category.rawValue)), ("label", .string(step.label)),
                         ("amount", .money(step.amountMinor, exponent: e))])
            })),
        ])
    }
}

extension SettlementReport.NeedsMapping {
    var json: JSON {
        let e = currency.exponent
        return .object([
            ("id", .string(id)), ("marketplace", .string(marketplace)), ("currency", .string(currency.code)), ("end", .string(end.description)),
            ("deposit", .money(depositMinor, exponent: e)), ("command", .string(command)),
            ("unmapped", .array(unmapped.map { u in
                .object([("transactionType", .string(u.transactionType)), ("amountType", .string(u.amountType)),
                         ("amountDescription", .string(u.amountDescription)), ("rows", .int(u.count)),
                         ("amount", .money(u.amountMinor, exponent: e)), ("command", .string(u.addCommand))])
            })),
        ])
    }
}

extension SettlementReport.FailedSend {
    var json: JSON {
        .object([
            ("id", .string(id)), ("marketplace", .string(marketplace)), ("classification", .string(classification)),
            ("message", .string(message)), ("at", .optional(at)), ("command", .string(command)),
        ])
    }
}
