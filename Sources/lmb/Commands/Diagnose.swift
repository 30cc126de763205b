import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Diagnose: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find out why Xero or Amazon refuses, before a send or fetch fails or after it did.",
            discussion: """
            Checks, in order: configuration, the store, the tokens, a fresh token (a refresh, unless --offline), \
            the connection in /connections, the organisation, the connected user's role, the scopes, the mapping \
            against the organisation's accounts and tax rates, rate-limit headroom, and the last failed send of \
            each settlement. Then, for each Amazon selling account: the stored credentials, a Login with Amazon \
            exchange and a getReports call (unless --offline; they prove the refresh token, the client secret and the \
            Finance and Accounting role), the days since the last fetch against Amazon's 90-day report window, and the \
            client secret's age against its 180 days. Prints the fix for the first failing check. Exit code: that of \
            the worst finding (0 ok, 64 a --settlement id never imported, 65 a document Xero would refuse, 75 \
            temporary, 77 a person must act, 78 configuration).

            --all checks every connected organisation, each with the selling accounts bound to it, --jobs at a time, \
            and prints one verdict per client (with --json: {"clients": [{tenantId, name, accounts, verdict, exitCode, \
            firstFailingCheck, runbook, checks}], "verdict", "exitCode"}); the exit code is the worst client's.
            """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Do not talk to Xero or Amazon: check only what is on this machine.")
        var offline = false

        @OptionGroup var tenantOption: TenantOption

        @Option(help: ArgumentHelp("Focus on one settlement: Xero's exact error and the events that led to it.", valueName: "settlement-id"))
        var settlement: String?

        @Option(help: ArgumentHelp("Write a support bundle (JSON, tokens and secrets removed) to this file.", valueName: "file"))
        var bundle: String?

        @Flag(help: "Check every organisation and its selling accounts, several at once; one verdict per client.")
        var all = false

        @OptionGroup var jobsOption: JobsOption

        func validate() throws {
            if all && (tenantOption.tenant != nil || settlement != nil || bundle != nil) {
                throw ValidationError("--all checks every organisation: it does not go with --tenant, --settlement or --bundle")
            }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let home = ctx.home
                let store = Result { try ctx.store() }
                let diagnoser = Diagnoser(home: home, store: store, environment: ctx.environment, clock: ctx.clock,
                                          transport: ctx.makeTransport((try? ctx.config()) ?? LMBConfig()), tenant: tenantOption.tenant, offline: offline)
                if all { return await runAll(ctx, diagnoser) }
                let report = await diagnoser.run()
                if let bundle {
                    let json = try SupportBundle.make(store: try store.get(), home: home, environment: ctx.environment, report: report, settlementID: settlement)
                    try Store.writePrivateFile(bundle, Data((json.rendered() + "\n").utf8))
                    if !global.json && !global.quiet { Terminal.err("wrote the support bundle to \(bundle) (tokens and secrets removed)") }
                }
                let focus = try settlement.map { try printSettlement($0, home: home, store: try store.get()) }
                if global.json {
                    var fields: [(String, JSON)] = [
                        ("verdict", .string(report.verdict)),
                        ("checks", .array(report.checks.map(SupportBundle.checkJSON))),
                        ("runbook", .array(report.runbook.map(JSON.string))),
                        ("fixCommand", .optional(report.fullRunbook?.fix)), ("checkCommand", .optional(report.fullRunbook?.check)),
                    ]
                    if let focus { fields.append(("settlement", focus)) }
                    Terminal.out(JSON.object(fields).rendered())
                } else if !(global.quiet && report.verdict == "ok") {
                    printReport(report)
                }
                return report.exitStatus
            }
        }

        /// `--all`: every client, one verdict each.
        func runAll(_ ctx: RunContext, _ diagnoser: Diagnoser) async -> ExitStatus {
            let clients = await diagnoser.runAll(jobs: ctx.jobs(jobsOption.jobs))
            let status = ExitStatus.worst(clients.map(\.report.exitStatus))
            let failing = clients.filter { $0.report.verdict != "ok" }.count
            if global.json {
                Terminal.out(JSON.object([
                    ("clients", .array(clients.map { c in
                        .object([("tenantId", .optional(c.tenantID)), ("name", .string(c.name)), ("accounts", .array(c.accounts.map(JSON.string))),
                                 ("verdict", .string(c.report.verdict)), ("exitCode", .int(c.report.exitStatus.rawValue)),
                                 ("firstFailingCheck", .optional(c.report.firstFailure?.id)),
                                 ("runbook", .array(c.report.runbook.map(JSON.string))),
                                 ("checks", .array(c.report.checks.map(SupportBundle.checkJSON)))])
                    })),
                    ("verdict", .string(failing == 0 ? "ok" : "\(failing) of \(clients.count) clients need attention")),
                    ("exitCode", .int(status.rawValue)),
                ]).rendered())
                return status
            }
            var rows: [[String]] = [["ORGANISATION", "ACCOUNTS", "VERDICT", "FIRST FAILING CHECK", "WHAT TO DO"]]
            for c in clients {
                let first = c.report.firstFailure
                rows.append([c.name, c.accounts.isEmpty ? "-" : c.accounts.joined(separator: ", "), c.report.verdict,
                             first?.id ?? "-", c.report.runbook.first ?? "-"])
            }
            if !(global.quiet && failing == 0) {
                Terminal.out(Terminal.table(rows))
                Terminal.out("")
                Terminal.out(failing == 0 ? "Verdict: ok — all \(clients.count) client\(clients.count == 1 ? "" : "s") can fetch and send."
                             : "Verdict: \(failing) of \(clients.count) client\(clients.count == 1 ? "" : "s") need attention (`lmb diagnose --tenant ID` shows one in full).")
            }
            return status
        }

        func printReport(_ report: DiagnosisReport) {
            var rows: [[String]] = []
            for c in report.checks {
                let mark = c.status == .pass ? "[ok]  " : c.status == .warn ? "[warn]" : "[FAIL]"
                rows.append([mark, c.id, c.detail])
            }
            Terminal.out(Terminal.table(rows))
            Terminal.out("")
            guard let first = report.firstFailure, let classification = first.classification else {
                let amazon = report.checks.contains { $0.id == "amazon_lwa" }
                Terminal.out("Verdict: ok — lmb can \(amazon ? "fetch from Amazon and " : "")send to Xero.")
                return
            }
            Terminal.out("Verdict: \(classification) — \(first.plainWords ?? "") (first failing check: \(first.id))")
            for e in first.evidence { Terminal.out("  evidence: \(e)") }
            Terminal.out("What to do:")
            for (i, step) in report.runbook.enumerated() { Terminal.out("  \(i + 1). \(step)") }
            if first.endsWithSupportLine { Terminal.out("  \(Runbook.stillFailing)") }
        }

        /// One settlement's status, last error and the events that led to it: printed, or (with --json) returned
        /// for the single JSON document on stdout.
        func printSettlement(_ id: String, home: LMBHome, store: Store) throws -> JSON {
            guard let s = try store.settlement(id: id) else { throw LMBError.usage("no settlement \(id) was ever imported; list the imported ones with: lmb settlements") }
            let mapping = try Mapping.load(home: home.url)
            let status = try Booking(store: store, mapping: mapping).status(s)
            let events = try store.events().filter { $0.settlementID == id || ($0.settlementID == nil && $0.at >= s.importedAt) }
            let lastAttempt = events.last { $0.kind == "send_attempt" && $0.settlementID == id }
            let detail = lastAttempt?.detail.flatMap { try? JSON.parse($0) }
            let json = JSON.object([
                ("id", .string(id)), ("status", .string(status.rawValue)), ("lastMessage", .optional(lastAttempt?.message)),
                ("classification", .optional(detail?["classification"]?.stringValue)),
                ("correlationId", .optional(detail?["correlationId"]?.stringValue)),
                ("events", .array(events.map { .object([("at", .string($0.at)), ("kind", .string($0.kind)), ("message", .string($0.message))]) })),
            ])
            if global.json { return json }
            Terminal.out("Settlement \(id) (\(s.marketplace), \(s.header.startDate) → \(s.header.endDate), \(s.header.total)): \(status.rawValue)")
            if let lastAttempt, let c = detail?["classification"]?.stringValue, c != "ok" {
                Terminal.out("Last error: [\(c)] \"\(lastAttempt.message)\"\(detail?["correlationId"]?.stringValue.map { " (Xero-Correlation-Id \($0))" } ?? "") at \(lastAttempt.at)")
            }
            Terminal.out("What led to it:")
            for e in events { Terminal.out("  \(e.at)  \(e.kind.padding(toLength: 14, withPad: " ", startingAt: 0))  \(e.message)") }
            Terminal.out("")
            return json
        }
    }
}
