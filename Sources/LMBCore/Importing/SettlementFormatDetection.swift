import Foundation

extension SettlementFormat {
    /// What a settlement file holds, told from its first line, the one way every command that reads files tells it
    /// (import, fetch, preview, mapping explain and check): an Etsy statement's CSV header, or an Amazon report's
    /// tab-separated one. Nil when it is neither or cannot be read: the Amazon parser then says what is wrong.
    public static func detect(path: String) -> SettlementFormat? {
        guard let header = firstLine(path: path) else { return nil }
        if header.hasPrefix(EtsyStatementParser.headerStart) { return .etsy }
        // Amazon's tab-separated header first: it is what most files are, and the eBay check reads the file's first lines.
        let columns = Set(header.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        if columns.count > 1, let format = amazon(hasColumn: columns.contains) { return format }
        return ChannelExports.format(firstLine: header, path: path) ?? amazon(hasColumn: columns.contains)
    }

    /// A file's first line without its BOM, read as UTF-8; nil when it is not a regular file (opening a FIFO would
    /// block), cannot be read, or runs past 64 KiB.
    static func firstLine(path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        // A header is a few hundred bytes (a VAT report's about 2 KiB); a first line past 64 KiB is not one.
        var reader: LineReader
        do { reader = try LineReader(path: path, chunkSize: 4096, maxLineBytes: 64 << 10) } catch { return nil }
        let firstLine = try? reader.nextLine { bytes, _, _ -> String in
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let text = bytes.starts(with: bom) ? UnsafeBufferPointer(rebasing: bytes[3...]) : bytes
            return String(decoding: text, as: UTF8.self)
        }
        return firstLine
    }
}

extension VATTransactionsReport {
    /// Whether a file is Amazon's VAT Transactions Report, which `lmb import` stores apart: it is not a settlement.
    public static func detect(path: String) -> Bool {
        guard let header = SettlementFormat.firstLine(path: path) else { return false }
        return isHeader(header)
    }
}
