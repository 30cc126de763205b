/// The one exit-code policy (sysexits), used by every command in text and `--json` alike.
/// README, design.md and `lmb --help` list the same codes.
public enum ExitStatus: Int32, Sendable, CaseIterable, Comparable, Codable {
    case ok = 0
    /// A command used wrongly, including a settlement id that was never imported.
    case usage = 64
    /// The input data: a settlement that does not parse, does not add up or needs mapping; a document refused.
    case dataError = 65
    /// A file that does not exist or is not a readable regular file.
    case noInput = 66
    /// Reading or writing failed on this machine.
    case ioError = 74
    /// Temporary: rate limit, offline, unavailable, network. Only what can succeed later; cron may retry.
    case temporary = 75
    /// A person must act: permission, a stale connection, a missing scope or role.
    case mustAct = 77
    /// Configuration missing or wrong.
    case config = 78

    /// Which of two outcomes a run reports: a person's action outranks configuration, which outranks a retry, …
    public var severity: Int {
        switch self {
        case .ok: return 0
        case .temporary: return 1
        case .dataError: return 2
        case .noInput: return 3
        case .ioError: return 4
        case .usage: return 5
        case .config: return 6
        case .mustAct: return 7
        }
    }

    public static func < (a: ExitStatus, b: ExitStatus) -> Bool { a.severity < b.severity }

    /// The worst of several outcomes: the exit code of a run that did many things.
    public static func worst<S: Sequence>(_ all: S) -> ExitStatus where S.Element == ExitStatus {
        all.max() ?? .ok
    }

    public var meaning: String {
        switch self {
        case .ok: return "everything asked was done"
        case .usage: return "usage: a wrong argument, or a settlement id that was never imported"
        case .dataError: return "the data: a file that does not parse or add up, a settlement needing mapping, a document refused"
        case .noInput: return "a file that does not exist or is not a readable regular file"
        case .ioError: return "reading or writing on this machine failed"
        case .temporary: return "temporary (rate limit, offline, unavailable, network): cron may retry"
        case .mustAct: return "a person must act (permission, stale connection, scope, role): see the runbook printed"
        case .config: return "configuration missing (not connected, no client id, …)"
        }
    }

    /// The table `--help`, the README and design.md show.
    public static var table: String {
        allCases.map { ($0.rawValue < 10 ? "   " : "  ") + "\($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}
