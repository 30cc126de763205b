import Foundation
import LMBCore

/// Secrets come from the environment, or from a prompt without echo on a terminal; never from the command line,
/// where the shell's history and `ps` would keep them.
enum SecretInput {
    static let amazonClientSecret = "LMB_AMAZON_CLIENT_SECRET"
    static let amazonRefreshToken = "LMB_AMAZON_REFRESH_TOKEN"

    static func read(_ variable: String, what: String, environment: [String: String]) throws -> String {
        if let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        guard isatty(0) == 1 && isatty(2) == 1 else {
            throw AmazonFailure(.config, "no \(what): set \(variable), or run lmb on a terminal to be asked for it (lmb never takes secrets as arguments)",
                                evidence: ["\(variable) is not set and standard input is not a terminal"])
        }
        Terminal.err("\(what) (not shown as you type): ", newline: false)
        let line = withoutEcho { readLine(strippingNewline: true) }
        Terminal.err("")
        guard let value = line?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw AmazonFailure(.config, "no \(what) was entered")
        }
        return value
    }

    /// Runs `body` with the terminal's echo off, and restores it whatever happens.
    static func withoutEcho<T>(_ body: () -> T) -> T {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return body() }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer { tcsetattr(0, TCSANOW, &saved) }
        return body()
    }
}
