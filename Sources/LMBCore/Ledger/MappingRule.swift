/// A rule: groups whose three fields match its patterns are booked to `category` — to the category's account,
/// or to `account` / `taxType` when the rule names its own. Each field is a `MappingPattern`: a literal or a glob,
/// compared case-insensitively.
public struct MappingRule: Codable, Sendable, Equatable {
    public var transactionType: String { didSet { compile() } }
    public var amountType: String { didSet { compile() } }
    public var amountDescription: String { didSet { compile() } }
    public var category: Category
    /// An account code that overrides the category's, for this rule's rows only.
    public var account: String?
    /// A tax type that overrides the category's, for this rule's rows only.
    public var taxType: String?
    /// Why the rule books what it books (every built-in judgement call says so here).
    public var note: String?

    /// transaction-type, amount-type, amount-description, read once.
    public private(set) var patterns: [MappingPattern] = []
    public private(set) var specificity = Specificity(key: [])

    public init(_ transactionType: String, _ amountType: String, _ amountDescription: String, _ category: Category,
                account: String? = nil, taxType: String? = nil, note: String? = nil) {
        self.transactionType = transactionType
        self.amountType = amountType
        self.amountDescription = amountDescription
        self.category = category
        self.account = account
        self.taxType = taxType
        self.note = note
        compile()
    }

    private mutating func compile() {
        patterns = [transactionType, amountType, amountDescription].map(MappingPattern.init)
        specificity = Specificity(patterns)
    }

    /// `Order / ItemFees / FBA* → fba-fees`: how errors and listings name a rule.
    public var label: String {
        let fields = [transactionType, amountType, amountDescription].map { $0.isEmpty ? "\"\"" : $0 }
        return fields.joined(separator: " / ") + " → " + category.rawValue
    }

    static let fieldNames = ["transactionType", "amountType", "amountDescription"]

    // MARK: Specificity

    /// How specific a rule is. Fields are compared in the order amount-description, amount-type, transaction-type
    /// (the description says most about a row); the first field that differs decides. Within a field a literal
    /// beats a glob, a glob with more literal characters beats one with fewer (`FBA Pick*` beats `FBA*`), and `*`
    /// loses to both. Two rules of one layer that are equally specific and can match the same group tie: the
    /// mapping is refused, naming both.
    public struct Specificity: Comparable, Hashable, Sendable {
        let key: [Int]

        init(key: [Int]) { self.key = key }

        init(_ patterns: [MappingPattern]) {
            key = patterns.reversed().flatMap { p in [p.rank, p.rank == 1 ? p.literalCount : 0] }
        }

        public static func < (a: Specificity, b: Specificity) -> Bool { a.key.lexicographicallyPrecedes(b.key) }
    }

    // MARK: Matching

    /// A group's three fields folded once, so that each rule compares without folding again.
    struct FoldedGroup {
        let values: [String]
        init(_ g: SettlementGroup) {
            values = [g.transactionType, g.amountType, g.amountDescription].map(MappingPattern.fold)
        }
    }

    func matches(_ g: FoldedGroup) -> Bool {
        // The description rules out most rules, so it is compared first.
        patterns[2].matches(folded: g.values[2]) && patterns[1].matches(folded: g.values[1]) && patterns[0].matches(folded: g.values[0])
    }

    public func matches(_ g: SettlementGroup) -> Bool { matches(FoldedGroup(g)) }

    /// The index of the most specific rule that matches (the first of equals, which a validated layer never has).
    static func best(in rules: [MappingRule], for g: FoldedGroup) -> Int? {
        var best: Int?
        // By index: a rule is never copied, only the matches compared.
        for i in rules.indices where rules[i].matches(g) {
            if best == nil || rules[best!].specificity < rules[i].specificity { best = i }
        }
        return best
    }

    /// Some group both rules match, or nil when they can never meet.
    public func commonGroup(with other: MappingRule) -> (String, String, String)? {
        var found: [String] = []
        for (a, b) in zip(patterns, other.patterns) {
            guard let value = a.commonExample(with: b) else { return nil }
            found.append(value)
        }
        return (found[0], found[1], found[2])
    }

    // MARK: Checks

    /// What is wrong with a layer of rules, one line each, naming the rules: unreadable patterns, empty account or
    /// tax type overrides, and ties.
    public static func problems(in rules: [MappingRule], name: (Int) -> String) -> [String] {
        var problems: [String] = []
        for (i, rule) in rules.enumerated() {
            for (field, pattern) in zip(fieldNames, rule.patterns) {
                if let problem = pattern.problem {
                    problems.append("\(name(i)) (\(rule.label)): \(field) '\(pattern.source)' is not a valid pattern: \(problem)")
                }
            }
            if let account = rule.account, account.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("\(name(i)) (\(rule.label)): the account is empty")
            }
            if let taxType = rule.taxType, taxType.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("\(name(i)) (\(rule.label)): the taxType is empty")
            }
        }
        guard problems.isEmpty else { return problems }
        let bySpecificity = Dictionary(grouping: rules.indices, by: { rules[$0].specificity })
        for i in rules.indices {
            for j in bySpecificity[rules[i].specificity]! where j > i {
                guard let (t, a, d) = rules[i].commonGroup(with: rules[j]) else { continue }
                problems.append("\(name(i)) (\(rules[i].label)) and \(name(j)) (\(rules[j].label)) tie: both match \(t) / \(a) / \(d) and neither is more specific; make one narrower or remove one")
            }
        }
        return problems
    }

    // MARK: File

    enum CodingKeys: String, CodingKey { case transactionType, amountType, amountDescription, category, account, taxType, note }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let t = try c.decode(String.self, forKey: .transactionType)
        let a = try c.decode(String.self, forKey: .amountType)
        let d = try c.decode(String.self, forKey: .amountDescription)
        let raw = try c.decode(String.self, forKey: .category)
        guard let category = Category(rawValue: raw) else {
            let index = decoder.codingPath.last?.intValue.map { "rules[\($0)]" } ?? "a rule"
            let fields = [t, a, d].map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " / ")
            throw MappingError.invalid("\(index) (\(fields)): unknown category '\(raw)' (known: \(Category.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.init(t, a, d, category, account: try c.decodeIfPresent(String.self, forKey: .account),
                  taxType: try c.decodeIfPresent(String.self, forKey: .taxType), note: try c.decodeIfPresent(String.self, forKey: .note))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(transactionType, forKey: .transactionType)
        try c.encode(amountType, forKey: .amountType)
        try c.encode(amountDescription, forKey: .amountDescription)
        try c.encode(category.rawValue, forKey: .category)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encodeIfPresent(taxType, forKey: .taxType)
        try c.encodeIfPresent(note, forKey: .note)
    }
}
