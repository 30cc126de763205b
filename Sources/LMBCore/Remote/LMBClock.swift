import Foundation

/// Time, as lmb sees it: the wall clock (dates written to the store, token expiries, the 60- and 90-day windows), a
/// clock that never goes back (pacing), and waiting. The one seam tests replace so that nothing really waits and
/// every date is chosen; nothing else in LMBCore reads the time.
public protocol LMBClock: Sendable {
    /// The wall-clock time.
    var now: Date { get }
    /// Seconds on a clock that never goes back (its origin does not matter).
    var uptime: Double { get }
    func sleep(seconds: Double) async throws
}
