import Foundation
import LMBCore

/// What `lmb shopify status` and `lmb ebay status` show alike: each account's organisation, last fetch and payouts
/// (after the channel's own lines), and how the list is printed. The channel commands add only what is their own.
struct ChannelStatusView {
    let store: Store
    let kind: ChannelKind
    let now: Date
    /// Organisation names by tenant id, read once for every account.
    let names: [String: String]

    init(store: Store, kind: ChannelKind, now: Date) throws {
        self.store = store
        self.kind = kind
        self.now = now
        names = Dictionary(try store.connections().map { ($0.tenantID, $0.tenantName) }) { a, _ in a }
    }

    /// The account's organisation, last fetch and payouts: lines for a person, fields for `--json`.
    func common(_ a: StoredChannelAccount) throws -> (lines: [String], fields: [(String, JSON)]) {
        let payouts = try store.channelPayouts(kind: kind, accountLabel: a.label)
        func count(_ o: FetchOutcome) -> Int { payouts.filter { $0.outcome == o }.count }
        let failed = payouts.filter { $0.outcome == .failed }
        let organisation = a.tenantID.map { t in names[t].map { "\($0) (tenant \(t))" } ?? "tenant \(t) — not connected" } ?? "the default organisation"
        let last = a.lastFetchAt.map { "\(ReportsAPI.dateText($0)), \(max(0, Int(now.timeIntervalSince($0) / 86_400))) days ago" } ?? "never"
        var lines = ["  organisation    \(organisation)", "  last fetch      \(last)",
                     "  payouts         \(count(.imported)) imported, \(count(.known)) already known, \(count(.failed)) failed"]
        for p in failed { lines.append("  failed payout   \(p.payoutID): \(p.message ?? "?")") }
        let fields: [(String, JSON)] = [
            ("tenantId", .optional(a.tenantID)), ("lastFetchAt", .optional(a.lastFetchAt.map(ReportsAPI.dateText))),
            ("payouts", .object([("imported", .int(count(.imported))), ("known", .int(count(.known))), ("failed", .int(count(.failed)))])),
            ("failedPayouts", .array(failed.map { .object([("payoutId", .string($0.payoutID)), ("message", .optional($0.message))]) })),
        ]
        return (lines, fields)
    }

    /// Prints the accounts (JSON, or one block each, or how to connect one); 78 when none is connected.
    static func show(_ ctx: RunContext, texts: [String], objects: [JSON], none: String) -> ExitStatus {
        if ctx.json {
            Terminal.out(JSON.array(objects).rendered())
        } else if objects.isEmpty {
            Terminal.out(none)
        } else {
            Terminal.out(texts.joined(separator: "\n\n"))
        }
        return objects.isEmpty ? .config : .ok
    }
}
