import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct TaxCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tax",
            abstract: "The seller's VAT/GST: the figures of Amazon's VAT Transactions Report, per jurisdiction and rate.",
            discussion: """
            Amazon's VAT Transactions Report (GET_VAT_TRANSACTION_DATA; EU and UK selling accounts) lists every sale, \
            refund, return and stock movement with the VAT Amazon computed and the jurisdiction where it is taxable. \
            `lmb fetch` downloads it for Europe-region accounts whose app holds the Tax Remittance role; otherwise download it from Seller Central and store it with `lmb import FILE`. `lmb tax summary` adds it up.
            """,
            subcommands: [TaxSummary.self])
    }

    struct TaxSummary: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "summary",
            abstract: "Add up the stored VAT Transactions Reports of a month or quarter.",
            discussion: """
            One line per transaction type, taxable jurisdiction, currency and VAT rate, with the VAT-inclusive (gross), \
            VAT and VAT-exclusive (net) totals, and a total per jurisdiction and currency. Rows are counted in the \
            period their transaction completed (TRANSACTION_COMPLETE_DATE, as Amazon's ACTIVITY_PERIOD is); when several \
            stored reports cover a month, the one imported last answers for it. Rows Amazon collected the VAT for \
            (TAX_COLLECTION_RESPONSIBILITY MARKETPLACE) are included, under their own jurisdiction and rate.

            --json prints {"period": "2024-10", "rows": [{"type", "jurisdiction", "country", "currency", "rate", "gross", \
            "vat", "net"}]}; --csv the same columns under a header. The rate is written as the report writes it, a \
            fraction as a decimal string ("0.19" is 19%, "0.055" is 5.5%); money is a decimal string in the line's \
            currency ("-12.30"); country is the jurisdiction's ISO 3166 code, or null when lmb does not know it.

            Exit codes: 0 the summary was printed (a month of the period without a stored report is named on stderr); \
            66 no stored report covers any month of the period; 64 a --period that is not YYYY-MM or YYYY-Qn.
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The month (YYYY-MM, e.g. 2024-10) or calendar quarter (YYYY-Qn, e.g. 2024-Q4).", valueName: "period"))
        var period: String

        @Flag(help: "Print the lines as CSV (with a header row) instead of a table.")
        var csv = false

        func validate() throws {
            if csv && global.json { throw ValidationError("--csv and --json each print the figures: choose one") }
            if VATPeriod(period) == nil {
                throw ValidationError("--period wants a month (YYYY-MM, such as 2024-10) or a quarter (YYYY-Qn, such as 2024-Q4); '\(period)' is neither")
            }
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                guard let period = VATPeriod(period) else { throw LMBError.usage("--period '\(self.period)' is not YYYY-MM or YYYY-Qn") }
                // Reading never creates a home or a store: no store yet is no report.
                let store = FileManager.default.fileExists(atPath: ctx.home.storePath) ? try ctx.store() : nil
                let missing = try store?.vatReportMissingMonths(from: period.start, through: period.end) ?? period.months
                if missing.count == period.months.count {
                    throw LMBError.notFound("no VAT Transactions Report is stored for \(period.label); download Amazon's VAT Transactions Report for it from Seller Central and store it with 'lmb import FILE'")
                }
                if !missing.isEmpty && !ctx.quiet {
                    Terminal.err("lmb: warning: no VAT Transactions Report is stored for \(missing.joined(separator: ", ")): the figures cover only the other months of \(period.label)")
                }
                let rows = try store?.vatRows(period: period.range) ?? []
                let summary = VATSummary(period: period, rows: rows)
                if ctx.json {
                    Terminal.out(summary.json.rendered())
                } else if csv {
                    FileHandle.standardOutput.write(Data(summary.csv.utf8))
                } else if !ctx.quiet {
                    if summary.lines.isEmpty {
                        Terminal.out("VAT \(period.label): the stored report has no transactions in this period.")
                    } else {
                        Terminal.out("VAT \(period.label) (\(period.start) → \(period.end)), from Amazon's VAT Transactions Report:")
                        Terminal.out(Terminal.table(summary.tableRows, rightAlign: [5, 6, 7]))
                    }
                }
                return .ok
            }
        }
    }
}
