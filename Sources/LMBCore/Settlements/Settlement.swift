/// The report formats lmb reads.
public enum SettlementFormat: String, Codable, Sendable, CaseIterable {
    case amazonV2 = "amazon-v2"
    case amazonV1 = "amazon-v1"
    case etsy = "etsy"
    case shopify = "shopify"
    case ebay = "ebay"

    public var displayName: String {
        switch self {
        case .amazonV2: return "Amazon Flat File V2"
        case .amazonV1: return "Amazon Flat File (V1)"
        case .etsy: return "Etsy monthly statement"
        case .shopify: return "Shopify Payments payout"
        case .ebay: return "eBay payout"
        }
    }

    /// Invoice numbers are the prefix and the settlement id (Etsy payout ids already say "etsy-", Shopify's "SHP-",
    /// eBay's "EBAY-").
    public var invoicePrefix: String { self == .amazonV2 || self == .amazonV1 ? "AMZ-" : "" }

    /// An Amazon report's format from the columns its header names (lower-cased): V2 has one amount column and its
    /// amount-type, V1 spreads amounts over price-amount, item-related-fee-amount and others. Nil for neither.
    static func amazon(hasColumn: (String) -> Bool) -> SettlementFormat? {
        guard hasColumn("settlement-id") else { return nil }
        if hasColumn("amount-type") && hasColumn("amount") { return .amazonV2 }
        if hasColumn("price-amount") || hasColumn("item-related-fee-amount") { return .amazonV1 }
        return nil
    }
}

/// What the summary row of a settlement report says.
public struct SettlementHeader: Codable, Sendable, Equatable {
    public var id: String
    public var format: SettlementFormat
    public var currency: String
    public var startDate: CalendarDate
    public var endDate: CalendarDate
    public var depositDate: CalendarDate
    public var totalMinor: Int64

    public var currencyInfo: Currency { Currency(code: currency) }
    public var total: Money { Money(minorUnits: totalMinor, currency: currencyInfo) }
}

/// All rows of one (transaction-type, amount-type, amount-description) combination in one month, summed.
/// The ledger works on these, so re-mapping a settlement never needs its file again.
public struct SettlementGroup: Codable, Sendable, Equatable, Hashable {
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    /// `YYYY-MM` of the rows' posted date, or empty when the rows carry none.
    public var month: String
    public var amountMinor: Int64
    public var count: Int
    /// The marketplace or SKU the rows share, when the mapping groups lines by one of them; else empty.
    public var detail: String
    /// With a tax profile: the rows' VAT/GST treatment (nil: the category's).
    public var tax: TaxKey?
    /// Amazon's own VAT inside `amountMinor` (VAT Calculation Service rows), sent as the line's TaxAmount.
    public var vatMinor: Int64?
    /// A seller-responsible order's tax row (Tax, ShippingTax, TaxDiscount…), folded into its sale or refund.
    public var folded: Bool?

    public init(transactionType: String, amountType: String, amountDescription: String, month: String, amountMinor: Int64, count: Int,
                detail: String = "", tax: TaxKey? = nil, vatMinor: Int64? = nil, folded: Bool? = nil) {
        self.transactionType = transactionType
        self.amountType = amountType
        self.amountDescription = amountDescription
        self.month = month
        self.amountMinor = amountMinor
        self.count = count
        self.detail = detail
        self.tax = tax
        self.vatMinor = vatMinor
        self.folded = folded
    }
}

/// A parsed settlement: its header, its rows summed into groups, and what was detected about the file.
public struct ParsedSettlement: Sendable, Equatable {
    public var header: SettlementHeader
    public var marketplace: String
    public var groups: [SettlementGroup]
    public var rowCount: Int
    public var encoding: String
    public var decimalMark: String
    public var dateOrder: String?
    public var contentHash: String
}

/// A refused settlement file: where, and what is wrong, in the `file:line: message` form compilers use.
public struct SettlementFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notFound, malformed, doesNotAddUp }
    public var kind: Kind
    public var file: String
    public var line: Int?
    public var message: String

    public init(_ kind: Kind = .malformed, file: String, line: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }

    /// 66 for a file that cannot be opened as a regular file; 65 for its contents.
    public var exitStatus: ExitStatus { kind == .notFound ? .noInput : .dataError }
}
