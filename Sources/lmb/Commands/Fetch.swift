import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Fetch: AsyncParsableCommand {
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

        @Flag(help: "List the reports that would be downloaded; download nothing.")
        var dryRun = false

        func run() async throws {
            let ctx = global.context
            try await runReportingAsync {
                let run = FetchRun(ctx: ctx, mapping: try ctx.mapping(), account: accountOption.account, dryRun: dryRun)
                let report = try await run.perform()
                if ctx.json { Terminal.out(run.json(report).rendered()) } else { run.printSummary(report) }
                await ctx.notify(FetchRun.summary(report, command: "fetch"))
                return report.exitStatus
            }
        }
    }
}

/// `lmb fetch`, shared with `lmb sync`: under the fetch lock, every account (or one), lines printed as they come.
struct FetchRun {
    let ctx: CommandContext
    let mapping: Mapping
    var account: String?
    var dryRun = false

    func perform() async throws -> FetchReport {
        let store = try ctx.store()
        let accounts = try account.map { [try store.amazonAccount(label: $0)] } ?? store.amazonAccounts()
        guard !accounts.isEmpty else { throw AmazonFailure.notConnected() }
        let config = try ctx.config()
        let settings = config.amazon ?? AmazonSettings()
        let lock = try RunLock(home: ctx.home, purpose: .fetch, wait: ctx.lockWait)
        defer { withExtendedLifetime(lock) {} }
        var fetcher = Fetcher(store: store, home: ctx.home, mapping: mapping, transport: try ctx.amazonTransport(config), endpoints: ctx.amazonEndpoints)
        fetcher.pacing = try settings.pacing()
        fetcher.overlap = try settings.overlap()
        fetcher.now = ctx.now
        let talks = ctx.talks, json = ctx.json, quiet = ctx.quiet
        fetcher.log = { line in if talks { Terminal.err(line) } }
        let bar = ProgressBar(label: "fetching", enabled: Terminal.stderrIsTTY && talks)
        fetcher.progress = { done, total in if total > 1 { bar.update(done, total) } }
        fetcher.onResult = { r in bar.clear(); if !json { Self.printLine(r, quiet: quiet) } }
        defer { bar.finish() }
        return try await fetcher.fetch(accounts, dryRun: dryRun)
    }

    static func printLine(_ r: FetchResult, quiet: Bool) {
        switch r.outcome {
        case .failed:
            if let f = r.amazonFailure {
                Terminal.err(Render.amazonFailure(account: r.account, report: r.reportID, f))
            } else {
                var lines = ["lmb: error: Amazon account \(r.account), report \(r.reportID ?? "?"): [\(r.classification)] \(r.message)"]
                for (i, step) in r.runbook.enumerated() { lines.append("  \(i + 1). \(step)") }
                Terminal.err(lines.joined(separator: "\n"))
            }
        case .wouldDownload:
            if !quiet { Terminal.out("would download \(r.account) report \(r.reportID ?? "?") (\(r.message))") }
        case .imported, .known:
            guard !quiet else { return }
            let mapping = r.classification == "needs_mapping" ? " — needs mapping: run 'lmb preview \(r.settlementID ?? "")'" : ""
            Terminal.out("\(r.account) report \(r.reportID ?? "?"): \(r.message)\(mapping)")
        }
    }

    /// After the lines: a word for each account where nothing was new, so a quiet fetch is not mistaken for a stuck one.
    func printSummary(_ report: FetchReport) {
        guard ctx.talks else { return }
        for s in report.accounts where s.toDownload == 0 && !report.results.contains(where: { $0.account == s.account && $0.reportID == nil }) {
            let since = s.createdSince.map { " created since \(ReportsAPI.dateText($0))" } ?? ""
            Terminal.out("\(s.account): nothing new (\(s.listed) settlement report\(s.listed == 1 ? "" : "s")\(since), all downloaded before)")
        }
    }

    /// The run as a failure notification tells it: each report or account that failed, with the first step of its runbook.
    static func summary(_ report: FetchReport, command: String) -> RunSummary {
        RunSummary(command: command, exitStatus: report.exitStatus, succeeded: report.results.filter { $0.outcome != .failed }.count,
                   failures: report.results.filter { $0.outcome == .failed }.map { r in
                       RunSummary.Failure(settlementID: r.settlementID, classification: r.classification,
                                          message: "Amazon account \(r.account)\(r.reportID.map { ", report \($0)" } ?? ""): \(r.message)",
                                          firstStep: r.runbook.first, correlationID: r.amazonFailure?.requestID)
                   })
    }

    func json(_ report: FetchReport) -> JSON {
        .object([
            ("fetched", .array(report.results.map { r in
                .object([
                    ("account", .string(r.account)), ("reportId", .optional(r.reportID)), ("documentId", .optional(r.documentID)),
                    ("settlement", .optional(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                    ("classification", .string(r.classification)), ("message", .string(r.message)),
                    ("requestId", .optional(r.amazonFailure?.requestID)), ("httpStatus", r.amazonFailure?.status.map { .int($0) } ?? .null),
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
            ("dryRun", .bool(dryRun)),
        ])
    }
}
