import Foundation

/// `lmb clients`: one entry per organisation with the selling accounts bound to it — connection health, the last
/// fetch and send, what waits, and the one command that fixes the worst thing. Read from the store alone: a firm's
/// morning look at hundreds of clients costs no API call.
public struct ClientsView: Sendable {
    public struct Account: Sendable {
        public var label: String
        public var provider: Provider
        /// Days since the credentials were stored (Amazon's client secret expires after 180).
        public var secretAgeDays: Int
        public var secretLimitDays: Int?
        public var lastFetchAt: Date?
        public var daysSinceFetch: Int?
    }

    public struct Client: Sendable {
        public var tenantID: String?
        public var name: String
        public var connected: Bool
        public var isDefault: Bool
        public var tokenKind: String?
        public var accessExpiresInSeconds: Int?
        public var refreshTokenAgeDays: Int?
        public var accounts: [Account]
        public var lastSendAt: String?
        public var ready = 0, needsMapping = 0, failed = 0, sent = 0, waiting = 0
        /// "ok", "attention" (soon) or "action" (now).
        public var health: String
        /// The classification of the latest failed send among its settlements.
        public var lastFailure: String?
        public var problem: String?
        public var nextAction: String?
    }

    /// Xero's refresh token lapses after 60 days unused; Amazon's client secret after 180; Amazon lists settlement
    /// reports for 90 days.
    public static let refreshLimitDays = 60, amazonSecretDays = 180, reportWindowDays = 90

    public static func build(store: Store, mapping: Mapping, now: Date) throws -> [Client] {
        let connections = try store.connections()
        let amazon = try store.amazonAccounts()
        let others = try store.channelAccounts()
        let defaultID = connections.first(where: \.isDefault)?.tenantID ?? connections.first?.tenantID
        func days(_ d: Date) -> Int { max(0, Int(now.timeIntervalSince(d) / 86400)) }

        var accountsByTenant: [String: [Account]] = [:]
        for a in amazon {
            accountsByTenant[a.tenantID ?? defaultID ?? "", default: []].append(Account(
                label: a.label, provider: .amazon, secretAgeDays: days(a.secretSetAt), secretLimitDays: amazonSecretDays,
                lastFetchAt: a.lastFetchAt, daysSinceFetch: a.lastFetchAt.map(days)))
        }
        for a in others {
            let provider: Provider = a.kind == .shopify ? .shopify : .ebay
            accountsByTenant[a.tenantID ?? defaultID ?? "", default: []].append(Account(
                label: a.label, provider: provider, secretAgeDays: days(a.secretSetAt), secretLimitDays: nil,
                lastFetchAt: a.lastFetchAt, daysSinceFetch: a.lastFetchAt.map(days)))
        }

        // Where each settlement goes, and how it stands.
        let settlements = try store.allSettlements()
        let ids = settlements.map(\.header.id)
        let tenants = try SendRouting.tenants(ids, store: store, tenant: nil, explicit: false)
        let booking = Booking(store: store, mapping: mapping)
        let lastSent = try store.lastSentAt()
        let lastFailed = try store.lastFailedAttempts()
        let bindings = try store.settlementBindings()
        var failures: [String: String] = [:]
        var counts: [String: (ready: Int, mapping: Int, failed: Int, sent: Int, waiting: Int, last: String?)] = [:]
        for s in settlements {
            let key = tenants[s.header.id] ?? bindings[s.header.id]?.tenantID ?? defaultID ?? ""
            var c = counts[key] ?? (0, 0, 0, 0, 0, nil)
            switch try booking.status(s) {
            case .ready:
                // Ready, but its last send failed (a stale connection, a day limit): that is what the client needs.
                if let failure = lastFailed[s.header.id] {
                    c.failed += 1
                    failures[key] = failure
                } else {
                    c.ready += 1
                }
            case .needsMapping: c.mapping += 1
            case .failed, .rollingBack: c.failed += 1
            case .sent: c.sent += 1
            case .sending, .awaitingVAT: c.waiting += 1
            }
            if let at = lastSent[s.header.id], at > (c.last ?? "") { c.last = at }
            counts[key] = c
        }

        var clients: [Client] = connections.map { conn in
            let k = conn.credential
            var client = Client(tenantID: conn.tenantID, name: conn.tenantName, connected: true, isDefault: conn.isDefault,
                                tokenKind: k.kind.rawValue, accessExpiresInSeconds: k.accessExpiresAt.map { Int($0.timeIntervalSince(now)) },
                                refreshTokenAgeDays: k.refreshIssuedAt.map(days), accounts: accountsByTenant[conn.tenantID] ?? [],
                                health: "ok")
            fill(&client, counts[conn.tenantID])
            client.lastFailure = failures[conn.tenantID]
            return client
        }
        for (tenant, accounts) in accountsByTenant.sorted(by: { $0.key < $1.key }) where !connections.contains(where: { $0.tenantID == tenant }) {
            var client = Client(tenantID: tenant.isEmpty ? nil : tenant, name: tenant.isEmpty ? "(no organisation connected)" : tenant,
                                connected: false, isDefault: false, accounts: accounts, health: "action")
            fill(&client, counts[tenant])
            clients.append(client)
        }
        return clients.map { var c = $0; judge(&c); return c }
    }

    static func fill(_ c: inout Client, _ n: (ready: Int, mapping: Int, failed: Int, sent: Int, waiting: Int, last: String?)?) {
        guard let n else { return }
        c.ready = n.ready; c.needsMapping = n.mapping; c.failed = n.failed; c.sent = n.sent; c.waiting = n.waiting; c.lastSendAt = n.last
    }

    /// The worst thing about a client, and the command that fixes it: what stops sending first, then what will stop it
    /// soon, then what waits.
    static func judge(_ c: inout Client) {
        let org = c.tenantID ?? ""
        func set(_ health: String, _ problem: String, _ action: String) {
            if c.problem == nil { c.health = health; c.problem = problem; c.nextAction = action }
        }
        if !c.connected {
            set("action", "not connected to Xero", c.tenantID.map { "lmb connect --tenant \($0)" } ?? "lmb connect --client-id ID")
        }
        if let age = c.refreshTokenAgeDays, age >= refreshLimitDays {
            set("action", "the refresh token is \(age) days old: Xero let it lapse after \(refreshLimitDays)", "lmb reconnect --tenant \(org)")
        }
        for a in c.accounts {
            if let limit = a.secretLimitDays, a.secretAgeDays >= limit {
                set("action", "\(a.label): the client secret is \(a.secretAgeDays) of \(limit) days old", "lmb amazon secret --account \(a.label)")
            }
            if a.provider == .amazon, let d = a.daysSinceFetch, d >= reportWindowDays {
                set("action", "\(a.label): last fetch \(d) days ago, past Amazon's \(reportWindowDays)-day report window", "lmb fetch --account \(a.label)")
            }
        }
        if c.failed > 0 {
            let reconnect = ["stale_connection", "permission_denied", "token_expired", "insufficient_scope"].contains(c.lastFailure ?? "")
            set("action", "\(c.failed) settlement\(c.failed == 1 ? "" : "s") failed\(c.lastFailure.map { " (\($0))" } ?? "")",
                reconnect ? "lmb reconnect --tenant \(org)" : "lmb diagnose --tenant \(org)")
        }
        if c.needsMapping > 0 { set("action", "\(c.needsMapping) settlement\(c.needsMapping == 1 ? " needs" : "s need") mapping", "lmb settlements --status needs-mapping") }
        if let age = c.refreshTokenAgeDays, age >= refreshLimitDays - 10 {
            set("attention", "the refresh token is \(age) of \(refreshLimitDays) days old", "lmb diagnose --tenant \(org)")
        }
        for a in c.accounts {
            if let limit = a.secretLimitDays, a.secretAgeDays >= limit - 14 {
                set("attention", "\(a.label): the client secret is \(a.secretAgeDays) of \(limit) days old", "lmb amazon secret --account \(a.label)")
            }
            if a.lastFetchAt == nil { set("attention", "\(a.label): never fetched", "lmb fetch --account \(a.label)") }
            else if a.provider == .amazon, let d = a.daysSinceFetch, d >= reportWindowDays - 15 {
                set("attention", "\(a.label): last fetch \(d) days ago (Amazon lists reports for \(reportWindowDays))", "lmb fetch --account \(a.label)")
            }
        }
        if c.ready > 0 { set("attention", "\(c.ready) settlement\(c.ready == 1 ? "" : "s") ready to send", "lmb send --all") }
    }

    public static func json(_ c: Client) -> JSON {
        .object([
            ("tenantId", .optional(c.tenantID)), ("name", .string(c.name)), ("connected", .bool(c.connected)), ("default", .bool(c.isDefault)),
            ("health", .string(c.health)), ("problem", .optional(c.problem)), ("nextAction", .optional(c.nextAction)),
            ("lastFailure", .optional(c.lastFailure)),
            ("token", .object([("kind", .optional(c.tokenKind)), ("accessExpiresInSeconds", c.accessExpiresInSeconds.map { .int($0) } ?? .null),
                               ("refreshTokenAgeDays", c.refreshTokenAgeDays.map { .int($0) } ?? .null), ("refreshTokenLimitDays", .int(refreshLimitDays))])),
            ("accounts", .array(c.accounts.map { a in
                .object([("label", .string(a.label)), ("provider", .string(a.provider.rawValue)), ("secretAgeDays", .int(a.secretAgeDays)),
                         ("secretLimitDays", a.secretLimitDays.map { .int($0) } ?? .null),
                         ("lastFetchAt", .optional(a.lastFetchAt.map { ISO8601DateFormatter().string(from: $0) })),
                         ("daysSinceFetch", a.daysSinceFetch.map { .int($0) } ?? .null),
                         ("reportWindowDays", a.provider == .amazon ? .int(reportWindowDays) : .null)])
            })),
            ("lastSendAt", .optional(c.lastSendAt)),
            ("settlements", .object([("ready", .int(c.ready)), ("needsMapping", .int(c.needsMapping)), ("failed", .int(c.failed)),
                                     ("sent", .int(c.sent)), ("waiting", .int(c.waiting))])),
        ])
    }
}
