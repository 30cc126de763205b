import ArgumentParser
import Foundation
import LMBCore

extension SettlementStatus: ExpressibleByArgument {}

extension LMB {
    struct Settlements: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored settlements and where each stands.",
            discussion: "Statuses: ready, needs-mapping (some rows match no mapping rule), sending, sent, failed.")

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Only settlements with this status: \(SettlementStatus.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "status"))
        var status: SettlementStatus?

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let home = ctx.home
                let mapping = try Mapping.load(home: home.url)
                let store = try ctx.store()
                let booking = Booking(store: store, mapping: mapping)
                var rows: [(StoredSettlement, LedgerResult, SettlementStatus)] = []
                for s in try store.allSettlements() {
                    let result = try booking.book(s)
                    let st = s.status(ledger: result)
                    if let status, st != status { continue }
                    rows.append((s, result, st))
                }
                if global.json {
                    Terminal.out(JSON.array(rows.map { s, result, st in
                        let h = s.header
                        return .object([
                            ("id", .string(h.id)), ("status", .string(st.rawValue)), ("marketplace", .string(s.marketplace)),
                            ("format", .string(h.format.rawValue)), ("currency", .string(h.currency)),
                            ("startDate", .string(h.startDate.description)), ("endDate", .string(h.endDate.description)),
                            ("depositDate", .string(h.depositDate.description)),
                            ("total", .money(h.totalMinor, exponent: h.currencyInfo.exponent)), ("rows", .int(s.rowCount)),
                            ("unmapped", .array(result.unmapped.map(Render.unmappedJSON(currency: h.currencyInfo)))),
                        ])
                    }).rendered())
                    return .ok
                }
                if rows.isEmpty {
                    if !global.quiet { Terminal.out(status == nil ? "No settlements yet. Import one with: lmb import FILE" : "No settlements with status \(status!.rawValue).") }
                    return .ok
                }
                var table = [["ID", "MARKETPLACE", "PERIOD", "DEPOSIT", "TOTAL", "STATUS"]]
                for (s, _, st) in rows {
                    let h = s.header
                    table.append([h.id, s.marketplace, "\(h.startDate) → \(h.endDate)", h.depositDate.description,
                                  "\(h.total.decimalString) \(h.currency)", st.rawValue])
                }
                Terminal.out(Terminal.table(table, rightAlign: [4]))
                for (s, result, _) in rows where result.needsMapping {
                    Terminal.out("")
                    Terminal.out(Render.unmappedText(settlementID: s.header.id, result.unmapped, currency: s.header.currencyInfo))
                }
                return .ok
            }
        }
    }
}
