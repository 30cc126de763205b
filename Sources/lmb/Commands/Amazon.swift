import ArgumentParser
import Foundation
import LMBCore

extension AmazonRegion: ExpressibleByArgument {}

/// Which connected selling account a command works with.
/// `--jobs N`: how many selling accounts and organisations a run works on at once.
struct JobsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Selling accounts and organisations worked on at once (default: \"jobs\" in config.json, else \(LMBConfig.defaultJobs)). Each stays within its own limits; 1 works through them one after another.", valueName: "n"))
    var jobs: Int?

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64") }
    }
}

struct AmazonAccountOption: ParsableArguments {
    @Option(help: ArgumentHelp("The Amazon selling account, by the label `lmb amazon connect` gave it (default: the only one).", valueName: "label"))
    var account: String?
}

extension LMB {
    struct AmazonCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "amazon",
            abstract: "Connect Amazon selling accounts, so that lmb fetch can download their settlement reports.",
            discussion: """
            Settlement reports come from the Selling Partner API with a seller's own app: in Seller Central (as the \
            primary user) open Apps and Services → Develop Apps, create an app (it may stay in Draft) with the Finance \
            and Accounting role, click Authorize app and copy the refresh token; note the app's LWA client id and \
            client secret (LWA credentials → View). One refresh token per selling account and region.

            The client secret expires 180 days after it was made: rotate it in Develop Apps and give lmb the new one \
            with `lmb amazon secret`. Amazon keeps reports 90 days: run `lmb sync` (or `lmb fetch`) from cron well \
            inside that.
            """,
            subcommands: [AmazonConnect.self, AmazonStatus.self, AmazonSecret.self, AmazonDisconnect.self])
    }

    struct AmazonConnect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "connect",
            abstract: "Connect an Amazon selling account (LWA client id, client secret, refresh token; one region).",
            discussion: """
            The client secret and the refresh token are read from \(AmazonConnectFlow.clientSecretVariable) and \
            \(AmazonConnectFlow.refreshTokenVariable), else asked for without echo on a terminal — never from the command line. \
            lmb proves them at once (a Login with Amazon exchange, then one getReports call, which needs the Finance \
            and Accounting role) and only then stores them, in the store (mode 0600). Connecting again under the same \
            --name replaces that account's credentials and keeps what it fetched.

            Every settlement fetched through the account is sent to one Xero organisation: --tenant, else the default \
            one (bound by its tenant id now, so changing the default later does not move it). With no organisation \
            connected yet, it follows whichever is the default when sending.

            LMB_AMAZON_BASE_URL points every Amazon call at one base URL (the sandbox: `lmb sandbox`).

            Exit codes: 0 connected; 64 usage; 75 Amazon unavailable, rate limited or unreachable; 77 a person must act \
            (the refresh token is revoked or not for this app: authorise again; the Finance and Accounting role is \
            missing); 78 configuration (the client id or secret is refused, a secret is missing, --tenant names no \
            connected organisation).
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The app's LWA client id (amzn1.application-oa2-client.…).", valueName: "id"))
        var clientID: String

        @Option(help: ArgumentHelp("The selling account's region: na (North America), eu (Europe), fe (Far East).", valueName: "na|eu|fe"))
        var region: AmazonRegion

        @Option(help: ArgumentHelp("A label for the account, for --account (default: the region code).", valueName: "label"))
        var name: String?

        /// The organisation its settlements go to.
        @OptionGroup var tenantOption: TenantOption

        @Option(help: .hidden) var clientSecret: String?
        @Option(help: .hidden) var refreshToken: String?

        func validate() throws {
            if clientSecret != nil || refreshToken != nil {
                throw ValidationError("lmb never takes secrets as arguments (the shell's history and ps keep them): set \(AmazonConnectFlow.clientSecretVariable) and \(AmazonConnectFlow.refreshTokenVariable), or let lmb ask for them on a terminal. Rotate a secret that was typed on a command line")
            }
            if let name, name.isEmpty || name.contains(where: { $0.isWhitespace }) {
                throw ValidationError("--name must be a label without spaces, such as eu-main")
            }
            if clientID.isEmpty || clientID.contains(where: { $0.isWhitespace }) {
                throw ValidationError("--client-id must be the app's LWA client id, without spaces")
            }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let connected = try await AmazonConnectFlow(ctx: ctx).connect(clientID: clientID, region: region, name: name, tenant: tenantOption.tenant)
                let (account, created, organisation) = (connected.account, connected.created, connected.organisation)
                let boundTo = organisation.map { "\($0.tenantName) (tenant \($0.tenantID))" } ?? "the default Xero organisation (none is connected yet: run lmb connect)"
                if ctx.json {
                    Terminal.out(JSON.object([
                        ("account", .string(account.label)), ("created", .bool(created)), ("region", .string(region.rawValue)),
                        ("clientId", .string(clientID)), ("tenantId", .optional(organisation?.tenantID)), ("tenantName", .optional(organisation?.tenantName)),
                        ("reportsListable", .bool(true)), ("settlementReportsSeen", .int(connected.reportsSeen)),
                    ]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("""
                        \(created ? "Connected" : "Renewed the credentials of") Amazon selling account \(account.label) (\(region.name), client id \(clientID)).
                        Login with Amazon accepted the credentials and getReports answered: the Finance and Accounting role is granted.
                        Settlements fetched through it go to \(boundTo).
                        Next: lmb fetch\(account.label == region.rawValue ? "" : " --account \(account.label)") (or lmb sync, from cron).
                        """)
                }
                return .ok
            }
        }
    }

    struct AmazonStatus: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the connected Amazon selling accounts: region, organisation, last fetch, client secret age.",
            discussion: """
            Reads the store only (`lmb diagnose` talks to Amazon). For each account: its region and client id, the \
            Xero organisation its settlements go to, the last fetch against Amazon's 90-day report window, the client \
            secret's age against Amazon's 180-day rotation (Amazon warns from day 90), and the reports fetched, with \
            those that could not be imported.

            Exit codes: 0; 78 no Amazon selling account is connected.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let accounts = try accountOption.account.map { [try store.amazonAccount(label: $0)] } ?? store.amazonAccounts()
                let names = Dictionary(try store.connections().map { ($0.tenantID, $0.tenantName) }) { a, _ in a }
                let defaultName = try? store.connection(tenant: nil).tenantName
                let now = ctx.clock.now
                let views = try accounts.map { AmazonAccountView(account: $0, reports: try store.amazonReports(accountLabel: $0.label), now: now,
                                                                 tenantName: $0.tenantID.flatMap { names[$0] }, defaultName: defaultName) }
                if ctx.json {
                    Terminal.out(JSON.array(views.map(\.json)).rendered())
                } else if views.isEmpty {
                    Terminal.out("No Amazon selling account is connected. Run: lmb amazon connect --client-id ID --region na|eu|fe")
                } else {
                    Terminal.out(views.map(\.text).joined(separator: "\n\n"))
                }
                return views.isEmpty ? .config : .ok
            }
        }
    }

    struct AmazonSecret: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "secret",
            abstract: "Replace the app's LWA client secret (Amazon's 180-day rotation); refresh tokens stay valid.",
            discussion: """
            In Seller Central → Apps and Services → Develop Apps, generate a new client secret for the app (LWA \
            credentials), then run this with it in \(AmazonConnectFlow.clientSecretVariable), or type it when asked (no echo). \
            lmb proves it with a Login with Amazon exchange, then stores it for every connected account of that app \
            (the same client id). Nothing else changes.

            Exit codes: 0 replaced; 64 several apps are connected and --account does not say which; 75 Amazon \
            unreachable; 77 the refresh token is no longer valid (authorise again, then lmb amazon connect); 78 Amazon \
            refuses the new secret, or none was given.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let (clientID, labels) = try await AmazonConnectFlow(ctx: ctx).replaceSecret(account: accountOption.account)
                if ctx.json {
                    Terminal.out(JSON.object([("clientId", .string(clientID)), ("accounts", .array(labels.map(JSON.string)))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Replaced the client secret of app \(clientID) for \(labels.joined(separator: ", ")); Login with Amazon accepted it. Its 180 days start today.")
                }
                return .ok
            }
        }
    }

    struct AmazonDisconnect: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "disconnect",
            abstract: "Forget an Amazon selling account's credentials.",
            discussion: """
            The credentials are deleted from the store; the settlements fetched through the account stay, and still go \
            to the organisation they were fetched for. Amazon has no call to revoke a refresh token: to withdraw the \
            authorisation itself, use Seller Central → Apps and Services → Manage Your Apps.

            Exit codes: 0 disconnected; 64 several accounts and no --account; 78 no such account.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: AmazonAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let account = try store.amazonAccount(label: accountOption.account)
                try store.removeAmazonAccount(account)
                if ctx.json {
                    Terminal.out(JSON.object([("disconnected", .string(account.label)), ("region", .string(account.region.rawValue))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Disconnected Amazon selling account \(account.label). To withdraw the authorisation at Amazon too: Seller Central → Apps and Services → Manage Your Apps.")
                }
                return .ok
            }
        }
    }
}

/// One account as `lmb amazon status` shows it.
struct AmazonAccountView {
    static let reportWindowDays = 90
    static let secretLimitDays = 180
    static let secretWarningDays = 90

    let account: StoredAmazonAccount
    let reports: [AmazonReportRecord]
    let now: Date
    let tenantName: String?
    let defaultName: String?

    var secretAgeDays: Int { max(0, Int(now.timeIntervalSince(account.secretSetAt) / 86_400)) }
    var daysSinceFetch: Int? { account.lastFetchAt.map { max(0, Int(now.timeIntervalSince($0) / 86_400)) } }
    var failed: [AmazonReportRecord] { reports.filter { $0.outcome == .failed } }
    func count(_ o: FetchOutcome) -> Int { reports.filter { $0.outcome == o }.count }

    var organisation: String {
        guard let tenant = account.tenantID else { return "the default organisation (\(defaultName ?? "none connected"))" }
        return tenantName.map { "\($0) (tenant \(tenant))" } ?? "tenant \(tenant) — not connected: run lmb connect --tenant \(tenant)"
    }

    var secretNote: String {
        let age = secretAgeDays
        if age >= Self.secretLimitDays { return "\(age) of \(Self.secretLimitDays) days — Amazon refuses it after 180 days: rotate it (Develop Apps → LWA credentials) and run lmb amazon secret" }
        if age >= Self.secretWarningDays { return "\(age) of \(Self.secretLimitDays) days — rotate it before day 180 and run lmb amazon secret" }
        return "\(age) of \(Self.secretLimitDays) days"
    }

    var fetchNote: String {
        guard let days = daysSinceFetch, let at = account.lastFetchAt else { return "never — the first lmb fetch reads 89 days back" }
        let when = ReportsAPI.dateText(at)
        if days >= 89 { return "\(when), \(days) days ago — beyond Amazon's 90-day window: older settlements must come from Seller Central" }
        return "\(when), \(days) of \(Self.reportWindowDays) days ago"
    }

    var text: String {
        var lines = [
            "\(account.label)",
            "  region          \(account.region.rawValue) (\(account.region.name))",
            "  client id       \(account.clientID)",
            "  organisation    \(organisation)",
            "  last fetch      \(fetchNote)",
            "  client secret   \(secretNote)",
            "  reports         \(count(.imported)) imported, \(count(.known)) already known, \(count(.failed)) failed",
        ]
        for r in failed { lines.append("  failed report   \(r.reportID): \(r.message ?? "?")") }
        return lines.joined(separator: "\n")
    }

    var json: JSON {
        .object([
            ("account", .string(account.label)), ("region", .string(account.region.rawValue)), ("clientId", .string(account.clientID)),
            ("tenantId", .optional(account.tenantID)), ("tenantName", .optional(account.tenantID == nil ? defaultName : tenantName)),
            ("boundToDefault", .bool(account.tenantID == nil)), ("connectedAt", .string(ReportsAPI.dateText(account.createdAt))),
            ("lastFetchAt", .optional(account.lastFetchAt.map(ReportsAPI.dateText))), ("daysSinceLastFetch", daysSinceFetch.map { .int($0) } ?? .null),
            ("reportWindowDays", .int(Self.reportWindowDays)), ("clientSecretAgeDays", .int(secretAgeDays)),
            ("clientSecretLimitDays", .int(Self.secretLimitDays)), ("clientSecretRotationDue", .bool(secretAgeDays >= Self.secretWarningDays)),
            ("reports", .object([("imported", .int(count(.imported))), ("known", .int(count(.known))), ("failed", .int(count(.failed)))])),
            ("failedReports", .array(failed.map { .object([("reportId", .string($0.reportID)), ("message", .optional($0.message))]) })),
        ])
    }
}
