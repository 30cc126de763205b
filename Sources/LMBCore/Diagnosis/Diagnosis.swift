import Foundation

/// One finding of `lmb diagnose`, about Xero, Amazon or lmb itself; a failed check carries the remote failure behind it.
public struct DiagnosticCheck: Sendable {
    public enum Status: String, Sendable { case pass, warn, fail }
    public var id: String
    public var status: Status
    public var detail: String
    public var fix: String
    public var failure: RemoteFailure?

    static func pass(_ id: String, _ detail: String) -> DiagnosticCheck { DiagnosticCheck(id: id, status: .pass, detail: detail, fix: "", failure: nil) }
    static func warn(_ id: String, _ detail: String, fix: String = "") -> DiagnosticCheck { DiagnosticCheck(id: id, status: .warn, detail: detail, fix: fix, failure: nil) }
    static func fail(_ id: String, _ failure: RemoteFailure, detail: String? = nil, fix: String? = nil) -> DiagnosticCheck {
        DiagnosticCheck(id: id, status: .fail, detail: detail ?? failure.description, fix: fix ?? Runbook.steps(for: failure).first ?? "", failure: failure)
    }

    /// The failure's classification, as JSON and the verdict name it.
    public var classification: String? { failure?.classification.rawValue }
    public var plainWords: String? { failure?.plainWords }
    public var evidence: [String] { failure?.evidence ?? [] }
    public var runbook: [String] { failure.map { Runbook.steps(for: $0) } ?? [] }
    public var exitStatus: ExitStatus? { failure?.exitStatus }
    /// Refusals that a person fixes end with the "still failing" line.
    public var endsWithSupportLine: Bool {
        guard let failure else { return false }
        return failure.provider.voice.endsWithSupportLine(failure.classification)
    }
}

/// A diagnosis that ended before it could talk to Xero: its checks are the report.
struct DiagnosisFailure: Error {
    var checks: [DiagnosticCheck]
    var report: DiagnosisReport { DiagnosisReport(checks: checks) }
}

public struct DiagnosisReport: Sendable {
    public var checks: [DiagnosticCheck]
    public var firstFailure: DiagnosticCheck? { checks.first { $0.status == .fail && $0.classification != nil } }
    /// The first failure's classification (Xero's or Amazon's), or `ok`.
    public var verdict: String { firstFailure?.classification ?? "ok" }
    public var runbook: [String] { firstFailure?.runbook ?? [] }
    /// The first failure's runbook whole: its steps, the command that fixes it, the command that proves it.
    public var fullRunbook: Runbook? { firstFailure?.failure.map { Runbook.of($0) } }
    public var exitStatus: ExitStatus { ExitStatus.worst(checks.compactMap(\.exitStatus)) }
    public var exitCode: Int32 { exitStatus.rawValue }
}

/// The checks behind `lmb diagnose`, in the order a failure would show up in a send.
public struct Diagnoser: Sendable {
    public let home: LMBHome
    public var tenant: String?
    public var offline = false
    public var transport: any HTTPTransport

    public var environment: [String: String]
    public var clock: any LMBClock
    /// The store, or why it could not be opened (a diagnosis reports that as its first check).
    public var store: Result<Store, any Error>

    public init(home: LMBHome, store: Result<Store, any Error>, environment: [String: String], clock: any LMBClock, transport: any HTTPTransport,
                tenant: String? = nil, offline: Bool = false) {
        self.home = home
        self.store = store
        self.tenant = tenant
        self.offline = offline
        self.transport = transport
        self.environment = environment
        self.clock = clock
    }

    func now() -> Date { clock.now }

    static let roleNames = ["STANDARD": "Standard", "FINANCIALADVISER": "Adviser", "ADMIN": "Admin", "READONLY": "Read only",
                            "INVOICEONLY": "Invoice only", "MANAGEDCLIENT": "Managed client", "CASHBOOKCLIENT": "Cashbook client"]

    /// Xero's side, then Amazon's.
    public func run() async -> DiagnosisReport {
        let xero = await runXero()
        return DiagnosisReport(checks: xero.checks + (await channelChecks()))
    }

    /// Each connected channel's own checks, in the order a fetch meets them.
    func channelChecks() async -> [DiagnosticCheck] {
        let store: Store
        do {
            store = try self.store.get()
            _ = try LMBConfig.load(home: home, environment: environment)   // the channels' checks need it readable
        } catch {
            return [.warn("amazon_credentials", "not checked: the store or configuration could not be read (see above)")]
        }
        let channels = (try? Channels.connected(store)) ?? []
        guard !channels.isEmpty else {
            return [.pass("amazon_credentials", "no Amazon selling account is connected: settlements come from lmb import (lmb amazon connect to fetch them)")]
        }
        return await channelChecks(channels)
    }

    func runXero() async -> DiagnosisReport {
        let run: DiagnosisRun
        switch openSession() {
        case .failure(let failure): return failure.report
        case .success(let opened): run = opened
        }
        run.checkTokens()
        guard !offline else {
            run.checks.append(.warn("fresh_token", "skipped (--offline)"))
            return run.report(withLastFailures: true)
        }
        guard let fresh = await run.checkFreshToken() else { return run.report(withLastFailures: true) }
        let client = run.session.client(for: run.connection)
        await run.checkConnection(client)
        if run.lastPassed { await run.checkOrganisation(client) }
        if run.lastPassed { await run.checkUser(client, freshToken: fresh) }
        run.checkScopes(freshToken: fresh)
        if run.allPassed { await run.checkCurrencies(client, home: home) }
        if run.allPassed { await run.checkMapping(client, home: home) }
        if run.allPassed { await run.checkTax(home: home) }
        await run.checkRateLimit(client)
        return run.report(withLastFailures: true)
    }

    /// Steps 1 and 2: the configuration opens a session and names a connection; the store is sound.
    func openSession() -> Result<DiagnosisRun, DiagnosisFailure> {
        let session: XeroSession
        do {
            session = try XeroSession(home: home, environment: environment, store: try store.get(), transport: transport, clock: clock)
        } catch let f as RemoteFailure {
            return .failure(DiagnosisFailure(checks: [.fail("configuration", f)]))
        } catch let e as LMBError {
            let id = e.description.contains("lmb.sqlite") ? "store" : "configuration"
            return .failure(DiagnosisFailure(checks: [.fail(id, RemoteFailure.xero(.config, e.description), fix: e.description.contains("chmod") ? "chmod 600 the file named above" : "Fix the configuration named above.")]))
        } catch {
            return .failure(DiagnosisFailure(checks: [.fail("configuration", RemoteFailure.xero(.config, "\(error)"))]))
        }
        let connection: StoredConnection
        do {
            connection = try session.store.connection(tenant: tenant)
        } catch let f as RemoteFailure {
            return .failure(DiagnosisFailure(checks: [.fail("configuration", f, fix: "Run `lmb connect --client-id <your app's client id>` and sign in as a Standard or Adviser user.")]
                                             + DiagnosisRun.storeCheck(session)))
        } catch {
            return .failure(DiagnosisFailure(checks: [.fail("configuration", RemoteFailure.xero(.config, "\(error)"))]))
        }
        let base = session.config.xeroBaseURL ?? "Xero (api.xero.com, identity.xero.com, login.xero.com)"
        let run = DiagnosisRun(session: session, connection: connection)
        run.checks.append(.pass("configuration", "client id \(connection.credential.clientID); base URL \(base); connected to \(connection.tenantName) (\(connection.tenantID))"))
        run.checks += DiagnosisRun.storeCheck(session)
        return .success(run)
    }

}
