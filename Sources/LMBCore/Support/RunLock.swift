import Foundation

/// What one run may do alone: fetch from one selling account, send to one organisation. An flock on a file in the
/// home's `locks/` folder, released by the kernel even after `kill -9`. Two runs (or two tasks of one run) that work
/// on different accounts or organisations never wait for each other; two that want the same one do.
public final class RunLock {
    public enum Purpose: String, Sendable {
        case send, fetch

        var nothingDone: String { self == .send ? "nothing was sent" : "nothing was fetched" }
    }

    private let fd: Int32

    /// Waits up to `wait` seconds for the lock, then fails with a temporary error (exit 75: cron retries later).
    /// `scope` names the part: an organisation's tenant id for a send, a selling account's label for a fetch.
    public init(home: LMBHome, purpose: Purpose, scope: String, wait: TimeInterval, clock: any LMBClock) throws {
        let path = try Self.path(home: home, name: "\(purpose.rawValue)-\(Self.fileName(scope))")
        let fd = Platform.openFile(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LMBError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        let deadline = clock.uptime + wait
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard clock.uptime < deadline else {
                close(fd)
                let what = purpose == .send ? "to the organisation \(scope)" : "from \(scope)"
                throw LMBError.temporary("another lmb \(purpose.rawValue) is running for \(home.url.path) (\(what)); \(purpose.nothingDone) \(what). Try again when it has finished (cron: exit 75 means retry later)")
            }
            usleep(50_000)
        }
        self.fd = fd
    }

    /// The lock file's path, its folder created 0700 on first use.
    static func path(home: LMBHome, name: String) throws -> String {
        try home.ensureExists()
        let dir = home.url.appendingPathComponent("locks").path
        if !FileManager.default.fileExists(atPath: dir) {
            guard mkdir(dir, 0o700) == 0 || errno == EEXIST else {
                throw LMBError.io("cannot create \(dir): \(String(cString: strerror(errno)))")
            }
        }
        return dir + "/" + name + ".lock"
    }

    /// A file name for any label: letters, digits, '-' and '.' kept, anything else as _XX (so two labels never share
    /// a lock file).
    static func fileName(_ scope: String) -> String {
        var out = ""
        for b in scope.utf8 {
            let c = Character(UnicodeScalar(b))
            if (c.isASCII && (c.isLetter || c.isNumber)) || c == "-" || c == "." { out.append(c) } else { out += String(format: "_%02X", b) }
        }
        return out.isEmpty ? "_" : out
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// An flock held while a block runs, blocking the calling thread: for the token renewal of one credential, which must
/// not race another renewal of the same refresh token in this process or another, and must not hold SQLite's single
/// writer across a call to the token endpoint.
public enum FileLock {
    public static func withLock<T>(home: LMBHome, name: String, _ body: () throws -> T) throws -> T {
        let path = try RunLock.path(home: home, name: name)
        let fd = Platform.openFile(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LMBError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw LMBError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
