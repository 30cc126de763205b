import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Import: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import settlement reports into the store.",
            discussion: """
            Each file (Amazon Flat File V2 or V1; an Etsy monthly statement, one settlement per payout; a Shopify Payments \
            transactions export, one settlement per payout; an eBay transaction report, one per payout) is parsed, checked to add up to its deposit, and stored with every row, atomically: \
            a refused or interrupted file leaves nothing behind. Importing the same file again changes nothing. \
            A file whose settlement id is already stored with other content is refused unless --replace is given, \
            and a settlement that has been sent to Xero is never replaced.

            Amazon's VAT Transactions Report (GET_VAT_TRANSACTION_DATA, downloaded from Seller Central) \
            is recognised and stored as VAT data, not as a settlement: it is never sent; `lmb tax summary` reads it. \
            A later report for the same month replaces the earlier one's figures for that month.

            Rows of a Shopify export whose payout is not paid yet (pending, scheduled, in transit) are kept apart, in no \
            settlement, and never sent; `lmb shopify pending` lists them. When a later export or `lmb fetch` brings them \
            in a paid payout, that payout's settlement replaces them. With --json each file's kept rows are one object \
            with "outcome": "pending".
            """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Replace a stored settlement that has the same id but different content (never one already sent).")
        var replace = false

        @Argument(help: ArgumentHelp("Settlement report files.", valueName: "file"))
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one settlement file") }
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let mapping = try ctx.mapping()
                let importer = Importer(store: try ctx.store())
                var results: [JSON] = []
                var statuses: [ExitStatus] = []
                for file in files {
                    let bar = ProgressBar(label: URL(fileURLWithPath: file).lastPathComponent, enabled: Terminal.stderrIsTTY && !ctx.json)
                    do {
                        // Only a readable regular file is peeked at; anything else gets the importer's refusal.
                        if (try? InputFile.check(file)) != nil, VATTransactionsReport.detect(path: file) {
                            let stored = try importer.importVATReport(path: file)
                            bar.finish()
                            results.append(describeVATReport(stored, file: file, ctx: ctx))
                            statuses.append(.ok)
                            continue
                        }
                        let imported = try importer.importContents(path: file, conflict: replace ? .replace : .refuse, progress: bar.update)
                        bar.finish()
                        for outcome in imported.outcomes {
                            let (json, status) = describe(outcome, file: file, mapping: mapping, ctx: ctx)
                            results.append(json)
                            statuses.append(status)
                        }
                        if let pending = imported.pending {
                            results.append(describePending(pending, file: file, ctx: ctx))
                            statuses.append(.ok)
                        }
                    } catch {
                        bar.finish()
                        let status = try report(error)
                        results.append(.object([("file", .string(file)), ("outcome", .string("refused")), ("message", .string("\(error)"))]))
                        statuses.append(status)
                    }
                }
                if ctx.json { Terminal.out(JSON.array(results).rendered()) }
                return ExitStatus.worst(statuses)
            }
        }

        /// Amazon's VAT Transactions Report: stored for the seller's VAT figures (`lmb tax summary`), never sent.
        func describeVATReport(_ r: VATReportImport, file: String, ctx: CommandContext) -> JSON {
            let months = r.months.isEmpty ? "no month" : r.months.joined(separator: ", ")
            let dates = r.firstDate.map { " \($0) → \(r.lastDate ?? $0)," } ?? ""
            if ctx.talks {
                if r.duplicate {
                    Terminal.out("already imported, nothing changed: VAT Transactions Report \(file) (\(months))")
                } else {
                    Terminal.out("imported VAT Transactions Report (Amazon's VAT data, not a settlement; nothing to send): \(r.rowsAdded) rows,\(dates) \(months)")
                    if !r.supersededMonths.isEmpty {
                        Terminal.out("  it replaces the report stored before for \(r.supersededMonths.joined(separator: ", "))")
                    }
                }
            }
            if !r.unbalancedLines.isEmpty && !ctx.quiet {
                let lines = r.unbalancedLines.prefix(10).map(String.init).joined(separator: ", ") + (r.unbalancedLines.count > 10 ? ", …" : "")
                Terminal.err("lmb: warning: \(file): \(r.unbalancedLines.count) row(s) where the VAT-inclusive total is not net + VAT (lines \(lines)); stored as Amazon wrote them")
            }
            return .object([
                ("file", .string(file)), ("outcome", .string(r.duplicate ? "unchanged" : "imported")), ("kind", .string("vat-report")),
                ("rows", .int(r.rowsAdded)), ("months", .array(r.months.map(JSON.string))),
                ("firstDate", .optional(r.firstDate?.description)), ("lastDate", .optional(r.lastDate?.description)),
                ("sha256", .string(r.sha256)), ("supersededMonths", .array(r.supersededMonths.map(JSON.string))),
            ])
        }

        /// A Shopify export's rows of payouts not yet paid: kept in the store, in no settlement, never sent.
        func describePending(_ p: PendingImport, file: String, ctx: CommandContext) -> JSON {
            func amount(_ t: PendingImport.Total) -> String { Money(minorUnits: t.netMinor, currency: Currency(code: t.currency)).decimalString + " " + t.currency }
            if ctx.talks {
                if p.kept > 0 {
                    let nets = p.totals.map(amount).joined(separator: ", ")
                    Terminal.out("kept \(p.kept) row\(p.kept == 1 ? "" : "s") of Shopify payouts not yet paid (net \(nets)): stored, never sent; an export or fetch that shows them paid replaces them ('lmb shopify pending' lists them)")
                }
                if p.alreadyPaid > 0 {
                    Terminal.out("  \(p.alreadyPaid) row\(p.alreadyPaid == 1 ? "" : "s") shown as not yet paid \(p.alreadyPaid == 1 ? "is" : "are") in a payout stored already: not kept")
                }
                if p.replaced > 0 {
                    Terminal.out("  \(p.replaced) row\(p.replaced == 1 ? "" : "s") kept as not yet paid \(p.replaced == 1 ? "is" : "are") now paid, replaced by \(p.replaced == 1 ? "its payout" : "their payouts")")
                }
            }
            return .object([
                ("file", .string(file)), ("outcome", .string("pending")), ("kind", .string("shopify-pending")),
                ("kept", .int(p.kept)), ("alreadyPaid", .int(p.alreadyPaid)), ("replaced", .int(p.replaced)), ("waiting", .int(p.waiting)),
                ("totals", .array(p.totals.map { t in
                    .object([("currency", .string(t.currency)), ("rows", .int(t.rows)),
                             ("net", .money(t.netMinor, exponent: Currency(code: t.currency).exponent))])
                })),
            ])
        }

        /// One imported settlement: its JSON line, and the line a person reads. Needing mapping is not an import
        /// failure (the settlement is stored, waiting for a rule): the exit status stays 0.
        func describe(_ outcome: ImportOutcome, file: String, mapping: Mapping, ctx: CommandContext) -> (JSON, ExitStatus) {
            let parsed = outcome.settlement
            let ledger = Ledger(mapping: mapping).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
            let status: SettlementStatus = ledger.needsMapping ? .needsMapping : .ready
            let h = parsed.header
            Render.warnBookedToOther(settlementID: h.id, ledger, currency: h.currencyInfo, quiet: ctx.quiet)
            if ctx.talks {
                let what = outcome.verb == "unchanged" ? "already imported, nothing changed:" : outcome.verb
                Terminal.out("\(what) settlement \(h.id) (\(parsed.marketplace), \(h.startDate) → \(h.endDate), \(parsed.rowCount) rows, total \(h.total))\(status == .needsMapping ? " — needs mapping: run 'lmb preview \(h.id)'" : "")")
            }
            return (.object([
                ("file", .string(file)), ("outcome", .string(outcome.verb)), ("id", .string(h.id)),
                ("rows", .int(parsed.rowCount)), ("total", .money(h.totalMinor, exponent: h.currencyInfo.exponent)),
                ("currency", .string(h.currency)), ("status", .string(status.rawValue)),
            ]), .ok)
        }
    }
}
