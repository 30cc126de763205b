import Foundation

/// `lmb send` (without --dry-run), shared with `lmb sync`: under the send lock, each settlement to its organisation
/// (SendRouting), one Sender and one Xero client per organisation. It says what it does through the context's
/// output; rendering the results is the caller's.
public struct SendFlow: Sendable {
    public let ctx: RunContext
    public let mapping: Mapping
    public var all: Bool
    public var ids: [String]
    /// DRAFT or AUTHORISED.
    public var status: String
    public var tenant: String?
    /// `--without-vat-report`: the named settlements go without waiting for Amazon's VAT report.
    public var withoutVATReport = false

    public init(ctx: RunContext, mapping: Mapping, all: Bool, ids: [String], status: String, tenant: String?) {
        self.ctx = ctx
        self.mapping = mapping
        self.all = all
        self.ids = ids
        self.status = status
        self.tenant = tenant
    }

    /// The results in the order the settlements were asked for; nil when `--all` found nothing to send.
    public func perform() async throws -> [SendResult]? {
        let lock = try RunLock(home: ctx.home, purpose: .send, wait: ctx.lockWait, clock: ctx.clock)
        defer { withExtendedLifetime(lock) {} }
        let session = try ctx.xeroSession()
        let targets = all ? try Sender.readySettlements(store: session.store, mapping: mapping) : ids
        let routes = try SendRouting.routes(targets, store: session.store, tenant: tenant, explicit: !all)
        if targets.isEmpty && routes.isEmpty { return nil }
        let booking = Booking(store: session.store, mapping: mapping)
        for s in try targets.compactMap({ try session.store.settlement(id: $0) }) {
            if let warning = try booking.book(s).bookedToOtherWarning(settlementID: s.header.id, currency: s.header.currencyInfo), !ctx.output.quiet {
                ctx.output.err(warning)
            }
        }
        var byID: [String: SendResult] = [:]
        var extra: [SendResult] = []
        for route in routes {
            for r in try await send(route, session: session) {
                if targets.contains(r.settlementID) { byID[r.settlementID] = r } else { extra.append(r) }
            }
        }
        return targets.compactMap { byID[$0] } + extra
    }

    func send(_ route: SendRoute, session: XeroSession) async throws -> [SendResult] {
        let connection: StoredConnection
        switch route.connection {
        case .failure(let f):
            return route.settlementIDs.map {
                SendResult(settlementID: $0, outcome: .failed, classification: f.classification, message: f.message, invoiceIDs: [], invoiceNumbers: [], failure: f)
            }
        case .success(let c): connection = c
        }
        let client = session.client(for: connection)
        let output = ctx.output
        await client.setOnWait { seconds, reason in output.note("waiting \(Int(seconds.rounded(.up))) s for \(reason)") }
        var sender = Sender(session: session, client: client, mapping: mapping)
        sender.status = status
        sender.recoveryScope = route.recoveryScope
        if withoutVATReport { sender.withoutVATReport = Set(ids) }
        if let size = ctx.batchSize { sender.batchSize = size }
        if let bytes = ctx.maxBodyBytes { sender.maxBodyBytes = bytes }
        sender.log = { line in output.note(line) }
        let bar = output.talks ? output.progress("sending") : nil
        sender.progress = { done, total in if total > 1 { bar?.update(done, total) } }
        let results = try await sender.send(route.settlementIDs)
        bar?.finish()
        return results.map { r in
            var r = r
            r.tenantID = connection.tenantID
            return r
        }
    }

    /// The run as a failure notification tells it.
    public static func summary(_ results: [SendResult], status: ExitStatus, mapping: Mapping) -> RunSummary {
        RunSummary(command: "send", exitStatus: status, succeeded: results.filter { $0.outcome != .failed }.count,
                   failures: results.compactMap { r in
                       guard r.outcome == .failed, let f = r.failure else { return nil }
                       return RunSummary.Failure(settlementID: r.settlementID, classification: f.classification.rawValue, message: f.message,
                                                 firstStep: Runbook.steps(for: f, settlementID: r.settlementID, mapping: mapping).first,
                                                 correlationID: f.requestID)
                   })
    }
}

extension LedgerResult {
    /// The warning a person gets when `"unmapped": "other"` booked combinations no rule covers; nil when none.
    public func bookedToOtherWarning(settlementID: String, currency: Currency) -> String? {
        guard !bookedToOther.isEmpty else { return nil }
        let n = bookedToOther.count
        var lines = ["lmb: warning: settlement \(settlementID): \(n) combination\(n == 1 ? " matches" : "s match") no rule and \(n == 1 ? "is" : "are") booked to Other (\"unmapped\": \"other\" in the mapping):"]
        for u in bookedToOther {
            lines.append("  \(u.transactionType) / \(u.amountType) / \(u.amountDescription) (\(u.count) row\(u.count == 1 ? "" : "s"), \(Money.format(u.amountMinor, exponent: currency.exponent))) — map it: \(u.addCommand)")
        }
        return lines.joined(separator: "\n")
    }
}
