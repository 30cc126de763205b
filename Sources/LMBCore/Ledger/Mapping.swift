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

/// A rule: rows whose three fields match go to `category`. `*` matches anything; a trailing `*` matches a prefix.
public struct MappingRule: Codable, Sendable, Equatable {
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    public var category: Category

    public init(_ transactionType: String, _ amountType: String, _ amountDescription: String, _ category: Category) {
        self.transactionType = transactionType
        self.amountType = amountType
        self.amountDescription = amountDescription
        self.category = category
    }

    static func matches(_ pattern: String, _ value: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix("*") { return value.lowercased().hasPrefix(pattern.dropLast().lowercased()) }
        return pattern.caseInsensitiveCompare(value) == .orderedSame
    }

    func matches(_ g: SettlementGroup) -> Bool {
        Self.matches(transactionType, g.transactionType) && Self.matches(amountType, g.amountType)
            && Self.matches(amountDescription, g.amountDescription)
    }

    /// Exact fields beat prefixes, prefixes beat `*`: the most specific rule wins.
    var specificity: Int {
        [transactionType, amountType, amountDescription].reduce(0) { total, p in
            total + (p == "*" ? 0 : p.hasSuffix("*") ? 1 : 2)
        }
    }
}

/// How settlements are booked: an account and tax type per category, and the rules that put rows in categories.
public struct Mapping: Codable, Sendable, Equatable {
    public var version: Int
    public var categories: [String: CategoryAccount]
    public var rules: [MappingRule]
    /// Month-end split (on unless false): one document per calendar month a settlement's rows fall in.
    public var split: Bool?
    /// Where a split settlement's balance is rolled forward between its parts.
    public var carriedForward: CategoryAccount?
    /// Lines per category (default), per category and marketplace, or per category and SKU.
    public var grouping: Grouping?

    public enum Grouping: String, Codable, Sendable { case category, marketplace, sku }

    public var splitsByMonth: Bool { split ?? true }
    public var carriedForwardAccount: CategoryAccount { carriedForward ?? Mapping.defaultCarriedForward }
    public var lineGrouping: Grouping { grouping ?? .category }
    public static let defaultCarriedForward = CategoryAccount(account: "LMB12", taxType: "NONE", name: "Split Month Rollovers")

    public static let fileName = "mapping.json"

    public func account(for category: Category) -> CategoryAccount {
        categories[category.rawValue] ?? Mapping.defaultAccounts[category]!
    }

    /// The category of a group, or nil when no rule matches (the settlement then needs mapping).
    public func category(of group: SettlementGroup) -> Category? {
        var best: (rule: MappingRule, specificity: Int)?
        for rule in rules where rule.matches(group) {
            let s = rule.specificity
            if best == nil || s > best!.specificity { best = (rule, s) }
        }
        return best?.rule.category
    }

    public func validate() throws {
        for key in categories.keys where Category(rawValue: key) == nil {
            throw MappingError.invalid("unknown category '\(key)' (known: \(Category.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        for (key, account) in categories {
            if account.account.trimmingCharacters(in: .whitespaces).isEmpty { throw MappingError.invalid("category '\(key)' has an empty account code") }
            if account.taxType.trimmingCharacters(in: .whitespaces).isEmpty { throw MappingError.invalid("category '\(key)' has an empty taxType") }
        }
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

    public static let defaultRules: [MappingRule] = [
        // Reserves first and exactly: they are never sales or fees.
        MappingRule("*", "*", "Current Reserve Amount", .reserves),
        MappingRule("*", "*", "Previous Reserve Amount Balance", .reserves),
        // Orders
        MappingRule("Order", "ItemPrice", "*", .sales),
        MappingRule("Order", "ItemPrice", "Tax", .salesTax),
        MappingRule("Order", "ItemPrice", "ShippingTax", .salesTax),
        MappingRule("Order", "ItemPrice", "GiftWrapTax", .salesTax),
        MappingRule("*", "ItemWithheldTax", "*", .salesTax),
        MappingRule("*", "Promotion", "*", .sales),
        // Refunds
        MappingRule("Refund", "ItemPrice", "*", .refunds),
        MappingRule("Refund", "ItemPrice", "Tax", .salesTax),
        MappingRule("Refund", "ItemPrice", "ShippingTax", .salesTax),
        MappingRule("Refund", "ItemPrice", "GiftWrapTax", .salesTax),
        MappingRule("Refund", "Promotion", "*", .refunds),
        // Fees
        MappingRule("*", "ItemFees", "*", .sellerFees),
        MappingRule("*", "ItemFees", "FBA*", .fbaFees),
        MappingRule("*", "ShipmentFees", "*", .fbaFees),
        MappingRule("*", "OrderFees", "*", .sellerFees),
        MappingRule("*", "*", "Subscription Fee", .sellerFees),
        MappingRule("Subscription Fee", "*", "*", .sellerFees),
        MappingRule("ServiceFee", "*", "*", .sellerFees),
        MappingRule("ServiceFee", "*", "Cost of Advertising", .advertising),
        MappingRule("ServiceFee", "OtherFee", "TaxAmount", .advertising),
        MappingRule("*", "*", "Storage Fee", .storageFees),
        MappingRule("Storage Fee", "*", "*", .storageFees),
        MappingRule("*", "*", "StorageRenewalBilling", .storageFees),
        MappingRule("*", "*", "FBALongTermStorageFee", .storageFees),
        // Reimbursements
        MappingRule("FBA Inventory Reimbursement", "*", "*", .reimbursements),
        MappingRule("WAREHOUSE_DAMAGE", "*", "*", .reimbursements),
        MappingRule("WAREHOUSE_LOST", "*", "*", .reimbursements),
        MappingRule("REVERSAL_REIMBURSEMENT", "*", "*", .reimbursements),
        MappingRule("*", "FBA Inventory Reimbursement", "*", .reimbursements),
        // Loans and money moved between Amazon and the seller
        MappingRule("*", "*", "Loan Servicing", .loans),
        MappingRule("Payable to Amazon", "*", "*", .other),
        MappingRule("Successful charge", "*", "*", .other),
        MappingRule("Micro Deposit", "*", "*", .other),
        // Etsy monthly statements: the Type column, then the title.
        MappingRule("Sale", "Etsy", "*", .sales),
        MappingRule("Refund", "Etsy", "*", .refunds),
        MappingRule("Fee", "Etsy", "*", .sellerFees),
        MappingRule("Tax", "Etsy", "*", .salesTax),
        MappingRule("Buyer Fee", "Etsy", "*", .salesTax),
        MappingRule("Shipping", "Etsy", "*", .shippingLabels),
        MappingRule("Marketing", "Etsy", "*", .advertising),
        MappingRule("Deposit", "Etsy", "Etsy balance carried", .reserves),
    ]

    public static let defaults = Mapping(
        version: 1,
        categories: Dictionary(uniqueKeysWithValues: defaultAccounts.map { ($0.key.rawValue, $0.value) }),
        rules: defaultRules, split: true, carriedForward: defaultCarriedForward, grouping: .category)

    // MARK: File

    public static func load(home: URL) throws -> Mapping {
        let url = home.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return .defaults }
        let data = try Data(contentsOf: url)
        let mapping: Mapping
        do {
            mapping = try JSONDecoder().decode(Mapping.self, from: data)
        } catch let error as DecodingError {
            throw MappingError.syntax(url.path, Mapping.describe(error))
        }
        try mapping.validate()
        return mapping
    }

    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let c):
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? c.debugDescription
        case .keyNotFound(let key, let c):
            return "missing '\(key.stringValue)' at \(path(c.codingPath))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return "\(c.debugDescription) at \(path(c.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

public enum MappingError: Error, CustomStringConvertible {
    case syntax(String, String)
    case invalid(String)

    public var description: String {
        switch self {
        case .syntax(let file, let detail): return "\(file): not a valid mapping file: \(detail)"
        case .invalid(let detail): return "the mapping is invalid: \(detail)"
        }
    }
}
