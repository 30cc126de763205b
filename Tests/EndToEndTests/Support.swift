import Foundation
import Testing

/// Every end-to-end suite runs inside this one, one test at a time: each starts lmb processes, and on two cores
/// running dozens at once starves them all.
@Suite("End to end", .serialized)
struct EndToEnd {}

/// Runs the built `lmb` binary, as a user or cron would.
struct LMBRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum E2E {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func fixture(_ name: String) -> String { packageRoot.appendingPathComponent("fixtures").appendingPathComponent(name).path }

    /// The binary beside this test bundle (swift test builds it, since this target depends on it).
    static let binary: URL = {
        if let explicit = ProcessInfo.processInfo.environment["LMB_BIN"] { return URL(fileURLWithPath: explicit) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("lmb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/lmb")
    }()

    static func newHome() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Runs lmb to completion on a dispatch thread: waiting on a process must never hold a thread of Swift's
    /// cooperative pool, which the in-process sandbox needs to answer.
    @discardableResult
    static func run(_ arguments: [String], home: String? = nil, environment: [String: String] = [:]) async throws -> LMBRun {
        try await offPool { try runBlocking(arguments, home: home, environment: environment) }
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try work() }) } }
    }

    static func runBlocking(_ arguments: [String], home: String? = nil, environment: [String: String] = [:]) throws -> LMBRun {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        if let home { env["LMB_HOME"] = home }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the process runs, so a large output cannot block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        return LMBRun(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    static func count(_ sql: String, home: String) async throws -> Int {
        Int(try await column(sql, home: home).first ?? "") ?? -1
    }

    /// The first column of every row a query returns, read from the store with Python's sqlite3 (not lmb's code).
    static func column(_ sql: String, home: String) async throws -> [String] {
        try await offPool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", "import sqlite3,sys; [print(r[0]) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])]",
                           home + "/lmb.sqlite", sql]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return text.split(separator: "\n").map(String.init)
        }
    }

}

/// A running `lmb`, whose output can be watched while it runs (for `lmb connect`). Waits are on the state itself —
/// output arriving, the pipes closing, the process ending — signalled through one condition, never a sleep.
final class LMBProcess: @unchecked Sendable {
    let process = Process()
    private let condition = NSCondition()
    private var out = Data()
    private var err = Data()
    private var closedPipes = 0
    private var exited = false
    private let stdin = Pipe()

    init(_ arguments: [String], home: String, environment: [String: String] = [:]) throws {
        process.executableURL = E2E.binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["LMB_HOME"] = home
        env.removeValue(forKey: "DISPLAY")
        env.removeValue(forKey: "WAYLAND_DISPLAY")
        env.merge(environment) { $1 }
        process.environment = env
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = stdin
        try process.run()
        // Plain blocking reads on threads of their own, and a thread that waits for the exit: no dispatch sources
        // (with readability handlers, libdispatch crashed in its event loop under load in one full run).
        for (pipe, toErr) in [(o, false), (e, true)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let d = handle.availableData
                    signal { me in if d.isEmpty { me.closedPipes += 1 } else if toErr { me.err.append(d) } else { me.out.append(d) } }
                    if d.isEmpty { return }
                }
            }
        }
        Thread.detachNewThread { [self] in
            process.waitUntilExit()
            signal { $0.exited = true }
        }
    }

    private func signal(_ change: (LMBProcess) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks (off the cooperative pool) until `done` holds or the deadline passes; true when it held.
    private func wait(until deadline: Date, _ done: @escaping @Sendable (LMBProcess) -> Bool) async -> Bool {
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                self.condition.lock()
                while !done(self) && self.condition.wait(until: deadline) {}
                let held = done(self)
                self.condition.unlock()
                c.resume(returning: held)
            }
        }
    }

    var stderrText: String { condition.lock(); defer { condition.unlock() }; return String(decoding: err, as: UTF8.self) }
    var stdoutText: String { condition.lock(); defer { condition.unlock() }; return String(decoding: out, as: UTF8.self) }

    /// Waits until stderr matches, returning the first match of the pattern.
    func waitForStderr(_ pattern: String, timeout: TimeInterval = 60) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        nonisolated(unsafe) var found: String?
        let matched = await wait(until: Date().addingTimeInterval(timeout)) { me in
            let text = String(decoding: me.err, as: UTF8.self)
            if let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), let r = Range(m.range, in: text) {
                found = String(text[r])
                return true
            }
            return false
        }
        guard matched, let found else { throw E2EError.timeout("stderr never matched \(pattern): \(stderrText)") }
        return found
    }

    func write(_ line: String) { stdin.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Waits for the process to end and both pipes to close, then gives its output.
    func finish(timeout: TimeInterval = 30) async throws -> LMBRun {
        let ended = await wait(until: Date().addingTimeInterval(timeout)) { $0.exited && $0.closedPipes == 2 }
        if !ended {
            process.terminate()
            throw E2EError.timeout("lmb did not finish: \(stderrText)")
        }
        return LMBRun(status: process.terminationStatus, stdout: stdoutText, stderr: stderrText)
    }
}

extension E2E {
    /// Waits for a state to hold (a file written, a row in a state), checking it every few milliseconds.
    static func waitUntil(timeout: TimeInterval = 30, _ what: String, _ holds: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await !holds() {
            guard Date() < deadline else { throw E2EError.timeout("never: \(what)") }
            await Task.yield()
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// SIGKILLs a running lmb as soon as `reached` holds (a state mid-run: an invoice in Xero, a document
    /// downloaded), or not at all if it ends first. True when the kill landed while it was still running.
    static func sigkill(_ p: LMBProcess, when what: String, _ reached: () async throws -> Bool) async throws -> Bool {
        try await waitUntil(timeout: 60, what) { try await reached() || !p.process.isRunning }
        let running = p.process.isRunning
        if running { kill(p.process.processIdentifier, SIGKILL) }
        _ = try? await p.finish(timeout: 10)
        return running
    }

    /// The port a `lmb sandbox --port-file` wrote, once it has written it.
    static func portFile(_ path: String) async throws -> String {
        var port = ""
        try await waitUntil("the sandbox writes \(path)") {
            port = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return !port.isEmpty
        }
        return port
    }
}

enum E2EError: Error { case timeout(String) }

/// An http GET that does not follow redirects, off the cooperative pool.
func rawGet(_ url: String) async throws -> (status: Int, location: String?, body: String) {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["curl", "-s", "-o", "/dev/stderr", "-w", "%{http_code} %{redirect_url}", url]
            let o = Pipe(), e = Pipe()
            p.standardOutput = o
            p.standardError = e
            do { try p.run() } catch { c.resume(throwing: error); return }
            let body = String(decoding: e.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let meta = String(decoding: o.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ", maxSplits: 1)
            p.waitUntilExit()
            c.resume(returning: (Int(meta.first ?? "0") ?? 0, meta.count > 1 ? String(meta[1]) : nil, body))
        }
    }
}
