#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The check every path argument passes before lmb opens it: a readable regular file, or a one-line refusal.
/// (Opening a FIFO would block until a writer comes; a device or a directory is never a settlement.)
public enum InputFile {
    /// For commands that take a file or a settlement id: a target that exists on disk, or is written like a
    /// path, is a file; anything else is an id.
    public static func namesFile(_ target: String) -> Bool {
        var st = stat()
        return lstat(target, &st) == 0 || target.contains("/") || [".txt", ".csv", ".tsv"].contains { target.hasSuffix($0) }
    }

    public static func check(_ path: String, displayName: String? = nil) throws(SettlementFileError) {
        let name = displayName ?? path
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            var link = stat()
            if code == ENOENT, lstat(path, &link) == 0 {
                throw SettlementFileError(.notFound, file: name, "a symbolic link to a file that does not exist")
            }
            if code == ENOENT || code == ENOTDIR { throw SettlementFileError(.notFound, file: name, "no such file") }
            if code == EACCES { throw SettlementFileError(.notFound, file: name, "permission denied") }
            throw SettlementFileError(.notFound, file: name, "cannot be read: \(String(cString: strerror(code)))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw SettlementFileError(.notFound, file: name, "a directory, not a settlement file")
        case S_IFIFO: throw SettlementFileError(.notFound, file: name, "a pipe (FIFO), not a settlement file; save the report to a file first")
        case S_IFCHR, S_IFBLK: throw SettlementFileError(.notFound, file: name, "a device, not a settlement file")
        case S_IFSOCK: throw SettlementFileError(.notFound, file: name, "a socket, not a settlement file")
        default: throw SettlementFileError(.notFound, file: name, "not a regular file")
        }
        guard access(path, R_OK) == 0 else { throw SettlementFileError(.notFound, file: name, "permission denied") }
    }
}
