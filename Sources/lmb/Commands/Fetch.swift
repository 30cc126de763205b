import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Fetch: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download new settlement reports from Amazon and import them.",
            discussion: """
            For every connected selling account (or --account): lists the DONE settlement reports \
            (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) created since the last fetch (less two days, in case Amazon \
            listed one late) or, the first time, in the last 89 days; then, for each report whose document lmb has not \
            downloaded, asks for its pre-signed address, downloads it (gunzipped, decoded from the charset Amazon names) \
            and imports it exactly as `lmb import` does. A settlement in two reports is one settlement; a report Amazon \
            regenerated with other content keeps the settlement already stored. Each report is recorded with its \
            settlement in the import's own transaction, so the next fetch downloads nothing it has, and an interrupted \
            fetch leaves nothing half-imported.

            For a Europe-region account with settlements on amazon.co.uk or EU marketplaces, the fetch also asks Amazon for \
            last month's VAT Transactions Report (GET_VAT_TRANSACTION_DATA; from the 3rd of the month) and stores it at a \
            later fetch, once Amazon has made it (`lmb tax summary` reads it). The report needs the app's Tax Remittance \
            role; without it the fetch says once how to add it, and settlements are fetched as before. This step never \
            changes the exit code.

            lmb stays inside Amazon's limits (getReports 0.0222/s after a burst of 10, getReportDocument 0.0167/s after \
            15, or what Amazon's x-amzn-RateLimit-Limit says; config.json's "amazon" section sets others), so a large \
            first fetch waits about a minute a document after the first fifteen. A 429 is waited out a few times, then \
            the fetch stops with exit 75 and the next one carries on.

            Output: one line per settlement found (imported, already known, needs mapping) on stdout; failures and their \
            runbook on stderr. --json: {"fetched":[{"account","reportId","settlement","outcome":"imported|known|failed",\
            "classification","message",…}]}.

            Exit codes (the worst outcome): 0 fetched (settlements needing mapping included: lmb send reports those); \
            65 a report that does not parse or add up (not downloaded again; `lmb amazon status` lists it); 75 temporary \
            (rate limit, Amazon unavailable, network, another lmb fetch running): cron may retry; 77 a person must act \
            (stale_connection: authorise the app again; permission_denied: the Finance and Accounting role; \
            token_expired); 78 configuration (no account connected; config: the client secret expired or was rotated — \
            lmb amazon secret).
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption
        @OptionGroup var jobsOption: JobsOption

        @Flag(help: "List the reports that would be downloaded; download nothing.")
        var dryRun = false

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let shown = FetchOutput(ctx: ctx, dryRun: dryRun)
                let flow = FetchFlow(ctx: ctx, mapping: try ctx.mapping(), account: accountOption.account, dryRun: dryRun,
                                     jobs: jobsOption.jobs, onResult: shown.lineHandler)
                let report = try await flow.perform()
                if ctx.json { Terminal.out(shown.json(report).rendered()) } else { shown.printSummary(report) }
                await ctx.notify(FetchFlow.summary(report, command: "fetch"))
                return report.exitStatus
            }
        }
    }
}

/// How `lmb fetch` (and the fetch half of `lmb sync`) shows what it found.
struct FetchOutput {
    let ctx: RunContext
    var dryRun = false

    /// Each result printed as it comes (nothing under --json).
    var lineHandler: @Sendable (FetchResult) -> Void {
        let json = ctx.json, quiet = ctx.quiet
        return { r in if !json { Self.printLine(r, quiet: quiet) } }
    }

    static func printLine(_ r: FetchResult, quiet: Bool) {
        switch r.outcome {
        case .failed:
            if let f = r.failure {
                Terminal.err(Render.failure(f, subject: r.subject))
            } else {
                var lines = ["lmb: error: \(r.subject): [\(r.classification)] \(r.message)"]
                for (i, step) in r.runbook.enumerated() { lines.append("  \(i + 1). \(step)") }
                Terminal.err(lines.joined(separator: "\n"))
            }
        case .wouldDownload:
            if !quiet { Terminal.out("would download \(r.account) \(r.provider.voice.payoutNoun) \(r.reportID ?? "?") (\(r.message))") }
        case .imported, .known:
            guard !quiet else { return }
            let mapping = r.classification == "needs_mapping" ? " — needs mapping: run 'lmb preview \(r.settlementID ?? "")'" : ""
            Terminal.out("\(r.account) \(r.provider.voice.payoutNoun) \(r.reportID ?? "?"): \(r.message)\(mapping)")
        }
    }

    /// After the lines: a word for each account where nothing was new, so a quiet fetch is not mistaken for a stuck one.
    func printSummary(_ report: FetchReport) {
        guard ctx.talks else { return }
        for s in report.accounts where s.toDownload == 0 && !report.results.contains(where: { $0.account == s.account && $0.reportID == nil }) {
            let since = s.createdSince.map { " created since \(ReportsAPI.dateText($0))" } ?? ""
            let noun = s.provider == .amazon ? "settlement report" : s.provider.voice.payoutNoun
            Terminal.out("\(s.account): nothing new (\(s.listed) \(noun)\(s.listed == 1 ? "" : "s")\(since), all downloaded before)")
        }
    }

    func json(_ report: FetchReport) -> JSON {
        .object([
            ("fetched", .array(report.results.map { r in
                .object([
                    ("account", .string(r.account)), ("reportId", .optional(r.reportID)), ("documentId", .optional(r.documentID)),
                    ("settlement", .optional(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                    ("classification", .string(r.classification)), ("message", .string(r.message)),
                    ("requestId", .optional(r.failure?.requestID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                    ("runbook", .array(r.runbook.map(JSON.string))),
                ])
            })),
            ("accounts", .array(report.accounts.map { s in
                .object([
                    ("account", .string(s.account)), ("createdSince", .optional(s.createdSince.map(ReportsAPI.dateText))),
                    ("listed", .int(s.listed)), ("new", .int(s.toDownload)), ("complete", .bool(s.complete)),
                    ("mayHaveMissedReports", .bool(s.mayHaveMissedReports)),
                ])
            })),
            ("clients", .array(ClientOutcome.accounts(report).map(\.json))),
            ("dryRun", .bool(dryRun)),
        ])
    }
}
