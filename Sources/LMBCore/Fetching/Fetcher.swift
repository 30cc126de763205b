import Foundation

/// `lmb fetch`, step by step, for each selling account: list the settlement reports Amazon has made since the last
/// fetch, keep those whose document lmb has not downloaded, and for each one ask for its pre-signed address, download
/// it and import it exactly as `lmb import` does, recording the report in the import's own transaction.
///
/// A report gets a recorded outcome (imported, known, failed) or none at all: a crash, a 429 that did not pass, a
/// network failure leave it unrecorded, the account's last-fetch time unchanged, and the next fetch downloads it.
/// The caller holds the home's fetch lock.
public struct Fetcher: Sendable {
    public let store: Store
    public let home: LMBHome
    public let mapping: Mapping
    public let transport: any HTTPTransport
    public let endpoints: @Sendable (AmazonRegion) throws -> AmazonEndpoints
    public var pacing: AmazonPacing = .default
    public var overlap: TimeInterval = SettlementFetchPlan.defaultOverlap
    public var clock: any LMBClock = SystemClock()
    public var now: @Sendable () -> Date = { Date() }
    /// Progress a person may want: waits, a window that may have missed reports.
    public var log: @Sendable (String) -> Void = { _ in }
    /// Each result as soon as it is known (a fetch at Amazon's default rates takes a minute a document after 15).
    public var onResult: @Sendable (FetchResult) -> Void = { _ in }
    /// Called before and after each download with (documents done, documents to download): a progress bar on a TTY.
    public var progress: @Sendable (Int, Int) -> Void = { _, _ in }

    public init(store: Store, home: LMBHome, mapping: Mapping, transport: any HTTPTransport,
                endpoints: @escaping @Sendable (AmazonRegion) throws -> AmazonEndpoints) {
        self.store = store
        self.home = home
        self.mapping = mapping
        self.transport = transport
        self.endpoints = endpoints
    }

    public func fetch(_ accounts: [StoredAmazonAccount], dryRun: Bool = false) async throws -> FetchReport {
        removeLeftoverDocuments()
        var report = FetchReport(results: [], accounts: [])
        for account in accounts {
            let (results, summary) = try await fetch(account, dryRun: dryRun)
            report.results += results
            report.accounts.append(summary)
        }
        return report
    }

    // MARK: One account

    func fetch(_ account: StoredAmazonAccount, dryRun: Bool) async throws -> ([FetchResult], FetchAccountSummary) {
        var summary = FetchAccountSummary(account: account.label, createdSince: nil, listed: 0, toDownload: 0, complete: false,
                                          mayHaveMissedReports: false)
        let client: AmazonReportsClient
        do {
            client = AmazonReportsClient(credentials: try account.credentials.validated(), endpoints: try endpoints(account.region),
                                         transport: transport, clock: clock, pacing: pacing)
        } catch let f as RemoteFailure {
            return (try [accountFailed(account, f)], summary)
        }
        let log = self.log
        await client.limiter.setObserver { line in log("\(account.label): \(line)") }

        // Step 1: the listing, from the last fetch less the overlap, or 89 days back.
        let listedAt = now()
        let window = SettlementFetchPlan.window(lastFetch: account.lastFetchAt, now: listedAt, overlap: overlap)
        summary.createdSince = window.createdSince
        summary.mayHaveMissedReports = window.mayHaveMissedReports
        if window.mayHaveMissedReports {
            log("\(account.label): the last fetch was more than 89 days ago; settlements created before \(ReportsAPI.dateText(window.createdSince)) may have aged out of Amazon's 90 days: download those from Seller Central and import them with lmb import")
        }
        let listed: [ReportsAPI.Report]
        do {
            listed = try await client.getReports(createdSince: window.createdSince)
        } catch let f as RemoteFailure {
            return (try [accountFailed(account, f)], summary)
        }
        // Step 2: what is new — each document once, none lmb already has.
        let todo = SettlementFetchPlan.reportsToDownload(listed, alreadyDownloaded: try store.downloadedDocumentIDs())
        summary.listed = listed.count
        summary.toDownload = todo.count
        if dryRun {
            let results = todo.map { r in
                FetchResult(account: account.label, reportID: r.reportId, documentID: r.reportDocumentId, settlementID: nil,
                            outcome: .wouldDownload, classification: "ok",
                            message: "created \(ReportsAPI.dateText(r.createdTime)), data \(r.dataStartTime.map(ReportsAPI.dateText) ?? "?") → \(r.dataEndTime.map(ReportsAPI.dateText) ?? "?")")
            }
            results.forEach(onResult)
            return (results, summary)
        }

        // Step 3: each report, oldest first; an account-wide refusal or a temporary failure stops the account.
        var results: [FetchResult] = []
        var complete = true
        for (done, report) in todo.enumerated() {
            progress(done, todo.count)
            defer { progress(done + 1, todo.count) }
            let step = try await fetch(report, account: account, client: client)
            results.append(step.result)
            onResult(step.result)
            if !step.recorded { complete = false }
            if step.stopAccount { break }
        }
        // Step 4: the next fetch starts from this listing, unless a report is still to be had.
        if complete { try store.setLastFetch(accountID: account.id, at: listedAt) }
        summary.complete = complete
        try recordSummary(account, summary, results)
        return (results, summary)
    }

    /// Amazon refused the account as a whole (LWA, the listing): recorded as an event, reported once.
    func accountFailed(_ account: StoredAmazonAccount, _ f: RemoteFailure) throws -> FetchResult {
        try store.recordEvent(kind: .fetch, message: "fetch from \(account.label) failed: \(f.description)", detail: .object([
            ("account", .string(account.label)), ("classification", .string(f.classification.rawValue)),
            ("message", .string(f.message)), ("requestId", .optional(f.requestID)), ("status", f.status.map { .int($0) } ?? .null),
            ("evidence", .array(f.evidence.map(JSON.string))),
        ]))
        let result = FetchResult.failed(account, nil, f)
        onResult(result)
        return result
    }

    func recordSummary(_ account: StoredAmazonAccount, _ s: FetchAccountSummary, _ results: [FetchResult]) throws {
        func count(_ o: FetchResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        try store.recordEvent(kind: .fetch, message: "fetched from \(account.label): \(s.listed) reports listed, \(s.toDownload) new: \(count(.imported)) imported, \(count(.known)) known, \(count(.failed)) failed\(s.complete ? "" : "; unfinished, the next fetch tries again")",
                              detail: .object([
                                  ("account", .string(account.label)), ("createdSince", .optional(s.createdSince.map(ReportsAPI.dateText))),
                                  ("listed", .int(s.listed)), ("new", .int(s.toDownload)), ("imported", .int(count(.imported))),
                                  ("known", .int(count(.known))), ("failed", .int(count(.failed))), ("complete", .bool(s.complete)),
                              ]))
    }

    // MARK: One report

    struct Step {
        var result: FetchResult
        /// The report has an outcome in the store: the next fetch will not download it again.
        var recorded: Bool
        var stopAccount = false
    }

    func fetch(_ report: ReportsAPI.Report, account: StoredAmazonAccount, client: AmazonReportsClient) async throws -> Step {
        guard let documentID = report.reportDocumentId else {
            let f = RemoteFailure.amazon(.unexpectedAnswer, "report \(report.reportId) is DONE without a reportDocumentId", service: .sellingPartnerAPI)
            return Step(result: .failed(account, report, f), recorded: false)
        }
        let document: AmazonDownloadedDocument
        do {
            document = try await client.downloadDocument(reportDocumentId: documentID, reportId: report.reportId)
        } catch let f as RemoteFailure {
            switch f.classification {
            case .notFound, .documentUnreadable:
                // A fact about this document: downloading it again would give the same.
                try record(report, account: account, settlementID: nil, outcome: .failed, message: f.description)
                return Step(result: .failed(account, report, f), recorded: true)
            case .requestRejected, .unexpectedAnswer:
                return Step(result: .failed(account, report, f), recorded: false)
            default:
                // The account's credentials, its role, Amazon's quota or the network: the next report would fail alike.
                try store.recordEvent(kind: .fetch, message: "report \(report.reportId) from \(account.label) not downloaded: \(f.description)",
                                      detail: .object([("account", .string(account.label)), ("reportId", .string(report.reportId)),
                                                       ("classification", .string(f.classification.rawValue)), ("requestId", .optional(f.requestID))]))
                return Step(result: .failed(account, report, f), recorded: false, stopAccount: true)
            }
        }
        return try importDocument(document, report: report, documentID: documentID, account: account)
    }

    /// The document goes through the one importing path, from a private file in the home, removed afterwards.
    func importDocument(_ document: AmazonDownloadedDocument, report: ReportsAPI.Report, documentID: String,
                        account: StoredAmazonAccount) throws -> Step {
        let path = home.url.appendingPathComponent("\(Self.leftoverPrefix)\(getpid())-\(Self.safeName(report.reportId)).txt").path
        defer { unlink(path) }
        let fetchedAt = now()
        let outcomes: [ImportOutcome]
        do {
            try Store.writePrivateFile(path, document.utf8)
            outcomes = try Importer(store: store).importFile(path: path, displayName: "report \(report.reportId)", conflict: .keepStored, recording: { writer, outcome in
                try writer.recordAmazonReport(AmazonReportRecord(
                    reportID: report.reportId, documentID: documentID, accountID: account.id, accountLabel: account.label,
                    tenantID: account.tenantID, settlementID: outcome.settlement.header.id, outcome: Self.fetchOutcome(outcome),
                    message: Self.describe(outcome), createdTime: report.createdTime, fetchedAt: fetchedAt))
            })
        } catch let e as SettlementFileError {
            let classification = e.kind == .doesNotAddUp ? "does_not_add_up" : "malformed"
            try record(report, account: account, settlementID: nil, outcome: .failed, message: e.description)
            return Step(result: .refused(account, report, classification: classification, message: e.description, exitStatus: .dataError), recorded: true)
        } catch let e as LMBError where e.exitStatus == .dataError {
            try record(report, account: account, settlementID: nil, outcome: .failed, message: e.description)
            return Step(result: .refused(account, report, classification: "malformed", message: e.description, exitStatus: .dataError), recorded: true)
        } catch let e as LMBError {
            return Step(result: .refused(account, report, classification: "io_error", message: e.description, exitStatus: e.exitStatus),
                        recorded: false, stopAccount: true)
        }
        guard let outcome = outcomes.first else {
            try record(report, account: account, settlementID: nil, outcome: .failed, message: "the document holds no settlement")
            return Step(result: .refused(account, report, classification: "malformed", message: "report \(report.reportId): the document holds no settlement", exitStatus: .dataError), recorded: true)
        }
        return Step(result: found(outcome, report: report, documentID: documentID, account: account, document: document), recorded: true)
    }

    /// A settlement found: imported, or known already; ready or needing mapping.
    func found(_ outcome: ImportOutcome, report: ReportsAPI.Report, documentID: String, account: StoredAmazonAccount,
               document: AmazonDownloadedDocument) -> FetchResult {
        let parsed = outcome.settlement
        // The parse's own groups say whether every combination has a rule: no second read of what was just stored.
        let needsMapping = Ledger(mapping: mapping).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups).needsMapping
        var message = Self.describe(outcome)
        var notes: [String] = []
        if document.text.compressed { notes.append("gzip") }
        notes.append(document.text.charset.rawValue + (document.text.charsetDetected ? " (detected)" : ""))
        if document.urlRefreshes > 0 { notes.append("\(document.urlRefreshes) fresh address\(document.urlRefreshes == 1 ? "" : "es") after S3 said expired") }
        message += " [\(notes.joined(separator: ", "))]"
        return FetchResult(account: account.label, reportID: report.reportId, documentID: documentID, settlementID: parsed.header.id,
                           outcome: Self.fetchOutcome(outcome) == .imported ? .imported : .known,
                           classification: needsMapping ? "needs_mapping" : "ok", message: message, settlement: parsed)
    }

    func record(_ report: ReportsAPI.Report, account: StoredAmazonAccount, settlementID: String?, outcome: FetchOutcome, message: String) throws {
        try store.recordAmazonReport(AmazonReportRecord(
            reportID: report.reportId, documentID: report.reportDocumentId ?? "", accountID: account.id, accountLabel: account.label,
            tenantID: account.tenantID, settlementID: settlementID, outcome: outcome, message: message, createdTime: report.createdTime,
            fetchedAt: now()), event: "report \(report.reportId) from \(account.label): \(outcome.rawValue): \(message)")
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

    /// Documents an interrupted fetch left behind (kill -9 between writing and removing): the caller holds the
    /// fetch lock, so none of them is in use.
    func removeLeftoverDocuments() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.url.path)) ?? []
        for name in names where name.hasPrefix(Self.leftoverPrefix) {
            unlink(home.url.appendingPathComponent(name).path)
        }
    }

    static func safeName(_ s: String) -> String {
        String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" })
    }
}
