import ArgumentParser
import Foundation
import LMBCore

@main
struct LMB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmb",
        abstract: "Fetch marketplace settlements from Amazon, send them to Xero, and find out why either refuses.",
        discussion: """
        lmb turns each settlement report (Amazon Flat File V2 or V1, fetched from Amazon's Selling Partner API or imported from a file, or an \
        Etsy monthly statement's payouts) into one Xero invoice, or a bill when the settlement is negative, whose total equals the bank deposit. \
        For cron: `lmb sync`.

        Exit codes (the same for every command, in text and --json alike):
        \(ExitStatus.table)
        """,
        version: LMBVersion.description,
        subcommands: [Import.self, Settlements.self, Preview.self, Send.self, Fetch.self, Sync.self, Diagnose.self, Connect.self, Disconnect.self,
                      Reconnect.self, Status.self, AmazonCommand.self, MappingCommand.self, Report.self, Log.self, Sandbox.self]
    )
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The lmb home (store, mapping, config). Default: $LMB_HOME, else $XDG_DATA_HOME/lmb.", valueName: "dir"))
    var home: String?

    @Flag(name: .long, help: "Print JSON a script can read, instead of text.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only failures.")
    var quiet = false

    @Flag(name: .long, help: "Trace every HTTP exchange on stderr: method, host and path, status, duration, correlation and rate-limit headers (never a token or secret). Also LMB_LOG=debug.")
    var verbose = false

    @Flag(name: .long, help: "With --verbose: also print request and answer bodies (never those of token requests).")
    var traceBodies = false

    /// The outside world for this run, built in the one place that reads it.
    var context: CommandContext { CommandContext(global: self, environment: ProcessInfo.processInfo.environment) }
}

/// Which connected Xero organisation a command works with.
struct TenantOption: ParsableArguments {
    @Option(help: ArgumentHelp("The connected organisation, by name or tenant id (default: the default one).", valueName: "name|id"))
    var tenant: String?
}

/// What a command may touch of the world — environment, home, clock, output mode — as one value, so that the
/// commands read nothing global and a test can build its own.
struct CommandContext: Sendable {
    let environment: [String: String]
    let home: LMBHome
    let json: Bool
    let quiet: Bool
    /// --verbose or LMB_LOG=debug: every HTTP exchange traced on stderr.
    let verbose: Bool
    let traceBodies: Bool
    let now: @Sendable () -> Date
    /// The store, opened once per run however many steps ask for it (each open checks the file's mode and runs the
    /// migrator). Copies of the context share it.
    private let opened = OpenedStore()

    final class OpenedStore: @unchecked Sendable {
        private let lock = NSLock()
        private var store: Store?

        func store(_ open: () throws -> Store) throws -> Store {
            lock.lock(); defer { lock.unlock() }
            if let store { return store }
            let s = try open()
            store = s
            return s
        }
    }

    init(global: GlobalOptions, environment: [String: String], now: @escaping @Sendable () -> Date = { Date() }) {
        self.environment = environment
        self.home = LMBHome.resolve(explicit: global.home, environment: environment)
        self.json = global.json
        self.quiet = global.quiet
        self.verbose = global.verbose || environment["LMB_LOG"]?.lowercased() == "debug"
        self.traceBodies = global.traceBodies
        self.now = now
    }

    /// Text for a person: not under --json or --quiet.
    var talks: Bool { !json && !quiet }

    func mapping() throws -> Mapping { try Mapping.load(home: home.url) }
    func store() throws -> Store { try opened.store { try Store.open(home: home) } }
    func session() throws -> XeroSession {
        try XeroSession(home: home, environment: environment, store: try store(), transport: traced(try config().transport()))
    }
    func config() throws -> LMBConfig { try LMBConfig.load(home: home, environment: environment) }

    /// Amazon's hosts for a region, or LMB_AMAZON_BASE_URL (the sandbox) for every region.
    var amazonEndpoints: @Sendable (AmazonRegion) throws -> AmazonEndpoints {
        let environment = self.environment
        return { try AmazonEndpoints.resolve(region: $0, environment: environment) }
    }

    /// A Reports API client for one selling account, paced by config.json's `amazon` section.
    func amazonClient(_ credentials: AmazonCredentials) throws -> AmazonReportsClient {
        let config = try config()
        return AmazonReportsClient(credentials: try credentials.validated(), endpoints: try amazonEndpoints(credentials.region),
                                   transport: try amazonTransport(config), pacing: try (config.amazon ?? AmazonSettings()).pacing())
    }

    /// The transport for Amazon: the configured one, traced under --verbose (the tracer never shows a token or secret).
    func amazonTransport(_ config: LMBConfig) throws -> any HTTPTransport {
        let transport = config.transport()
        return traced(transport) ?? transport
    }

    /// The transport, wrapped so `--verbose` shows each exchange; nil when not tracing (the session's own then).
    func traced(_ transport: any HTTPTransport) -> (any HTTPTransport)? {
        guard verbose else { return nil }
        return TracingTransport(transport, traceBodies: traceBodies, write: { Terminal.err($0) })
    }

    /// Tells the webhook (when configured) how an unattended run went. Never changes the exit status.
    func notify(_ summary: RunSummary) async {
        do {
            guard let settings = try NotifySettings.resolve(config: try config(), environment: environment) else { return }
            let store = try? self.store()
            let secrets = ((try? store?.storedTokens()) ?? []) + ((try? store?.amazonSecrets()) ?? [])
            if let problem = await Notifier(settings: settings).notify(summary, home: home.url.path, secrets: secrets) {
                Terminal.err("lmb: note: the failure notification was not delivered: \(problem)")
                try? store?.recordEvent(kind: "notify", message: "not delivered: \(problem)")
            } else if settings.always || !summary.failures.isEmpty {
                try? store?.recordEvent(kind: "notify", message: "notified \(settings.url.host ?? "the webhook") (exit \(summary.exitStatus.rawValue))")
            }
        } catch {
            Terminal.err("lmb: note: no failure notification: \(error)")
        }
    }

    /// Seconds `lmb send` waits for another send's lock (LMB_LOCK_WAIT, default 10).
    var lockWait: TimeInterval { environment["LMB_LOCK_WAIT"].flatMap(Double.init) ?? 10 }
    /// Documents per request (LMB_BATCH_SIZE, 1–50), for testing batching.
    var batchSize: Int? { environment["LMB_BATCH_SIZE"].flatMap(Int.init).flatMap { (1...50).contains($0) ? $0 : nil } }
    /// Bytes per request body (LMB_MAX_BODY_BYTES, never above Xero's 3.5 MB), for testing batching by size.
    var maxBodyBytes: Int? { environment["LMB_MAX_BODY_BYTES"].flatMap(Int.init).map { min($0, Sender.xeroMaxBodyBytes) } }
    var canOpenBrowser: Bool {
        (environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil) && environment["LMB_NO_BROWSER"] == nil
    }
}

/// Runs a command body, turning lmb's errors into a message on stderr and the right exit code.
func runReporting(_ body: () throws -> ExitStatus) throws {
    let status: ExitStatus
    do {
        status = try body()
    } catch {
        status = try report(error)
    }
    if status != .ok { throw ExitCode(status.rawValue) }
}

func runReportingAsync(_ body: () async throws -> ExitStatus) async throws {
    let status: ExitStatus
    do {
        status = try await body()
    } catch {
        status = try report(error)
    }
    if status != .ok { throw ExitCode(status.rawValue) }
}

/// Prints an error the way a person and a script both need it, and gives its exit status.
func report(_ error: any Error) throws -> ExitStatus {
    switch error {
    case let error as XeroFailure:
        Terminal.error(error.description)
        return error.classification.exitStatus
    case let error as AmazonFailure:
        Terminal.err(Render.amazonFailure(account: nil, report: nil, error))
        return error.exitStatus
    case let error as SettlementFileError:
        Terminal.error(error.description)
        return error.exitStatus
    case let error as LMBError:
        Terminal.error(error.description)
        return error.exitStatus
    case let error as MappingError:
        Terminal.error(error.description)
        return .config
    case let error as ExitCode:
        throw error
    default:
        Terminal.error("\(error)")
        return .ioError
    }
}
