import Foundation

/// The settlements one organisation is sent, with the organisation's connection (or why it cannot be used).
public struct SendRoute: Sendable {
    public var connection: Result<StoredConnection, RemoteFailure>
    /// What to send there, in the order asked.
    public var settlementIDs: [String]
    /// Whose documents an earlier run left `sending` may be looked up in this organisation: only those that go
    /// there, so that a lost answer from one organisation is never resolved (or re-sent) in another.
    public var recoveryScope: Set<String>

    public var tenantID: String? { try? connection.get().tenantID }
}

/// Which organisation each settlement goes to. A settlement fetched through an Amazon account goes to the
/// organisation that account was bound to when it was fetched; any other goes to `--tenant`, else the default one.
/// Only `lmb send ID… --tenant ORG`, where a person names both, overrides a binding.
public enum SendRouting {
    public static func routes(_ ids: [String], store: Store, tenant: String?, explicit: Bool) throws -> [SendRoute] {
        let bindings = try store.settlementBindings()
        let connections = try store.connections()
        let unsure = Set(try store.unsurePostings().map(\.settlementID))
        let fallback: Result<StoredConnection, RemoteFailure>
        do { fallback = .success(try store.connection(tenant: tenant)) } catch let f as RemoteFailure { fallback = .failure(f) }

        func destination(_ id: String) -> Result<StoredConnection, RemoteFailure> {
            guard let bound = bindings[id], let tenantID = bound.tenantID, !(explicit && tenant != nil) else { return fallback }
            if let connection = connections.first(where: { $0.tenantID == tenantID }) { return .success(connection) }
            return .failure(RemoteFailure.xero(.config, "settlement \(id) was fetched through the Amazon account '\(bound.accountLabel)', which sends to the organisation \(tenantID); that organisation is not connected. Connect it with `lmb connect --tenant \(tenantID)`, or send this settlement elsewhere with `lmb send \(id) --tenant NAME`",
                                        evidence: ["amazon_report binds settlement \(id) to tenant \(tenantID)",
                                                   "connected: \(connections.map(\.tenantID).joined(separator: ", "))"]))
        }

        var routes: [SendRoute] = []
        func key(_ r: Result<StoredConnection, RemoteFailure>) -> String {
            switch r {
            case .success(let c): return "tenant:" + c.tenantID
            case .failure(let f): return "failure:" + f.message
            }
        }
        func add(_ id: String, sending: Bool) {
            let target = destination(id)
            if let i = routes.firstIndex(where: { key($0.connection) == key(target) }) {
                if sending { routes[i].settlementIDs.append(id) }
                routes[i].recoveryScope.insert(id)
            } else {
                routes.append(SendRoute(connection: target, settlementIDs: sending ? [id] : [], recoveryScope: [id]))
            }
        }
        for id in ids { add(id, sending: true) }
        for id in unsure.sorted() where !ids.contains(id) { add(id, sending: false) }
        return routes
    }

    /// The organisation each settlement would go to (for booking against its lock date); nil where none can be used.
    public static func tenants(_ ids: [String], store: Store, tenant: String?, explicit: Bool) throws -> [String: String] {
        var out: [String: String] = [:]
        for route in try routes(ids, store: store, tenant: tenant, explicit: explicit) {
            guard let t = route.tenantID else { continue }
            for id in route.settlementIDs { out[id] = t }
        }
        return out
    }
}
