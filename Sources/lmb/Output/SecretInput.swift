import Foundation
import LMBCore

/// The terminal without echo, for secrets typed at a prompt.
enum SecretInput {
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

/// A person at a terminal: lines read from standard input, secrets without echo, a browser where a desktop runs.
struct TerminalPrompter: Prompter {
    let environment: [String: String]

    var interactive: Bool { isatty(0) == 1 && isatty(2) == 1 }

    func line(_ prompt: String) -> String? {
        Terminal.err(prompt + " ", newline: false)
        return readLine(strippingNewline: true)
    }

    func secret(_ prompt: String) -> String? {
        Terminal.err(prompt + " ", newline: false)
        let line = SecretInput.withoutEcho { readLine(strippingNewline: true) }
        Terminal.err("")
        return line
    }

    func openBrowser(_ url: URL) {
        guard (environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil) && environment["LMB_NO_BROWSER"] == nil else { return }
        for opener in ["/usr/bin/xdg-open", "/usr/bin/open"] where FileManager.default.isExecutableFile(atPath: opener) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: opener)
            p.arguments = [url.absoluteString]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try? p.run()
            return
        }
    }
}
