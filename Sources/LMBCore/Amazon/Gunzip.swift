import CZlib
import Foundation

/// gzip (or zlib) decompression over zlib, refusing output beyond a limit and any stream that is corrupt or cut short.
public enum Gunzip {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case corrupt(String)
        case truncated
        case tooLarge(limit: Int)
        case zlib(Int32)

        public var description: String {
            switch self {
            case .corrupt(let m): return "the gzip data is corrupt (\(m))"
            case .truncated: return "the gzip data ends before its end marker: the download was cut short"
            case .tooLarge(let limit): return "the document decompresses to more than \(limit) bytes; lmb refuses it"
            case .zlib(let code): return "zlib failed with code \(code)"
            }
        }
    }

    /// The two bytes every gzip member starts with.
    public static func looksCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Decompresses every gzip member in `data` (a concatenation is one file, as `gunzip` reads it).
    public static func inflate(_ data: Data, maxOutput: Int) throws(Failure) -> Data {
        var stream = z_stream()
        guard lmb_inflate_init_auto(&stream) == Z_OK else { throw .zlib(Z_MEM_ERROR) }
        defer { inflateEnd(&stream) }
        let result: Result<Data, Failure> = data.withUnsafeBytes { raw in
            let input = raw.bindMemory(to: Bytef.self)
            // zlib never writes through next_in; it is declared mutable only for old compilers.
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            return inflateAll(&stream, input: input, maxOutput: maxOutput)
        }
        return try result.get()
    }

    private static func inflateAll(_ stream: inout z_stream, input: UnsafeBufferPointer<Bytef>, maxOutput: Int) -> Result<Data, Failure> {
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        var output = Data()
        while true {
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(chunk)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk - Int(stream.avail_out)
            guard output.count + produced <= maxOutput else { return .failure(.tooLarge(limit: maxOutput)) }
            output.append(contentsOf: buffer[0..<produced])
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                // Another member may follow; trailing zero padding is ignored, as gunzip does.
                let rest = input[(input.count - Int(stream.avail_in))...]
                if rest.allSatisfy({ $0 == 0 }) { return .success(output) }
                guard inflateReset(&stream) == Z_OK else { return .failure(.zlib(Z_STREAM_ERROR)) }
            case Z_BUF_ERROR where stream.avail_in == 0:
                return .failure(.truncated)
            case Z_DATA_ERROR:
                return .failure(.corrupt(stream.msg.map { String(cString: $0) } ?? "invalid data"))
            default:
                return .failure(.zlib(status))
            }
        }
    }
}
