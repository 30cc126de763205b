import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Report: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a settlement report: what the marketplace kept, from sales to each deposit.",
            discussion: """
            Writes one self-contained HTML page (no script, nothing fetched from the network; readable on a phone and on \
            paper): per settlement a waterfall from sales to the deposit (refunds, reimbursements, seller fees, FBA fees, \
            storage, advertising, sales tax, reserves, loans, shipping labels, other), set beside the previous settlement of \
            the same marketplace; over the period the deposits, fees as a share of sales and the refund rate per marketplace \
            and currency (two currencies are never added together); and the settlements that need mapping or failed to send, \
            with the command that fixes each.

            Every figure is booked from the stored rows by the same grouping and mapping as the invoices, so the report and \
            Xero agree to the cent. Give a settlement id for its view alone. --json and --csv print the same figures to \
            stdout instead (CSV: one row per settlement and step).
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("One settlement's id, for its view alone (default: every settlement in the period).", valueName: "id"))
        var id: String?

        @Option(help: ArgumentHelp("Only settlements ending on or after this day.", valueName: "YYYY-MM-DD"))
        var since: String?

        @Option(help: ArgumentHelp("Only settlements ending on or before this day.", valueName: "YYYY-MM-DD"))
        var until: String?

        @Option(help: ArgumentHelp("Only settlements from this marketplace (as lmb settlements shows it, e.g. Amazon.com).", valueName: "name"))
        var marketplace: String?

        @Option(help: ArgumentHelp("The HTML file to write (default: ./lmb-report-<today>.html, or ./lmb-report-<id>.html for one settlement).",
                                   valueName: "file.html"))
        var out: String?

        @Flag(help: "Print the figures as CSV (one row per settlement and step) instead of writing the page.")
        var csv = false

        func validate() throws {
            if csv && global.json { throw ValidationError("--csv and --json each print the figures: choose one") }
            if out != nil && (csv || global.json) {
                throw ValidationError("--out names the HTML page; --csv and --json print to stdout (to keep them, redirect: lmb report --csv > report.csv)")
            }
            if let out, out.isEmpty { throw ValidationError("--out needs a file name, e.g. --out report.html") }
            if id != nil && (since != nil || until != nil || marketplace != nil) {
                throw ValidationError("a settlement id is a report of its own; --since, --until and --marketplace choose among many, so give one or the other")
            }
            let (from, to) = (try Self.day(since, "--since"), try Self.day(until, "--until"))
            if let from, let to, to < from { throw ValidationError("--until \(to) is before --since \(from)") }
        }

        /// A day as YYYY-MM-DD, exactly.
        static func day(_ text: String?, _ option: String) throws -> CalendarDate? {
            guard let text else { return nil }
            let shape = text.utf8.count == 10 && text.utf8.enumerated().allSatisfy { i, b in i == 4 || i == 7 ? b == UInt8(ascii: "-") : (48...57).contains(b) }
            guard shape, let day = CalendarDate(iso: text) else { throw ValidationError("\(option) wants a day as YYYY-MM-DD, such as 2024-10-31; '\(text)' is not one") }
            return day
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let selection = ReportSelection(id: id, since: try Self.day(since, "--since"), until: try Self.day(until, "--until"), marketplace: marketplace)
                // Reading never creates a home or a store: no store yet is an empty report.
                let store = FileManager.default.fileExists(atPath: ctx.home.storePath) ? try ctx.store() : nil
                let report = try SettlementReport.build(store: store, mapping: try ctx.mapping(), selection: selection,
                                                        costOfGoods: try CostOfGoodsSettings(config: try ctx.config()))
                if global.json {
                    Terminal.out(report.json.rendered())
                    return .ok
                }
                if csv {
                    FileHandle.standardOutput.write(Data(report.csv.utf8))
                    return .ok
                }
                let today = Self.today(ctx.clock.now)
                let path = out ?? "lmb-report-\(id.map(Self.fileSafe) ?? today.description).html"
                let written = try Self.write(report.html(generatedOn: today), to: path)
                if ctx.talks { Terminal.out(Self.summary(report, path: written)) }
                return .ok
            }
        }

        /// What was written and what needs doing, in a few lines.
        static func summary(_ report: SettlementReport, path: String) -> String {
            if report.storeIsEmpty {
                return "No settlements yet. Import one with: lmb import FILE\nWrote a page saying so to \(path)"
            }
            if report.isEmpty { return "No settlement matches \(report.selectionWords).\nWrote a page saying so to \(path)" }
            let groups = report.summaries.map { "\($0.marketplace) \($0.currency.code): \($0.settlements)" }
            let count = report.settled.count
            let what = count == 0 ? "no settlement with a waterfall yet" : "\(count) settlement\(count == 1 ? "" : "s") (\(groups.joined(separator: ", ")))"
            var lines = ["Wrote the report to \(path): \(what).",
                         "Open it in any browser; it needs no network."]
            // Gross margin after cost of goods sold, per settlement and over the period (settlements with costs only).
            for s in report.settled {
                if let cogs = s.costOfGoodsMinor, let margin = s.grossMarginMinor {
                    let e = s.currency.exponent
                    lines.append("\(s.id): cost of goods \(Money.format(cogs, exponent: e)) \(s.currency.code), gross margin \(Money.format(margin, exponent: e)) \(s.currency.code)\(s.grossMarginShare.map { " (\($0) of net sales)" } ?? "")")
                }
                for (number, note) in s.converted.sorted(by: { $0.key < $1.key }) { lines.append("\(s.id): \(number) \(note)") }
            }
            for m in report.summaries {
                if let margin = m.grossMarginMinor {
                    let e = m.currency.exponent
                    lines.append("period, \(m.marketplace) \(m.currency.code): cost of goods \(Money.format(m.costOfGoodsMinor, exponent: e)), gross margin \(Money.format(margin, exponent: e))\(m.grossMarginShare.map { " (\($0) of net sales)" } ?? "") over \(m.costedSettlements) settlement(s) with costs")
                }
            }
            for s in report.needsMapping { lines.append("needs mapping: \(s.id) — see what to map with: \(s.command)") }
            for f in report.failed { lines.append("failed to send: \(f.id) [\(f.classification)] — \(f.command)") }
            return lines.joined(separator: "\n")
        }

        /// Writes the page whole or not at all; gives its absolute path.
        static func write(_ html: String, to path: String) throws -> String {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw LMBError.usage("--out \(path) is a folder; name a file in it, e.g. --out \(url.appendingPathComponent("lmb-report.html").path)")
            }
            do {
                try Data(html.utf8).write(to: url, options: .atomic)
            } catch {
                throw LMBError.io("cannot write the report to \(url.path): \((error as NSError).localizedDescription)")
            }
            return url.path
        }

        /// The local calendar day, for the default file name and the page's date.
        static func today(_ now: Date) -> CalendarDate {
            let c = Calendar.current.dateComponents([.year, .month, .day], from: now)
            return CalendarDate(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1) ?? CalendarDate(year: 1970, month: 1, day: 1)!
        }

        /// A settlement id as part of a file name.
        static func fileSafe(_ id: String) -> String {
            String(id.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) ? Character($0) : "_" })
        }
    }
}
