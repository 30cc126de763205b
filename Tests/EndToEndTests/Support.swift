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

/// A running `lmb`, whose output can be watched while it runs (for `lmb connect`).
final class LMBProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
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
        o.fileHandleForReading.readabilityHandler = { [weak self] h in let d = h.availableData; self?.append(d, toErr: false) }
        e.fileHandleForReading.readabilityHandler = { [weak self] h in let d = h.availableData; self?.append(d, toErr: true) }
        try process.run()
    }

    private func append(_ d: Data, toErr: Bool) {
        lock.lock(); defer { lock.unlock() }
        if toErr { err.append(d) } else { out.append(d) }
    }

    var stderrText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }
    var stdoutText: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }

    /// Waits until stderr matches, returning the first match of the pattern.
    func waitForStderr(_ pattern: String, timeout: TimeInterval = 60) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = stderrText
            if let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), let r = Range(m.range, in: text) {
                return String(text[r])
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw E2EError.timeout("stderr never matched \(pattern): \(stderrText)")
    }

    func write(_ line: String) { stdin.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    func finish(timeout: TimeInterval = 30) async throws -> LMBRun {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { process.terminate(); throw E2EError.timeout("lmb did not finish: \(stderrText)") }
        try await Task.sleep(nanoseconds: 100_000_000)   // let the pipes drain
        return LMBRun(status: process.terminationStatus, stdout: stdoutText, stderr: stderrText)
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
