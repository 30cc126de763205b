import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Import: ParsableCommand {
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

        func run() throws {
            try runReporting {
                let home = global.lmbHome
                let mapping = try Mapping.load(home: home.url)
                let store = try Store.open(home: home)
                var results: [JSON] = []
                var worst: Int32 = 0
                for file in files {
                    let bar = ProgressBar(label: URL(fileURLWithPath: file).lastPathComponent, enabled: Terminal.stderrIsTTY && !global.json)
                    do {
                        let outcomes = try store.importStatement(path: file, replace: replace, mapping: mapping, progress: bar.update)
                        bar.finish()
                        for outcome in outcomes {
                        let (verb, parsed): (String, ParsedSettlement) = {
                            switch outcome {
                            case .imported(let p): return ("imported", p)
                            case .replaced(let p): return ("replaced", p)
                            case .unchanged(let p): return ("unchanged", p)
                            }
                        }()
                        let ledger = Ledger(mapping: mapping).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
                        let status: SettlementStatus = ledger.needsMapping ? .needsMapping : .ready
                        Render.warnBookedToOther(settlementID: parsed.header.id, ledger, currency: parsed.header.currencyInfo, quiet: global.quiet)
                        results.append(.object([
                            ("file", .string(file)), ("outcome", .string(verb)), ("id", .string(parsed.header.id)),
                            ("rows", .int(parsed.rowCount)), ("total", .money(parsed.header.totalMinor, exponent: parsed.header.currencyInfo.exponent)),
                            ("currency", .string(parsed.header.currency)), ("status", .string(status.rawValue)),
                        ]))
                        if !global.json && !global.quiet {
                            let h = parsed.header
                            let what = verb == "unchanged" ? "already imported, nothing changed:" : "\(verb)"
                            Terminal.out("\(what) settlement \(h.id) (\(parsed.marketplace), \(h.startDate) → \(h.endDate), \(parsed.rowCount) rows, total \(h.total))\(status == .needsMapping ? " — needs mapping: run 'lmb preview \(h.id)'" : "")")
                        }
                        }
                    } catch let error as SettlementFileError {
                        bar.finish()
                        Terminal.error(error.description)
                        results.append(.object([("file", .string(file)), ("outcome", .string("refused")), ("message", .string(error.description))]))
                        worst = max(worst, error.kind == .notFound ? 66 : 65)
                    } catch let error as LMBError {
                        bar.finish()
                        Terminal.error(error.description)
                        results.append(.object([("file", .string(file)), ("outcome", .string("refused")), ("message", .string(error.description))]))
                        worst = max(worst, error.exitCode)
                    }
                }
                if global.json { Terminal.out(JSON.array(results).rendered()) }
                return worst
            }
        }
    }
}
