/// What the ledger keeps of a combination no rule covers, and how lmb tells the user to map it.
extension UnmappedCombination {
    /// An empty tally for the group's combination.
    init(_ g: SettlementGroup) {
        self.init(transactionType: g.transactionType, amountType: g.amountType, amountDescription: g.amountDescription, count: 0, amountMinor: 0)
    }

    mutating func add(_ g: SettlementGroup) {
        count += g.count
        amountMinor += g.amountMinor
    }

    static func sorted(_ byKey: [String: UnmappedCombination]) -> [UnmappedCombination] {
        byKey.values.sorted {
            ($0.transactionType, $0.amountType, $0.amountDescription) < ($1.transactionType, $1.amountType, $1.amountDescription)
        }
    }

    /// What a line booked by `"unmapped": "other"` carries, so that the document itself says so in Xero.
    static let lineNote = "unmapped: booked to Other until a rule is added with lmb mapping add"

    /// The command that maps exactly this combination (its text escaped, so a `*` in Amazon's text stays a `*`).
    public var addCommand: String {
        (["lmb", "mapping", "add"] + [transactionType, amountType, amountDescription].map { Shell.quote(MappingPattern.escaping($0)) } + ["CATEGORY"])
            .joined(separator: " ")
    }
}

enum Shell {
    /// A word the shell passes through unchanged: bare when it is plain, else in single quotes.
    static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.,:/@%+=".unicodeScalars.contains($0) }
        return plain ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
