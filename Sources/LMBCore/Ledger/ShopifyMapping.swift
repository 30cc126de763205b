/// Shopify Payments: every documented balance-transaction type (ShopifyPaymentsTransactionType, and the export's
/// lower-case words, upper-cased with `_` for spaces). Each row gives its `Amount` and, when not zero, its `Fee` (a
/// cost, negative); the amount-type is always "Shopify". The enum grows with each API version: a type no rule
/// names waits in needs-mapping, never dropped.
extension Mapping {
    static let shopifyRules: [MappingRule] = [
        shopify("*", "Fee", .sellerFees, "Shopify Payments' processing fee on a transaction, and the chargeback fee on a dispute (a fee given back is negative)"),
        shopify("CHARGE", "Amount", .sales, "what the buyer paid by card or wallet through Shopify Payments"),
        shopify("REFUND*", "Amount", .refunds, "money given back to the buyer (REFUND, REFUND_FAILURE putting it back, REFUND_ADJUSTMENT)"),
        shopify("DISPUTE*", "Amount", .refunds,
                "judgement call: a chargeback takes the sale back like a refund (DISPUTE_WITHDRAWAL), and a won dispute returns it (DISPUTE_REVERSAL)"),
        shopify("CHARGEBACK_FEE*", "Amount", .sellerFees, "the chargeback fee, and its refund when the dispute is won"),
        shopify("CHARGEBACK_HOLD*", "Amount", .reserves, "money held while a chargeback is open, and its release"),
        shopify("RESERVE*", "Amount", .reserves, "a reserve Shopify Payments holds on the balance (RESERVED_FUNDS, _WITHDRAWAL, _REVERSAL; the export's 'reserve')"),
        shopify("RISK_*", "Amount", .reserves, "money held back for risk, and its release"),
        shopify("ADJUSTMENT*", "Amount", .other,
                "judgement call: an adjustment Shopify makes to the balance (its reason is in the admin); booked to other until the seller knows better"),
        shopify("CHARGE_ADJUSTMENT", "Amount", .sales, "a correction to a charge's amount"),
        shopify("TRANSFER*", "Amount", .reserves,
                "judgement call: money moving between the balance and the bank outside this payout (a failed, cancelled or refunded earlier payout coming back); like a balance carried"),
        shopify("PAYOUT_*", "Amount", .reserves,
                "judgement call: an earlier payout that failed or was cancelled coming back into the balance (the export's payout_failure, payout_cancellation)"),
        shopify("ADVANCE*", "Amount", .loans, "Shopify Capital: an advance paid into the balance (ADVANCE_FUNDING) and its repayment (ADVANCE)"),
        shopify("LENDING*", "Amount", .loans, "Shopify Capital loan movements"),
        shopify("SHIPPING_*", "Amount", .shippingLabels, "Shopify Shipping labels bought from the balance, their adjustments and refunds"),
        shopify("BILLING_DEBIT*", "Amount", .sellerFees, "judgement call: the shop's Shopify bill (plan, apps) taken from the balance, and its reversal"),
        shopify("TAX_ADJUSTMENT*", "Amount", .salesTax, "tax adjustments Shopify makes (credits, debits and their reversals)"),
        shopify("VAT_REFUND*", "Amount", .salesTax, "VAT refunded to the seller"),
        shopify("IMPORT_TAX*", "Amount", .salesTax, "import tax collected from the buyer and remitted (Managed Markets), like tax"),
        shopify("CUSTOMS_DUTY*", "Amount", .salesTax, "duties collected from the buyer and remitted, like tax"),
        shopify("MARKETPLACE_FEE*", "Amount", .sellerFees, "marketplace fees and their credits"),
        shopify("STRIPE_FEE", "Amount", .sellerFees, "a processing fee charged as its own row"),
        shopify("SHOP_CASH*", "Amount", .other,
                "judgement call: Shop Cash (a buyer reward Shopify funds or the seller offers) is neither the sale nor a fee"),
        shopify("SHOPIFY_COLLECTIVE*", "Amount", .other,
                "judgement call: Shopify Collective moves money between supplier and retailer; booked to other until the seller decides"),
        shopify("CURRENCY_CONVERSION*", "Amount", .other, "judgement call: money converted between balance currencies is money moved, not income or cost"),
        shopify("CREDIT", "Amount", .other, "judgement call: a credit to the balance (the export's 'credit'), reason in the admin"),
        shopify("DEBIT", "Amount", .other, "judgement call: a debit from the balance (the export's 'debit'), reason in the admin"),
        shopify("COLLECTIONS*", "Amount", .other, "money Shopify recovered towards a negative balance"),
    ]

    private static func shopify(_ type: String, _ description: String, _ category: Category, _ note: String) -> MappingRule {
        MappingRule(type, "Shopify", description, category, note: note)
    }
}
