#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line in fixed-size chunks, handing out each line as bytes (without `\n`/`\r\n`).
/// Memory is the chunk plus the longest line, whatever the file's size.
public struct LineReader: ~Copyable {
    public static let defaultMaxLineBytes = 1 << 20  // 1 MiB: no settlement row is anywhere near it

    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0      // first unread byte in buffer
    private var end = 0        // one past the last filled byte
    private var eof = false
    public private(set) var lineNumber = 0
    public private(set) var bytesConsumed = 0
    public let maxLineBytes: Int
    /// Sees every byte of the file once, as read (for hashing the file's content).
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?

    public enum Failure: Error, Equatable, Sendable {
        case cannotOpen(String, Int32)
        case readFailed(Int32)
        case lineTooLong(line: Int, limit: Int)
    }

    public init(path: String, chunkSize: Int = 1 << 20, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path, errno) }
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunkSize, 4096), alignment: 16)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Calls `body` with the next line, or returns false at end of file. The bytes are valid only inside `body`.
    public mutating func nextLine<R>(_ body: (_ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ bytesConsumed: Int) throws -> R) throws -> R? {
        while true {
            if let newline = findNewline() {
                lineNumber += 1
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, count: lineEnd - start)
                bytesConsumed += newline + 1 - start
                start = newline + 1
                return try body(line, lineNumber, bytesConsumed)
            }
            if eof {
                guard start < end else { return nil }
                // The last line has no newline.
                lineNumber += 1
                var lineEnd = end
                if buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
                let line = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, count: lineEnd - start)
                bytesConsumed += end - start
                start = end
                return try body(line, lineNumber, bytesConsumed)
            }
            try fill()
        }
    }

    private var scanFrom = 0
    private mutating func findNewline() -> Int? {
        let from = max(start, scanFrom)
        guard from < end else { return nil }
        if let p = memchr(buffer.baseAddress! + from, 10, end - from) {
            scanFrom = 0
            return buffer.baseAddress!.distance(to: UnsafeMutableRawPointer(p))
        }
        scanFrom = end
        return nil
    }

    private mutating func fill() throws(Failure) {
        if start > 0 {
            // Move the partial line to the front.
            let pending = end - start
            if pending > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + start, pending) }
            scanFrom = max(0, scanFrom - start)
            end = pending
            start = 0
        }
        if end == buffer.count {
            guard buffer.count < maxLineBytes + 2 else { throw .lineTooLong(line: lineNumber + 1, limit: maxLineBytes) }
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(buffer.count * 2, maxLineBytes + 2), alignment: 16)
            bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<end]))
            buffer.deallocate()
            buffer = bigger
        }
        while true {
            let n = read(fd, buffer.baseAddress! + end, buffer.count - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw .readFailed(errno)
            }
            if n == 0 { eof = true }
            if n > 0, let onRead { onRead(UnsafeRawBufferPointer(start: buffer.baseAddress! + end, count: n)) }
            end += n
            return
        }
    }
}
