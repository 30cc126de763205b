import Foundation

/// How one client of a run fared: a selling account in a fetch, an organisation in a send. A bookkeeper's run covers
/// many; each gets one entry (JSON, the notification), its worst failure, and the runbook of that failure.
public struct ClientOutcome: Sendable {
    public enum Kind: String, Sendable { case account, organisation }
    public enum Outcome: String, Sendable { case ok, failed, partial }

    public var kind: Kind
    /// The account's label, or the organisation's name.
    public var name: String
    public var provider: Provider?
    public var tenantID: String?
    public var outcome: Outcome
    public var exitStatus: ExitStatus
    /// "ok", or the worst failure's classification.
    public var classification: String
    public var message: String?
    public var runbook: [String]
    /// Settlements imported (an account) or sent (an organisation), and failures.
    public var done: Int
    public var failed: Int

    public var json: JSON {
        .object([
            ("kind", .string(kind.rawValue)), ("name", .string(name)), ("provider", .optional(provider?.rawValue)),
            ("tenantId", .optional(tenantID)), ("outcome", .string(outcome.rawValue)), ("exitCode", .int(exitStatus.rawValue)),
            ("classification", .string(classification)), ("message", .optional(message)),
            ("runbook", .array(runbook.map(JSON.string))), (kind == .account ? "imported" : "sent", .int(done)), ("failed", .int(failed)),
        ])
    }

    /// One entry per account of a fetch, in the order they were fetched.
    public static func accounts(_ report: FetchReport) -> [ClientOutcome] {
        report.accounts.map { s in
            let results = report.results.filter { $0.account == s.account && $0.provider == s.provider }
            let failures = results.filter { $0.outcome == .failed }
            let worst = failures.max { $0.exitStatus.severity < $1.exitStatus.severity }
            let done = results.filter { $0.outcome == .imported }.count
            return ClientOutcome(kind: .account, name: s.account, provider: s.provider, tenantID: nil,
                                 outcome: worst == nil ? .ok : (done > 0 ? .partial : .failed),
                                 exitStatus: ExitStatus.worst(results.map(\.exitStatus)), classification: worst?.classification ?? "ok",
                                 message: worst?.message, runbook: worst?.runbook ?? [], done: done, failed: failures.count)
        }
    }

    /// One entry per organisation of a send, in the order of the results.
    public static func organisations(_ results: [SendResult], names: [String: String], mapping: Mapping?) -> [ClientOutcome] {
        var order: [String] = []
        var groups: [String: [SendResult]] = [:]
        for r in results {
            let key = r.tenantID ?? ""
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        return order.map { key in
            let rs = groups[key] ?? []
            let failures = rs.filter { $0.outcome == .failed }
            let worst = failures.max { $0.exitStatus.severity < $1.exitStatus.severity }
            let done = rs.filter { $0.outcome == .sent }.count
            let steps = worst.flatMap { w in w.failure.map { Runbook.steps(for: $0, settlementID: w.settlementID, mapping: mapping) } } ?? []
            return ClientOutcome(kind: .organisation, name: key.isEmpty ? "(no organisation)" : (names[key] ?? key), provider: nil,
                                 tenantID: key.isEmpty ? nil : key,
                                 outcome: worst == nil ? .ok : (done > 0 ? .partial : .failed),
                                 exitStatus: ExitStatus.worst(rs.map(\.exitStatus)),
                                 classification: worst?.classification.rawValue ?? "ok", message: worst?.message, runbook: steps,
                                 done: done, failed: failures.count)
        }
    }
}
