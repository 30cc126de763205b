import Foundation

extension Store {
    /// Writes a file readable by its owner only, atomically (temp file, then rename).
    public static func writePrivateFile(_ path: String, _ data: Data) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = Platform.openFile(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LMBError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        fsync(fd)
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw LMBError.io("cannot write \(path)")
        }
    }
}
