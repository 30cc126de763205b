import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Log: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the history the store keeps: imports, fetches, send attempts, refreshes, connections.",
            discussion: """
            One line per event, oldest first: when, what kind, the settlement, and what happened. --json prints \
            JSON lines (one object per line) for a script. Events never hold a token or a secret. Kinds include \
            import, reimport, fetch, send_attempt, recovered, token_refresh, connect, disconnect, reconnect, amazon_connect, \
            amazon_secret, amazon_disconnect, notify.
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("Only this settlement's events.", valueName: "settlement-id"))
        var settlement: String?

        @Option(help: ArgumentHelp("Only events from this day on (YYYY-MM-DD, UTC).", valueName: "date"))
        var since: String?

        @Option(help: ArgumentHelp("Only events of this kind (repeat for several).", valueName: "kind"))
        var kind: [String] = []

        func validate() throws {
            if let since, CalendarDate(iso: since) == nil { throw ValidationError("--since must be a date like 2026-11-01") }
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                if let settlement { try Sender.checkImported([settlement], store: store) }
                let events = try store.events(settlementID: settlement, since: since.flatMap(CalendarDate.init(iso:)), kinds: kind)
                for e in events {
                    if ctx.json {
                        Terminal.out(JSON.object([
                            ("at", .string(e.at)), ("kind", .string(e.kind)), ("settlement", .optional(e.settlementID)),
                            ("message", .string(e.message)), ("detail", e.detail.flatMap { try? JSON.parse($0) } ?? .null),
                        ]).rendered(pretty: false))
                    } else if !ctx.quiet {
                        Terminal.out("\(e.at)  \(e.kind.padding(toLength: 14, withPad: " ", startingAt: 0))  \(e.settlementID ?? "-")  \(e.message)")
                    }
                }
                if events.isEmpty && ctx.talks { Terminal.err("no events match") }
                return .ok
            }
        }
    }
}
