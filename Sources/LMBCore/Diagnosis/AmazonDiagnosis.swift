import Foundation

/// The Amazon side of `lmb diagnose`, for each connected selling account, in the order a fetch meets them:
/// the stored credentials, a Login with Amazon exchange, a getReports call (which also proves the Finance and
/// Accounting role), then the days since the last fetch against Amazon's 90-day window and the client secret's age
/// against its 180 days.
extension Diagnoser {
    static let reportWindowDays = 90
    static let secretLimitDays = 180
    static let secretWarningDays = 90

    func amazonChecks() async -> [DiagnosticCheck] {
        let config: LMBConfig
        do {
            config = try LMBConfig.load(home: home, environment: environment)
        } catch {
            return [.warn("amazon_credentials", "not checked: the store or configuration could not be read (see above)")]
        }
        let accounts = (try? store.amazonAccounts()) ?? []
        guard !accounts.isEmpty else {
            return [.pass("amazon_credentials", "no Amazon selling account is connected: settlements come from lmb import (lmb amazon connect to fetch them)")]
        }
        var checks: [DiagnosticCheck] = []
        for account in accounts {
            checks += await amazonChecks(account, store: store, config: config)
        }
        return checks
    }

    func amazonChecks(_ account: StoredAmazonAccount, store: Store, config: LMBConfig) async -> [DiagnosticCheck] {
        let label = account.label
        var checks: [DiagnosticCheck] = []
        let client: AmazonReportsClient
        do {
            let credentials = try account.credentials.validated()
            client = AmazonReportsClient(credentials: credentials, endpoints: try AmazonEndpoints.resolve(region: account.region, environment: environment),
                                         transport: transport, clock: clock, pacing: try (config.amazon ?? AmazonSettings()).pacing())
            checks.append(.pass("amazon_credentials", "\(label): client id \(account.clientID), region \(account.region.rawValue) (\(account.region.name)); client secret and refresh token stored"))
        } catch let f as RemoteFailure {
            return [.fail("amazon_credentials", f, detail: "\(label): \(f.description)")] + localChecks(account)
        } catch {
            return [.fail("amazon_credentials", RemoteFailure.amazon(.config, "\(error)"), detail: "\(label): \(error)")] + localChecks(account)
        }
        if offline {
            checks.append(.warn("amazon_lwa", "\(label): skipped (--offline)"))
        } else {
            checks += await onlineChecks(account, client: client, store: store)
        }
        return checks + localChecks(account)
    }

    /// Login with Amazon, then getReports: the first refusal names the cause.
    func onlineChecks(_ account: StoredAmazonAccount, client: AmazonReportsClient, store: Store) async -> [DiagnosticCheck] {
        let label = account.label
        do {
            _ = try await client.tokens.accessToken()
        } catch let f as RemoteFailure {
            return [.fail("amazon_lwa", f, detail: "\(label): \(f.description)")]
        } catch {
            return [.fail("amazon_lwa", RemoteFailure.amazon(.network, "\(error)"), detail: "\(label): \(error)")]
        }
        var checks: [DiagnosticCheck] = [.pass("amazon_lwa", "\(label): Login with Amazon exchanged the refresh token for an access token")]
        do {
            let page = try await client.getReportsPage(createdSince: now().addingTimeInterval(-SettlementFetchPlan.retention), pageSize: 100)
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
    func localChecks(_ account: StoredAmazonAccount) -> [DiagnosticCheck] {
        let label = account.label
        let now = now()
        var checks: [DiagnosticCheck] = []
        if let last = account.lastFetchAt {
            let days = max(0, Int(now.timeIntervalSince(last) / 86_400))
            if days >= 89 {
                checks.append(.warn("amazon_window", "\(label): last fetch \(days) days ago, beyond Amazon's \(Self.reportWindowDays)-day window: settlements made before \(ReportsAPI.dateText(now.addingTimeInterval(-SettlementFetchPlan.retention))) may be gone from the API",
                                    fix: "Download those from Seller Central (Reports → Payments → All Statements) and lmb import them; run lmb sync from cron daily."))
            } else if days >= 14 {
                checks.append(.warn("amazon_window", "\(label): last fetch \(days) of \(Self.reportWindowDays) days ago",
                                    fix: "Run lmb sync from cron (daily) so that no settlement ages out of Amazon's 90 days before it is fetched."))
            } else {
                checks.append(.pass("amazon_window", "\(label): last fetch \(days) of \(Self.reportWindowDays) days ago"))
            }
        } else {
            checks.append(.pass("amazon_window", "\(label): never fetched; the first lmb fetch reads 89 days back"))
        }
        let age = max(0, Int(now.timeIntervalSince(account.secretSetAt) / 86_400))
        if age >= Self.secretWarningDays {
            checks.append(.warn("amazon_secret_age", "\(label): the client secret is \(age) of \(Self.secretLimitDays) days old\(age >= Self.secretLimitDays ? "; Amazon refuses it after 180 days" : "")",
                                fix: "In Seller Central → Apps and Services → Develop Apps, generate a new client secret (LWA credentials), then run lmb amazon secret."))
        } else {
            checks.append(.pass("amazon_secret_age", "\(label): the client secret is \(age) of \(Self.secretLimitDays) days old (Amazon warns from day \(Self.secretWarningDays))"))
        }
        return checks
    }
}
