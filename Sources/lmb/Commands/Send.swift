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

            Each settlement goes to its organisation: one fetched from Amazon to the organisation its Amazon account is \
            bound to (`lmb amazon status`), one imported by hand to --tenant, else the default organisation. With \
            --all, --tenant does not move a fetched settlement; `lmb send ID --tenant ORG`, naming both, does.

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
                let run = SendRun(ctx: ctx, mapping: mapping, all: all, ids: ids, status: status, tenant: tenant)
                guard let results = try await run.perform() else {
                    if ctx.json { Terminal.out(JSON.object([("results", .array([]))]).rendered()) }
                    else if !ctx.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                    return .ok
                }
                if ctx.json { Terminal.out(run.json(results).rendered()) } else { run.printText(results) }
                let status = ExitStatus.worst(results.map(\.exitStatus))
                await ctx.notify(SendRun.summary(results, status: status, mapping: mapping))
                return status
            }
        }

        func dryRunBodies(_ ctx: CommandContext, mapping: Mapping) throws -> ExitStatus {
            let store = try ctx.store()
            let booking = Booking(store: store, mapping: mapping)
            let settlements = all ? try store.allSettlements() : try ids.compactMap { try store.settlement(id: $0) }
            let routed = try SendRouting.tenants(settlements.map(\.header.id), store: store, tenant: tenant, explicit: !all)
            var status = ExitStatus.ok
            var bodies: [JSON] = []
            for s in settlements {
                let result = try booking.book(s, tenant: routed[s.header.id] ?? tenant)
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

/// `lmb send` without --dry-run, shared with `lmb sync`: under the send lock, each settlement to its organisation
/// (SendRouting), one Sender and one Xero client per organisation.
struct SendRun {
    let ctx: CommandContext
    let mapping: Mapping
    var all: Bool
    var ids: [String]
    var status: DocumentStatus
    var tenant: String?

    /// The results in the order the settlements were asked for; nil when `--all` found nothing to send.
    func perform() async throws -> [SendResult]? {
        let lock = try RunLock(home: ctx.home, purpose: .send, wait: ctx.lockWait)
        defer { withExtendedLifetime(lock) {} }
        let session = try ctx.session()
        let targets = all ? try Sender.readySettlements(store: session.store, mapping: mapping) : ids
        let routes = try SendRouting.routes(targets, store: session.store, tenant: tenant, explicit: !all)
        if targets.isEmpty && routes.isEmpty { return nil }
        let booking = Booking(store: session.store, mapping: mapping)
        for s in try targets.compactMap({ try session.store.settlement(id: $0) }) {
            Render.warnBookedToOther(settlementID: s.header.id, try booking.book(s), currency: s.header.currencyInfo, quiet: ctx.quiet)
        }
        var byID: [String: SendResult] = [:]
        var extra: [SendResult] = []
        for route in routes {
            for r in try await send(route, session: session) {
                if targets.contains(r.settlementID) { byID[r.settlementID] = r } else { extra.append(r) }
            }
        }
        return targets.compactMap { byID[$0] } + extra
    }

    func send(_ route: SendRoute, session: XeroSession) async throws -> [SendResult] {
        let connection: StoredConnection
        switch route.connection {
        case .failure(let f):
            return route.settlementIDs.map {
                SendResult(settlementID: $0, outcome: .failed, classification: f.classification, message: f.message, invoiceIDs: [], invoiceNumbers: [], failure: f)
            }
        case .success(let c): connection = c
        }
        let client = session.client(for: connection)
        let talks = ctx.talks
        await client.setOnWait { seconds, reason in if talks { Terminal.err("waiting \(seconds) s for \(reason)") } }
        var sender = Sender(session: session, client: client, mapping: mapping)
        sender.status = status.rawValue.uppercased()
        sender.recoveryScope = route.recoveryScope
        if let size = ctx.batchSize { sender.batchSize = size }
        if let bytes = ctx.maxBodyBytes { sender.maxBodyBytes = bytes }
        sender.log = { line in if talks { Terminal.err(line) } }
        let bar = ProgressBar(label: "sending", enabled: Terminal.stderrIsTTY && talks)
        sender.progress = { done, total in if total > 1 { bar.update(done, total) } }
        let results = try await sender.send(route.settlementIDs)
        bar.finish()
        return results.map { r in
            var r = r
            r.tenantID = connection.tenantID
            return r
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

    func json(_ results: [SendResult]) -> JSON {
        let names = Dictionary(((try? ctx.store().connections()) ?? []).map { ($0.tenantID, $0.tenantName) }) { a, _ in a }
        return JSON.object([("results", .array(results.map { r in
            .object([
                ("settlement", .string(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                ("classification", .string(r.classification.rawValue)), ("message", .string(r.message)),
                ("invoiceIds", .array(r.invoiceIDs.map(JSON.string))), ("invoiceNumbers", .array(r.invoiceNumbers.map(JSON.string))),
                ("tenantId", .optional(r.tenantID)), ("tenantName", .optional(r.tenantID.flatMap { names[$0] })),
                ("correlationId", .optional(r.failure?.correlationID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                ("runbook", .array(r.failure.map { Runbook.steps(for: $0, settlementID: r.settlementID, mapping: mapping) }?.map(JSON.string) ?? [])),
            ])
        }))])
    }

    func printText(_ results: [SendResult]) {
        for r in results {
            switch r.outcome {
            case .sent: if !ctx.quiet { Terminal.out("sent \(r.settlementID): \(r.message)") }
            case .skipped: if !ctx.quiet { Terminal.out("skipped \(r.settlementID): \(r.message)") }
            case .failed:
                guard let f = r.failure else { continue }
                Terminal.err(Render.failure(settlementID: r.settlementID, f, mapping: mapping))
            }
        }
    }
}
