import Foundation

/// One client's diagnosis in `lmb diagnose --all`: an organisation with the selling accounts bound to it.
public struct ClientDiagnosis: Sendable {
    /// nil for accounts bound to an organisation that is not connected.
    public var tenantID: String?
    public var name: String
    public var accounts: [String]
    public var report: DiagnosisReport
}

extension Diagnoser {
    /// Every organisation's checks and those of the channels bound to it, `jobs` clients at once. A channel without a
    /// binding goes with the default organisation; channels bound to an organisation that is not connected make a
    /// client of their own, whose first check says so.
    public func runAll(jobs: Int) async -> [ClientDiagnosis] {
        let store: Store
        do { store = try self.store.get() } catch { return [ClientDiagnosis(tenantID: nil, name: "(the store)", accounts: [], report: await run())] }
        let connections = (try? store.connections()) ?? []
        guard !connections.isEmpty else { return [ClientDiagnosis(tenantID: nil, name: "(not connected)", accounts: [], report: await run())] }
        let channels = (try? Channels.connected(store)) ?? []
        let defaultID = connections.first(where: \.isDefault)?.tenantID ?? connections[0].tenantID
        func owner(_ c: any SettlementChannel) -> String { c.tenantID ?? defaultID }
        struct Client: Sendable {
            var tenantID: String
            var name: String
            var connected: Bool
            var channels: [ChannelBox]
        }
        var clients = connections.map { c in
            Client(tenantID: c.tenantID, name: c.tenantName, connected: true, channels: channels.filter { owner($0) == c.tenantID }.map(ChannelBox.init))
        }
        let orphans = Dictionary(grouping: channels.filter { ch in !connections.contains { $0.tenantID == owner(ch) } }, by: owner)
        for (tenant, chs) in orphans.sorted(by: { $0.key < $1.key }) {
            clients.append(Client(tenantID: tenant, name: tenant, connected: false, channels: chs.map(ChannelBox.init)))
        }
        let base = self
        return await Concurrently.map(clients, jobs: jobs) { client in
            var d = base
            d.tenant = client.tenantID
            var checks: [DiagnosticCheck]
            if client.connected {
                checks = (await d.runXero()).checks
            } else {
                checks = [.fail("configuration", RemoteFailure.xero(.notConnected, "selling accounts are bound to the organisation \(client.tenantID), which is not connected",
                                                                    evidence: ["bound: \(client.channels.map(\.channel.label).joined(separator: ", "))"]),
                                fix: "Connect it with `lmb connect --tenant \(client.tenantID)`, or bind the accounts to a connected organisation.")]
            }
            checks += await d.channelChecks(client.channels.map(\.channel))
            return ClientDiagnosis(tenantID: client.tenantID, name: client.name, accounts: client.channels.map(\.channel.label),
                                   report: DiagnosisReport(checks: checks))
        }
    }

    struct ChannelBox: Sendable { let channel: any SettlementChannel }

    /// The checks of the given channels.
    func channelChecks(_ channels: [any SettlementChannel]) async -> [DiagnosticCheck] {
        guard !channels.isEmpty, let store = try? self.store.get(), let config = try? LMBConfig.load(home: home, environment: environment) else { return [] }
        let env = ChannelEnvironment(store: store, home: home, transport: transport, clock: clock, environment: environment, config: config)
        var checks: [DiagnosticCheck] = []
        for channel in channels { checks += await channel.diagnose(env, offline: offline) }
        return checks
    }
}
