import ArgumentParser
import Foundation
import LMBCore

enum DocumentStatus: String, ExpressibleByArgument, CaseIterable {
    case draft, authorised
}

extension LMB {
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send settlements to Xero, exactly once.",
            discussion: """
            Each settlement's invoice (or bill) is recorded with an idempotency key before it is sent; a settlement \
            already sent is skipped and never posted again; one whose answer was lost is looked up in Xero first. \
            Documents go in batches of up to 50 per request, paced by Xero's rate-limit headers. When Xero refuses, \
            lmb says why (the classification, Xero's exact message, the correlation id) and prints the steps that fix it.

            Exit codes (the worst outcome of the run): 0 sent or skipped; 64 a settlement id that was never \
            imported (nothing is sent); 65 a settlement needs mapping or Xero refused a document; 75 temporary (rate \
            limit, organisation offline, Xero unavailable, network, another lmb send running): cron may retry; \
            77 a person must act (permission, stale connection, missing scope); 78 not connected or misconfigured.
            """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Send every settlement that is ready (and retry failed ones).")
        var all = false

        @Flag(help: "Print the request bodies; send nothing.")
        var dryRun = false

        @Option(help: "The status documents are created with: draft (the default, as bookkeepers expect) or authorised.")
        var status: DocumentStatus = .draft

        @OptionGroup var tenantOption: TenantOption
        var tenant: String? { tenantOption.tenant }

        @Argument(help: ArgumentHelp("Settlement ids.", valueName: "settlement-id"))
        var ids: [String] = []

        func validate() throws {
            if all == !ids.isEmpty { throw ValidationError("name settlement ids, or --all (not both)") }
        }

        func run() async throws {
            let ctx = global.context
            try await runReportingAsync {
                let mapping = try ctx.mapping()
                // What is local is checked before anything talks to Xero: an id never imported is a usage error.
                if !all { try Sender.checkImported(ids, store: try ctx.store()) }
                if dryRun { return try dryRunBodies(ctx, mapping: mapping) }
                let lock = try SendLock(home: ctx.home, wait: ctx.lockWait)
                defer { withExtendedLifetime(lock) {} }
                let session = try ctx.session()
                let targets = all ? try Sender.readySettlements(store: session.store, mapping: mapping) : ids
                let booking = Booking(store: session.store, mapping: mapping)
                for s in try targets.compactMap({ try session.store.settlement(id: $0) }) {
                    Render.warnBookedToOther(settlementID: s.header.id, try booking.book(s), currency: s.header.currencyInfo, quiet: ctx.quiet)
                }
                let client: XeroClient
                do { client = try session.client(tenant: tenant) } catch let f as XeroFailure {
                    return try render(targets.map { SendResult(settlementID: $0, outcome: .failed, classification: f.classification, message: f.message, invoiceIDs: [], invoiceNumbers: [], failure: f) }, mapping: mapping)
                }
                let talks = ctx.talks
                await client.setOnWait { seconds, reason in if talks { Terminal.err("waiting \(seconds) s for \(reason)") } }
                var sender = Sender(session: session, client: client, mapping: mapping)
                sender.status = status.rawValue.uppercased()
                if let size = ctx.batchSize { sender.batchSize = size }
                if let bytes = ctx.maxBodyBytes { sender.maxBodyBytes = bytes }
                sender.log = { line in if talks { Terminal.err(line) } }
                let bar = ProgressBar(label: "sending", enabled: Terminal.stderrIsTTY && talks)
                sender.progress = { done, total in if total > 1 { bar.update(done, total) } }
                if targets.isEmpty {
                    if ctx.json { Terminal.out(JSON.object([("results", .array([]))]).rendered()) }
                    else if !ctx.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                    return .ok
                }
                let results = try await sender.send(targets)
                bar.finish()
                let status = try render(results, mapping: mapping)
                await ctx.notify(Self.summary(results, status: status, mapping: mapping))
                return status
            }
        }

        /// The run as a failure notification tells it.
        static func summary(_ results: [SendResult], status: ExitStatus, mapping: Mapping) -> RunSummary {
            RunSummary(command: "send", exitStatus: status, succeeded: results.filter { $0.outcome != .failed }.count,
                       failures: results.compactMap { r in
                           guard r.outcome == .failed, let f = r.failure else { return nil }
                           return RunSummary.Failure(settlementID: r.settlementID, classification: f.classification.rawValue, message: f.message,
                                                     firstStep: Runbook.steps(for: f, settlementID: r.settlementID, mapping: mapping).first,
                                                     correlationID: f.correlationID)
                       })
        }

        func render(_ results: [SendResult], mapping: Mapping) throws -> ExitStatus {
            if global.json {
                Terminal.out(JSON.object([("results", .array(results.map { r in
                    .object([
                        ("settlement", .string(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                        ("classification", .string(r.classification.rawValue)), ("message", .string(r.message)),
                        ("invoiceIds", .array(r.invoiceIDs.map(JSON.string))), ("invoiceNumbers", .array(r.invoiceNumbers.map(JSON.string))),
                        ("correlationId", .optional(r.failure?.correlationID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                        ("runbook", .array(r.failure.map { Runbook.steps(for: $0, settlementID: r.settlementID, mapping: mapping) }?.map(JSON.string) ?? [])),
                    ])
                }))]).rendered())
            } else {
                for r in results {
                    switch r.outcome {
                    case .sent: if !global.quiet { Terminal.out("sent \(r.settlementID): \(r.message)") }
                    case .skipped: if !global.quiet { Terminal.out("skipped \(r.settlementID): \(r.message)") }
                    case .failed:
                        guard let f = r.failure else { continue }
                        Terminal.err(Render.failure(settlementID: r.settlementID, f, mapping: mapping))
                    }
                }
            }
            return ExitStatus.worst(results.map(\.exitStatus))
        }

        func dryRunBodies(_ ctx: CommandContext, mapping: Mapping) throws -> ExitStatus {
            let store = try ctx.store()
            let booking = Booking(store: store, mapping: mapping)
            let settlements = all ? try store.allSettlements() : try ids.compactMap { try store.settlement(id: $0) }
            var status = ExitStatus.ok
            var bodies: [JSON] = []
            for s in settlements {
                let result = try booking.book(s, tenant: tenant)
                if result.needsMapping {
                    Terminal.err(Render.unmappedText(settlementID: s.header.id, result.unmapped, currency: s.header.currencyInfo))
                    status = ExitStatus.worst([status, .dataError])
                    continue
                }
                if s.status(ledger: result) == .sent { if !ctx.quiet { Terminal.err("skipped \(s.header.id): already sent") }; continue }
                Render.warnBookedToOther(settlementID: s.header.id, result, currency: s.header.currencyInfo, quiet: ctx.quiet)
                bodies.append(contentsOf: result.postings.map { $0.xeroInvoice(status: self.status.rawValue.uppercased()) })
            }
            Terminal.out(JSON.object([("Invoices", .array(bodies))]).rendered())
            return status
        }
    }
}
