/// Turns field bytes into Strings. A file is UTF-8 unless its bytes are not valid UTF-8, in which case it is
/// read as Windows-1252 (a superset of ISO-8859-1 for printable text), as EU settlement files often are.
/// The choice is made at the first non-ASCII field and then holds for the whole file.
public struct TextDecoding: Sendable {
    public enum Encoding: String, Sendable { case ascii, utf8 = "utf-8", windows1252 = "windows-1252" }
    public private(set) var encoding: Encoding = .ascii

    public init() {}

    public enum Failure: Error { case mixedEncoding }

    public mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
        var ascii = true
        for b in bytes where b >= 0x80 { ascii = false; break }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        let validUTF8 = String(validating: bytes, as: UTF8.self)
        switch encoding {
        case .ascii:
            if let s = validUTF8 { encoding = .utf8; return s }
            encoding = .windows1252
            return Self.windows1252(bytes)
        case .utf8:
            guard let s = validUTF8 else { throw .mixedEncoding }
            return s
        case .windows1252:
            return Self.windows1252(bytes)
        }
    }

    /// Notes the encoding a non-ASCII field implies without building a String (hot path).
    public mutating func observe(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) {
        for b in bytes where b >= 0x80 {
            _ = try string(bytes)
            return
        }
    }

    static let high: [UInt16] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    static func windows1252(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for b in bytes {
            let value: UInt32 = (0x80...0x9F).contains(b) ? UInt32(high[Int(b) - 0x80]) : UInt32(b)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }
}
