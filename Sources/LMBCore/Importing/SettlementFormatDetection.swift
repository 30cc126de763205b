import Foundation

extension SettlementFormat {
    /// What a settlement file holds, told from its first line, the one way every command that reads files tells it
    /// (import, fetch, preview, mapping explain and check): an Etsy statement's CSV header, or an Amazon report's
    /// tab-separated one. Nil when it is neither or cannot be read: the Amazon parser then says what is wrong.
    public static func detect(path: String) -> SettlementFormat? {
        // A header is a few hundred bytes; a first line past 64 KiB is not one.
        var reader: LineReader
        do { reader = try LineReader(path: path, chunkSize: 4096, maxLineBytes: 64 << 10) } catch { return nil }
        let firstLine = try? reader.nextLine { bytes, _, _ -> String in
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let text = bytes.starts(with: bom) ? UnsafeBufferPointer(rebasing: bytes[3...]) : bytes
            return String(decoding: text, as: UTF8.self)
        }
        guard let header = firstLine else { return nil }
        if header.hasPrefix(EtsyStatementParser.headerStart) { return .etsy }
        if let channel = ChannelExports.format(firstLine: header, path: path) { return channel }
        let columns = Set(header.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        return amazon(hasColumn: columns.contains)
    }
}
