/// How each category is taxed when its rows carry no order-level treatment: the default mapping's tax side, as data.
/// The first rule that matches the category, the seller's country of establishment and the rows' month wins; each says why.
public struct CategoryTaxRule: Sendable {
    public var categories: Set<Category>
    /// Countries of establishment the rule is for; nil: any.
    public var established: Set<String>?
    /// The first day the rule holds (by the rows' posted month).
    public var from: CalendarDate?
    /// The first day it no longer holds.
    public var before: CalendarDate?
    public var treatment: TaxTreatment
    public var note: String

    func matches(_ category: Category, country: String, month: CalendarDate?) -> Bool {
        guard categories.contains(category) else { return false }
        if let established, !established.contains(country) { return false }
        if let from, let month, month < from { return false }
        if let before, let month, month >= before { return false }
        if month == nil && (from != nil) { return false }
        return true
    }
}

extension CategoryTaxRule {
    static let fees: Set<Category> = [.sellerFees, .fbaFees, .storageFees, .shippingLabels]

    public static let defaults: [CategoryTaxRule] = [
        CategoryTaxRule(categories: [.reimbursements], treatment: .outsideScope,
                        note: "FBA inventory reimbursements compensate for lost or damaged stock: outside the scope of VAT (a post-order reimbursement's VAT was settled with the sale)"),
        CategoryTaxRule(categories: [.reserves, .loans, .other], treatment: .outsideScope,
                        note: "reserves, loans, transfers and other movements of money are not supplies: no VAT (BAS excluded in Australia)"),
        CategoryTaxRule(categories: [.salesTax], treatment: .outsideScope,
                        note: "what is left here is tax the marketplace collected and withheld, netting to zero: outside the seller's VAT"),
        CategoryTaxRule(categories: fees, established: TaxCountries.feeVATCountries, from: TaxCountries.feeVATFrom, treatment: .standardInput,
                        note: "from 1 August 2024 Amazon bills sellers established in the UK, DE, FR, IT, ES, NL, PL, BE and SE their selling, FBA, storage and shipping fees with local VAT, inside the settlement's amounts"),
        CategoryTaxRule(categories: fees, established: TaxCountries.feeVATCountries, before: TaxCountries.feeVATFrom, treatment: .reverseCharge,
                        note: "before 1 August 2024 Amazon billed these fees from Luxembourg without VAT: the seller accounted for it by reverse charge"),
        CategoryTaxRule(categories: [.advertising], established: ["GB"], treatment: .standardInput,
                        note: "UK advertising is billed from London with 20 % VAT, before and after August 2024"),
        CategoryTaxRule(categories: [.advertising], established: TaxCountries.feeVATCountries.subtracting(["GB"]), treatment: .reverseCharge,
                        note: "advertising is billed from Luxembourg without VAT, unchanged in August 2024: reverse charge"),
        CategoryTaxRule(categories: fees.union([.advertising]), established: ["AU"], treatment: .standardInput,
                        note: "Amazon Australia charges GST on its fees and advertising to Australian sellers: input tax inside the amounts"),
        CategoryTaxRule(categories: fees.union([.advertising]), established: TaxCountries.eu, treatment: .reverseCharge,
                        note: "an EU seller with a VAT number is billed Amazon's fees from Luxembourg without VAT: reverse charge"),
        CategoryTaxRule(categories: fees.union([.advertising]), treatment: .outsideScope,
                        note: "fees billed from outside the seller's tax system carry no VAT/GST the seller can claim"),
    ]

    /// The treatment of a category's rows that carry none of their own, for `profile` in `month` ("YYYY-MM").
    public static func key(for category: Category, profile: TaxProfile, month: String, classifier: TaxClassifier, marketplace: String) -> TaxKey {
        let day = CalendarDate(iso: month.isEmpty ? "" : month + "-01")
        guard profile.isRegistered else { return TaxKey(.outsideScope) }
        switch category {
        case .sales, .refunds:
            return classifier.destination(TaxCountries.country(ofMarketplace: marketplace), date: day)
        default:
            let rule = defaults.first { $0.matches(category, country: profile.country, month: day) }
            let treatment = rule?.treatment ?? .outsideScope
            if treatment == .standardInput {
                return TaxKey(.standardInput, country: profile.country, rate: TaxCountries.standardRate(profile.country, on: day))
            }
            return TaxKey(treatment)
        }
    }
}
