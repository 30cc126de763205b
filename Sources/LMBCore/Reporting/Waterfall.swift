/// One step of a settlement's waterfall: what one category added to (or took from) the deposit.
public struct WaterfallStep: Sendable, Equatable {
    public var category: Category
    public var amountMinor: Int64

    public var label: String { category.label }
}

/// From sales to the bank deposit: the ledger's category totals for a settlement (every part of a month-split
/// summed), in the order a seller reads them. Built only from the booking the invoices come from, and checked
/// against those invoices, so the report and Xero agree to the cent.
public struct SettlementWaterfall: Sendable, Equatable {
    /// The order of the steps. Other comes last: it is what fits nowhere else.
    public static let order: [Category] = [
        .sales, .refunds, .reimbursements, .sellerFees, .fbaFees, .storageFees, .advertising, .salesTax, .reserves, .loans,
        .shippingLabels, .other,
    ]
    /// What the report calls fees when it gives them as a share of sales.
    public static let feeCategories: Set<Category> = [.sellerFees, .fbaFees, .storageFees, .advertising]

    /// The non-zero steps, in `order`.
    public let steps: [WaterfallStep]
    public let depositMinor: Int64

    /// The waterfall of a booked settlement. Refuses (as a data error naming the settlement) unless the steps end
    /// exactly at the deposit, each category equals what the documents book to it, and the split's balancing lines
    /// net to zero — a report that disagrees with Xero is worse than none.
    public init(settlementID id: String, depositMinor: Int64, ledger: LedgerResult) throws {
        guard !ledger.needsMapping else {
            throw LMBError.data("settlement \(id) needs mapping, so it has no waterfall; see: lmb preview \(id)")
        }
        var totals: [Category: Int64] = [:]
        for (category, amount) in ledger.categoryTotals { totals[category, default: 0] += amount }
        let steps = Self.order.compactMap { c in totals[c].flatMap { $0 == 0 ? nil : WaterfallStep(category: c, amountMinor: $0) } }
        let end = steps.reduce(Int64(0)) { $0 + $1.amountMinor }
        guard end == depositMinor else {
            throw Self.disagreement(id, "its steps end at \(end) minor units, its deposit is \(depositMinor)")
        }
        // The documents Xero receives: the same totals per category, balancing lines netting to zero.
        var booked: [Category?: Int64] = [:]
        for posting in ledger.postings {
            let sign: Int64 = posting.type == .invoice ? 1 : -1
            for line in posting.lines { booked[line.category, default: 0] += sign * line.amountMinor }
        }
        if let carried = booked[nil], carried != 0 {
            throw Self.disagreement(id, "the split's balancing lines leave \(carried) minor units")
        }
        for category in Category.allCases where (booked[category] ?? 0) != (totals[category] ?? 0) {
            throw Self.disagreement(id, "\(category.label) is \(totals[category] ?? 0) minor units, its invoice lines book \(booked[category] ?? 0)")
        }
        self.steps = steps
        self.depositMinor = depositMinor
    }

    static func disagreement(_ id: String, _ detail: String) -> LMBError {
        .data("settlement \(id): the report refuses a waterfall that disagrees with the invoice: \(detail). This is a bug in lmb; please report it with: lmb diagnose --bundle FILE")
    }

    /// The running total after each step.
    public var runningTotals: [Int64] {
        var total: Int64 = 0
        return steps.map { total += $0.amountMinor; return total }
    }

    public func amount(_ category: Category) -> Int64 { steps.first { $0.category == category }?.amountMinor ?? 0 }

    public func total(of categories: Set<Category>) -> Int64 {
        steps.filter { categories.contains($0.category) }.reduce(0) { $0 + $1.amountMinor }
    }

    public var salesMinor: Int64 { amount(.sales) }
    public var refundsMinor: Int64 { amount(.refunds) }
    public var feesMinor: Int64 { total(of: Self.feeCategories) }
    /// Fees as a share of sales: fees are negative, so a positive share is what Amazon kept.
    public var feeShare: Percent? { Percent(-feesMinor, of: salesMinor) }
    /// Refunds as a share of sales.
    public var refundRate: Percent? { Percent(-refundsMinor, of: salesMinor) }
}
