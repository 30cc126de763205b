import Foundation

/// Where a run's words go and how: results on stdout, notes on stderr, JSON or text, terminals or pipes.
public struct Output: Sendable {
    public var json: Bool
    public var quiet: Bool
    public var stdoutIsTTY: Bool
    public var stderrIsTTY: Bool
    public var out: @Sendable (String) -> Void
    public var err: @Sendable (String) -> Void
    /// A progress display for a long step (a bar on a TTY); nil: none.
    public var progress: @Sendable (String) -> (any ProgressDisplay)?
    /// The display of a run over several clients (a line per running client on a TTY); nil: none.
    public var board: @Sendable (String) -> (any ClientBoard)?

    public init(json: Bool, quiet: Bool, stdoutIsTTY: Bool, stderrIsTTY: Bool, out: @escaping @Sendable (String) -> Void,
                err: @escaping @Sendable (String) -> Void, progress: @escaping @Sendable (String) -> (any ProgressDisplay)? = { _ in nil },
                board: @escaping @Sendable (String) -> (any ClientBoard)? = { _ in nil }) {
        self.json = json
        self.quiet = quiet
        self.stdoutIsTTY = stdoutIsTTY
        self.stderrIsTTY = stderrIsTTY
        self.out = out
        self.err = err
        self.progress = progress
        self.board = board
    }

    /// Text for a person: not under --json or --quiet.
    public var talks: Bool { !json && !quiet }

    /// A note on stderr when the run talks.
    public func note(_ line: String) { if talks { err(line) } }
}

/// A progress bar, or whatever the terminal shows instead.
public protocol ProgressDisplay: Sendable {
    func update(_ done: Int, _ total: Int)
    /// Wipes the display so a line can be printed.
    func clear()
    func finish()
}

/// How a run asks a person: a line, a secret without echo, a browser. Tests answer from a script.
public protocol Prompter: Sendable {
    /// Both standard input and standard error are terminals: someone can be asked.
    var interactive: Bool { get }
    func line(_ prompt: String) -> String?
    func secret(_ prompt: String) -> String?
    /// Opens an address in a browser where a desktop is available; does nothing elsewhere.
    func openBrowser(_ url: URL)
}

/// Nobody to ask: cron, a pipe, a test.
public struct NoPrompter: Prompter {
    public init() {}
    public var interactive: Bool { false }
    public func line(_ prompt: String) -> String? { nil }
    public func secret(_ prompt: String) -> String? { nil }
    public func openBrowser(_ url: URL) {}
}

/// The outside world for one run, built once: the environment, the home, the clock, output, prompts, the HTTP
/// transport and the store (opened once, on first use, however many steps ask for it). Nothing in the flows reads
/// the process environment, the time or the terminal except through this.
public final class RunContext: Sendable, CustomReflectable {
    public let environment: [String: String]
    public let home: LMBHome
    public let clock: any LMBClock
    public let output: Output
    public let prompter: any Prompter
    /// The transport for a configuration (libcurl with its timeouts; traced under --verbose; a fake in tests).
    public let makeTransport: @Sendable (LMBConfig) -> any HTTPTransport
    private let opened = OpenedStore()

    /// The environment may hold secrets (LMB_XERO_CLIENT_SECRET, LMB_AMAZON_REFRESH_TOKEN): a dump shows its names only.
    public var customMirror: Mirror { Mirror(self, children: ["home": home.url.path, "environment": environment.keys.sorted()]) }

    public init(environment: [String: String], home: LMBHome, clock: any LMBClock, output: Output, prompter: any Prompter = NoPrompter(),
                transport: @escaping @Sendable (LMBConfig) -> any HTTPTransport) {
        self.environment = environment
        self.home = home
        self.clock = clock
        self.output = output
        self.prompter = prompter
        self.makeTransport = transport
    }

    /// The store, opened on first use; every later call gives the same one.
    public func store() throws -> Store {
        try opened.store { try Store.open(home: home, clock: clock) }
    }

    /// The store when this home has one; nil without creating it (preview and mapping explain of a file).
    public func existingStore() throws -> Store? {
        FileManager.default.fileExists(atPath: home.storePath) ? try store() : nil
    }

    public func config() throws -> LMBConfig { try LMBConfig.load(home: home, environment: environment) }

    public func mapping() throws -> Mapping { try Mapping.load(home: home.url) }

    public func transport() throws -> any HTTPTransport { makeTransport(try config()) }

    public func xeroSession() throws -> XeroSession {
        let config = try config()
        return try XeroSession(home: home, environment: environment, store: try store(), transport: makeTransport(config), clock: clock)
    }

    /// What a channel may use during a fetch or a diagnosis; `log` gets its progress lines.
    public func channelEnvironment(log: @escaping @Sendable (String) -> Void = { _ in }) throws -> ChannelEnvironment {
        let config = try config()
        return ChannelEnvironment(store: try store(), home: home, transport: makeTransport(config), clock: clock,
                                  environment: environment, config: config, log: log)
    }

    /// Clients (selling accounts, organisations) worked on at once: `--jobs`, else config.json's "jobs", else 8.
    public func jobs(_ option: Int?) -> Int {
        if let option { return max(1, option) }
        return (try? config().effectiveJobs) ?? LMBConfig.defaultJobs
    }

    /// Seconds a send or fetch waits for another run's lock (LMB_LOCK_WAIT, default 10).
    public var lockWait: TimeInterval { environment["LMB_LOCK_WAIT"].flatMap(Double.init) ?? 10 }
    /// Documents per request (LMB_BATCH_SIZE, 1–50), for testing batching.
    public var batchSize: Int? { environment["LMB_BATCH_SIZE"].flatMap(Int.init).flatMap { (1...50).contains($0) ? $0 : nil } }
    /// Bytes per request body (LMB_MAX_BODY_BYTES, never above Xero's 3.5 MB), for testing batching by size.
    public var maxBodyBytes: Int? { environment["LMB_MAX_BODY_BYTES"].flatMap(Int.init).map { min($0, Sender.xeroMaxBodyBytes) } }

    /// Tells the webhook (when configured) how an unattended run went. Never changes the exit status.
    public func notify(_ summary: RunSummary) async {
        do {
            guard let settings = try NotifySettings.resolve(config: try config(), environment: environment) else { return }
            let store = try? self.store()
            let secrets = ((try? store?.storedTokens()) ?? []) + ((try? store?.amazonSecrets()) ?? []) + ((try? store?.channelSecrets()) ?? [])
            if let problem = await Notifier(settings: settings).notify(summary, home: home.url.path, secrets: secrets) {
                output.err("lmb: note: the failure notification was not delivered: \(problem)")
                try? store?.recordEvent(kind: .notify, message: "not delivered: \(problem)")
            } else if settings.always || !summary.failures.isEmpty {
                try? store?.recordEvent(kind: .notify, message: "notified \(settings.url.host ?? "the webhook") (exit \(summary.exitStatus.rawValue))")
            }
        } catch {
            output.err("lmb: note: no failure notification: \(error)")
        }
    }
}

/// The store a run opened, shared by every copy of the context.
final class OpenedStore: @unchecked Sendable {
    // @unchecked: `store` is read and written only under `lock`.
    private let lock = NSLock()
    private var store: Store?

    func store(_ open: () throws -> Store) throws -> Store {
        try lock.withLock {
            if let store { return store }
            let s = try open()
            store = s
            return s
        }
    }
}
