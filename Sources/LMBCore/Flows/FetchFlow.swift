import Foundation

/// `lmb fetch`, shared with `lmb sync`: every connected channel (or the one `--account` names), `jobs` at a time,
/// each under its own fetch lock, each result handed to `onResult` as soon as it is known.
public struct FetchFlow: Sendable {
    public let ctx: RunContext
    public let mapping: Mapping
    public var account: String?
    public var dryRun: Bool
    /// `--jobs`: channels fetched at once (nil: config.json's "jobs", else 8).
    public var jobs: Int?
    /// Each result as it comes (the command prints it).
    public var onResult: @Sendable (FetchResult) -> Void

    public init(ctx: RunContext, mapping: Mapping, account: String? = nil, dryRun: Bool = false, jobs: Int? = nil,
                onResult: @escaping @Sendable (FetchResult) -> Void = { _ in }) {
        self.ctx = ctx
        self.mapping = mapping
        self.account = account
        self.dryRun = dryRun
        self.jobs = jobs
        self.onResult = onResult
    }

    public func perform() async throws -> FetchReport {
        let store = try ctx.store()
        let channels = try Channels.select(store, label: account)
        let output = ctx.output
        var fetcher = Fetcher(env: try ctx.channelEnvironment(log: { line in output.note(line) }), mapping: mapping)
        fetcher.jobs = ctx.jobs(jobs)
        let (home, wait, clock) = (ctx.home, ctx.lockWait, ctx.clock)
        fetcher.lockChannel = { channel in
            try RunLock(home: home, purpose: .fetch, scope: "\(channel.provider.rawValue)-\(channel.label)", wait: wait, clock: clock)
        }
        let single = channels.count == 1
        let bar = output.talks && single ? output.progress("fetching") : nil
        fetcher.board = output.talks && !single ? output.board("fetching") : nil
        let onResult = self.onResult
        fetcher.progress = { done, total in if total > 1 { bar?.update(done, total) } }
        fetcher.onResult = { r in bar?.clear(); onResult(r) }
        defer { bar?.finish() }
        return try await fetcher.fetch(channels, dryRun: dryRun)
    }

    /// The run as a failure notification tells it: each payout or channel that failed, with the first step of its runbook.
    public static func summary(_ report: FetchReport, command: String) -> RunSummary {
        RunSummary(command: command, exitStatus: report.exitStatus, succeeded: report.results.filter { $0.outcome != .failed }.count,
                   failures: report.results.filter { $0.outcome == .failed }.map { r in
                       RunSummary.Failure(settlementID: r.settlementID, classification: r.classification,
                                          message: "\(r.subject): \(r.message)",
                                          firstStep: r.runbook.first, correlationID: r.failure?.requestID)
                   },
                   failedClients: ClientOutcome.accounts(report).filter { $0.outcome != .ok })
    }
}

/// `lmb sync`: the fetch, then the send of everything ready, the send running even when the fetch failed. Each half's
/// outcome is kept for the caller to render; the exit status is the worse of the two.
public struct SyncFlow: Sendable {
    public let ctx: RunContext
    public let mapping: Mapping
    public var account: String?
    public var tenant: String?
    public var status: String
    /// `--jobs` for both halves.
    public var jobs: Int?
    public var onFetchResult: @Sendable (FetchResult) -> Void

    public init(ctx: RunContext, mapping: Mapping, account: String?, tenant: String?, status: String, jobs: Int? = nil,
                onFetchResult: @escaping @Sendable (FetchResult) -> Void = { _ in }) {
        self.ctx = ctx
        self.jobs = jobs
        self.mapping = mapping
        self.account = account
        self.tenant = tenant
        self.status = status
        self.onFetchResult = onFetchResult
    }

    public struct Outcome: Sendable {
        public var fetch: Result<FetchReport, any Error>
        public var send: Result<[SendResult], any Error>

        /// The failures a notification lists, and how many things went well.
        public func summary(exitStatus: ExitStatus, mapping: Mapping, names: [String: String] = [:]) -> RunSummary {
            var failures: [RunSummary.Failure] = []
            var succeeded = 0
            switch fetch {
            case .success(let report):
                let s = FetchFlow.summary(report, command: "sync")
                failures += s.failures
                succeeded += s.succeeded
            case .failure(let error):
                failures.append(RunSummary.Failure(settlementID: nil, classification: "fetch", message: describe(error), firstStep: nil, correlationID: nil))
            }
            switch send {
            case .success(let results):
                let s = SendFlow.summary(results, status: exitStatus, mapping: mapping)
                failures += s.failures
                succeeded += s.succeeded
            case .failure(let error):
                failures.append(RunSummary.Failure(settlementID: nil, classification: "send", message: describe(error), firstStep: nil, correlationID: nil))
            }
            var summary = RunSummary(command: "sync", exitStatus: exitStatus, succeeded: succeeded, failures: failures)
            summary.failedClients = clients(names: names, mapping: mapping).filter { $0.outcome != .ok }
            return summary
        }

        /// One entry per selling account fetched and per organisation sent to.
        public func clients(names: [String: String], mapping: Mapping?) -> [ClientOutcome] {
            var out: [ClientOutcome] = []
            if case .success(let report) = fetch { out += ClientOutcome.accounts(report) }
            if case .success(let results) = send { out += ClientOutcome.organisations(results, names: names, mapping: mapping) }
            return out
        }

        public func describe(_ error: any Error) -> String { "\(error)" }
    }

    public func perform() async -> Outcome {
        let fetch: Result<FetchReport, any Error>
        do {
            fetch = .success(try await FetchFlow(ctx: ctx, mapping: mapping, account: account, jobs: jobs, onResult: onFetchResult).perform())
        } catch {
            fetch = .failure(error)
        }
        let send: Result<[SendResult], any Error>
        do {
            var flow = SendFlow(ctx: ctx, mapping: mapping, all: true, ids: [], status: status, tenant: tenant)
            flow.jobs = jobs
            send = .success(try await flow.perform() ?? [])
        } catch {
            send = .failure(error)
        }
        return Outcome(fetch: fetch, send: send)
    }
}
