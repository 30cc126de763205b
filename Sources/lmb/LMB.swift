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
                      Reconnect.self, Status.self, AmazonCommand.self, ShopifyCommand.self, EbayCommand.self, MappingCommand.self, TaxCommand.self, Setup.self, Report.self, Log.self, Sandbox.self,
                      Rollback.self, CostsCommand.self, Clients.self]
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

    /// The outside world for this run, built once, in the one place that reads the process's environment, the
    /// terminal and the clock: each command's `run()` builds it and forwards to `run(_ ctx:)`.
    func makeContext() -> RunContext {
        let environment = ProcessInfo.processInfo.environment
        let verbose = self.verbose || environment["LMB_LOG"]?.lowercased() == "debug"
        let traceBodies = self.traceBodies
        let clock = SystemClock()
        let output = Output(json: json, quiet: quiet, stdoutIsTTY: isatty(1) == 1, stderrIsTTY: Terminal.stderrIsTTY,
                            out: { Terminal.out($0) }, err: { Terminal.err($0) },
                            progress: { label in Terminal.stderrIsTTY ? ProgressBar(label: label) : nil },
                            board: { label -> (any ClientBoard)? in Terminal.stderrIsTTY ? TerminalClientBoard(label: label) : PipeClientBoard(label: label) })
        return RunContext(environment: environment, home: LMBHome.resolve(explicit: home, environment: environment), clock: clock,
                          output: output, prompter: TerminalPrompter(environment: environment),
                          transport: { config in
                              let curl = config.transport()
                              return verbose ? TracingTransport(curl, clock: clock, traceBodies: traceBodies, write: { Terminal.err($0) }) : curl
                          })
    }
}

/// Which connected Xero organisation a command works with.
struct TenantOption: ParsableArguments {
    @Option(help: ArgumentHelp("The connected organisation, by name or tenant id (default: the default one).", valueName: "name|id"))
    var tenant: String?
}

/// A command whose body runs on a context built once per run (swiftly's shape): the plain `run()` builds the default
/// context from the options and forwards, so a test can hand `run(_ ctx:)` a context of its own.
protocol ContextCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(_ ctx: RunContext) throws
}

extension ContextCommand {
    func run() throws { try run(global.makeContext()) }
}

/// The same for commands that talk to Xero or Amazon.
protocol AsyncContextCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
    func run(_ ctx: RunContext) async throws
}

extension AsyncContextCommand {
    func run() async throws { try await run(global.makeContext()) }
}

/// Commands speak of the run's context by its old name.
typealias CommandContext = RunContext

extension RunContext {
    var json: Bool { output.json }
    var quiet: Bool { output.quiet }
    /// Text for a person: not under --json or --quiet.
    var talks: Bool { output.talks }
    func session() throws -> XeroSession { try xeroSession() }
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
    case let error as RemoteFailure where error.provider == .xero:
        Terminal.error(error.description)
        return error.exitStatus
    case let error as RemoteFailure:
        Terminal.err(Render.failure(error, subject: nil))
        return error.exitStatus
    case let error as StoreError:
        Terminal.error(error.description)
        return .ioError
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
