/// Units that left (a sale) or came back to (a refund returned to stock) the seller's inventory in one settlement.
public struct UnitMovement: Sendable, Equatable {
    public enum Fulfilment: String, Sendable, Comparable {
        /// Fulfilled by Amazon (fulfillment-id AFN).
        case fba = "AFN"
        /// Merchant-fulfilled (MFN).
        case merchant = "MFN"
        /// The row states no fulfillment-id (a file without the column, or an empty field).
        case unstated = ""

        public var label: String {
            switch self {
            case .fba: return "FBA"
            case .merchant: return "merchant-fulfilled"
            case .unstated: return "fulfilment not stated"
            }
        }
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

// MARK: Sending the journal

/// How cost of goods sold is booked (config.json): `"cogs": "journal"` (the default: a manual journal beside each
/// settlement's invoice), `"bill"` (a zero-total bill with the two lines, as Link My Books does, for organisations
/// that keep manual journals for the accountant) or `"off"`; `"cogs_account"` and `"inventory_account"` name the
/// accounts (default LMB14 "Cost of Goods Sold", DIRECTCOSTS, and LMB15 "Inventory", INVENTORY, which `lmb setup`
/// creates once costs are imported). Nothing is booked for a settlement none of whose SKUs has a cost.
public struct CostOfGoodsSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case journal, bill, off }

    public var mode: Mode
    public var cogsAccount: String
    public var inventoryAccount: String

    public static let defaultCOGSAccount = (code: "LMB14", name: "Amazon Cost of Goods Sold", type: "DIRECTCOSTS")
    public static let defaultInventoryAccount = (code: "LMB15", name: "Amazon Inventory", type: "INVENTORY")
    /// Types an existing account may have (setup reports another as a conflict; it never changes it).
    public static let cogsTypes = ["DIRECTCOSTS", "EXPENSE", "OVERHEADS"]
    public static let inventoryTypes = ["INVENTORY", "CURRENT"]

    public init(mode: Mode = .journal, cogsAccount: String = defaultCOGSAccount.code, inventoryAccount: String = defaultInventoryAccount.code) {
        self.mode = mode
        self.cogsAccount = cogsAccount
        self.inventoryAccount = inventoryAccount
    }

    public init(config: LMBConfig) throws {
        var mode = Mode.journal
        if let raw = config.cogs {
            guard let m = Mode(rawValue: raw.lowercased()) else {
                throw LMBError.config("config.json: \"cogs\": \"\(raw)\" is not one of \(Mode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            mode = m
        }
        self.init(mode: mode, cogsAccount: config.cogsAccount ?? Self.defaultCOGSAccount.code,
                  inventoryAccount: config.inventoryAccount ?? Self.defaultInventoryAccount.code)
    }

    /// The settings of a home (config.json), or the defaults when it has none.
    public static func load(home: LMBHome) throws -> CostOfGoodsSettings {
        try CostOfGoodsSettings(config: LMBConfig.load(home: home, environment: [:]))
    }
}

/// The cost-of-goods document of one settlement: its journal (or bill), number and what it could not cost.
public struct CostOfGoodsDocument: Sendable, Equatable {
    /// The posting part the document is recorded under (a settlement's invoices are parts 1…n).
    public static let part = 900
    /// The posting type of a manual journal (a bill is recorded as ACCPAY, like any bill).
    public static let journalType = "MANUALJOURNAL"

    public var journal: CostOfGoodsJournal
    /// `AMZ-<id>-COGS` (with the generation's revision suffix): the bill's InvoiceNumber, the journal's Narration start.
    public var number: String
    public var mode: CostOfGoodsSettings.Mode
    /// The marketplace contact (a bill's).
    public var contactName: String

    public var type: String { mode == .bill ? Posting.DocumentType.bill.rawValue : Self.journalType }
    public var accountCodes: [String] { Array(Set(journal.lines.map(\.accountCode))).sorted() }

    /// The journal's status for a send status: POSTED when the invoice goes AUTHORISED, DRAFT otherwise (a DRAFT or
    /// SUBMITTED invoice is not in the books yet; neither is a DRAFT journal, so the two enter the books together).
    public static func journalStatus(forInvoiceStatus status: String) -> String { status.uppercased() == "AUTHORISED" ? "POSTED" : "DRAFT" }

    /// The request element: a ManualJournal, or a zero-total bill (ACCPAY) with the same lines.
    public func body(invoiceStatus: String) -> JSON {
        switch mode {
        case .bill:
            let currency = journal.currency
            return .object([
                ("Type", .string(Posting.DocumentType.bill.rawValue)),
                ("Contact", .object([("Name", .string(contactName))])),
                ("Date", .string(journal.date.description)), ("DueDate", .string(journal.date.description)),
                ("InvoiceNumber", .string(number)), ("CurrencyCode", .string(currency.code)),
                ("Status", .string(invoiceStatus.uppercased())), ("LineAmountTypes", .string("NoTax")),
                ("LineItems", .array(journal.lines.map { l in
                    .object([("Description", .string(l.description)), ("Quantity", .number("1")),
                             ("UnitAmount", .money(l.amountMinor, exponent: currency.exponent)), ("AccountCode", .string(l.accountCode)),
                             ("TaxType", .string("NONE")), ("LineAmount", .money(l.amountMinor, exponent: currency.exponent))])
                })),
            ])
        case .journal, .off:
            return journal.xeroManualJournal(status: Self.journalStatus(forInvoiceStatus: invoiceStatus))
        }
    }
}

/// What cost of goods sold does for one settlement: the document to send (nil when there is none) and the warnings.
public struct CostOfGoodsPlan: Sendable, Equatable {
    public var document: CostOfGoodsDocument?
    /// SKUs sold or returned with no cost in the settlement's currency.
    public var missingSKUs: [String]
    /// Sale or refund rows whose units are unknown (imported before lmb stored quantities).
    public var unknownRows: Int

    /// The warning send and preview print, or nil.
    public func warning(settlementID: String) -> String? {
        var parts: [String] = []
        if !missingSKUs.isEmpty {
            let shown = missingSKUs.prefix(10).joined(separator: ", ") + (missingSKUs.count > 10 ? ", … (\(missingSKUs.count) in all)" : "")
            parts.append("no unit cost for \(shown): left out of the cost of goods sold\(document == nil ? "" : " (named in the \(document?.mode == .bill ? "bill" : "journal"))"); add them with lmb costs import FILE.csv")
        }
        if unknownRows > 0 {
            parts.append("\(unknownRows) sale/refund row(s) were imported before lmb stored quantities, so their units are unknown and no cost of goods is booked for them; import the file again with lmb import --replace FILE before sending")
        }
        guard !parts.isEmpty else { return nil }
        return "lmb: warning: settlement \(settlementID): " + parts.joined(separator: "; ")
    }

    /// The plan of a stored settlement as booked (`booked` gives the documents' date, number suffix and contact).
    /// nil: cost of goods is off, the settlement is not Amazon's, or no cost is stored at all.
    public static func make(store: Store, settlement s: StoredSettlement, booked: LedgerResult, settings: CostOfGoodsSettings) throws -> CostOfGoodsPlan? {
        guard settings.mode != .off, s.header.format == .amazonV2 || s.header.format == .amazonV1, try store.hasCosts() else { return nil }
        let units = try store.settlementUnits(settlementID: s.header.id)
        guard !units.movements.isEmpty || units.unknownRows > 0 else { return nil }
        let generation = try store.generation(settlementID: s.header.id)
        let number = "\(s.header.format.invoicePrefix)\(s.header.id)-COGS\(Booking.revisionSuffix(generation))"
        let date = booked.postings.last?.date ?? s.header.endDate
        var cache: [String: [UnitCost]] = [:]
        let costOn: (String, CalendarDate) -> UnitCost? = { sku, day in
            let list = cache[sku] ?? ((try? store.costs(sku: sku)) ?? [])
            cache[sku] = list
            return list.last { ($0.fromDate.map { $0 <= day }) ?? true }
        }
        let journal = CostOfGoodsJournal.build(settlementID: s.header.id, number: number, date: date, currency: s.header.currencyInfo,
                                               movements: units.movements, cost: costOn,
                                               inventoryAccount: settings.inventoryAccount, cogsAccount: settings.cogsAccount)
        let missing = journal?.missingSKUs ?? Array(Set(units.movements.filter { $0.quantity != 0 }.map(\.sku))).sorted()
        let contact = booked.postings.first?.contactName ?? s.marketplace
        return CostOfGoodsPlan(document: journal.map { CostOfGoodsDocument(journal: $0, number: number, mode: settings.mode, contactName: contact) },
                               missingSKUs: missing, unknownRows: units.unknownRows)
    }
}

extension CostOfGoodsPlan {
    /// The journal (or bill) as preview shows it beside the invoice.
    public func previewText(invoiceStatus: String = "DRAFT") -> String {
        guard let d = document else {
            return "Cost of goods sold: nothing to book (no sold SKU has a unit cost in this settlement's currency)."
        }
        let e = d.journal.currency.exponent
        let what = d.mode == .bill ? "zero-total bill \(d.number) (ACCPAY, \(invoiceStatus))"
                                   : "manual journal \(d.number) (\(CostOfGoodsDocument.journalStatus(forInvoiceStatus: invoiceStatus)) with a \(invoiceStatus) invoice, POSTED with --status authorised)"
        var lines = ["Cost of goods sold — \(what), dated \(d.journal.date):"]
        let width = d.journal.lines.map { Money.format($0.amountMinor, exponent: e).count }.max() ?? 0
        for l in d.journal.lines {
            let amount = Money.format(l.amountMinor, exponent: e)
            lines.append("  \(l.accountCode.padding(toLength: 8, withPad: " ", startingAt: 0)) \(String(repeating: " ", count: max(0, width - amount.count)))\(amount)  \(l.description)")
        }
        lines.append("  total cost \(Money.format(d.journal.costMinor, exponent: e)) \(d.journal.currency.code) (inventory to cost of goods sold; the lines balance)")
        if !missingSKUs.isEmpty { lines.append("  no cost for: \(missingSKUs.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
