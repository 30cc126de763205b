#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The few C library calls lmb makes, named once so the rest of the code reads the same on Linux and macOS.
/// (Glibc and Darwin spell `open`, `accept` and `uname` alike; Foundation shadows some names, hence these.)
enum Platform {
    static func openFile(_ path: String, _ flags: Int32, _ mode: mode_t = 0o600) -> Int32 {
        open(path, flags, mode)
    }

    /// SOCK_STREAM is an enum on Glibc and a plain constant on Darwin.
    static var streamSocketType: Int32 {
        #if canImport(Glibc)
        return Int32(SOCK_STREAM.rawValue)
        #else
        return SOCK_STREAM
        #endif
    }

    static func acceptConnection(_ fd: Int32) -> Int32 {
        accept(fd, nil, nil)
    }

    /// "Linux 6.1.0" or "Darwin 24.1.0".
    static func systemName() -> String {
        var u = utsname()
        _ = uname(&u)
        let system = withUnsafeBytes(of: &u.sysname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(system) \(release)"
    }

    static var errnoText: String { String(cString: strerror(errno)) }
}
