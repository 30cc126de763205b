import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Clients: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per Xero organisation and its selling accounts: health, last fetch and send, what waits, the next command.",
            discussion: """
            For a bookkeeper with many clients: each connected organisation (and any organisation selling accounts are \
            bound to but that is not connected), with the accounts bound to it — the Xero refresh token's age against \
            its 60 days, each Amazon client secret's age against its 180 days and the days since its last fetch against \
            Amazon's 90-day report window —, when it was last fetched and sent, how many settlements are ready, need \
            mapping or failed, and the command that fixes the worst thing. Reads the store only: no API call \
            (`lmb diagnose --all` asks Xero and the channels).

            Exit code: 0 when every client is ok or only needs attention, 77 when one needs a person to act, 78 when \
            nothing is connected.
            """)

        @OptionGroup var global: GlobalOptions

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let clients = try ClientsView.build(store: store, mapping: try ctx.mapping(), now: ctx.clock.now)
                let status: ExitStatus = clients.isEmpty ? .config : (clients.contains { $0.health == "action" } ? .mustAct : .ok)
                if global.json {
                    Terminal.out(JSON.object([("clients", .array(clients.map(ClientsView.json))), ("exitCode", .int(status.rawValue))]).rendered())
                    return status
                }
                if clients.isEmpty {
                    Terminal.out("No Xero organisation is connected and no selling account either. Start with: lmb connect --client-id ID")
                    return status
                }
                var rows: [[String]] = [["ORGANISATION", "HEALTH", "ACCOUNTS", "TOKEN", "LAST SEND", "READY", "MAPPING", "FAILED", "NEXT"]]
                for c in clients {
                    let accounts = c.accounts.isEmpty ? "-" : c.accounts.map { a in
                        "\(a.label) (\(a.daysSinceFetch.map { "fetched \($0) d ago" } ?? "never fetched")\(a.secretLimitDays.map { ", secret \(a.secretAgeDays)/\($0) d" } ?? ""))"
                    }.joined(separator: "; ")
                    let token = !c.connected ? "not connected" : (c.refreshTokenAgeDays.map { "refresh \($0)/\(ClientsView.refreshLimitDays) d" } ?? (c.tokenKind ?? "-"))
                    rows.append([c.name + (c.isDefault ? " *" : ""), c.health + (c.problem.map { ": \($0)" } ?? ""), accounts, token,
                                 c.lastSendAt.map { String($0.prefix(16)) } ?? "never", "\(c.ready)", "\(c.needsMapping)", "\(c.failed)",
                                 c.nextAction ?? "-"])
                }
                Terminal.out(Terminal.table(rows))
                return status
            }
        }
    }
}
