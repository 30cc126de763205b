import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Sync: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch from Amazon, then send everything ready to Xero: the one line for cron.",
            discussion: """
            `lmb fetch` (every connected selling account, or --account), then `lmb send --all`: each settlement goes to \
            the Xero organisation its Amazon account is bound to; one imported by hand goes to --tenant, else the \
            default organisation. The send runs even when the fetch failed, so that what is ready still goes. Exactly \
            once, however many runs overlap: a fetch from one account, and a send to one organisation, take that \
            account's or organisation's lock in turn.

            Selling accounts and organisations are worked on --jobs at a time (default 8): each account in its own \
            Amazon rate buckets, each organisation within Xero's limits for it, one client's trouble (a stale \
            connection, a revoked token, a day limit) that client's alone — the others finish.

            --json prints {"fetch": <lmb fetch --json>, "send": <lmb send --json>, "clients": [one entry per account \
            and organisation: kind, name, tenantId, outcome, exitCode, classification, message, runbook]}.

            Exit codes: the worst of the fetch's and the send's — 0 all done; 65 a report or settlement that does not \
            add up, needs mapping, or was refused by Xero; 75 temporary (rate limit, unavailable, network, offline, \
            another run holding the lock): cron may retry; 77 a person must act (Amazon: authorise again or the Finance \
            and Accounting role; Xero: permission, stale connection, scope); 78 configuration (no Amazon account or Xero \
            organisation connected, a client secret expired).
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption
        @OptionGroup var tenantOption: TenantOption
        @OptionGroup var jobsOption: JobsOption

        @Option(help: "The status documents are created with: draft (the default) or authorised.")
        var status: DocumentStatus = .draft

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let mapping = try ctx.mapping()
                let fetchShown = FetchOutput(ctx: ctx)
                let sendShown = SendOutput(ctx: ctx, mapping: mapping)
                let outcome = await SyncFlow(ctx: ctx, mapping: mapping, account: accountOption.account, tenant: tenantOption.tenant,
                                             status: status.rawValue.uppercased(), jobs: jobsOption.jobs,
                                             onFetchResult: fetchShown.lineHandler).perform()
                var fetchJSON: JSON
                let fetchStatus: ExitStatus
                switch outcome.fetch {
                case .success(let report):
                    fetchJSON = fetchShown.json(report)
                    if !ctx.json { fetchShown.printSummary(report) }
                    fetchStatus = report.exitStatus
                case .failure(let error):
                    // Not connected to Amazon, another fetch running, …: said, and the send went on.
                    fetchStatus = try report(error)
                    fetchJSON = .object([("fetched", .array([])), ("error", .string(Self.describe(error))), ("exitCode", .int(fetchStatus.rawValue))])
                }
                var sendJSON: JSON
                let sendStatus: ExitStatus
                switch outcome.send {
                case .success(let results):
                    sendJSON = sendShown.json(results)
                    if !ctx.json {
                        if results.isEmpty && !ctx.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                        sendShown.printText(results)
                    }
                    sendStatus = ExitStatus.worst(results.map(\.exitStatus))
                case .failure(let error):
                    sendStatus = try report(error)
                    sendJSON = .object([("results", .array([])), ("error", .string(Self.describe(error))), ("exitCode", .int(sendStatus.rawValue))])
                }
                let names = sendShown.names
                if ctx.json {
                    let clients = outcome.clients(names: names, mapping: mapping).map(\.json)
                    Terminal.out(JSON.object([("fetch", fetchJSON), ("send", sendJSON), ("clients", .array(clients))]).rendered())
                }
                let status = ExitStatus.worst([fetchStatus, sendStatus])
                await ctx.notify(outcome.summary(exitStatus: status, mapping: mapping, names: names))
                return status
            }
        }

        static func describe(_ error: any Error) -> String {
            switch error {
            case let f as RemoteFailure: return f.description
            default: return "\(error)"
            }
        }
    }
}
