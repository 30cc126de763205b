/// Errors of lmb's own, each with the exit code a script acts on (sysexits, as design.md lists).
public enum LMBError: Error, CustomStringConvertible, Equatable {
    case usage(String)
    case data(String)
    case notFound(String)
    case config(String)
    case temporary(String)
    case io(String)

    public var description: String {
        switch self {
        case .usage(let m), .data(let m), .notFound(let m), .config(let m), .temporary(let m), .io(let m): return m
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .usage: return .usage
        case .data: return .dataError
        case .notFound: return .noInput
        case .config: return .config
        case .temporary: return .temporary
        case .io: return .ioError
        }
    }

    public var exitCode: Int32 { exitStatus.rawValue }
}
