import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Rollback: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a sent settlement back in Xero, so it can be sent again.",
            discussion: """
            Every document lmb sent for the settlement is taken back in Xero, after lmb reads its status there: a DRAFT \
            or SUBMITTED invoice or bill is DELETED, an AUTHORISED one VOIDED. When a payment is allocated to one of \
            them nothing is changed and lmb says what to do; --remove-payments deletes the payments first. Then the \
            settlement is ready again: `lmb send` books it with the current mapping and posts new documents whose \
            numbers carry a revision suffix (AMZ-<id>-r2, -r3, …), since Xero keeps a voided document's number. \
            `lmb log` shows both generations.

            A rollback stopped halfway (a kill, a network failure) is finished by running it again; until then \
            `lmb send` refuses the settlement.

            Exit codes: 0 taken back (or nothing to take back); 64 a settlement id that was never imported; 65 a \
            payment is allocated or Xero refused a change; 75 temporary (rate limit, network, another lmb send \
            running): run it again; 77 a person must act (permission, stale connection); 78 not connected.
            """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Read each document's status in Xero and show what would be voided or deleted; change nothing.")
        var dryRun = false

        @Flag(help: "Delete the payments allocated to the documents first (otherwise lmb stops and says what to do).")
        var removePayments = false

        @OptionGroup var tenantOption: TenantOption

        @Argument(help: ArgumentHelp("Settlement ids.", valueName: "settlement-id"))
        var ids: [String] = []

        func validate() throws {
            if ids.isEmpty { throw ValidationError("name the settlement ids to roll back") }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                try Sender.checkImported(ids, store: try ctx.store())
                let flow = RollbackFlow(ctx: ctx, ids: ids, tenant: tenantOption.tenant, dryRun: dryRun, removePayments: removePayments)
                let results = try await flow.perform()
                if ctx.json { Terminal.out(Self.json(results).rendered()) } else { printText(ctx, results) }
                return ExitStatus.worst(results.map(\.exitStatus))
            }
        }

        func printText(_ ctx: RunContext, _ results: [RollbackResult]) {
            for r in results {
                switch r.outcome {
                case .rolledBack: if !ctx.quiet { Terminal.out("rolled back \(r.settlementID): \(r.message)") }
                case .nothing: if !ctx.quiet { Terminal.out("skipped \(r.settlementID): \(r.message)") }
                case .planned:
                    if !ctx.quiet {
                        Terminal.out("would roll back \(r.settlementID):")
                        for d in r.documents {
                            let payments = d.payments > 0 ? " after removing \(d.payments) payment\(d.payments == 1 ? "" : "s")" : ""
                            Terminal.out("  \(d.invoiceNumber)  \(d.type)  \(d.from ?? "not in Xero")  → \(d.action)\(payments)")
                        }
                        if r.documents.contains(where: { $0.to != nil }) {
                            Terminal.out("  then the next send posts generation \(r.generation) (numbers ending \(Booking.revisionSuffix(r.generation)))")
                        }
                    }
                case .blocked, .failed:
                    guard let f = r.failure else { continue }
                    Terminal.err(Render.failure(f, settlementID: r.settlementID, subject: nil))
                }
            }
        }

        static func json(_ results: [RollbackResult]) -> JSON {
            JSON.object([("results", .array(results.map { r in
                .object([
                    ("settlement", .string(r.settlementID)), ("outcome", .string(r.outcome.rawValue)), ("message", .string(r.message)),
                    ("generation", .int(r.generation)), ("tenantId", .optional(r.tenantID)),
                    ("documents", .array(r.documents.map { d in
                        .object([("invoiceNumber", .string(d.invoiceNumber)), ("invoiceId", .optional(d.invoiceID)), ("type", .string(d.type)),
                                 ("from", .optional(d.from)), ("to", .optional(d.to)), ("action", .string(d.action)),
                                 ("payments", .int(d.payments)), ("paymentsRemoved", .int(d.paymentsRemoved))])
                    })),
                    ("classification", .string(r.failure?.classification.rawValue ?? "ok")),
                    ("correlationId", .optional(r.failure?.requestID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                    ("runbook", .array(r.failure.map { Runbook.steps(for: $0, settlementID: r.settlementID) }?.map(JSON.string) ?? [])),
                ])
            }))])
        }
    }
}
