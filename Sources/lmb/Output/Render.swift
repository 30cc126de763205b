import Foundation
import LMBCore

/// Text and JSON renderings shared by the commands.
enum Render {
    static func preview(header h: SettlementHeader, marketplace: String, result: LedgerResult, fromFile: Bool) -> String {
        var out: [String] = []
        out.append("Settlement \(h.id) · \(marketplace) · \(h.format.displayName) · \(h.startDate) → \(h.endDate) · deposit \(h.depositDate)\(fromFile ? " · (file, not imported)" : "")")
        if result.postings.count > 1 {
            let carry = result.postings.flatMap(\.lines).first { $0.category == nil }?.accountCode ?? "the carried-forward account"
            out.append("The settlement spans \(result.postings.count) months: one document per month, each dated in its month; the balance is rolled forward through \(carry), so that the last part equals the deposit.")
        }
        for p in result.postings {
            let kind = p.type == .invoice ? "Invoice (ACCREC)" : "Bill (ACCPAY) — negative, so sent as a bill"
            out.append("")
            if p.parts > 1 { out.append("Part \(p.part) of \(p.parts)") }
            out.append("\(kind) \(p.invoiceNumber) · contact \(p.contactName) · date \(p.date) · due \(p.dueDate) · \(p.currency.code) · \(p.lineAmountTypes) · DRAFT")
            if let note = p.lockNote { out.append("Note: \(note)") }
            let e = p.currency.exponent
            if p.lineAmountTypes == "NoTax" {
                var rows = [["ACCOUNT", "TAX", "DESCRIPTION", "AMOUNT"]]
                for line in p.lines {
                    rows.append([line.accountCode, line.taxType, line.description, Money.format(line.amountMinor, exponent: e)])
                }
                rows.append(["", "", "Total", Money.format(p.totalMinor, exponent: e)])
                out.append(Terminal.table(rows, rightAlign: [3]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            } else {
                // Amounts are gross (Inclusive): the tax inside each line is Amazon's own VAT (*) or what Xero computes.
                var rows = [["ACCOUNT", "TAX", "DESCRIPTION", "NET", "TAX", "GROSS"]]
                for line in p.lines {
                    rows.append([line.accountCode, line.taxType.isEmpty ? "(unresolved)" : line.taxType, line.description,
                                 Money.format(line.netMinor, exponent: e), Money.format(line.taxMinor, exponent: e) + (line.explicitTax ? "*" : " "),
                                 Money.format(line.amountMinor, exponent: e)])
                }
                rows.append(["", "", "Total", Money.format(p.totalMinor - p.totalTaxMinor, exponent: e), Money.format(p.totalTaxMinor, exponent: e) + " ",
                             Money.format(p.totalMinor, exponent: e)])
                out.append(Terminal.table(rows, rightAlign: [3, 4, 5]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
                if p.lines.contains(where: \.explicitTax) { out.append("  * the VAT Amazon charged (its VAT Calculation Service rows), sent as the line's TaxAmount") }
            }
        }
        out.append("")
        if let r = result.reserves {
            let e = h.currencyInfo.exponent
            out.append("Reserve held by Amazon: opening \(Money.format(r.openingMinor, exponent: e)) (released), closing \(Money.format(r.closingMinor, exponent: e)) (held back), movement \(Money.format(r.movementMinor, exponent: e)) \(h.currency)")
        }
        var said: Set<String> = []
        for problem in result.taxProblems where said.insert(problem.description).inserted {
            out.append("Tax: \(problem.description) — \(problem.fix)")
        }
        let net = result.postings.reduce(Int64(0)) { $0 + $1.signedTotalMinor }
        out.append("Deposit \(h.total.decimalString) \(h.currency) = documents \(Money.format(net, exponent: h.currencyInfo.exponent)) \(h.currency)\(net == h.totalMinor ? " ✓" : " ✗")")
        return out.joined(separator: "\n")
    }

    static func unmappedText(settlementID: String, _ unmapped: [UnmappedCombination], currency: Currency) -> String {
        var out = ["Settlement \(settlementID) needs mapping: \(unmapped.count) combination\(unmapped.count == 1 ? "" : "s") match no rule."]
        var rows = [["TRANSACTION-TYPE", "AMOUNT-TYPE", "AMOUNT-DESCRIPTION", "ROWS", "AMOUNT"]]
        for u in unmapped {
            rows.append([u.transactionType, u.amountType, u.amountDescription, String(u.count), Money.format(u.amountMinor, exponent: currency.exponent)])
        }
        out.append(Terminal.table(rows, rightAlign: [3, 4]).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        out.append("Map each with lmb mapping add (CATEGORY is one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))), or add the rule to the \"rules\" of mapping.json:")
        for u in unmapped { out.append("  " + u.addCommand + "\n    " + u.suggestedRule) }
        return out.joined(separator: "\n")
    }

    /// One line a person reads (what failed, the cause in the provider's plain words, the service's exact message,
    /// its status, code and request id), the evidence, then the numbered steps that fix it. `settlementID` for a
    /// send ("failed ID: …"); `subject` otherwise ("lmb: error: Amazon account EU, report 123: …").
    static func failure(_ f: RemoteFailure, settlementID: String? = nil, subject: String?, mapping: Mapping? = nil) -> String {
        var head = settlementID.map { "failed \($0): " } ?? "lmb: error: \(subject.map { $0 + ": " } ?? "")"
        // A lock another lmb run holds is lmb's own word, not the service's.
        head += f.classification == .busy ? "\(f.plainWords) [busy]: \(f.message)"
            : "\(f.plainWords) [\(f.classification.rawValue)] — \(f.provider.rawValue) said: \"\(f.message)\""
        var meta: [String] = []
        if let status = f.status { meta.append("HTTP \(status)") }
        if f.provider != .xero, let code = f.code { meta.append(code) }
        if let id = f.requestID { meta.append("\(f.provider.voice.requestIDName) \(id)") }
        if !meta.isEmpty { head += " (\(meta.joined(separator: ", ")))" }
        var lines = [head]
        if let details = f.details, !details.isEmpty, details != f.message { lines.append("  details: \(details)") }
        for e in f.evidence { lines.append("  evidence: \(e)") }
        let steps = Runbook.steps(for: f, settlementID: settlementID, mapping: mapping)
        for (i, step) in steps.enumerated() { lines.append("  \(i + 1). \(step)") }
        if f.provider.voice.endsWithSupportLine(f.classification) { lines.append("  \(Runbook.stillFailing)") }
        return lines.joined(separator: "\n")
    }

    static func unmappedJSON(currency: Currency) -> (UnmappedCombination) -> JSON {
        { u in
            .object([
                ("transactionType", .string(u.transactionType)), ("amountType", .string(u.amountType)),
                ("amountDescription", .string(u.amountDescription)), ("rows", .int(u.count)),
                ("amount", .money(u.amountMinor, exponent: currency.exponent)), ("rule", .string(u.suggestedRule)),
            ])
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
