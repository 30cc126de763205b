import Foundation

/// Everything a command needs to talk to Xero: the home, its configuration and store, the endpoints, the exchange
/// loop (transport and clock) and the client secret.
public struct XeroSession: Sendable {
    public let home: LMBHome
    public let config: LMBConfig
    public let store: Store
    public let endpoints: XeroEndpoints
    public let transport: any HTTPTransport
    public let clock: any LMBClock
    public let clientSecret: String?

    public init(home: LMBHome, environment: [String: String], store: Store, transport: any HTTPTransport, clock: any LMBClock) throws {
        self.home = home
        let config = try LMBConfig.load(home: home, environment: environment)
        self.config = config
        self.store = store
        self.endpoints = try config.endpoints()
        self.transport = transport
        self.clock = clock
        self.clientSecret = try LMBConfig.clientSecret(home: home, environment: environment)
    }

    /// The exchange loop every Xero call goes through; Retry-After waited out up to config's max_retry_after_seconds.
    public var exchange: Exchange {
        let most = Double(config.maxRetryAfterSeconds ?? 60)
        return Exchange(transport: transport, clock: clock, waits: WaitPolicy(maxWaits: 3, maxSingleWait: most, maxTotalWait: 3 * most, defaultWait: 60))
    }

    public var oauth: OAuthClient { OAuthClient(endpoints: endpoints, exchange: exchange) }

    public func client(tenant: String?) throws -> XeroClient {
        client(for: try store.connection(tenant: tenant))
    }

    public func client(for connection: StoredConnection, gate: XeroAppGate? = nil) -> XeroClient {
        XeroClient(connection: connection, tokens: tokens(for: connection.credential), endpoints: endpoints, exchange: exchange, gate: gate)
    }
}
extension Store {
    /// The connection a command uses: `--tenant NAME|ID`, else the default one. In Xero's and lmb's words.
    public func connection(tenant: String?) throws -> StoredConnection {
        do {
            return try storedConnection(tenant: tenant)
        } catch StoreError.empty {
            throw RemoteFailure.xero(.notConnected, "no Xero organisation is connected; run: lmb connect")
        } catch StoreError.unknown(_, let key, let known) {
            throw RemoteFailure.xero(.config, "no connected organisation is named or has the id '\(key)'; connected: \(known.joined(separator: ", "))")
        }
    }
}
