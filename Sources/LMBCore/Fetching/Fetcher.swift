import Foundation

/// `lmb fetch`, step by step, for each channel (an Amazon selling account, …): list the payouts made since the last
/// fetch, keep those lmb has not downloaded, and for each one download it and import it exactly as `lmb import` does,
/// recording the payout in the import's own transaction.
///
/// A payout gets a recorded outcome (imported, known, failed) or none at all: a crash, a 429 that did not pass, a
/// network failure leave it unrecorded, the channel's last-fetch time unchanged, and the next fetch downloads it.
/// Channels are fetched `jobs` at a time, each under its own lock (`lockChannel`) and in its own pacing buckets;
/// one channel's failure, of any kind, is that channel's result and never stops the others.
public struct Fetcher: Sendable {
    public let env: ChannelEnvironment
    public let mapping: Mapping
    /// Each result as soon as it is known (a fetch at Amazon's default rates takes a minute a document after 15).
    public var onResult: @Sendable (FetchResult) -> Void = { _ in }
    /// Called before and after each download with (documents done, documents to download): a progress bar on a TTY.
    /// Used when the run has one channel; with more, `board` shows each channel.
    public var progress: @Sendable (Int, Int) -> Void = { _, _ in }
    /// Channels fetched at once.
    public var jobs = 1
    /// Takes one channel's lock for the length of its fetch (nil: none, as in unit tests); a lock another run holds
    /// throws a temporary `LMBError`, which becomes that channel's result.
    public var lockChannel: (@Sendable (any SettlementChannel) throws -> AnyObject?)?
    /// The display of a run over several channels.
    public var board: (any ClientBoard)?

    public init(env: ChannelEnvironment, mapping: Mapping) {
        self.env = env
        self.mapping = mapping
    }

    var store: Store { env.store }

    public func fetch(_ channels: [any SettlementChannel], dryRun: Bool = false) async throws -> FetchReport {
        removeLeftoverDocuments()
        var fetcher = self
        let board = channels.count > 1 ? self.board : nil
        if channels.count > 1 { fetcher.progress = { _, _ in } }
        let runner = fetcher
        let outcomes = await Concurrently.map(channels.map(ChannelBox.init), jobs: jobs) { box in
            board?.started(box.channel.label)
            let (results, summary) = await runner.fetchIsolated(box.channel, dryRun: dryRun)
            board?.finished(box.channel.label, Self.clientLine(box.channel, results, summary))
            return (results, summary)
        }
        board?.finish()
        var report = FetchReport(results: [], accounts: [])
        for (results, summary) in outcomes {
            report.results += results
            report.accounts.append(summary)
        }
        return report
    }

    struct ChannelBox: Sendable { let channel: any SettlementChannel }

    /// One channel under its lock; whatever goes wrong is this channel's failed result.
    func fetchIsolated(_ channel: any SettlementChannel, dryRun: Bool) async -> ([FetchResult], FetchAccountSummary) {
        let empty = FetchAccountSummary(account: channel.label, createdSince: nil, listed: 0, toDownload: 0, complete: false,
                                        mayHaveMissedReports: false)
        do {
            let lock = try lockChannel?(channel)
            defer { withExtendedLifetime(lock) {} }
            return try await fetch(channel, dryRun: dryRun)
        } catch {
            var result: FetchResult
            switch error {
            case let f as RemoteFailure:
                result = .failed(channel.label, nil, f)
            case let e as LMBError:
                result = FetchResult(account: channel.label, reportID: nil, documentID: nil, settlementID: nil, outcome: .failed,
                                     classification: e.exitStatus == .temporary ? Classification.busy.rawValue : "io_error", message: e.description,
                                     exitStatus: e.exitStatus, runbook: [e.exitStatus == .temporary
                                        ? "Another lmb run is fetching from \(channel.label): nothing was fetched from it now; the next run fetches it (cron: exit 75 means retry later)."
                                        : "Fix what the message names (disk space, permissions of the lmb home), then run `lmb fetch` again."])
            default:
                result = FetchResult(account: channel.label, reportID: nil, documentID: nil, settlementID: nil, outcome: .failed,
                                     classification: "io_error", message: "\(error)", exitStatus: .ioError,
                                     runbook: ["Run `lmb fetch --account \(channel.label)` again; if it repeats, run `lmb diagnose` and report the message."])
            }
            result.provider = channel.provider
            onResult(result)
            var summary = empty
            summary.provider = channel.provider
            return ([result], summary)
        }
    }

    /// One line for a finished channel, as a pipe shows it.
    static func clientLine(_ channel: any SettlementChannel, _ results: [FetchResult], _ s: FetchAccountSummary) -> String {
        func count(_ o: FetchResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        if let f = results.first(where: { $0.outcome == .failed && $0.reportID == nil }) {
            return "failed (\(f.classification)): \(f.message)"
        }
        return "\(s.toDownload) new: \(count(.imported)) imported, \(count(.known)) known, \(count(.failed)) failed"
    }

    // MARK: One channel

    func fetch(_ channel: any SettlementChannel, dryRun: Bool) async throws -> ([FetchResult], FetchAccountSummary) {
        var summary = FetchAccountSummary(account: channel.label, createdSince: nil, listed: 0, toDownload: 0, complete: false,
                                          mayHaveMissedReports: false)
        summary.provider = channel.provider
        // Step 1: the listing.
        let session: any ChannelSession
        let listing: ChannelListing
        do {
            session = try channel.open(env)
            listing = try await session.listNew()
        } catch let f as RemoteFailure {
            return (try [channelFailed(channel, f)], summary)
        }
        summary.createdSince = listing.since
        summary.mayHaveMissedReports = listing.mayHaveMissedPayouts
        summary.listed = listing.listed
        summary.toDownload = listing.new.count
        if dryRun {
            let results = listing.new.map { p in
                var r = FetchResult(account: channel.label, reportID: p.id, documentID: p.documentID, settlementID: nil,
                                    outcome: .wouldDownload, classification: "ok", message: p.summary)
                r.provider = channel.provider
                return r
            }
            results.forEach(onResult)
            return (results, summary)
        }

        // Steps 2 and 3: each payout, oldest first; a channel-wide refusal or a temporary failure stops the channel.
        var results: [FetchResult] = []
        var complete = true
        for (done, payout) in listing.new.enumerated() {
            progress(done, listing.new.count)
            board?.update(channel.label, "\(done) of \(listing.new.count) downloaded")
            defer { progress(done + 1, listing.new.count) }
            var step = try await fetch(payout, channel: channel, session: session)
            step.result.provider = channel.provider
            results.append(step.result)
            onResult(step.result)
            if !step.recorded { complete = false }
            if step.stopChannel { break }
        }
        // Step 4: the next fetch starts from this listing, unless a payout is still to be had.
        if complete {
            try session.finish(listing)
            // The VAT report only after a channel that answered in full: a refusal would repeat itself there.
            for line in await session.fetchTaxReports() { env.log("\(channel.label): \(line)") }
        }
        summary.complete = complete
        try recordSummary(channel, summary, results)
        return (results, summary)
    }

    /// The channel refused as a whole (its credentials, the listing): recorded as an event, reported once.
    func channelFailed(_ channel: any SettlementChannel, _ f: RemoteFailure) throws -> FetchResult {
        try store.recordEvent(kind: .fetch, message: "fetch from \(channel.label) failed: \(f.description)", detail: .object([
            ("account", .string(channel.label)), ("classification", .string(f.classification.rawValue)),
            ("message", .string(f.message)), ("requestId", .optional(f.requestID)), ("status", f.status.map { .int($0) } ?? .null),
            ("evidence", .array(f.evidence.map(JSON.string))),
        ]))
        var result = FetchResult.failed(channel.label, nil, f)
        result.provider = channel.provider
        onResult(result)
        return result
    }

    func recordSummary(_ channel: any SettlementChannel, _ s: FetchAccountSummary, _ results: [FetchResult]) throws {
        func count(_ o: FetchResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        try store.recordEvent(kind: .fetch, message: "fetched from \(channel.label): \(s.listed) reports listed, \(s.toDownload) new: \(count(.imported)) imported, \(count(.known)) known, \(count(.failed)) failed\(s.complete ? "" : "; unfinished, the next fetch tries again")",
                              detail: .object([
                                  ("account", .string(channel.label)), ("createdSince", .optional(s.createdSince.map(ReportsAPI.dateText))),
                                  ("listed", .int(s.listed)), ("new", .int(s.toDownload)), ("imported", .int(count(.imported))),
                                  ("known", .int(count(.known))), ("failed", .int(count(.failed))), ("complete", .bool(s.complete)),
                              ]))
    }

    // MARK: One payout

    struct Step {
        var result: FetchResult
        /// The payout has an outcome in the store: the next fetch will not download it again.
        var recorded: Bool
        var stopChannel = false
    }

    func fetch(_ payout: ChannelPayout, channel: any SettlementChannel, session: any ChannelSession) async throws -> Step {
        let document: ChannelDocument
        do {
            document = try await session.download(payout)
        } catch let f as RemoteFailure {
            switch f.classification {
            case .notFound, .documentUnreadable:
                // A fact about this payout: downloading it again would give the same.
                try session.recordFailure(payout, settlementID: nil, message: f.description)
                return Step(result: .failed(channel.label, payout, f), recorded: true)
            case .requestRejected, .unexpectedAnswer:
                return Step(result: .failed(channel.label, payout, f), recorded: false)
            default:
                // The channel's credentials, its role, the quota or the network: the next payout would fail alike.
                try store.recordEvent(kind: .fetch, message: "report \(payout.id) from \(channel.label) not downloaded: \(f.description)",
                                      detail: .object([("account", .string(channel.label)), ("reportId", .string(payout.id)),
                                                       ("classification", .string(f.classification.rawValue)), ("requestId", .optional(f.requestID))]))
                return Step(result: .failed(channel.label, payout, f), recorded: false, stopChannel: true)
            }
        }
        return try importDocument(document, payout: payout, channel: channel, session: session)
    }

    /// The document goes through the one importing path, from a private file in the home, removed afterwards.
    func importDocument(_ document: ChannelDocument, payout: ChannelPayout, channel: any SettlementChannel,
                        session: any ChannelSession) throws -> Step {
        let path = env.home.url.appendingPathComponent("\(Self.leftoverPrefix)\(getpid())-\(Self.safeName(payout.id)).txt").path
        defer { unlink(path) }
        let fetchedAt = env.clock.now
        let outcomes: [ImportOutcome]
        func refused(_ classification: String, _ message: String, _ status: ExitStatus, recorded: Bool = true) -> FetchResult {
            let steps = status == .dataError ? session.unreadableSteps(payout, message: message)
                : ["Fix what the message names (disk space, permissions of the lmb home), then run `lmb fetch` again: nothing was recorded for this report."]
            return FetchResult(account: channel.label, reportID: payout.id, documentID: payout.documentID, settlementID: nil,
                               outcome: .failed, classification: classification, message: message, exitStatus: status, runbook: steps)
        }
        do {
            try Store.writePrivateFile(path, document.utf8)
            outcomes = try Importer(store: store).importFile(path: path, displayName: "report \(payout.id)", conflict: .keepStored, recording: { writer, outcome in
                try session.recordImport(writer, payout: payout, outcome: outcome, at: fetchedAt)
            })
        } catch let e as SettlementFileError {
            let classification = e.kind == .doesNotAddUp ? "does_not_add_up" : "malformed"
            try session.recordFailure(payout, settlementID: nil, message: e.description)
            return Step(result: refused(classification, e.description, .dataError), recorded: true)
        } catch let e as LMBError where e.exitStatus == .dataError {
            try session.recordFailure(payout, settlementID: nil, message: e.description)
            return Step(result: refused("malformed", e.description, .dataError), recorded: true)
        } catch let e as LMBError {
            return Step(result: refused("io_error", e.description, e.exitStatus), recorded: false, stopChannel: true)
        }
        guard let outcome = outcomes.first else {
            try session.recordFailure(payout, settlementID: nil, message: "the document holds no settlement")
            return Step(result: refused("malformed", "report \(payout.id): the document holds no settlement", .dataError), recorded: true)
        }
        return Step(result: found(outcome, payout: payout, channel: channel, document: document), recorded: true)
    }

    /// A settlement found: imported, or known already; ready or needing mapping.
    func found(_ outcome: ImportOutcome, payout: ChannelPayout, channel: any SettlementChannel, document: ChannelDocument) -> FetchResult {
        let parsed = outcome.settlement
        // The parse's own groups say whether every combination has a rule: no second read of what was just stored.
        let needsMapping = Ledger(mapping: mapping).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups).needsMapping
        var message = Self.describe(outcome)
        if !document.notes.isEmpty { message += " [\(document.notes.joined(separator: ", "))]" }
        return FetchResult(account: channel.label, reportID: payout.id, documentID: payout.documentID, settlementID: parsed.header.id,
                           outcome: Self.fetchOutcome(outcome) == .imported ? .imported : .known,
                           classification: needsMapping ? "needs_mapping" : "ok", message: message, settlement: parsed)
    }

    static func fetchOutcome(_ outcome: ImportOutcome) -> FetchOutcome {
        switch outcome {
        case .imported, .replaced: return .imported
        case .unchanged, .kept: return .known
        }
    }

    static func describe(_ outcome: ImportOutcome) -> String {
        let p = outcome.settlement
        let h = p.header
        let what = "\(p.marketplace), \(h.startDate) → \(h.endDate), \(p.rowCount) rows, total \(h.total.decimalString) \(h.currency)"
        switch outcome {
        case .imported, .replaced: return "imported settlement \(h.id) (\(what))"
        case .unchanged: return "settlement \(h.id) is already imported (\(what))"
        case .kept: return "settlement \(h.id) is already imported; this report's copy differs and was not used — the stored one stays (\(what))"
        }
    }

    // MARK: Temporary files

    static let leftoverPrefix = ".fetch-"

    /// Documents an interrupted fetch left behind (kill -9 between writing and removing). Another run may be
    /// fetching from another account right now: only the files of processes that are gone are removed.
    func removeLeftoverDocuments() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: env.home.url.path)) ?? []
        for name in names where name.hasPrefix(Self.leftoverPrefix) {
            let pid = name.dropFirst(Self.leftoverPrefix.count).split(separator: "-").first.flatMap { Int32($0) }
            if let pid, pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
            unlink(env.home.url.appendingPathComponent(name).path)
        }
    }

    static func safeName(_ s: String) -> String {
        String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" })
    }
}
