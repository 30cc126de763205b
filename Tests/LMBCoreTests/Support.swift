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

/// A random number generator whose seed a failing test prints, and `LMB_TEST_SEED` replays.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    let seed: UInt64

    init(_ test: String) {
        seed = ProcessInfo.processInfo.environment["LMB_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max >> 1)
        state = seed
        print("\(test): random seed \(seed) (replay with LMB_TEST_SEED=\(seed))")
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
