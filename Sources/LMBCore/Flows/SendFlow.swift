import Foundation

/// `lmb send` (without --dry-run), shared with `lmb sync`: each settlement to its organisation (SendRouting), one
/// Sender and one Xero client per organisation, `jobs` organisations at once, each under its own send lock (so two
/// runs never send to one organisation together, and a run never waits for another organisation's), all of them
/// within Xero's app-wide minute limit. One organisation's failure (a stale connection, a day limit, a lock another
/// run holds, anything thrown) is that organisation's results; the others finish. It says what it does through the
/// context's output; rendering the results is the caller's.
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
    /// `--jobs`: organisations sent to at once (nil: config.json's "jobs", else 8).
    public var jobs: Int?

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
        let gate = XeroAppGate(clock: ctx.clock)
        let live = routes.filter { !$0.settlementIDs.isEmpty || $0.tenantID != nil }
        let board = ctx.output.talks && live.count > 1 ? ctx.output.board("sending") : nil
        let names = Dictionary((try session.store.connections()).map { ($0.tenantID, $0.tenantName) }, uniquingKeysWith: { a, _ in a })
        let flow = self
        let perRoute = await Concurrently.map(routes.map(RouteBox.init), jobs: ctx.jobs(jobs)) { box in
            let route = box.route
            let name = route.tenantID.map { names[$0] ?? $0 } ?? "(no organisation)"
            if !route.settlementIDs.isEmpty { board?.started(name) }
            let results = await flow.sendIsolated(route, session: session, gate: gate, single: board == nil)
            if !route.settlementIDs.isEmpty { board?.finished(name, Self.clientLine(results)) }
            return results
        }
        board?.finish()
        var byID: [String: SendResult] = [:]
        var extra: [SendResult] = []
        for r in perRoute.joined() {
            if targets.contains(r.settlementID) { byID[r.settlementID] = r } else { extra.append(r) }
        }
        return targets.compactMap { byID[$0] } + extra
    }

    struct RouteBox: Sendable { let route: SendRoute }

    /// One organisation under its lock; anything thrown becomes a failed result for each of its settlements.
    func sendIsolated(_ route: SendRoute, session: XeroSession, gate: XeroAppGate, single: Bool) async -> [SendResult] {
        do {
            let lock: RunLock? = try route.tenantID.map {
                try RunLock(home: ctx.home, purpose: .send, scope: $0, wait: ctx.lockWait, clock: ctx.clock)
            }
            defer { withExtendedLifetime(lock) {} }
            return try await send(route, session: session, gate: gate, single: single)
        } catch {
            let failure: RemoteFailure
            switch error {
            case let f as RemoteFailure: failure = f
            case let e as LMBError where e.exitStatus == .temporary: failure = RemoteFailure.xero(.busy, e.description)
            default: failure = RemoteFailure.xero(.config, "\(error)")
            }
            return route.settlementIDs.map {
                var r = SendResult(settlementID: $0, outcome: .failed, classification: failure.classification, message: failure.message,
                                   invoiceIDs: [], invoiceNumbers: [], failure: failure)
                r.tenantID = route.tenantID
                return r
            }
        }
    }

    func send(_ route: SendRoute, session: XeroSession, gate: XeroAppGate, single: Bool) async throws -> [SendResult] {
        let connection: StoredConnection
        switch route.connection {
        case .failure(let f):
            return route.settlementIDs.map {
                SendResult(settlementID: $0, outcome: .failed, classification: f.classification, message: f.message, invoiceIDs: [], invoiceNumbers: [], failure: f)
            }
        case .success(let c): connection = c
        }
        let client = session.client(for: connection, gate: gate)
        let output = ctx.output
        let who = single ? "" : "\(connection.tenantName): "
        await client.setOnWait { seconds, reason in output.note("\(who)waiting \(Int(seconds.rounded(.up))) s for \(reason)") }
        var sender = Sender(session: session, client: client, mapping: mapping)
        sender.status = status
        sender.recoveryScope = route.recoveryScope
        if withoutVATReport { sender.withoutVATReport = Set(ids) }
        if let size = ctx.batchSize { sender.batchSize = size }
        if let bytes = ctx.maxBodyBytes { sender.maxBodyBytes = bytes }
        sender.log = { line in output.note(who + line) }
        let bar = output.talks && single ? output.progress("sending") : nil
        sender.progress = { done, total in if total > 1 { bar?.update(done, total) } }
        let results = try await sender.send(route.settlementIDs)
        bar?.finish()
        return results.map { r in
            var r = r
            r.tenantID = connection.tenantID
            return r
        }
    }

    /// One line for a finished organisation, as a pipe shows it.
    static func clientLine(_ results: [SendResult]) -> String {
        func count(_ o: SendResult.Outcome) -> Int { results.filter { $0.outcome == o }.count }
        var line = "\(count(.sent)) sent, \(count(.skipped)) skipped, \(count(.failed)) failed"
        if let f = results.first(where: { $0.outcome == .failed }) { line += " (\(f.classification.rawValue): \(f.message))" }
        return line
    }

    /// The run as a failure notification tells it.
    public static func summary(_ results: [SendResult], status: ExitStatus, mapping: Mapping, names: [String: String] = [:]) -> RunSummary {
        RunSummary(command: "send", exitStatus: status, succeeded: results.filter { $0.outcome != .failed }.count,
                   failures: results.compactMap { r in
                       guard r.outcome == .failed, let f = r.failure else { return nil }
                       return RunSummary.Failure(settlementID: r.settlementID, classification: f.classification.rawValue, message: f.message,
                                                 firstStep: Runbook.steps(for: f, settlementID: r.settlementID, mapping: mapping).first,
                                                 correlationID: f.requestID)
                   },
                   failedClients: ClientOutcome.organisations(results, names: names, mapping: mapping).filter { $0.outcome != .ok })
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
