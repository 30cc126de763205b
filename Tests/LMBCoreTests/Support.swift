import Foundation
import Testing
@testable import LMBCore

enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("fixtures")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static var sharedSamples: URL? {
        let url = shared.appendingPathComponent("samples")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
}

/// The expected summaries fixtures/make_fixtures.py wrote beside the fixtures.
struct Expected {
    nonisolated(unsafe) static let all: [String: [String: Any]] = {
        let data = try! Data(contentsOf: Paths.fixtures.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }()
    static var accepted: [String] { all.filter { ($0.value["exit"] as? Int) == 0 && $0.value["etsy"] == nil }.map(\.key).sorted() }
    static var refused: [String] { all.filter { ($0.value["exit"] as? Int) != 0 }.map(\.key).sorted() }
}

/// A fresh lmb home for one test.
func temporaryHome() throws -> LMBHome {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return LMBHome(url: url)
}

func writeTemp(_ text: String, name: String = "settlement.txt") throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-file-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}


/// Real time, for tests that talk to the in-process sandbox (which runs on the machine's clock). LMBCore has no clock
/// of its own: the executable's and the tests' are the only ones.
struct WallClock: LMBClock {
    var now: Date { Date() }
    var uptime: Double { ProcessInfo.processInfo.systemUptime }
    func sleep(seconds: Double) async throws { try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9)) }
}

extension Store {
    /// A store on real time, for tests.
    static func open(home: LMBHome) throws -> Store { try open(home: home, clock: WallClock()) }
    convenience init(path: String) throws { try self.init(path: path, clock: WallClock()) }
}
