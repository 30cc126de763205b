import Foundation

/// An Amazon selling account as a settlement channel: settlement reports listed through the Reports API, each
/// document downloaded once and imported, recorded in `amazon_report` with its settlement.
public struct AmazonChannel: SettlementChannel {
    public let account: StoredAmazonAccount
    public var provider: Provider { .amazon }
    public var label: String { account.label }
    public var tenantID: String? { account.tenantID }

    static let reportWindowDays = 90
    static let secretLimitDays = 180
    static let secretWarningDays = 90

    public init(_ account: StoredAmazonAccount) { self.account = account }

    /// A Reports API client for this account, paced by config.json's `amazon` section. Throws `RemoteFailure`.
    public func client(_ env: ChannelEnvironment) throws -> AmazonReportsClient {
        AmazonReportsClient(credentials: try account.credentials.validated(),
                            endpoints: try AmazonEndpoints.resolve(region: account.region, environment: env.environment),
                            transport: env.transport, clock: env.clock, pacing: try (env.config.amazon ?? AmazonSettings()).pacing())
    }

    public func open(_ env: ChannelEnvironment) throws -> any ChannelSession {
        AmazonSession(account: account, client: try client(env), env: env,
                      overlap: try (env.config.amazon ?? AmazonSettings()).overlap())
    }

    // MARK: Diagnosis

    /// In the order a fetch meets them: the stored credentials, a Login with Amazon exchange, a getReports call (which
    /// also proves the Finance and Accounting role), then the days since the last fetch against Amazon's 90-day window
    /// and the client secret's age against its 180 days.
    public func diagnose(_ env: ChannelEnvironment, offline: Bool) async -> [DiagnosticCheck] {
        let now = env.clock.now
        var checks: [DiagnosticCheck] = []
        let client: AmazonReportsClient
        do {
            client = try self.client(env)
            checks.append(.pass("amazon_credentials", "\(label): client id \(account.clientID), region \(account.region.rawValue) (\(account.region.name)); client secret and refresh token stored"))
        } catch let f as RemoteFailure {
            return [.fail("amazon_credentials", f, detail: "\(label): \(f.description)")] + localChecks(now: now)
        } catch {
            return [.fail("amazon_credentials", RemoteFailure.amazon(.config, "\(error)"), detail: "\(label): \(error)")] + localChecks(now: now)
        }
        if offline {
            checks.append(.warn("amazon_lwa", "\(label): skipped (--offline)"))
        } else {
            checks += await onlineChecks(client: client, store: env.store, now: now)
        }
        return checks + localChecks(now: now)
    }

    /// Login with Amazon, then getReports: the first refusal names the cause.
    func onlineChecks(client: AmazonReportsClient, store: Store, now: Date) async -> [DiagnosticCheck] {
        do {
            _ = try await client.tokens.accessToken()
        } catch let f as RemoteFailure {
            return [.fail("amazon_lwa", f, detail: "\(label): \(f.description)")]
        } catch {
            return [.fail("amazon_lwa", RemoteFailure.amazon(.network, "\(error)"), detail: "\(label): \(error)")]
        }
        var checks: [DiagnosticCheck] = [.pass("amazon_lwa", "\(label): Login with Amazon exchanged the refresh token for an access token")]
        do {
            let page = try await client.getReportsPage(createdSince: now.addingTimeInterval(-SettlementFetchPlan.retention), pageSize: 100)
            let have = (try? store.downloadedDocumentIDs()) ?? []
            let new = page.reports.filter { $0.reportDocumentId.map { !have.contains($0) } ?? false }.count
            let more = page.nextToken == nil ? "" : " (the first 100)"
            checks.append(.pass("amazon_reports", "\(label): getReports lists \(page.reports.count) settlement reports of the last 89 days\(more), \(new) not downloaded yet"))
            checks.append(.pass("amazon_role", "\(label): the Finance and Accounting role is granted (getReports answered)"))
        } catch let f as RemoteFailure where f.classification == .permissionDenied {
            checks.append(.warn("amazon_reports", "\(label): not listable: Amazon refused for a missing role (see amazon_role)"))
            checks.append(.fail("amazon_role", f, detail: "\(label): \(f.description)"))
        } catch let f as RemoteFailure {
            checks.append(.fail("amazon_reports", f, detail: "\(label): \(f.description)"))
        } catch {
            checks.append(.fail("amazon_reports", RemoteFailure.amazon(.network, "\(error)"), detail: "\(label): \(error)"))
        }
        return checks
    }

    /// What the store alone says: days since the last fetch (Amazon keeps reports 90 days) and the client secret's age.
    func localChecks(now: Date) -> [DiagnosticCheck] {
        var checks: [DiagnosticCheck] = []
        if let last = account.lastFetchAt {
            let days = max(0, Int(now.timeIntervalSince(last) / 86_400))
            if days >= 89 {
                checks.append(.warn("amazon_window", "\(label): last fetch \(days) days ago, beyond Amazon's \(AmazonChannel.reportWindowDays)-day window: settlements made before \(ReportsAPI.dateText(now.addingTimeInterval(-SettlementFetchPlan.retention))) may be gone from the API",
                                    fix: "Download those from Seller Central (Reports → Payments → All Statements) and lmb import them; run lmb sync from cron daily."))
            } else if days >= 14 {
                checks.append(.warn("amazon_window", "\(label): last fetch \(days) of \(AmazonChannel.reportWindowDays) days ago",
                                    fix: "Run lmb sync from cron (daily) so that no settlement ages out of Amazon's 90 days before it is fetched."))
            } else {
                checks.append(.pass("amazon_window", "\(label): last fetch \(days) of \(AmazonChannel.reportWindowDays) days ago"))
            }
        } else {
            checks.append(.pass("amazon_window", "\(label): never fetched; the first lmb fetch reads 89 days back"))
        }
        let age = max(0, Int(now.timeIntervalSince(account.secretSetAt) / 86_400))
        if age >= AmazonChannel.secretWarningDays {
            checks.append(.warn("amazon_secret_age", "\(label): the client secret is \(age) of \(AmazonChannel.secretLimitDays) days old\(age >= AmazonChannel.secretLimitDays ? "; Amazon refuses it after 180 days" : "")",
                                fix: "In Seller Central → Apps and Services → Develop Apps, generate a new client secret (LWA credentials), then run lmb amazon secret."))
        } else {
            checks.append(.pass("amazon_secret_age", "\(label): the client secret is \(age) of \(AmazonChannel.secretLimitDays) days old (Amazon warns from day \(AmazonChannel.secretWarningDays))"))
        }
        return checks
    }
}

/// One fetch's connection to a selling account: one client, so pacing and the access token carry across its calls.
struct AmazonSession: ChannelSession {
    let account: StoredAmazonAccount
    let client: AmazonReportsClient
    let env: ChannelEnvironment
    let overlap: TimeInterval

    var label: String { account.label }

    /// The listing, from the last fetch less the overlap, or 89 days back; those whose document lmb has not.
    func listNew() async throws -> ChannelListing {
        let log = env.log, label = self.label
        await client.limiter.setObserver { line in log("\(label): \(line)") }
        let listedAt = env.clock.now
        let window = SettlementFetchPlan.window(lastFetch: account.lastFetchAt, now: listedAt, overlap: overlap)
        if window.mayHaveMissedReports {
            log("\(label): the last fetch was more than 89 days ago; settlements created before \(ReportsAPI.dateText(window.createdSince)) may have aged out of Amazon's 90 days: download those from Seller Central and import them with lmb import")
        }
        let listed = try await client.getReports(createdSince: window.createdSince)
        let todo = SettlementFetchPlan.reportsToDownload(listed, alreadyDownloaded: try env.store.downloadedDocumentIDs())
        return ChannelListing(new: todo.map { r in
            ChannelPayout(id: r.reportId, documentID: r.reportDocumentId, createdAt: r.createdTime,
                          summary: "created \(ReportsAPI.dateText(r.createdTime)), data \(r.dataStartTime.map(ReportsAPI.dateText) ?? "?") → \(r.dataEndTime.map(ReportsAPI.dateText) ?? "?")")
        }, listed: listed.count, since: window.createdSince, mayHaveMissedPayouts: window.mayHaveMissedReports, listedAt: listedAt)
    }

    func download(_ payout: ChannelPayout) async throws -> ChannelDocument {
        guard let documentID = payout.documentID else {
            throw RemoteFailure.amazon(.unexpectedAnswer, "report \(payout.id) is DONE without a reportDocumentId", service: .sellingPartnerAPI)
        }
        let document = try await client.downloadDocument(reportDocumentId: documentID, reportId: payout.id)
        var notes: [String] = []
        if document.text.compressed { notes.append("gzip") }
        notes.append(document.text.charset.rawValue + (document.text.charsetDetected ? " (detected)" : ""))
        if document.urlRefreshes > 0 { notes.append("\(document.urlRefreshes) fresh address\(document.urlRefreshes == 1 ? "" : "es") after S3 said expired") }
        return ChannelDocument(utf8: document.utf8, notes: notes)
    }

    func recordImport(_ writer: ImportWriter, payout: ChannelPayout, outcome: ImportOutcome, at: Date) throws {
        try writer.recordAmazonReport(record(payout, settlementID: outcome.settlement.header.id, outcome: Fetcher.fetchOutcome(outcome),
                                             message: Fetcher.describe(outcome), at: at))
    }

    func recordFailure(_ payout: ChannelPayout, settlementID: String?, message: String) throws {
        try env.store.recordAmazonReport(record(payout, settlementID: settlementID, outcome: .failed, message: message, at: env.clock.now),
                                         event: "report \(payout.id) from \(label): failed: \(message)")
    }

    func finish(_ listing: ChannelListing) throws {
        try env.store.setLastFetch(accountID: account.id, at: listing.listedAt)
    }

    func record(_ payout: ChannelPayout, settlementID: String?, outcome: FetchOutcome, message: String, at: Date) -> AmazonReportRecord {
        AmazonReportRecord(reportID: payout.id, documentID: payout.documentID ?? "", accountID: account.id, accountLabel: account.label,
                           tenantID: account.tenantID, settlementID: settlementID, outcome: outcome, message: message,
                           createdTime: payout.createdAt, fetchedAt: at)
    }

    func fetchTaxReports() async -> [String] {
        await AmazonVATFetch(account: account, client: client, env: env).run()
    }

    func unreadableSteps(_ payout: ChannelPayout, message: String) -> [String] {
        ["Amazon's report \(payout.id) does not read as a settlement: \(message)",
         "lmb will not download it again (`lmb amazon status` lists it).",
         "Download it from Seller Central (Reports → Payments → All Statements) and run `lmb import FILE` to see the line at fault; if the file is right, send `lmb diagnose --bundle FILE` to lmb's maintainers."]
    }
}
