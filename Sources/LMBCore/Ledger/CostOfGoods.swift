/// Units that left (a sale) or came back to (a refund returned to stock) the seller's inventory in one settlement.
public struct UnitMovement: Sendable, Equatable {
    public enum Fulfilment: String, Sendable, Comparable {
        /// Fulfilled by Amazon (fulfillment-id AFN).
        case fba = "AFN"
        /// Merchant-fulfilled (MFN).
        case merchant = "MFN"

        public var label: String { self == .fba ? "FBA" : "merchant-fulfilled" }
        public static func < (a: Fulfilment, b: Fulfilment) -> Bool { a.rawValue < b.rawValue }
    }

    public var sku: String
    /// Positive: sold; negative: returned to stock.
    public var quantity: Int
    public var fulfilment: Fulfilment
    public var date: CalendarDate

    public init(sku: String, quantity: Int, fulfilment: Fulfilment, date: CalendarDate) {
        self.sku = sku
        self.quantity = quantity
        self.fulfilment = fulfilment
        self.date = date
    }
}

/// A journal line: positive debits, negative credits, as Xero's ManualJournal wants them.
public struct JournalLine: Sendable, Equatable {
    public var description: String
    public var accountCode: String
    public var amountMinor: Int64
}

/// The cost-of-goods-sold journal of one settlement: Σ quantity × unit cost moved from the inventory asset account to
/// cost of goods sold, one pair of lines per fulfilment channel; SKUs without a cost named in the narration.
public struct CostOfGoodsJournal: Sendable, Equatable {
    public var narration: String
    public var date: CalendarDate
    public var currency: Currency
    public var lines: [JournalLine]
    /// SKUs moved that have no cost (or a cost in another currency): left out, and named.
    public var missingSKUs: [String]

    /// What the journal books to cost of goods sold (sales less returns), in minor units.
    public var costMinor: Int64
    public var balances: Bool { lines.reduce(Int64(0)) { $0 + $1.amountMinor } == 0 }

    /// Builds the journal; nil when nothing with a cost moved.
    public static func build(settlementID: String, number: String, date: CalendarDate, currency: Currency, movements: [UnitMovement],
                             cost: (String, CalendarDate) -> UnitCost?, inventoryAccount: String = "630", cogsAccount: String = "310") -> CostOfGoodsJournal? {
        var byChannel: [UnitMovement.Fulfilment: (cost: Int64, units: Int)] = [:]
        var missing = Set<String>()
        for m in movements where m.quantity != 0 {
            guard let c = cost(m.sku, m.date), c.currency == currency else {
                missing.insert(m.sku)
                continue
            }
            byChannel[m.fulfilment, default: (0, 0)].cost += Int64(m.quantity) * c.unitCostMinor
            byChannel[m.fulfilment, default: (0, 0)].units += m.quantity
        }
        var lines: [JournalLine] = []
        for channel in byChannel.keys.sorted() {
            guard let (amount, units) = byChannel[channel], amount != 0 else { continue }
            lines.append(JournalLine(description: "Cost of goods sold — \(channel.label), \(units) unit\(units == 1 ? "" : "s") net of returns", accountCode: cogsAccount, amountMinor: amount))
            lines.append(JournalLine(description: "Inventory — \(channel.label) stock out", accountCode: inventoryAccount, amountMinor: -amount))
        }
        guard !lines.isEmpty else { return nil }
        var narration = "\(number) cost of goods sold, settlement \(settlementID)"
        let names = missing.sorted()
        if !names.isEmpty { narration += "; no cost for: \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", …" : "")" }
        return CostOfGoodsJournal(narration: narration, date: date, currency: currency, lines: lines, missingSKUs: names,
                                  costMinor: byChannel.values.reduce(0) { $0 + $1.cost })
    }

    /// The journal as Xero's ManualJournal schema wants it (amounts exact; NoTax: stock moves carry no tax).
    public func xeroManualJournal(status: String = "DRAFT") -> JSON {
        .object([
            ("Narration", .string(narration)), ("Date", .string(date.description)), ("Status", .string(status)),
            ("LineAmountTypes", .string("NoTax")),
            ("JournalLines", .array(lines.map { l in
                .object([("Description", .string(l.description)), ("LineAmount", .money(l.amountMinor, exponent: currency.exponent)),
                         ("AccountCode", .string(l.accountCode)), ("TaxType", .string("NONE"))])
            })),
        ])
    }
}
