import ArgumentParser
import Foundation
import LMBCore

@main
struct LMB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmb",
        abstract: "Send marketplace settlements to Xero, and find out why Xero refuses them.",
        discussion: """
        lmb turns each settlement report (Amazon Flat File V2 or V1, or an Etsy monthly statement's payouts) into one Xero invoice, or a bill when \
        the settlement is negative, whose total equals the bank deposit.

        Exit codes: 0 ok, 64 usage, 65 bad input data, 66 file not found, 74 I/O error, 75 temporary \
        (cron may retry), 77 a person must act (permission or stale connection), 78 configuration.
        """,
        version: LMBVersion.current,
        subcommands: [Import.self, Settlements.self, Preview.self, Send.self, Diagnose.self, Connect.self, Disconnect.self, Reconnect.self, Status.self,
                      MappingCommand.self, Sandbox.self]
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

    var lmbHome: LMBHome { LMBHome.resolve(explicit: home) }
}

/// Runs a command body, turning lmb's errors into a message on stderr and the right exit code.
func runReporting(_ body: () throws -> Int32) throws {
    let code: Int32
    do {
        code = try body()
    } catch {
        code = try report(error)
    }
    if code != 0 { throw ExitCode(code) }
}

func runReportingAsync(_ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
    } catch {
        code = try report(error)
    }
    if code != 0 { throw ExitCode(code) }
}

/// Prints an error the way a person and a script both need it, and gives its exit code.
func report(_ error: any Error) throws -> Int32 {
    let code: Int32
    do {
        throw error
    } catch let error as XeroFailure {
        Terminal.error(error.description)
        code = error.exitCode
    } catch let error as SettlementFileError {
        Terminal.error(error.description)
        code = error.kind == .notFound ? 66 : 65
    } catch let error as LMBError {
        Terminal.error(error.description)
        code = error.exitCode
    } catch let error as MappingError {
        Terminal.error(error.description)
        code = 78
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.error("\(error)")
        code = 74
    }
    return code
}
