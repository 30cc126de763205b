/// eBay: transaction types as the Finances API spells them (SALE, REFUND, NON_SALE_CHARGE, SHIPPING_LABEL, DISPUTE,
/// TRANSFER, CREDIT, …; the transaction report's words are read into these), amount-type "eBay", and as description
/// the row's gross ("Gross"), a fee type (FINAL_VALUE_FEE, AD_FEE, …), or a non-sale row's own description. A sale's
/// net is rebuilt into its gross and its fees, each fee on its own line; eBay-collected tax never reaches the payout.
extension Mapping {
    static let ebayRules: [MappingRule] = [
        ebay("SALE", "Gross", .sales, "what the buyer paid for the item and postage, before eBay's fees (eBay-collected tax kept out)"),
        ebay("REFUND", "Gross", .refunds, "money given back to the buyer, before the fees eBay credits back"),
        ebay("*", "*FEE*", .sellerFees, "eBay's selling fees on a sale (final value, international, regulatory operating, below-standard …), and on a refund the part credited back"),
        ebay("*", "FINAL_VALUE_FEE*", .sellerFees, "the final value fee, variable and per order"),
        ebay("*", "AD_FEE", .advertising, "Promoted Listings (general) fees"),
        ebay("*", "PREMIUM_AD_FEES", .advertising, "Promoted Listings (priority) fees"),
        ebay("*", "*Promoted*", .advertising, "Promoted Listings fees, as the transaction report words them"),
        ebay("*", "CHARITY_DONATION", .other, "judgement call: a charity donation the seller chose to give from a sale is neither a fee nor a sale"),
        ebay("*", "INCOME_TAX_WITHHOLDING", .other, "judgement call: income tax withheld is a credit against income tax, not sales tax"),
        ebay("*", "TAX_DEDUCTION_AT_SOURCE", .other, "judgement call: tax deducted at source is a credit against income tax, not sales tax"),
        ebay("*", "VAT_WITHHOLDING", .salesTax, "VAT eBay withholds and remits"),
        ebayType("NON_SALE_CHARGE", .sellerFees, "eBay fees charged on their own (insertion, store subscription, other fees) by fee type"),
        ebayType("SHIPPING_LABEL", .shippingLabels, "postage labels bought through eBay"),
        ebayType("DISPUTE", .refunds, "judgement call: a payment dispute or claim takes the sale back like a refund (a hold until decided)"),
        ebayType("CREDIT", .refunds, "judgement call: a credit from eBay, most often a dispute hold released back to the seller, offsets the dispute"),
        ebayType("TRANSFER", .other, "judgement call: money pulled from the seller's card or bank to cover a charge the balance could not: money moved, not income or cost"),
        ebayType("ADJUSTMENT", .other, "judgement call: an adjustment eBay made to the seller's funds (reason in Seller Hub)"),
        ebayType("WITHDRAWAL", .other, "judgement call: money withdrawn from the eBay balance, not income or cost"),
        ebayType("LOAN_REPAYMENT", .loans, "a loan repayment taken from the payout"),
        ebayType("PURCHASE", .other, "judgement call: the seller buying on eBay with the balance is money moved"),
        ebayType("HOLD", .reserves, "funds eBay holds, and their release"),
    ]

    private static func ebay(_ type: String, _ description: String, _ category: Category, _ note: String) -> MappingRule {
        MappingRule(type, "eBay", description, category, note: note)
    }

    private static func ebayType(_ type: String, _ category: Category, _ note: String) -> MappingRule {
        MappingRule(type, "eBay", "*", category, note: note)
    }
}
