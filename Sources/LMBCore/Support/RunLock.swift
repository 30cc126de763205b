import Foundation

/// One `lmb send`, and one `lmb fetch`, at a time per home: an flock on `send.lock` or `fetch.lock`, released by the
/// kernel even after `kill -9`.
public final class RunLock {
    public enum Purpose: String, Sendable {
        case send, fetch

        var nothingDone: String { self == .send ? "nothing was sent" : "nothing was fetched" }
    }

    private let fd: Int32

    /// Waits up to `wait` seconds for the lock, then fails with a temporary error (exit 75: cron retries later).
    public init(home: LMBHome, purpose: Purpose, wait: TimeInterval, clock: any LMBClock) throws {
        try home.ensureExists()
        let path = home.url.appendingPathComponent("\(purpose.rawValue).lock").path
        let fd = Platform.openFile(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LMBError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        let deadline = clock.uptime + wait
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard clock.uptime < deadline else {
                close(fd)
                throw LMBError.temporary("another lmb \(purpose.rawValue) is running for \(home.url.path); \(purpose.nothingDone). Try again when it has finished (cron: exit 75 means retry later)")
            }
            usleep(100_000)
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
