import Foundation
import Testing
@testable import LMBCore

@Suite("many clients at once: bounded concurrency, locks per part, the app-wide gate, outcomes per client")
struct ManyClientsTests {
    /// Counts how many pieces of work run at once.
    final class Meter: @unchecked Sendable {
        // @unchecked: every field is read and written under `lock`.
        private let lock = NSLock()
        private var now = 0
        private(set) var peak = 0
        func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
        func leave() { lock.withLock { now -= 1 } }
        var peakValue: Int { lock.withLock { peak } }
    }

    /// Holds the first `need` arrivals until all of them are in: no sleep, no race.
    actor Gate {
        let need: Int
        var arrived = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        init(need: Int) { self.need = need }
        func arrive() async {
            arrived += 1
            if arrived >= need {
                waiting.forEach { $0.resume() }
                waiting = []
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    @Test("Concurrently.map keeps the input's order and runs exactly `jobs` at once", arguments: [1, 3, 8])
    func boundedAndOrdered(jobs: Int) async {
        let meter = Meter()
        let items = Array(0..<20)
        let gate = Gate(need: jobs)
        let out = await Concurrently.map(items, jobs: jobs) { i in
            meter.enter()
            // The first batch waits until every one of it has started: if map ran fewer at once, this would hang.
            if i < jobs { await gate.arrive() }
            meter.leave()
            return i * 10
        }
        #expect(out == items.map { $0 * 10 })
        #expect(meter.peakValue == jobs)
    }

    func home() throws -> LMBHome {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-locks-\(UUID().uuidString)")
        let h = LMBHome(url: url)
        try h.ensureExists()
        return h
    }

    @Test("two organisations' send locks are held at once; a second lock on the same one gives up with exit 75")
    func locksPerPart() throws {
        let h = try home()
        let clock = AmazonFakeClock()
        let a = try RunLock(home: h, purpose: .send, scope: "tenant-a", wait: 0, clock: clock)
        let b = try RunLock(home: h, purpose: .send, scope: "tenant-b", wait: 0, clock: clock)
        let fetchA = try RunLock(home: h, purpose: .fetch, scope: "tenant-a", wait: 0, clock: clock)
        #expect(throws: LMBError.self) { try RunLock(home: h, purpose: .send, scope: "tenant-a", wait: 0, clock: clock) }
        do {
            _ = try RunLock(home: h, purpose: .send, scope: "tenant-a", wait: 0, clock: clock)
        } catch let e as LMBError {
            #expect(e.exitStatus == .temporary)
            #expect(e.description.contains("another lmb send is running") && e.description.contains("tenant-a"))
        } catch { Issue.record("unexpected \(error)") }
        withExtendedLifetime((a, b, fetchA)) {}
        // Released when its holder goes: it can be taken again at once.
        do {
            let held = try RunLock(home: h, purpose: .send, scope: "tenant-c", wait: 0, clock: clock)
            withExtendedLifetime(held) {}
        }
        #expect(throws: Never.self) { _ = try RunLock(home: h, purpose: .send, scope: "tenant-c", wait: 0, clock: clock) }
    }

    @Test("lock file names keep every label apart and stay inside locks/")
    func lockNames() {
        #expect(RunLock.fileName("a/b") != RunLock.fileName("a_2Fb"))
        #expect(RunLock.fileName("../../etc") .contains("/") == false)
        #expect(RunLock.fileName("Amazon-eu.main") == "Amazon-eu.main")
        #expect(RunLock.fileName("") == "_")
    }

    @Test("the app-wide gate waits for the next minute only when Xero says the app has almost no calls left")
    func appGate() async throws {
        let clock = AmazonFakeClock()
        let gate = XeroAppGate(clock: clock, reserve: 20)
        try await gate.pace(onWait: nil)
        #expect(clock.sleeps.isEmpty)
        await gate.observe(HTTPResponse(status: 200, headers: ["x-appminlimit-remaining": "9500"], body: Data()))
        try await gate.pace(onWait: nil)
        #expect(clock.sleeps.isEmpty)
        await gate.observe(HTTPResponse(status: 200, headers: ["x-appminlimit-remaining": "12"], body: Data()))
        try await gate.pace(onWait: nil)
        #expect(clock.sleeps.count == 1)
        #expect((clock.sleeps.first ?? 0) > 0 && (clock.sleeps.first ?? 99) <= 61)
        // A 429's own count is not taken as the app's: its Retry-After is what the exchange waits on.
        await gate.observe(HTTPResponse(status: 429, headers: ["x-appminlimit-remaining": "0"], body: Data()))
        try await gate.pace(onWait: nil)
        #expect(clock.sleeps.count == 1)
    }

    @Test("outcomes per organisation: the worst failure of each, its runbook, the others ok")
    func organisationOutcomes() {
        let stale = RemoteFailure.xero(.staleConnection, "gone")
        func result(_ id: String, _ tenant: String, _ failure: RemoteFailure?) -> SendResult {
            var r = SendResult(settlementID: id, outcome: failure == nil ? .sent : .failed, classification: failure?.classification ?? .ok,
                               message: failure?.message ?? "ok", invoiceIDs: [], invoiceNumbers: [], failure: failure)
            r.tenantID = tenant
            return r
        }
        let results = [result("1", "t1", nil), result("2", "t2", stale), result("3", "t1", nil), result("4", "t2", RemoteFailure.xero(.rateLimited, "slow"))]
        let out = ClientOutcome.organisations(results, names: ["t1": "One Ltd", "t2": "Two Ltd"], mapping: nil)
        #expect(out.map(\.name) == ["One Ltd", "Two Ltd"])
        #expect(out[0].outcome == .ok && out[0].done == 2 && out[0].exitStatus == .ok)
        #expect(out[1].outcome == .failed && out[1].classification == "stale_connection" && out[1].exitStatus == .mustAct)
        #expect(out[1].runbook.joined().contains("Connected apps"))
        let summary = SendFlow.summary(results, status: .mustAct, mapping: Mapping.defaults, names: ["t2": "Two Ltd"])
        #expect(summary.failedClients.map(\.name) == ["Two Ltd"])
    }

    @Test("a client's next action: what stops sending first, then what stops it soon, then what waits")
    func nextAction() {
        func client(refresh: Int? = 3, ready: Int = 0, mapping: Int = 0, accounts: [ClientsView.Account] = []) -> ClientsView.Client {
            var c = ClientsView.Client(tenantID: "t", name: "T", connected: true, isDefault: false, refreshTokenAgeDays: refresh,
                                       accounts: accounts, health: "ok")
            c.ready = ready
            c.needsMapping = mapping
            ClientsView.judge(&c)
            return c
        }
        #expect(client().health == "ok" && client().nextAction == nil)
        #expect(client(ready: 2).nextAction == "lmb send --all" && client(ready: 2).health == "attention")
        #expect(client(refresh: 61, ready: 2).nextAction == "lmb reconnect --tenant t")
        #expect(client(refresh: 52).health == "attention")
        #expect(client(ready: 1, mapping: 1).nextAction == "lmb settlements --status needs-mapping")
        let old = ClientsView.Account(label: "eu", provider: .amazon, secretAgeDays: 181, secretLimitDays: 180, lastFetchAt: Date(), daysSinceFetch: 1)
        #expect(client(ready: 1, accounts: [old]).nextAction == "lmb amazon secret --account eu")
        let stale = ClientsView.Account(label: "us", provider: .amazon, secretAgeDays: 10, secretLimitDays: 180, lastFetchAt: Date(), daysSinceFetch: 95)
        #expect(client(accounts: [stale]).nextAction == "lmb fetch --account us" && client(accounts: [stale]).health == "action")
    }
}

@Suite("Store dates without a formatter")
struct StoreDateTests {
    @Test("the dates the store writes read back to the same instant with and without fractions; other text falls back to the formatter")
    func fastDates() throws {
        for seconds in [0.0, 1_733_354_932.0, 1_733_354_932.125, 951_782_400.5, 4_102_444_799.0] {
            let d = Date(timeIntervalSince1970: seconds)
            let text = Store.isoText(d)
            #expect(Store.fastDate(text).map { abs($0.timeIntervalSince(d)) < 0.0005 } == true, "\(text)")
        }
        #expect(Store.fastDate("2024-02-29T12:00:00Z") == Date(timeIntervalSince1970: 1_709_208_000))
        for text in ["2023-02-29T12:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+01:00", ""] {
            #expect(Store.fastDate(text) == nil, "\(text)")
        }
        #expect(Store.date("2024-01-01T01:00:00+01:00") == Date(timeIntervalSince1970: 1_704_067_200))
        // What the store writes, written as Foundation's formatter writes it.
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0.0, 1_733_354_932.125, 951_782_400.5, -86_400.25, 4_102_444_799.999] {
            let d = Date(timeIntervalSince1970: seconds)
            #expect(Store.isoText(d) == f.string(from: d), "\(seconds)")
        }
    }
}
