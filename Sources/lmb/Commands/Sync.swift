import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch from Amazon, then send everything ready to Xero: the one line for cron.",
            discussion: """
            `lmb fetch` (every connected selling account, or --account), then `lmb send --all`: each settlement goes to \
            the Xero organisation its Amazon account is bound to; one imported by hand goes to --tenant, else the \
            default organisation. The send runs even when the fetch failed, so that what is ready still goes. Exactly \
            once, however many runs overlap: fetches and sends each take the home's lock in turn.

            --json prints {"fetch": <lmb fetch --json>, "send": <lmb send --json>}.

            Exit codes: the worst of the fetch's and the send's — 0 all done; 65 a report or settlement that does not \
            add up, needs mapping, or was refused by Xero; 75 temporary (rate limit, unavailable, network, offline, \
            another run holding the lock): cron may retry; 77 a person must act (Amazon: authorise again or the Finance \
            and Accounting role; Xero: permission, stale connection, scope); 78 configuration (no Amazon account or Xero \
            organisation connected, a client secret expired).
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption
        @OptionGroup var tenantOption: TenantOption

        @Option(help: "The status documents are created with: draft (the default) or authorised.")
        var status: DocumentStatus = .draft

        func run() async throws {
            let ctx = global.context
            try await runReportingAsync {
                let mapping = try ctx.mapping()
                let fetch = FetchRun(ctx: ctx, mapping: mapping, account: accountOption.account)
                var fetchJSON: JSON
                let fetchStatus: ExitStatus
                var failures: [RunSummary.Failure] = []
                var succeeded = 0
                do {
                    let report = try await fetch.perform()
                    fetchJSON = fetch.json(report)
                    if !ctx.json { fetch.printSummary(report) }
                    fetchStatus = report.exitStatus
                    let summary = FetchRun.summary(report, command: "sync")
                    failures += summary.failures
                    succeeded += summary.succeeded
                } catch {
                    // Not connected to Amazon, another fetch running, …: said, and the send goes on.
                    fetchStatus = try report(error)
                    fetchJSON = .object([("fetched", .array([])), ("error", .string(Self.describe(error))), ("exitCode", .int(fetchStatus.rawValue))])
                    failures.append(RunSummary.Failure(settlementID: nil, classification: "fetch", message: Self.describe(error), firstStep: nil, correlationID: nil))
                }
                let send = SendRun(ctx: ctx, mapping: mapping, all: true, ids: [], status: status, tenant: tenantOption.tenant)
                var sendJSON: JSON
                let sendStatus: ExitStatus
                do {
                    let results = try await send.perform() ?? []
                    sendJSON = send.json(results)
                    if !ctx.json {
                        if results.isEmpty && !ctx.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                        send.printText(results)
                    }
                    sendStatus = ExitStatus.worst(results.map(\.exitStatus))
                    let summary = SendRun.summary(results, status: sendStatus, mapping: mapping)
                    failures += summary.failures
                    succeeded += summary.succeeded
                } catch {
                    sendStatus = try report(error)
                    sendJSON = .object([("results", .array([])), ("error", .string(Self.describe(error))), ("exitCode", .int(sendStatus.rawValue))])
                    failures.append(RunSummary.Failure(settlementID: nil, classification: "send", message: Self.describe(error), firstStep: nil, correlationID: nil))
                }
                if ctx.json { Terminal.out(JSON.object([("fetch", fetchJSON), ("send", sendJSON)]).rendered()) }
                let status = ExitStatus.worst([fetchStatus, sendStatus])
                await ctx.notify(RunSummary(command: "sync", exitStatus: status, succeeded: succeeded, failures: failures))
                return status
            }
        }

        static func describe(_ error: any Error) -> String {
            switch error {
            case let f as AmazonFailure: return f.description
            case let f as XeroFailure: return f.description
            default: return "\(error)"
            }
        }
    }
}
