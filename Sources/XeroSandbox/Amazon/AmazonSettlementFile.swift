import Foundation

/// A settlement flat file posted to the control API: what the sandbox stores for it and what it reads from it
/// (the settlement period and the marketplaces) to describe the report as Amazon would.
struct AmazonSettlementFile {
    var text: String

    /// The bytes S3 will serve in `charset`, or nil when the text has characters that charset cannot represent.
    /// UTF-8 and `none` keep the posted bytes; a UTF-8 byte-order mark means nothing in Cp1252 or Shift_JIS and is dropped.
    func encoded(as charset: AmazonCharset, posted: Data) -> Data? {
        let withoutBOM = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        switch charset {
        case .utf8, .none: return posted
        case .cp1252: return withoutBOM.data(using: .windowsCP1252, allowLossyConversion: false)
        case .shiftJIS: return withoutBOM.data(using: .shiftJIS, allowLossyConversion: false)
        }
    }

    /// The tab-separated rows; the header's first lines only when `lines` is given.
    private func rows(lines: Int = .max) -> [[String]] {
        text.split(maxSplits: lines, whereSeparator: \.isNewline).prefix(lines).map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    private func column(_ name: String, in header: [String]) -> Int? {
        header.firstIndex { $0.replacingOccurrences(of: "\u{FEFF}", with: "") == name }
    }

    /// settlement-start-date and settlement-end-date of the first data row, when written in an unambiguous format.
    var settlementPeriod: (start: Date, end: Date)? {
        let rows = rows(lines: 2)
        guard rows.count > 1, let s = column("settlement-start-date", in: rows[0]), let e = column("settlement-end-date", in: rows[0]),
              rows[1].count > max(s, e), let start = Self.date(rows[1][s]), let end = Self.date(rows[1][e]),
              start <= end else { return nil }
        return (start, end)
    }

    /// The marketplaces the file's rows name, in order of appearance: a settlement spans several.
    var marketplaceIDs: [String] {
        let rows = rows()
        guard let m = rows.first.flatMap({ column("marketplace-name", in: $0) }) else { return [] }
        var ids: [String] = []
        for row in rows.dropFirst() where row.count > m {
            if let id = Self.marketplaceIDs[row[m].lowercased()], !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    /// `2024-10-01 14:28:38 UTC`, `11.10.2024 08:59:52 UTC`, `2024/10/01`, ISO 8601. Slash dates with the day
    /// first or last (`01/06/25`) are ambiguous: they give nil, and the report's dates fall back to defaults.
    static func date(_ text: String) -> Date? {
        if let iso = SandboxEngine.parseISO8601(text) { return iso }
        let trimmed = text.hasSuffix(" UTC") ? String(text.dropLast(4)) : text
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.isLenient = false
        for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "dd.MM.yyyy HH:mm:ss", "dd.MM.yyyy", "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd"] {
            f.dateFormat = format
            if let date = f.date(from: trimmed) { return date }
        }
        return nil
    }

    /// marketplace-name (lower-cased) → marketplace id, from the facts' table of regions.
    static let marketplaceIDs: [String: String] = [
        "amazon.com": "ATVPDKIKX0DER", "amazon.ca": "A2EUQ1WTGCTBG2", "amazon.com.mx": "A1AM78C64UM0Y8",
        "amazon.com.br": "A2Q3Y263D00KWC", "amazon.co.uk": "A1F83G8C2ARO7P", "amazon.de": "A1PA6795UKMFR9",
        "amazon.fr": "A13V1IB3VIYZZH", "amazon.it": "APJ6JRA9NG5V4", "amazon.es": "A1RKKUPIHCS9HS",
        "amazon.nl": "A1805IZSGTT6HS", "amazon.se": "A2NODRKZP88ZB9", "amazon.pl": "A1C3SOZRARQ6R3",
        "amazon.com.be": "AMEN7PMS3EDWL", "amazon.ie": "A28R8C7NBKEWEA", "amazon.com.tr": "A33AVAJ2PDY3EV",
        "amazon.ae": "A2VIGQ35RCS4UG", "amazon.sa": "A17E79C6D8DWNP", "amazon.eg": "ARBP9OOSHTCHU",
        "amazon.co.za": "AE08WJ6YKNBMC", "amazon.in": "A21TJRUUN4KGV", "amazon.co.jp": "A1VC38T7YXB528",
        "amazon.com.au": "A39IBJ37TRP1C6", "amazon.sg": "A19VAU5U5O7RUS",
    ]
}
