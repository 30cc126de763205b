import CZlib
import Foundation

/// gzip (RFC 1952) through the system's zlib: what S3 serves when a report document's compressionAlgorithm is GZIP.
enum Gzip {
    struct Failure: Error { var code: Int32 }

    static func compress(_ data: Data, level: Int32 = Z_DEFAULT_COMPRESSION) throws -> Data {
        var stream = z_stream()
        var status = lmb_deflate_init_gzip(&stream, level)
        guard status == Z_OK else { throw Failure(code: status) }
        defer { deflateEnd(&stream) }
        var input = [UInt8](data)
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    status = deflate(&stream, Z_FINISH)
                    output.append(outBuf.baseAddress!, count: outBuf.count - Int(stream.avail_out))
                }
            } while status == Z_OK   // Z_OK: more output to come; Z_STREAM_END: done
        }
        guard status == Z_STREAM_END else { throw Failure(code: status) }
        return output
    }
}
