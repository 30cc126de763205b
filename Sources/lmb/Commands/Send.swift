import ArgumentParser
import Foundation
import LMBCore

enum DocumentStatus: String, ExpressibleByArgument, CaseIterable {
    case draft, authorised
}

extension LMB {
    struct Send: AsyncContextCommand {
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

        @Flag(help: "Send the named settlements without waiting for Amazon's VAT Transactions Report (a tax profile that waits for it holds EU and UK settlements as awaiting-vat).")
        var withoutVatReport = false

        @OptionGroup var tenantOption: TenantOption
        @OptionGroup var jobsOption: JobsOption
        var tenant: String? { tenantOption.tenant }

        @Argument(help: ArgumentHelp("Settlement ids.", valueName: "settlement-id"))
        var ids: [String] = []

        func validate() throws {
            if all == !ids.isEmpty { throw ValidationError("name settlement ids, or --all (not both)") }
            if withoutVatReport && all { throw ValidationError("--without-vat-report needs settlement ids: it overrides the hold for the settlements you name") }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let mapping = try ctx.mapping()
                // What is local is checked before anything talks to Xero: an id never imported is a usage error.
                if !all { try Sender.checkImported(ids, store: try ctx.store()) }
                if dryRun { return try dryRunBodies(ctx, mapping: mapping) }
                var run = SendFlow(ctx: ctx, mapping: mapping, all: all, ids: ids, status: status.rawValue.uppercased(), tenant: tenant)
                run.withoutVATReport = withoutVatReport
                run.jobs = jobsOption.jobs
                let shown = SendOutput(ctx: ctx, mapping: mapping)
                guard let results = try await run.perform() else {
                    if ctx.json { Terminal.out(JSON.object([("results", .array([]))]).rendered()) }
                    else if !ctx.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                    return .ok
                }
                if ctx.json { Terminal.out(shown.json(results).rendered()) } else { shown.printText(results) }
                let status = ExitStatus.worst(results.map(\.exitStatus))
                await ctx.notify(SendFlow.summary(results, status: status, mapping: mapping, names: shown.names))
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
                if let warning = result.bookedToOtherWarning(settlementID: s.header.id, currency: s.header.currencyInfo), !ctx.quiet { Terminal.err(warning) }
                bodies.append(contentsOf: result.postings.map { $0.xeroInvoice(status: self.status.rawValue.uppercased()) })
            }
            Terminal.out(JSON.object([("Invoices", .array(bodies))]).rendered())
            return status
        }
    }
}

/// How `lmb send` (and the send half of `lmb sync`) shows its results.
struct SendOutput {
    let ctx: RunContext
    let mapping: Mapping

    /// Organisation names by tenant id.
    var names: [String: String] {
        Dictionary(((try? ctx.store().connections()) ?? []).map { ($0.tenantID, $0.tenantName) }) { a, _ in a }
    }

    func json(_ results: [SendResult]) -> JSON {
        let names = self.names
        return JSON.object([("results", .array(results.map { r in
            .object([
                ("settlement", .string(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                ("classification", .string(r.classification.rawValue)), ("message", .string(r.message)),
                ("invoiceIds", .array(r.invoiceIDs.map(JSON.string))), ("invoiceNumbers", .array(r.invoiceNumbers.map(JSON.string))),
                ("tenantId", .optional(r.tenantID)), ("tenantName", .optional(r.tenantID.flatMap { names[$0] })),
                ("correlationId", .optional(r.failure?.requestID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                ("runbook", .array(r.failure.map { Runbook.steps(for: $0, settlementID: r.settlementID, mapping: mapping) }?.map(JSON.string) ?? [])),
            ])
        })), ("clients", .array(ClientOutcome.organisations(results, names: names, mapping: mapping).map(\.json)))])
    }

    func printText(_ results: [SendResult]) {
        for r in results {
            switch r.outcome {
            case .sent: if !ctx.quiet { Terminal.out("sent \(r.settlementID): \(r.message)") }
            case .skipped: if !ctx.quiet { Terminal.out("skipped \(r.settlementID): \(r.message)") }
            case .failed:
                guard let f = r.failure else { continue }
                Terminal.err(Render.failure(f, settlementID: r.settlementID, subject: nil, mapping: mapping))
            }
        }
    }
}
