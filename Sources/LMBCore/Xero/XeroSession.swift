import Foundation

/// Everything a command needs to talk to Xero: the home, its configuration and store, the endpoints and transport.
public struct XeroSession: Sendable {
    public let home: LMBHome
    public let config: LMBConfig
    public let store: Store
    public let endpoints: XeroEndpoints
    public let transport: any HTTPTransport
    public let clientSecret: String?

    /// `store`: one the caller already opened (a command opens its store once per run).
    public init(home: LMBHome, environment: [String: String] = ProcessInfo.processInfo.environment,
                store: Store? = nil, transport: (any HTTPTransport)? = nil) throws {
        self.home = home
        let config = try LMBConfig.load(home: home, environment: environment)
        self.config = config
        self.store = try store ?? Store.open(home: home)
        self.endpoints = try config.endpoints()
        self.transport = transport ?? config.transport()
        self.clientSecret = try LMBConfig.clientSecret(home: home, environment: environment)
    }

    public var tokens: TokenManager {
        TokenManager(store: store, endpoints: endpoints, transport: transport, clientSecret: clientSecret)
    }

    public var oauth: OAuthClient { OAuthClient(endpoints: endpoints, transport: transport) }

    public func client(tenant: String?) throws -> XeroClient {
        XeroClient(connection: try store.connection(tenant: tenant), tokens: tokens, maxRetryAfter: config.maxRetryAfterSeconds ?? 60)
    }

    public func client(for connection: StoredConnection) -> XeroClient {
        XeroClient(connection: connection, tokens: tokens, maxRetryAfter: config.maxRetryAfterSeconds ?? 60)
    }
}
