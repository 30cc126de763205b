import Foundation

/// The lmb home: where the store, the mapping and the configuration live.
/// `--home`, else `$LMB_HOME`, else `$XDG_DATA_HOME/lmb`, else `~/.local/share/lmb`.
public struct LMBHome: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public static func resolve(explicit: String?, environment: [String: String]) -> LMBHome {
        if let explicit, !explicit.isEmpty { return LMBHome(url: URL(fileURLWithPath: explicit)) }
        if let home = environment["LMB_HOME"], !home.isEmpty { return LMBHome(url: URL(fileURLWithPath: home)) }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return LMBHome(url: URL(fileURLWithPath: xdg).appendingPathComponent("lmb")) }
        let user = environment["HOME"] ?? NSHomeDirectory()
        return LMBHome(url: URL(fileURLWithPath: user).appendingPathComponent(".local/share/lmb"))
    }

    public var storePath: String { url.appendingPathComponent("lmb.sqlite").path }
    public var mappingPath: String { url.appendingPathComponent(Mapping.fileName).path }

    /// Creates the home folder (0700) when missing.
    public func ensureExists() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw LMBError.config("\(url.path) is not a folder") }
            return
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Refuses a secret-bearing file that group or others can read, the way ssh refuses a loose key.
    public static func checkPrivate(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        if st.st_mode & 0o077 != 0 {
            throw LMBError.config("\(path) can be read by other users (mode \(String(st.st_mode & 0o777, radix: 8))); it holds tokens and books. Fix it with: chmod 600 '\(path)'")
        }
    }
}
