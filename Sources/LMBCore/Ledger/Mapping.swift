import Foundation

/// The categories a settlement's rows are booked to, in the order lines appear on the document.
public enum Category: String, Codable, Sendable, CaseIterable, Comparable {
    case sales, refunds, reimbursements
    case sellerFees = "seller-fees", fbaFees = "fba-fees", storageFees = "storage-fees", advertising
    case salesTax = "sales-tax", reserves, loans, other
    case shippingLabels = "shipping-labels"

    public var label: String {
        switch self {
        case .sales: return "Sales"
        case .refunds: return "Refunds"
        case .reimbursements: return "Reimbursements"
        case .sellerFees: return "Seller fees"
        case .fbaFees: return "FBA fees"
        case .storageFees: return "Storage fees"
        case .advertising: return "Advertising"
        case .salesTax: return "Sales tax"
        case .reserves: return "Reserved balances"
        case .loans: return "Loans"
        case .other: return "Other"
        case .shippingLabels: return "Shipping labels"
        }
    }

    public static func < (a: Category, b: Category) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where a category is booked in Xero.
public struct CategoryAccount: Codable, Sendable, Equatable {
    public var account: String
    public var taxType: String
    public var name: String

    public init(account: String, taxType: String, name: String) {
        self.account = account
        self.taxType = taxType
        self.name = name
    }
}


/// What becomes of a combination that no rule matches.
public enum UnmappedPolicy: String, Codable, Sendable, CaseIterable {
    /// The settlement waits in needs-mapping until a rule covers it (the default: nothing is guessed).
    case wait
    /// It is booked to the Other category, with a note on the line and a warning wherever it shows.
    case other
}

/// How settlements are booked: an account and tax type per category, and the rules that put rows in categories.
///
/// Rules come in two layers. The home's mapping.json holds the user's own (`rules`); they are tried first, and
/// the most specific one that matches wins. Only when none of them matches do the built-in defaults
/// (`Mapping.defaultRules`) decide, again by specificity. So a home rule always overrides a default, and a
/// mapping.json written by an older lmb (version 1, a full copy of the defaults of its day) keeps booking what it
/// booked, while the built-in defaults now map what it left unmapped.
public struct Mapping: Codable, Sendable, Equatable {
    /// 2: the file holds the user's own settings and rules, layered over the built-in defaults.
    public static let currentVersion = 2

    public var version: Int
    /// Accounts by category raw value; a category not named here books to its default account.
    public var categories: [String: CategoryAccount]
    /// The home's own rules, tried before the built-in defaults.
    public var rules: [MappingRule]
    /// Month-end split (on unless false): one document per calendar month a settlement's rows fall in.
    public var split: Bool?
    /// Where a split settlement's balance is rolled forward between its parts.
    public var carriedForward: CategoryAccount?
    /// Lines per category (default), per category and marketplace, or per category and SKU.
    public var grouping: Grouping?
    /// What becomes of a combination no rule matches: "wait" (the default) or "other".
    public var unmapped: UnmappedPolicy?
    /// The seller's tax profile from config.json (not part of mapping.json): with one, each line carries a VAT/GST
    /// treatment resolved to the organisation's TaxType; without one, every line is NoTax as before.
    public var tax: TaxProfile?
    /// The tracking category every line carries, its option the marketplace (`lmb setup --tracking` sets it up and
    /// writes "Sales channel" here); nil: no tracking.
    public var tracking: String?

    public enum Grouping: String, Codable, Sendable { case category, marketplace, sku }

    public init(version: Int = Mapping.currentVersion, categories: [String: CategoryAccount] = [:], rules: [MappingRule] = [],
                split: Bool? = nil, carriedForward: CategoryAccount? = nil, grouping: Grouping? = nil, unmapped: UnmappedPolicy? = nil) {
        self.version = version
        self.categories = categories
        self.rules = rules
        self.split = split
        self.carriedForward = carriedForward
        self.grouping = grouping
        self.unmapped = unmapped
    }

    public var splitsByMonth: Bool { split ?? true }
    public var carriedForwardAccount: CategoryAccount { carriedForward ?? Mapping.defaultCarriedForward }
    public var lineGrouping: Grouping { grouping ?? .category }
    public var unmappedPolicy: UnmappedPolicy { unmapped ?? .wait }
    public static let defaultCarriedForward = CategoryAccount(account: "LMB12", taxType: "NONE", name: "Split Month Rollovers")

    public static let fileName = "mapping.json"

    public func account(for category: Category) -> CategoryAccount {
        categories[category.rawValue] ?? Mapping.defaultAccounts[category]!
    }

    // MARK: Which rule books a group

    /// The rule that books a group, from the home's rules first and then the built-in ones; nil when none matches.
    public func match(_ group: SettlementGroup) -> MappingMatch? {
        if !rules.isEmpty, let i = MappingRule.best(in: rules, for: MappingRule.FoldedGroup(group)) {
            return MappingMatch(source: .home(i), rule: rules[i])
        }
        if let i = Mapping.defaultMatches.index(for: group) { return MappingMatch(source: .builtIn(i), rule: Mapping.defaultRules[i]) }
        return nil
    }

    /// Which built-in rule books each combination, remembered: the built-in rules never change while lmb runs, and a
    /// run over many organisations books the same few hundred combinations thousands of times.
    static let defaultMatches = DefaultRuleMemo()

    final class DefaultRuleMemo: @unchecked Sendable {
        private let lock = NSLock()
        /// By the combination as written (nil: no built-in rule matches); only `lock`'s holder touches it.
        private var indices: [String: Int?] = [:]

        func index(for group: SettlementGroup) -> Int? {
            let key = group.transactionType + "\u{1F}" + group.amountType + "\u{1F}" + group.amountDescription
            lock.lock()
            if let known = indices[key] { lock.unlock(); return known }
            lock.unlock()
            let found = MappingRule.best(in: Mapping.defaultRules, for: MappingRule.FoldedGroup(group))
            lock.lock()
            if indices.count < 100_000 { indices[key] = .some(found) }
            lock.unlock()
            return found
        }
    }

    /// As `match`, and then the unmapped policy: nil only when the group must wait for a rule.
    public func resolve(_ group: SettlementGroup) -> MappingMatch? {
        if let m = match(group) { return m }
        return unmappedPolicy == .other ? MappingMatch(source: .unmappedPolicy, rule: nil) : nil
    }

    /// The category of a group, or nil when no rule matches (the settlement then needs mapping).
    public func category(of group: SettlementGroup) -> Category? { match(group)?.category }

    // MARK: Checks

    public func validate() throws {
        if version > Mapping.currentVersion {
            throw MappingError.invalid("version \(version) was written by a newer lmb (this one reads up to \(Mapping.currentVersion))")
        }
        for key in categories.keys.sorted() where Category(rawValue: key) == nil {
            throw MappingError.invalid("unknown category '\(key)' (known: \(Category.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for (key, account) in categories.sorted(by: { $0.key < $1.key }) {
            if account.account.trimmingCharacters(in: .whitespaces).isEmpty { throw MappingError.invalid("category '\(key)' has an empty account code") }
            if account.taxType.trimmingCharacters(in: .whitespaces).isEmpty { throw MappingError.invalid("category '\(key)' has an empty taxType") }
        }
        if let problem = MappingRule.problems(in: rules, name: { "rules[\($0)]" }).first { throw MappingError.invalid(problem) }
    }

    // MARK: Defaults

    /// Link My Books' chart, LMB1–LMB10, plus one account for what fits nowhere else.
    public static let defaultAccounts: [Category: CategoryAccount] = [
        .sales: CategoryAccount(account: "LMB1", taxType: "NONE", name: "Amazon Sales"),
        .refunds: CategoryAccount(account: "LMB2", taxType: "NONE", name: "Amazon Refunds"),
        .reimbursements: CategoryAccount(account: "LMB3", taxType: "NONE", name: "FBA Inventory Reimbursements"),
        .sellerFees: CategoryAccount(account: "LMB4", taxType: "NONE", name: "Amazon Seller Fees"),
        .fbaFees: CategoryAccount(account: "LMB5", taxType: "NONE", name: "Amazon FBA Fees"),
        .storageFees: CategoryAccount(account: "LMB6", taxType: "NONE", name: "Amazon Storage Fees"),
        .advertising: CategoryAccount(account: "LMB7", taxType: "NONE", name: "Amazon Advertising Costs"),
        .salesTax: CategoryAccount(account: "LMB8", taxType: "NONE", name: "Amazon Sales Tax"),
        .loans: CategoryAccount(account: "LMB9", taxType: "NONE", name: "Amazon Loans"),
        .reserves: CategoryAccount(account: "LMB10", taxType: "NONE", name: "Amazon Reserved Balances"),
        .other: CategoryAccount(account: "LMB11", taxType: "NONE", name: "Amazon Other Transactions"),
        .shippingLabels: CategoryAccount(account: "LMB13", taxType: "NONE", name: "Shipping Labels"),
    ]

    /// What `lmb mapping init` writes and what applies without a file: every account spelled out to edit, no rules
    /// of the user's own yet, and unmapped combinations waiting.
    public static let defaults = Mapping(
        categories: Dictionary(uniqueKeysWithValues: defaultAccounts.map { ($0.key.rawValue, $0.value) }),
        rules: [], split: true, carriedForward: defaultCarriedForward, grouping: .category, unmapped: .wait)

    // MARK: File

    enum CodingKeys: String, CodingKey { case version, categories, rules, split, carriedForward, grouping, unmapped, tracking }

    /// Every key may be left out: a file holding only `{"rules": […]}` is a whole mapping.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? Mapping.currentVersion
        categories = try c.decodeIfPresent([String: CategoryAccount].self, forKey: .categories) ?? [:]
        rules = try c.decodeIfPresent([MappingRule].self, forKey: .rules) ?? []
        split = try c.decodeIfPresent(Bool.self, forKey: .split)
        carriedForward = try c.decodeIfPresent(CategoryAccount.self, forKey: .carriedForward)
        grouping = try c.decodeIfPresent(Grouping.self, forKey: .grouping)
        unmapped = try c.decodeIfPresent(UnmappedPolicy.self, forKey: .unmapped)
        tracking = try c.decodeIfPresent(String.self, forKey: .tracking)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        if !categories.isEmpty { try c.encode(categories, forKey: .categories) }
        try c.encode(rules, forKey: .rules)
        try c.encodeIfPresent(split, forKey: .split)
        try c.encodeIfPresent(carriedForward, forKey: .carriedForward)
        try c.encodeIfPresent(grouping, forKey: .grouping)
        try c.encodeIfPresent(unmapped, forKey: .unmapped)
        try c.encodeIfPresent(tracking, forKey: .tracking)
    }

    /// The home's mapping: its mapping.json when there is one, else the defaults.
    public static func load(home: URL) throws -> Mapping {
        let url = home.appendingPathComponent(fileName)
        var mapping = FileManager.default.fileExists(atPath: url.path) ? try load(file: url.path) : .defaults
        mapping.tax = try LMBConfig.taxProfile(home: LMBHome(url: home))
        return mapping
    }

    public static func load(file path: String) throws -> Mapping {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            let mapping = try JSONDecoder().decode(Mapping.self, from: data)
            try mapping.validate()
            return mapping
        } catch let error as DecodingError {
            throw MappingError.syntax(path, Mapping.describe(error))
        } catch MappingError.invalid(let detail) {
            throw MappingError.invalidFile(path, detail)
        }
    }

    public func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Writes the file whole or not at all: a temporary file beside it, renamed over it.
    public func write(to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        do {
            try Data(encoded().utf8).write(to: URL(fileURLWithPath: tmp))
        } catch {
            throw LMBError.io("cannot write \(tmp): \(error.localizedDescription)")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw LMBError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let detail = underlying ?? c.debugDescription
            return c.codingPath.isEmpty ? detail : "\(detail) at \(path(c.codingPath))"
        case .keyNotFound(let key, let c):
            return "missing '\(key.stringValue)' at \(path(c.codingPath))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return "\(c.debugDescription) at \(path(c.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        guard !keys.isEmpty else { return "the top level" }
        return keys.reduce("") { out, key in key.intValue.map { out + "[\($0)]" } ?? (out.isEmpty ? key.stringValue : out + "." + key.stringValue) }
    }
}

/// Which rule booked a group, and where the rule came from.
public struct MappingMatch: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The home's mapping.json, `rules[index]`.
        case home(Int)
        /// The built-in defaults, `Mapping.defaultRules[index]`.
        case builtIn(Int)
        /// No rule: the mapping's `"unmapped": "other"` booked it to Other.
        case unmappedPolicy
    }

    public var source: Source
    /// Nil when the unmapped policy booked the group.
    public var rule: MappingRule?

    public var category: Category { rule?.category ?? .other }

    /// Where the source is, as a person reads it: `mapping.json rules[3]`, `built-in`, `"unmapped": "other"`.
    public var sourceLabel: String {
        switch source {
        case .home(let i): return "\(Mapping.fileName) rules[\(i)]"
        case .builtIn: return "built-in"
        case .unmappedPolicy: return "\"unmapped\": \"other\""
        }
    }
}

public enum MappingError: Error, CustomStringConvertible {
    case syntax(String, String)
    case invalid(String)
    case invalidFile(String, String)

    public var description: String {
        switch self {
        case .syntax(let file, let detail): return "\(file): not a valid mapping file: \(detail)"
        case .invalid(let detail): return "the mapping is invalid: \(detail)"
        case .invalidFile(let file, let detail): return "\(file): the mapping is invalid: \(detail)"
        }
    }
}
