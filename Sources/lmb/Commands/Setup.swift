import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Setup: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the Xero organisation ready for settlements: create the accounts, contacts and tracking the mapping needs.",
            discussion: """
            Reads the organisation's accounts, tax rates, currencies, contacts and tracking categories, and creates what \
            the mapping needs and is missing: each category's account (the mapping's code and name; Type REVENUE for sales \
            and refunds, OTHERINCOME for reimbursements, DIRECTCOSTS for fees and shipping labels, EXPENSE for advertising \
            and other, CURRENT for reserves and the split-month account, CURRLIAB for sales tax and loans; with the tax \
            type the tax profile gives such an account), and a contact for each marketplace of the stored settlements. \
            --tracking also creates the tracking category "Sales channel" with an option per marketplace, and every \
            invoice line carries it from then on. Nothing that exists is changed: an account with the mapping's code but \
            another type is reported as a conflict. A second run creates nothing. Currencies the settlements use but the \
            organisation lacks are listed (add them under Settings → Currencies).

            Creating needs the accounting.settings scope: connect with `lmb connect --setup` (or `lmb reconnect --setup`).

            --map CATEGORY=CODE points a category (or carried-forward) at an account the organisation already has, after \
            checking it exists, is ACTIVE and has a type that fits the category; it writes mapping.json and creates nothing.

            Exit codes: 0 all there; 78 a conflict, a refusal or a missing currency to resolve by hand; 77 missing scope.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var tenantOption: TenantOption

        @Flag(help: "List what would be created; create nothing.")
        var dryRun = false

        @Flag(help: "Also create the tracking category \"Sales channel\" with an option per marketplace; invoices then carry it.")
        var tracking = false

        @Option(name: .customLong("map"), help: ArgumentHelp("Point a category at an existing account instead (repeatable).", valueName: "CATEGORY=CODE"))
        var map: [String] = []

        func validate() throws {
            if !map.isEmpty && (dryRun || tracking) { throw ValidationError("--map changes only the mapping: use it without --dry-run and --tracking") }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                do {
                    var flow = SetupFlow(ctx: ctx, tenant: tenantOption.tenant)
                    if !map.isEmpty { return try await printMap(try await flow.map(map), ctx) }
                    flow.dryRun = dryRun
                    flow.tracking = tracking
                    let r = try await flow.perform()
                    if global.json { Terminal.out(Self.json(r).rendered()) } else if !global.quiet { Self.printText(r) }
                    return r.exitStatus
                } catch let failure as RemoteFailure where failure.provider == .xero && !global.json {
                    Terminal.err(Render.failure(failure, subject: nil))
                    return failure.exitStatus
                } catch let failure as RemoteFailure where failure.provider == .xero {
                    Terminal.out(JSON.object([("error", .string(failure.message)), ("classification", .string(failure.classification.rawValue)),
                                              ("runbook", .array(Runbook.steps(for: failure).map(JSON.string)))]).rendered())
                    Terminal.err(Render.failure(failure, subject: nil))
                    return failure.exitStatus
                }
            }
        }

        func printMap(_ r: SetupMapResult, _ ctx: RunContext) async throws -> ExitStatus {
            if global.json {
                Terminal.out(JSON.object([("mapped", .array(r.assignments.map { a in
                    .object([("category", .string(a.category)), ("account", .string(a.code)), ("name", .string(a.name)), ("type", .string(a.type))])
                })), ("file", .string(r.file)), ("requests", .array(r.requests.map(JSON.string)))]).rendered())
            } else if !global.quiet {
                for a in r.assignments { Terminal.out("\(a.category) → account \(a.code) \(a.name) (\(a.type))") }
                Terminal.out("Written to \(r.file).")
            }
            return .ok
        }

        static func item(_ i: SetupItem) -> JSON {
            .object([("kind", .string(i.kind)), ("name", .string(i.name)), ("detail", .string(i.detail))])
        }

        static func json(_ r: SetupResult) -> JSON {
            .object([
                ("tenantId", .string(r.tenantID)), ("organisation", .optional(r.organisation)), ("dryRun", .bool(r.dryRun)),
                ("created", .array(r.created.map(item))), ("existing", .array(r.existing.map(item))),
                ("conflicts", .array(r.conflicts.map(item))), ("failures", .array(r.failures.map(item))),
                ("missingCurrencies", .array(r.missingCurrencies.map(JSON.string))),
                ("requests", .array(r.requests.map(JSON.string))), ("mappingWritten", .optional(r.mappingWritten)),
            ])
        }

        static func printText(_ r: SetupResult) {
            Terminal.out("Organisation: \(r.organisation ?? r.tenantID)")
            let verb = r.dryRun ? "Would create" : "Created"
            if r.created.isEmpty {
                Terminal.out(r.dryRun ? "Nothing to create: the organisation has what the mapping needs." : "Nothing created: the organisation has what the mapping needs.")
            } else {
                Terminal.out("\(verb) \(r.created.count):")
                for i in r.created { Terminal.out("  \(i.kind) \(i.name) — \(i.detail)") }
            }
            if !r.existing.isEmpty { Terminal.out("Already there: \(r.existing.count) (\(r.existing.map { "\($0.kind) \($0.name)" }.joined(separator: ", ")))") }
            for i in r.conflicts { Terminal.out("Conflict: \(i.kind) \(i.name) — \(i.detail)") }
            for i in r.failures { Terminal.out("Not created: \(i.kind) \(i.name) — \(i.detail)") }
            for c in r.missingCurrencies {
                Terminal.out("Missing currency: \(c) — settlements in \(c) are refused until it is added in Xero → Settings → Currencies → Add Currency")
            }
            if let file = r.mappingWritten { Terminal.out("The invoices now carry the tracking category (\"tracking\" in \(file)).") }
            if r.dryRun && !r.created.isEmpty { Terminal.out("Run lmb setup without --dry-run to create them.") }
        }
    }
}
