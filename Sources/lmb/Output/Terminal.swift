import Foundation
import LMBCore

/// Where lmb's words go: results to stdout, diagnostics to stderr (Swift 6 has no Glibc `stderr` global).
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func err(_ text: String, newline: Bool = true) {
        FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
    }

    static func error(_ message: String) { err("lmb: error: \(message)") }

    static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// Left-aligned text columns, the last column right-aligned when it holds amounts.
    static func table(_ rows: [[String]], rightAlign: Set<Int> = []) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAlign.contains(i) ? pad + cell : (i == row.count - 1 ? cell : cell + pad)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// A one-line progress bar on a TTY; nothing at all on a pipe.
final class ProgressBar: ProgressDisplay, @unchecked Sendable {
    // @unchecked: `lastPercent` is read and written only under `lock`.
    private let label: String
    private var lastPercent = -1
    private let enabled: Bool
    private let lock = NSLock()

    init(label: String, enabled: Bool = Terminal.stderrIsTTY) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        let percent = min(100, done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent / 5
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Wipes the bar so a line can be printed; the next update draws it again.
    func clear() {
        lock.lock(); defer { lock.unlock() }
        guard enabled, lastPercent >= 0 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        lastPercent = -1
    }
}

/// A run over several clients on a terminal: one line per running client under a header, redrawn in place as clients
/// start, say what they do and finish; a finished client's line is printed once above the board and leaves it.
final class TerminalClientBoard: ClientBoard, @unchecked Sendable {
    // @unchecked: `running`, `drawn` and `done` are read and written only under `lock`.
    private let label: String
    private let lock = NSLock()
    private var running: [(name: String, text: String)] = []
    private var drawn = 0
    private var done = 0

    init(label: String) { self.label = label }

    func started(_ client: String) {
        lock.withLock {
            running.append((client, "…"))
            redraw()
        }
    }

    func update(_ client: String, _ text: String) {
        lock.withLock {
            if let i = running.firstIndex(where: { $0.name == client }) { running[i].text = text }
            redraw()
        }
    }

    func finished(_ client: String, _ line: String) {
        lock.withLock {
            running.removeAll { $0.name == client }
            done += 1
            wipe()
            FileHandle.standardError.write(Data("\(client): \(line)\n".utf8))
            redraw()
        }
    }

    func finish() {
        lock.withLock { wipe() }
    }

    /// Removes the board's lines (under `lock`).
    private func wipe() {
        guard drawn > 0 else { return }
        var s = ""
        for _ in 0..<drawn { s += "\u{1B}[1A\r\u{1B}[K" }
        FileHandle.standardError.write(Data(s.utf8))
        drawn = 0
    }

    /// Draws a header and a line per running client (under `lock`).
    private func redraw() {
        wipe()
        guard !running.isEmpty else { return }
        var lines = ["\(label): \(running.count) running, \(done) done"]
        lines += running.map { "  \($0.name): \($0.text)" }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        drawn = lines.count
    }
}

/// A run over several clients on a pipe (cron's mail, a log): one line per finished client, nothing redrawn.
struct PipeClientBoard: ClientBoard {
    let label: String
    func started(_ client: String) {}
    func update(_ client: String, _ text: String) {}
    func finished(_ client: String, _ line: String) { Terminal.err("lmb: \(label) \(client): \(line)") }
    func finish() {}
}
