import Foundation

/// Connecting a selling account: the secrets from the environment or a prompt without echo (never the command line),
/// proved at once with a Login with Amazon exchange and a getReports call, stored, bound to an organisation.
public struct AmazonConnectFlow: Sendable {
    public static let clientSecretVariable = "LMB_AMAZON_CLIENT_SECRET"
    public static let refreshTokenVariable = "LMB_AMAZON_REFRESH_TOKEN"

    public let ctx: RunContext

    public init(ctx: RunContext) { self.ctx = ctx }

    /// What connecting found.
    public struct Connected: Sendable {
        public var account: StoredAmazonAccount
        public var created: Bool
        public var organisation: StoredConnection?
        public var reportsSeen: Int
    }

    public func connect(clientID: String, region: AmazonRegion, name: String?, tenant: String?) async throws -> Connected {
        let store = try ctx.store()
        // The organisation first: a wrong --tenant is found before anything is asked of Amazon.
        let organisation: StoredConnection?
        if let tenant { organisation = try store.connection(tenant: tenant) } else { organisation = try? store.connection(tenant: nil) }
        let credentials = try AmazonCredentials(
            clientID: clientID,
            clientSecret: secret(Self.clientSecretVariable, what: "the app's LWA client secret"),
            refreshToken: secret(Self.refreshTokenVariable, what: "the refresh token (Authorize app)"),
            region: region).validated()
        let client = try self.client(credentials)
        _ = try await client.tokens.accessToken()
        let page = try await client.getReportsPage(createdSince: ctx.clock.now.addingTimeInterval(-SettlementFetchPlan.retention), pageSize: 1)
        let (account, created) = try store.saveAmazonAccount(label: name ?? region.rawValue, credentials: credentials, tenantID: organisation?.tenantID,
                                                             tenantName: organisation?.tenantName, now: ctx.clock.now)
        return Connected(account: account, created: created, organisation: organisation, reportsSeen: page.reports.count)
    }

    /// A new client secret for every account of one app, proved with a Login with Amazon exchange first.
    public func replaceSecret(account label: String?) async throws -> (clientID: String, accounts: [String]) {
        let store = try ctx.store()
        let all = try store.amazonAccounts()
        guard !all.isEmpty else { throw AmazonAccounts.notConnected() }
        let account: StoredAmazonAccount
        if let label {
            account = try store.amazonAccount(label: label)
        } else {
            guard Set(all.map(\.clientID)).count == 1 else {
                throw LMBError.usage("accounts of several Amazon apps are connected; name one account of the app with --account LABEL (\(all.map { "\($0.label): \($0.clientID)" }.joined(separator: ", ")))")
            }
            account = all[0]
        }
        var credentials = account.credentials
        credentials.clientSecret = try secret(Self.clientSecretVariable, what: "the app's new LWA client secret")
        _ = try await client(credentials).tokens.accessToken()
        let labels = try store.replaceAmazonClientSecret(clientID: account.clientID, secret: credentials.clientSecret, now: ctx.clock.now)
        return (account.clientID, labels)
    }

    /// A Reports API client for credentials being connected, paced by config.json's `amazon` section.
    func client(_ credentials: AmazonCredentials) throws -> AmazonReportsClient {
        let config = try ctx.config()
        return AmazonReportsClient(credentials: try credentials.validated(),
                                   endpoints: try AmazonEndpoints.resolve(region: credentials.region, environment: ctx.environment),
                                   transport: try ctx.transport(), clock: ctx.clock, pacing: try (config.amazon ?? AmazonSettings()).pacing())
    }

    /// A secret from the environment, or asked for without echo when someone is at a terminal.
    func secret(_ variable: String, what: String) throws -> String {
        if let value = ctx.environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        guard ctx.prompter.interactive else {
            throw RemoteFailure.amazon(.config, "no \(what): set \(variable), or run lmb on a terminal to be asked for it (lmb never takes secrets as arguments)",
                                       evidence: ["\(variable) is not set and standard input is not a terminal"])
        }
        guard let value = ctx.prompter.secret("\(what) (not shown as you type):")?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw RemoteFailure.amazon(.config, "no \(what) was entered")
        }
        return value
    }
}
