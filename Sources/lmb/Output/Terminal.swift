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
