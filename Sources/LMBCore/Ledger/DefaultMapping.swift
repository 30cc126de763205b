/// The built-in rules: every transaction type sellers meet in Amazon's settlement reports (Flat File V2 and V1,
/// every marketplace) and in Etsy's monthly statements, booked the way a bookkeeper posts a settlement.
///
/// Families are globs, so that a new fee of a known kind maps without a release (`FBAFees/*/*`); exceptions are
/// narrower rules, which win by specificity (see `MappingRule.Specificity`). Where the right category is a
/// judgement call the note says why. A combination none of these covers still waits in needs-mapping.
///
/// How lmb reads a V1 report into these fields: each amount column is its own amount-type (price-amount →
/// ItemPrice, item-related-fee-amount → ItemFees, shipment-fee-amount → ShipmentFees, order-fee-amount → OrderFees,
/// misc-fee-amount → MiscFee, other-fee-amount → OtherFee, promotion-amount → Promotion, direct-payment-amount →
/// DirectPayment, other-amount → other-transaction), the column's type value is the amount-description, and a
/// column without a type (other-amount, misc-fee-amount) takes the transaction-type as its description. So V1's
/// "Storage Fee" row is `Storage Fee / other-transaction / Storage Fee`, and rules written against V2's
/// `other-transaction / other-transaction / X` as `*/other-transaction/X` cover both.
extension Mapping {
    public static let defaultRules: [MappingRule] = amazonOrderRules + amazonFeeRules + amazonAccountRules + etsyRules

    // MARK: Amazon: what buyers paid, refunds, promotions and tax

    static let amazonOrderRules: [MappingRule] = [
        rule("Order", "ItemPrice", "*", .sales,
             "what the buyer paid: item price, shipping, gift wrap, and the charges Amazon adds to an order (ExportCharge, CODItemCharge, PaymentMethodFee)"),
        rule("*Refund", "ItemPrice", "*", .refunds,
             "money given back to the buyer: Refund, Chargeback Refund and A-to-z Guarantee Refund alike (Goodwill, ReturnShipping, and a RestockingFee kept back, which offsets the refund)"),
        rule("*", "ItemPrice", "*Tax*", .salesTax,
             "tax collected from the buyer (Tax, ShippingTax, GiftWrapTax, PrincipalTax, COD…TaxCharge), whatever the transaction; marketplace-facilitator tax withheld offsets it"),
        rule("*", "*", "Tax", .salesTax,
             "judgement call: a bare 'Tax' is tax collected or tax on a fee (capacity reservation, other-transaction); both belong with the tax account, not the fee or sale"),
        rule("*", "ItemPrice", "RegulatoryFee", .salesTax,
             "judgement call: regulatory fees collected from the buyer (e.g. Colorado's retail delivery fee) are remitted by Amazon like tax, so they are not the seller's revenue"),
        rule("BuyerRecharge", "*", "*", .sales,
             "judgement call: a buyer charged again after an earlier refund is a sale restored, not an adjustment"),
        rule("*", "other-transaction", "BuyerRecharge", .sales,
             "judgement call: a buyer charged again after an earlier refund is a sale restored, not an adjustment"),
        rule("Liquidations*", "ItemPrice", "*", .sales,
             "judgement call: FBA liquidation proceeds are stock sold (cheaply), so sales rather than other income"),
        rule("*_Retrocharge", "*", "*", .salesTax,
             "tax retro-charged on an old order or refund; it nets against the tax withheld on the same rows"),
        rule("*", "ItemWithheldTax", "*", .salesTax,
             "tax the marketplace collected and withheld (MarketplaceFacilitatorTax/VAT, LowValueGoodsTax): it offsets the tax collected"),
        rule("*", "ItemWithheldTax", "TCS-*", .salesTax,
             "judgement call: India's GST tax collected at source is a credit against the seller's GST, so it belongs with tax, not fees"),
        rule("*", "ItemWithheldTax", "TDS*", .other,
             "judgement call: India's TDS (Section 194-O) is income tax withheld, a credit against income tax, not sales tax"),
        rule("*", "other-transaction", "TDS*", .other,
             "judgement call: India's TDS (Section 194-O) is income tax withheld, a credit against income tax, not sales tax"),
        rule("*", "Promotion", "*", .sales, "seller-funded discounts reduce the sale (contra-revenue)"),
        rule("*Refund", "Promotion", "*", .refunds, "a discount given back on a refund reduces the refund"),
        rule("*", "Promotion", "TaxDiscount", .salesTax, "the tax part of a promotional discount"),
        rule("*", "Points", "*", .sales,
             "judgement call: Amazon Points granted by the seller (Japan) are a discount on the sale, like a promotion"),
        rule("*", "*", "Commingling VAT", .salesTax, "VAT Amazon charges on commingled stock (EU)"),
        rule("*", "*", "SAFE-T Reimbursement", .reimbursements, "a SAFE-T claim paid to the seller"),
        rule("*", "*", "SAFE-TReimbursement", .reimbursements, "a SAFE-T claim paid to the seller (Finances API spelling)"),
        rule("*", "*", "Current Reserve Amount", .reserves, "the reserve Amazon holds back from this settlement (negative)"),
        rule("*", "*", "Previous Reserve Amount Balance", .reserves, "the previous reserve released into this settlement (positive)"),
    ]

    // MARK: Amazon: selling, FBA, storage and advertising fees

    static let amazonFeeRules: [MappingRule] = [
        rule("*", "ItemFees", "*", .sellerFees,
             "selling fees per item: Commission, closing fees, DigitalServicesFee, SalesTaxServiceFee, RefundCommission, Technology Fee"),
        rule("*", "ItemFees", "FBA*", .fbaFees, "FBA fulfilment fees per item (FBAPerUnitFulfillmentFee, FBA Pick & Pack Fee, …)"),
        rule("*", "ItemFees", "FulfillmentNetworkFee", .fbaFees, "FBA fulfilment network fee (Finances API fee type)"),
        rule("*", "ItemFees", "LabelingFee", .fbaFees, "FBA prep service (Finances API fee type)"),
        rule("*", "ItemFees", "PolybaggingFee", .fbaFees, "FBA prep service (Finances API fee type)"),
        rule("*", "ItemFees", "BubblewrapFee", .fbaFees, "FBA prep service (Finances API fee type)"),
        rule("*", "ItemFees", "TapingFee", .fbaFees, "FBA prep service (Finances API fee type)"),
        rule("*", "ItemFees", "OpaqueBaggingFee", .fbaFees, "FBA prep service (Finances API fee type)"),
        rule("*", "ItemFees", "*Chargeback", .fbaFees,
             "judgement call: ShippingChargeback and GiftwrapChargeback take back the shipping and wrap credits for FBA orders Amazon fulfils, a cost of fulfilment"),
        rule("*", "OtherFee", "*Chargeback", .fbaFees,
             "judgement call: ShippingChargeback takes back the shipping credit for FBA orders Amazon fulfils, a cost of fulfilment"),
        rule("*", "ItemFees", "ShippingHB", .fbaFees,
             "judgement call: the shipping holdback on heavy and bulky FBA orders is a fulfilment cost"),
        rule("*", "ItemFees", "RemoteFulfillmentCredit", .fbaFees, "a credit against FBA fees for remote fulfilment (Australia)"),
        rule("*", "ItemFees", "Liquidations*", .fbaFees,
             "judgement call: the brokerage fee of FBA liquidation is part of the FBA programme's cost"),
        rule("*", "ItemFees", "Goodwill", .refunds, "goodwill given to a buyer, where a report lists it among the item fees"),
        rule("*", "ItemFees", "RestockingFee", .refunds, "the restocking fee kept back offsets the refund it belongs to"),
        rule("*", "ItemFees", "ReturnShipping", .refunds,
             "judgement call: return postage refunded to the buyer is part of what the refund cost"),
        rule("*", "ItemFees", "*Points*", .sales,
             "judgement call: Amazon Points granted (PointsGranted, CostOfPointsGranted) or returned (PointsReturned) by the seller are a discount on the sale, like a promotion"),
        rule("*", "ItemFees", "*IGST", .salesTax,
             "judgement call: India's GST on Amazon's fees is input tax the seller claims back, so it goes to the tax account, not the fee"),
        rule("*", "ItemFees", "*CGST", .salesTax,
             "judgement call: India's GST on Amazon's fees is input tax the seller claims back, so it goes to the tax account, not the fee"),
        rule("*", "ItemFees", "*SGST", .salesTax,
             "judgement call: India's GST on Amazon's fees is input tax the seller claims back, so it goes to the tax account, not the fee"),
        rule("*", "ItemFees", "*UTGST", .salesTax,
             "judgement call: India's GST on Amazon's fees is input tax the seller claims back, so it goes to the tax account, not the fee"),
        rule("*", "ItemFees", "Easy Ship weight handling fees", .shippingLabels,
             "judgement call: Easy Ship is Amazon delivering a seller-fulfilled order, i.e. postage, so it books with shipping labels"),
        rule("*", "ItemFees", "EasyShipFee", .shippingLabels, "Easy Ship delivery charge (Japan, India): postage for seller-fulfilled orders"),
        rule("Amazon Easy Ship Charges", "*", "*", .shippingLabels, "Easy Ship delivery charges as their own V1 transaction type"),
        rule("*", "*", "MFNPostageFee", .shippingLabels, "postage bought through Amazon for seller-fulfilled orders"),
        rule("*", "ShipmentFees", "*", .fbaFees, "V1 shipment fees: FBA transportation"),
        rule("*", "OrderFees", "*", .sellerFees, "V1 order-level selling fees"),
        rule("*", "MiscFee", "*", .sellerFees, "V1 misc-fee-amount: miscellaneous selling fees"),
        rule("*", "OtherFee", "*", .sellerFees, "V1 other-fee-amount: other selling fees, by their reason"),
        rule("ServiceFee", "*", "*", .sellerFees, "services billed to the seller account"),
        rule("Subscription Fee", "*", "*", .sellerFees, "the Professional selling plan"),
        rule("AmazonFees", "*", "*", .sellerFees, "fees charged to the seller account (2024+ fee lines: Base fee, Tax on fee, Discount on fee)"),
        rule("*", "*", "Tax on fee", .salesTax,
             "judgement call: VAT/GST Amazon charges on its own fees is input tax, claimed back, so it goes to the tax account rather than the fee"),
        rule("*", "*", "TaxAmount", .salesTax,
             "judgement call: GST/HST or VAT charged on advertising (V1 ServiceFee TaxAmount) is input tax claimed back, so it goes to the tax account rather than advertising"),
        // FBA account-level fees (V2 FBAFees lines)
        rule("FBAFees", "*", "*", .fbaFees, "FBA fees billed to the account: removals, disposals, inbound, returns processing"),
        rule("FBAFees", "*Storage*", "*", .storageFees, "FBA storage, long-term storage and AWD storage, with their discounts"),
        // Advertising and promotion
        rule("*", "*", "Cost of Advertising", .advertising, "Sponsored Products/Brands paid from the balance"),
        rule("*", "Cost of Advertising", "*", .advertising, "Sponsored Products/Brands paid from the balance"),
        rule("*", "Refund for Advertiser", "*", .advertising, "advertising credit"),
        rule("*", "Vine Enrollment Fee", "*", .advertising,
             "judgement call: Vine buys reviews for a launch, a marketing cost, so advertising rather than selling fees"),
        rule("*", "*", "VineFee", .advertising, "judgement call: Vine is a marketing programme (Finances API fee name)"),
        rule("CouponRedemptionFee", "*", "*", .advertising,
             "judgement call: the fee per clipped coupon pays for a promotion, so advertising rather than selling fees"),
        rule("*", "CouponRedemptionFee", "*", .advertising,
             "judgement call: the fee per clipped coupon pays for a promotion, so advertising rather than selling fees"),
        rule("*", "*", "CouponRedemptionFee", .advertising,
             "judgement call: the fee per clipped coupon pays for a promotion, so advertising rather than selling fees"),
        rule("*", "Deals", "*", .advertising, "judgement call: Deals and Lightning Deals fees pay for promotion, so advertising"),
        rule("*", "PromotionFee", "*", .advertising, "judgement call: deal fees pay for promotion, so advertising"),
        rule("Promotion Fee", "*", "*", .advertising, "judgement call: deal fees pay for promotion, so advertising"),
        rule("*", "*", "Promotion fee", .advertising, "judgement call: deal fees pay for promotion, so advertising"),
        rule("*", "*", "Promotion fee special", .advertising, "judgement call: deal fees pay for promotion, so advertising"),
        rule("*", "*", "RunLightningDealFee", .advertising, "judgement call: a Lightning Deal fee pays for promotion, so advertising"),
        rule("*", "other-transaction", "*Lightning*Deal*", .advertising, "judgement call: a Lightning Deal fee pays for promotion, so advertising"),
    ]

    // MARK: Amazon: the account — storage, inbound, removals, reimbursements, transfers, loans

    static let amazonAccountRules: [MappingRule] = [
        rule("*", "other-transaction", "*Storage*", .storageFees,
             "FBA storage: Storage Fee, StorageRenewalBilling, FBA Inventory/Long Term Storage Fee (V2 descriptions and V1 transaction types)"),
        rule("*", "other-transaction", "FBA*", .fbaFees,
             "FBA account fees: inbound placement and transportation, customer returns, removal orders, low-inventory-level fee"),
        rule("*", "other-transaction", "Inbound *", .fbaFees, "inbound fees: Inbound Transportation Fee, Inbound Defect Fee - <reason> (V1)"),
        rule("*", "other-transaction", "AGSGlobalInboundTransportation", .fbaFees, "global inbound transportation"),
        rule("*", "other-transaction", "RemovalComplete", .fbaFees, "a removal order's fee"),
        rule("*", "other-transaction", "DisposalComplete", .fbaFees, "a disposal order's fee"),
        rule("*", "Inbound Defect Fee", "*", .fbaFees, "inbound defect fee, described by the defect"),
        rule("*", "other-transaction", "Manual Processing Fee", .fbaFees,
             "judgement call: FBA manual processing of a problem shipment is a fulfilment cost"),
        rule("*", "Amazon Warehousing & Distribution (AWD)", "*", .fbaFees, "AWD transportation and processing"),
        rule("*", "Amazon Warehousing & Distribution (AWD)", "*Storage*", .storageFees, "AWD storage"),
        rule("*", "Capacity Reservation Fee", "*", .storageFees,
             "judgement call: FBA capacity reservation buys storage space, so its fee and performance credits are storage fees"),
        rule("*", "other-transaction", "Subscription*", .sellerFees, "the Professional selling plan"),
        rule("*", "other-transaction", "NonSubscriptionFeeAdj", .sellerFees, "an adjustment of selling fees"),
        rule("*", "other-transaction", "Fee Adjustment", .sellerFees, "an adjustment of selling fees (V1, Japan)"),
        rule("*", "other-transaction", "Paid Services Fee", .sellerFees, "paid services billed to the account"),
        rule("*", "other-transaction", "PaidServicesFee", .sellerFees, "paid services billed to the account"),
        rule("*", "other-transaction", "HighVolumeListingFee", .sellerFees, "the high-volume listing fee"),
        rule("*", "other-transaction", "Shipping label purchase*", .shippingLabels, "Buy Shipping postage, also for returns"),
        rule("*", "other-transaction", "ShippingServices*", .shippingLabels, "Buy Shipping postage and its refunds"),
        // Reimbursements
        rule("FBA Inventory Reimbursement", "*", "*", .reimbursements, "FBA inventory reimbursements"),
        rule("*", "FBA Inventory Reimbursement", "*", .reimbursements, "FBA inventory reimbursements, described by reason (WAREHOUSE_LOST, …)"),
        rule("*", "MCF Inventory Reimbursement", "*", .reimbursements, "multi-channel fulfilment reimbursements"),
        rule("*", "other-transaction", "FBA Inventory Reimbursement*", .reimbursements, "FBA inventory reimbursements"),
        rule("WAREHOUSE_*", "*", "*", .reimbursements, "FBA reimbursements as V1 transaction types"),
        rule("*", "other-transaction", "WAREHOUSE_*", .reimbursements, "FBA reimbursements for stock lost or damaged in the warehouse"),
        rule("REVERSAL_REIMBURSEMENT", "*", "*", .reimbursements, "a reimbursement taken back (negative)"),
        rule("*", "other-transaction", "REVERSAL_REIMBURSEMENT", .reimbursements, "a reimbursement taken back (negative)"),
        rule("*", "other-transaction", "PAYMENT_RETRACTION_ITEMS", .reimbursements, "a reimbursement taken back (V1, Japan)"),
        rule("*", "other-transaction", "MISSING_FROM_INBOUND*", .reimbursements, "stock lost on its way in, and its clawback"),
        rule("*", "other-transaction", "*_CLAWBACK", .reimbursements, "a reimbursement clawed back"),
        rule("*", "other-transaction", "REMOVAL_ORDER_*", .reimbursements, "a removal order lost or damaged"),
        rule("*", "other-transaction", "INCORRECT_FEES_*", .reimbursements, "fees charged wrongly, reimbursed"),
        rule("*", "other-transaction", "MULTICHANNEL_ORDER_*", .reimbursements, "a multi-channel order lost, damaged or late"),
        rule("*", "other-transaction", "CS_ERROR_ITEMS", .reimbursements, "reimbursed for a customer-service error"),
        rule("*", "other-transaction", "CRETURN_*", .reimbursements, "a customer return gone wrong"),
        rule("*", "other-transaction", "RE_EVALUATION", .reimbursements, "a reimbursement re-evaluated"),
        rule("*", "other-transaction", "FREE_REPLACEMENT_REFUND_ITEMS", .reimbursements, "a free replacement reimbursed"),
        rule("*", "other-transaction", "Manual Processing Fee Reimbursement", .reimbursements, "a manual processing fee given back"),
        rule("*", "other-transaction", "Reversal", .reimbursements,
             "judgement call: a Reversal row carries no order and reverses an earlier reimbursement or charge; reimbursements is where the thing it reverses usually sits"),
        // Money moved between Amazon and the seller: these cancel out within a settlement, so they share one account.
        rule("*", "other-transaction", "Successful charge", .other,
             "judgement call: the seller's card charged to cover a negative balance is money moved, not income; it cancels the 'Payable to Amazon' beside it in Other"),
        rule("*", "other-transaction", "Payable to Amazon", .other,
             "judgement call: the negative balance carried in from the previous settlement; it cancels the 'Successful charge' beside it in Other"),
        rule("*", "other-transaction", "Failed disbursement", .other,
             "judgement call: a payout that bounced back into the balance is money moved, not income or cost"),
        rule("*", "other-transaction", "Transfer of funds unsuccessful*", .other,
             "judgement call: a payout returned because the bank details failed is money moved, not income or cost"),
        rule("*", "*", "Micro Deposit", .other,
             "judgement call: a bank-account verification deposit is money moved, not income or cost"),
        rule("*", "other-transaction", "MiscAdjustment", .other, "an adjustment Amazon does not explain"),
        rule("*", "other-transaction", "Adjustment", .other, "an adjustment Amazon does not explain"),
        rule("*", "other-transaction", "BalanceAdjustment", .other, "an adjustment of the account balance"),
        rule("*", "other-transaction", "Additional Other Expenses", .other, "other expenses Amazon lists as such"),
        rule("*", "other-transaction", "Income Tax Charged", .other,
             "judgement call: income tax withheld by the marketplace is a credit against income tax, not sales tax"),
        rule("*", "*", "Seller Rewards", .other,
             "judgement call: a Seller Rewards credit (India) is an incentive from Amazon, neither a sale nor a fee refund"),
        // Loans
        rule("*", "*", "Loan Servicing", .loans, "Amazon Lending repayment"),
        rule("*", "*", "Amazon Capital Services", .loans,
             "judgement call: Amazon Capital Services is Amazon Lending, so its lines move the loan balance"),
    ]

    // MARK: Etsy monthly statements

    /// The statement's Type column is the transaction-type, "Etsy" the amount-type, and the title (order and listing
    /// numbers removed) the description, so a type's rule covers every title: "Credit for transaction fee on …"
    /// carries a listing title, and ids that are not `#123` stay in the text.
    static let etsyRules: [MappingRule] = [
        rule("Sale", "Etsy", "*", .sales, "Payment for Order: the order total less tax Etsy remits"),
        rule("Refund", "Etsy", "*", .refunds, "refunds and partial refunds to buyers"),
        rule("Fee", "Etsy", "*", .sellerFees, "listing, transaction and processing fees, and their credits"),
        rule("Listing", "Etsy", "*", .sellerFees, "listing fees (older statements)"),
        rule("Transaction", "Etsy", "*", .sellerFees, "transaction fees (older statements)"),
        rule("Subscription", "Etsy", "*", .sellerFees, "Etsy Plus and other subscriptions"),
        rule("Tax", "Etsy", "*", .salesTax, "sales tax Etsy collects and remits, and tax on Etsy's fees"),
        rule("VAT", "Etsy", "*", .salesTax, "VAT on Etsy's fees: input tax, claimed back"),
        rule("Buyer Fee", "Etsy", "*", .salesTax,
             "fees collected from the buyer and remitted by Etsy (e.g. Colorado's retail delivery fee), like tax"),
        rule("Shipping", "Etsy", "*", .shippingLabels, "postage labels, their adjustments and credits, and package insurance"),
        rule("Postage Label", "Etsy", "*", .shippingLabels, "postage labels (older statements)"),
        rule("Marketing", "Etsy", "*", .advertising, "Etsy Ads and Offsite Ads"),
        rule("Payment", "Etsy", "*", .other,
             "judgement call: the seller paying Etsy (a card charged for a refund or a balance due) is money moved, not income or cost"),
        rule("Reserve", "Etsy", "*", .reserves, "a payment account reserve held or released"),
        rule("*", "Etsy", "*reserve*", .reserves, "a payment account reserve held or released"),
        rule("Deposit", "Etsy", "Etsy balance carried", .reserves,
             "what Etsy holds back from a payout or releases into it: the difference between the payout's rows and its deposit"),
    ]

    private static func rule(_ transactionType: String, _ amountType: String, _ amountDescription: String, _ category: Category,
                             _ note: String) -> MappingRule {
        MappingRule(transactionType, amountType, amountDescription, category, note: note)
    }
}
