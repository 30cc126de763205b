import Foundation

/// Xero's app-wide limit (10,000 calls a minute across every organisation the app is connected to), shared by the
/// clients of one run that work on many organisations at once. Each answer's X-AppMinLimit-Remaining is kept; with
/// fewer calls left than clients that may be calling at once, callers wait for the next minute instead of collecting
/// 429s that would stop every organisation at the same moment. The per-organisation limits stay each client's own.
public actor XeroAppGate {
    let clock: any LMBClock
    /// Calls left this minute for the whole app, from the latest answer that said.
    public private(set) var appRemaining: Int?
    /// Below this many calls left, wait for the next minute.
    let reserve: Int
    public private(set) var waits = 0

    public init(clock: any LMBClock, reserve: Int = 20) {
        self.clock = clock
        self.reserve = reserve
    }

    /// Before a call: wait for the next minute when the app has almost none left.
    public func pace(onWait: (@Sendable (Double, String) -> Void)?) async throws {
        guard let remaining = appRemaining, remaining < reserve else { return }
        let seconds = 61 - Double(Int(clock.now.timeIntervalSince1970) % 60)
        waits += 1
        onWait?(seconds, "Xero allows this app \(remaining) more call(s) this minute across all organisations")
        appRemaining = nil
        try await clock.sleep(seconds: seconds)
    }

    /// After an answer: what Xero says is left for the app.
    public func observe(_ r: HTTPResponse) {
        if r.status != 429, let n = r.header("x-appminlimit-remaining").flatMap(Int.init) { appRemaining = n }
    }
}
