import Foundation
import LMBCore

/// The machine's clocks: the one place lmb reads the time. The run context hands it to everything in LMBCore.
struct SystemClock: LMBClock {
    var now: Date { Date() }
    var uptime: Double { ProcessInfo.processInfo.systemUptime }
    func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}
