import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Import: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import settlement reports into the store.",
            discussion: """
            Each file (Amazon Flat File V2 or V1; an Etsy monthly statement, one settlement per payout) is parsed, checked to add up to its deposit, and stored with every row, atomically: \
            a refused or interrupted file leaves nothing behind. Importing the same file again changes nothing. \
            A file whose settlement id is already stored with other content is refused unless --replace is given, \
            and a settlement that has been sent to Xero is never replaced.
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
                        let outcomes = try importer.importFile(path: file, replace: replace, progress: bar.update)
                        bar.finish()
                        for outcome in outcomes {
                            let (json, status) = describe(outcome, file: file, mapping: mapping, ctx: ctx)
                            results.append(json)
                            statuses.append(status)
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
