import Foundation

/// The charsets Amazon serves report documents in, by S3's `Content-Type: text/plain; charset=…`.
public enum AmazonDocumentCharset: String, Sendable, Codable, CaseIterable {
    case utf8 = "UTF-8"
    /// Amazon's `Cp1252`: Windows-1252, which is not ISO-8859-1 (0x80 is €, 0x8A is Š, …).
    case windows1252 = "windows-1252"
    /// `Shift_JIS`, `Cp932`, `windows-31j`: read as Windows-31J, the superset Amazon's Java writes, with 0x5C as `\`.
    case shiftJIS = "Shift_JIS"
    case isoLatin1 = "ISO-8859-1"

    /// The charset a name stands for, in any of the spellings Java and IANA use; nil for one lmb cannot read.
    public init?(name: String) {
        switch name.trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).lowercased() {
        case "utf-8", "utf8", "us-ascii", "ascii": self = .utf8
        case "cp1252", "windows-1252", "x-windows-1252", "win1252": self = .windows1252
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "cp932", "ms932", "windows-31j", "csshiftjis", "ms_kanji": self = .shiftJIS
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "iso-latin-1", "8859_1": self = .isoLatin1
        default: return nil
        }
    }

    /// The `charset` parameter of a Content-Type header, if there is one.
    public static func declared(inContentType contentType: String?) -> String? {
        guard let contentType else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}

/// A report document's bytes turned into UTF-8: gunzipped when Amazon says GZIP (or the bytes are gzip), then decoded
/// by the declared charset, or, when none is declared, as UTF-8 if valid and Windows-1252 otherwise.
public struct AmazonDocumentText: Sendable, Equatable {
    /// UTF-8, without a byte order mark.
    public var utf8: Data
    public var charset: AmazonDocumentCharset
    /// The charset S3 declared, as it spelled it; nil when it declared none.
    public var declaredCharset: String?
    /// The charset was detected, not declared (or the declared UTF-8 was not valid UTF-8).
    public var charsetDetected: Bool
    public var compressed: Bool
    public var downloadedBytes: Int
    public var decompressedBytes: Int

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownCompression(String)
        case gzip(Gunzip.Failure)
        case unknownCharset(String)
        case undecodable(AmazonDocumentCharset)

        public var description: String {
            switch self {
            case .unknownCompression(let a): return "Amazon compressed the document with \(a), which lmb cannot decompress"
            case .gzip(let f): return f.description
            case .unknownCharset(let c): return "the document is in charset '\(c)', which lmb cannot read"
            case .undecodable(let c): return "the document's bytes are not valid \(c.rawValue)"
            }
        }
    }

    /// - Parameters:
    ///   - contentEncoding: S3's Content-Encoding: when it says gzip the transport may already have inflated the body.
    public static func decode(_ body: Data, compressionAlgorithm: String?, contentType: String?, contentEncoding: String? = nil,
                              maxBytes: Int = AmazonPacing.default.maxDocumentBytes) throws(Failure) -> AmazonDocumentText {
        var bytes = body
        var compressed = false
        if let algorithm = compressionAlgorithm, algorithm.uppercased() != "GZIP" { throw .unknownCompression(algorithm) }
        // A text document never starts with 1F 8B, so those bytes are gzip whatever the metadata says; GZIP without
        // them is a body the transport already inflated (Content-Encoding: gzip), or a corrupt one zlib will name.
        let transportInflated = contentEncoding?.lowercased().contains("gzip") == true && !Gunzip.looksCompressed(body)
        if Gunzip.looksCompressed(body) || (compressionAlgorithm != nil && !transportInflated) {
            do { bytes = try Gunzip.inflate(body, maxOutput: maxBytes) } catch { throw .gzip(error) }
            compressed = true
        } else if transportInflated {
            compressed = true
        }
        if bytes.count > maxBytes { throw .gzip(.tooLarge(limit: maxBytes)) }

        let declared = AmazonDocumentCharset.declared(inContentType: contentType)
        let (utf8, charset, detected) = try decodeText(bytes, declared: declared)
        return AmazonDocumentText(utf8: utf8, charset: charset, declaredCharset: declared, charsetDetected: detected,
                                  compressed: compressed, downloadedBytes: body.count, decompressedBytes: bytes.count)
    }

    static func decodeText(_ bytes: Data, declared: String?) throws(Failure) -> (Data, AmazonDocumentCharset, Bool) {
        let charset: AmazonDocumentCharset
        if let declared {
            guard let known = AmazonDocumentCharset(name: declared) else { throw .unknownCharset(declared) }
            charset = known
        } else {
            charset = .utf8
        }
        switch charset {
        case .utf8:
            if String(validating: bytes, as: UTF8.self) != nil { return (withoutBOM(bytes), .utf8, declared == nil) }
            // Not UTF-8 whatever was declared: the EU's Windows-1252, as the settlement parser reads such files too.
            return (windows1252(bytes), .windows1252, true)
        case .windows1252:
            return (windows1252(bytes), .windows1252, false)
        case .isoLatin1:
            var scalars = String.UnicodeScalarView()
            for b in bytes { scalars.append(Unicode.Scalar(b)) }
            return (Data(String(scalars).utf8), .isoLatin1, false)
        case .shiftJIS:
            guard let text = String(data: bytes, encoding: .shiftJIS) else { throw .undecodable(.shiftJIS) }
            return (Data(text.utf8), .shiftJIS, false)
        }
    }

    static func windows1252(_ bytes: Data) -> Data {
        Data(bytes.withUnsafeBytes { TextDecoding.windows1252($0.bindMemory(to: UInt8.self)) }.utf8)
    }

    static func withoutBOM(_ bytes: Data) -> Data {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(bytes.dropFirst(3)) : bytes
    }
}
