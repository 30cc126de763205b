import Foundation

/// What kind of account each category books to in Xero: the Type `lmb setup` creates it with, the types a user's
/// own account may have (`lmb setup --map`), and the checks `send` makes before its PUT.
public enum AccountRoles {
    /// The key the carried-forward account (a split settlement's balance between its parts) goes by.
    public static let carriedForwardKey = "carried-forward"

    /// The Type `lmb setup` creates a category's account with.
    public static func createType(_ category: Category) -> String {
        switch category {
        case .sales, .refunds: return "REVENUE"
        case .reimbursements: return "OTHERINCOME"
        case .sellerFees, .fbaFees, .storageFees, .shippingLabels: return "DIRECTCOSTS"
        case .advertising, .other: return "EXPENSE"
        case .reserves: return "CURRENT"
        case .salesTax, .loans: return "CURRLIAB"
        }
    }

    public static let carriedForwardType = "CURRENT"

    /// The Types that make sense for a category's account (what `--map` accepts; setup creates `createType`).
    public static func allowedTypes(_ category: Category?) -> [String] {
        guard let category else { return ["CURRENT", "CURRLIAB", "PREPAYMENT"] }
        switch category {
        case .sales, .refunds: return ["REVENUE", "SALES", "OTHERINCOME"]
        case .reimbursements: return ["OTHERINCOME", "REVENUE", "SALES"]
        case .sellerFees, .fbaFees, .storageFees, .shippingLabels, .advertising: return ["DIRECTCOSTS", "EXPENSE", "OVERHEADS"]
        case .other: return ["EXPENSE", "OVERHEADS", "DIRECTCOSTS", "OTHERINCOME", "REVENUE", "CURRENT", "CURRLIAB"]
        case .reserves: return ["CURRENT", "PREPAYMENT", "NONCURRENT"]
        case .salesTax: return ["CURRLIAB", "LIABILITY", "CURRENT"]
        case .loans: return ["CURRLIAB", "LIABILITY", "TERMLIAB"]
        }
    }

    /// The category a `--map` key names: a category's raw value, or `carried-forward`. nil: not one (a usage error).
    public static func category(named key: String) -> Category?? {
        if key == carriedForwardKey { return .some(nil) }
        if let c = Category(rawValue: key) { return .some(c) }
        return nil
    }

    /// Why an account cannot take a document's lines, or nil when it can: it exists, is ACTIVE, and is neither a bank
    /// account nor one of Xero's system accounts (receivables, payables, tax), which no invoice or bill line may use.
    public static func unusable(_ account: XeroAccount?) -> String? {
        guard let account else { return "does not exist in the organisation" }
        if let status = account.Status, status != "ACTIVE" { return "is \(status)" }
        if account.`Type` == "BANK" { return "is a BANK account, which invoice and bill lines cannot use" }
        if let system = account.SystemAccount, !system.isEmpty { return "is Xero's \(system) system account, which invoice and bill lines cannot use" }
        return nil
    }

    /// Every account the documents use that Xero would refuse, one problem per account code.
    public static func problems(_ postings: [Posting], accounts: [XeroAccount]) -> [AccountProblem] {
        let byCode = Dictionary(accounts.compactMap { a in a.Code.map { ($0.uppercased(), a) } }, uniquingKeysWith: { a, _ in a })
        var out: [AccountProblem] = []
        for posting in postings {
            for line in posting.lines where !out.contains(where: { $0.code == line.accountCode }) {
                if let reason = unusable(byCode[line.accountCode.uppercased()]) {
                    out.append(AccountProblem(code: line.accountCode, category: line.category?.rawValue ?? carriedForwardKey,
                                              document: posting.invoiceNumber, reason: reason))
                }
            }
        }
        return out
    }
}

/// An account a document uses that Xero would refuse.
public struct AccountProblem: Sendable, Equatable, CustomStringConvertible {
    public var code: String
    /// The category (or `carried-forward`) whose lines use it.
    public var category: String
    public var document: String
    public var reason: String

    public var description: String { "account \(code) (\(category)) \(reason)" }

    /// RemoteFailure.code of a send refused for its accounts: configuration (exit 78), nothing sent.
    public static let failureCode = "accounts"

    public static func failure(_ problems: [AccountProblem], settlementID: String?) -> RemoteFailure {
        var f = RemoteFailure.xero(.config, "\(settlementID.map { "settlement \($0): " } ?? "")\(problems.map(\.description).joined(separator: "; ")); nothing was sent",
                                   evidence: problems.map { "\($0.document) books \($0.category) to account \($0.code), which \($0.reason) (GET /Accounts)" })
        f.code = failureCode
        return f
    }
}
