import Foundation

/// Connecting a shop: an Admin API access token (LMB_SHOPIFY_ACCESS_TOKEN) or a custom app's client id and secret
/// (LMB_SHOPIFY_CLIENT_SECRET), never from the command line; proved at once with a query that needs both payments
/// scopes; stored; bound to an organisation.
public struct ShopifyConnectFlow: Sendable {
    public static let accessTokenVariable = "LMB_SHOPIFY_ACCESS_TOKEN"
    public static let clientSecretVariable = "LMB_SHOPIFY_CLIENT_SECRET"

    public let ctx: RunContext

    public init(ctx: RunContext) { self.ctx = ctx }

    public struct Connected: Sendable {
        public var account: StoredChannelAccount
        public var created: Bool
        public var organisation: StoredConnection?
        public var currency: String?
        public var auth: String
    }

    public func connect(shop shopText: String, clientID: String?, name: String?, tenant: String?) async throws -> Connected {
        guard let shop = ShopifyEndpoints.normaliseShop(shopText) else {
            throw LMBError.usage("--shop must be the shop's myshopify.com domain, such as my-shop.myshopify.com")
        }
        let store = try ctx.store()
        let organisation: StoredConnection?
        if let tenant { organisation = try store.connection(tenant: tenant) } else { organisation = try? store.connection(tenant: nil) }
        let auth: ShopifyAuth
        if let clientID {
            auth = .clientCredentials(clientID: clientID, clientSecret: try secret(Self.clientSecretVariable, what: "the app's client secret"))
        } else {
            auth = .accessToken(try secret(Self.accessTokenVariable, what: "the Admin API access token (shpat_…)"))
        }
        let proved = try await prove(shop: shop, auth: auth)
        let stored = auth.stored
        let (account, created) = try store.saveChannelAccount(kind: .shopify, label: name ?? shop.replacingOccurrences(of: ".myshopify.com", with: ""),
                                                              settings: stored.settings.merging(["shop": shop]) { $1 }, secrets: stored.secrets,
                                                              tenantID: organisation?.tenantID, tenantName: organisation?.tenantName, now: ctx.clock.now)
        return Connected(account: account, created: created, organisation: organisation, currency: proved.currency, auth: auth.description)
    }

    /// A new client secret for a shop connected with client credentials, proved first.
    public func replaceSecret(label: String?) async throws -> StoredChannelAccount {
        let store = try ctx.store()
        let account = try ShopifyAccounts.account(store, label: label)
        guard case .clientCredentials(let id, _) = try ShopifyAuth.from(account) else {
            throw LMBError.usage("Shopify shop \(account.label) is connected with an Admin API access token, which has no client secret: run lmb shopify connect with the new token")
        }
        let auth = ShopifyAuth.clientCredentials(clientID: id, clientSecret: try secret(Self.clientSecretVariable, what: "the app's new client secret"))
        _ = try await prove(shop: account.settings["shop"] ?? account.label, auth: auth)
        try store.replaceChannelSecrets(account, secrets: auth.stored.secrets, now: ctx.clock.now,
                                        event: "replaced the client secret of Shopify shop \(account.label)")
        return try ShopifyAccounts.account(store, label: account.label)
    }

    func prove(shop: String, auth: ShopifyAuth) async throws -> (currency: String?, paidPayouts: Int) {
        let client = try ShopifyClient(shop: shop, auth: auth, environment: ctx.environment, transport: try ctx.transport(), clock: ctx.clock)
        _ = try await client.accessToken()
        return try await client.prove()
    }

    func secret(_ variable: String, what: String) throws -> String {
        if let value = ctx.environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        guard ctx.prompter.interactive else {
            throw RemoteFailure(.config, "no \(what): set \(variable), or run lmb on a terminal to be asked for it (lmb never takes secrets as arguments)",
                                service: .shopifyAdmin, evidence: ["\(variable) is not set and standard input is not a terminal"])
        }
        guard let value = ctx.prompter.secret("\(what) (not shown as you type):")?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw RemoteFailure(.config, "no \(what) was entered", service: .shopifyAdmin)
        }
        return value
    }
}

public enum ShopifyAccounts {
    /// The shop `--account LABEL` names; without a label, the only one there is. In Shopify's and lmb's words.
    public static func account(_ store: Store, label: String?) throws -> StoredChannelAccount {
        do {
            return try store.channelAccount(kind: .shopify, label: label)
        } catch StoreError.empty {
            throw RemoteFailure(.notConnected, "no Shopify shop is connected", service: .shopifyAdmin, evidence: ["no stored Shopify credentials"])
        } catch StoreError.unknown(_, let key, let known) {
            throw RemoteFailure(.config, "no Shopify shop is labelled '\(key)'; connected: \(known.joined(separator: ", "))", service: .shopifyAdmin,
                                evidence: ["--account \(key)"])
        } catch StoreError.ambiguous(_, let known) {
            throw LMBError.usage("several Shopify shops are connected (\(known.joined(separator: ", "))); name one with --account LABEL")
        }
    }
}
