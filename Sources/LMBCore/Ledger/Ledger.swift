/// A combination no mapping rule covers: never dropped, never guessed, listed for the user to map.
public struct UnmappedCombination: Sendable, Equatable {
    public var transactionType: String
    public var amountType: String
    public var amountDescription: String
    public var count: Int
    public var amountMinor: Int64

    /// The exact entry to add to the mapping's "rules" list.
    public var suggestedRule: String {
        JSON.object([
            ("amountDescription", .string(amountDescription)),
            ("amountType", .string(amountType)),
            ("category", .string("CATEGORY")),
            ("transactionType", .string(transactionType)),
        ]).rendered(pretty: false)
    }
}

/// One line of the summarized document.
public struct PostingLine: Sendable, Equatable {
    public var category: Category
    public var description: String
    public var accountCode: String
    public var taxType: String
    public var amountMinor: Int64   // as it appears on the document (signs already turned round for a bill)
}

/// What a settlement becomes in Xero: an invoice (ACCREC) or, when negative, a bill (ACCPAY).
public struct Posting: Sendable, Equatable {
    public enum DocumentType: String, Sendable { case invoice = "ACCREC", bill = "ACCPAY" }

    public var settlementID: String
    public var part: Int
    public var type: DocumentType
    public var contactName: String
    public var invoiceNumber: String
    public var reference: String
    public var date: CalendarDate
    public var dueDate: CalendarDate
    public var currency: Currency
    public var lineAmountTypes: String
    public var lines: [PostingLine]

    /// The document's total as Xero will show it (always ≥ 0).
    public var totalMinor: Int64 { lines.reduce(0) { $0 + $1.amountMinor } }
    /// What the document does to the seller's balance: negative for a bill.
    public var signedTotalMinor: Int64 { type == .invoice ? totalMinor : -totalMinor }

    /// The invoice as Xero's Invoice schema wants it, amounts as exact decimals.
    public func xeroInvoice(status: String = "DRAFT") -> JSON {
        var pairs: [(String, JSON)] = [
            ("Type", .string(type.rawValue)),
            ("Contact", .object([("Name", .string(contactName))])),
            ("Date", .string(date.description)),
            ("DueDate", .string(dueDate.description)),
            ("InvoiceNumber", .string(invoiceNumber)),
        ]
        if type == .invoice { pairs.append(("Reference", .string(reference))) }
        pairs += [
            ("CurrencyCode", .string(currency.code)),
            ("Status", .string(status)),
            ("LineAmountTypes", .string(lineAmountTypes)),
            ("LineItems", .array(lines.map { line in
                .object([
                    ("Description", .string(line.description)),
                    ("Quantity", .number("1")),
                    ("UnitAmount", .money(line.amountMinor, exponent: currency.exponent)),
                    ("AccountCode", .string(line.accountCode)),
                    ("TaxType", .string(line.taxType)),
                    ("LineAmount", .money(line.amountMinor, exponent: currency.exponent)),
                ])
            })),
        ]
        return .object(pairs)
    }

    public static func requestBody(_ postings: [Posting], status: String = "DRAFT") -> JSON {
        .object([("Invoices", .array(postings.map { $0.xeroInvoice(status: status) }))])
    }
}

/// The ledger's verdict on a settlement.
public struct LedgerResult: Sendable, Equatable {
    public var postings: [Posting]
    public var unmapped: [UnmappedCombination]
    public var categoryTotals: [(Category, Int64)]

    public var needsMapping: Bool { !unmapped.isEmpty }

    public static func == (a: LedgerResult, b: LedgerResult) -> Bool {
        a.postings == b.postings && a.unmapped == b.unmapped && a.categoryTotals.map(\.0) == b.categoryTotals.map(\.0)
            && a.categoryTotals.map(\.1) == b.categoryTotals.map(\.1)
    }
}

/// Turns a settlement's groups into the document(s) to post, by the mapping.
public struct Ledger: Sendable {
    public var mapping: Mapping

    public init(mapping: Mapping) { self.mapping = mapping }

    public func book(header: SettlementHeader, marketplace: String, groups: [SettlementGroup]) -> LedgerResult {
        var unmapped: [String: UnmappedCombination] = [:]
        var byCategory: [Category: (amount: Int64, descriptions: [String: Int64])] = [:]
        for g in groups {
            guard let category = mapping.category(of: g) else {
                let key = "\(g.transactionType)\u{1F}\(g.amountType)\u{1F}\(g.amountDescription)"
                var u = unmapped[key] ?? UnmappedCombination(transactionType: g.transactionType, amountType: g.amountType,
                                                               amountDescription: g.amountDescription, count: 0, amountMinor: 0)
                u.count += g.count
                u.amountMinor += g.amountMinor
                unmapped[key] = u
                continue
            }
            var entry = byCategory[category] ?? (0, [:])
            entry.amount += g.amountMinor
            let name = g.amountDescription.isEmpty ? g.transactionType : g.amountDescription
            entry.descriptions[name, default: 0] += g.amountMinor
            byCategory[category] = entry
        }
        let totals = byCategory.keys.sorted().map { ($0, byCategory[$0]!.amount) }
        let unmappedList = unmapped.values.sorted {
            ($0.transactionType, $0.amountType, $0.amountDescription) < ($1.transactionType, $1.amountType, $1.amountDescription)
        }

        let total = header.totalMinor
        let type: Posting.DocumentType = total >= 0 ? .invoice : .bill
        let sign: Int64 = type == .invoice ? 1 : -1
        var lines: [PostingLine] = []
        for (category, amount) in totals {
            let account = mapping.account(for: category)
            let names = byCategory[category]!.descriptions.sorted { (abs($0.value), $1.key) > (abs($1.value), $0.key) }.map(\.key)
            let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", …" : "")
            lines.append(PostingLine(category: category, description: "\(marketplace) \(category.label.lowercased()) — \(shown)",
                                     accountCode: account.account, taxType: account.taxType, amountMinor: amount * sign))
        }
        // A category that nets to zero books nothing; keep one line so the document is never empty.
        let nonZero = lines.filter { $0.amountMinor != 0 }
        if !nonZero.isEmpty { lines = nonZero } else if let first = lines.first { lines = [first] } else {
            let account = mapping.account(for: .other)
            lines = [PostingLine(category: .other, description: "\(marketplace) settlement \(header.id) — no transactions",
                                 accountCode: account.account, taxType: account.taxType, amountMinor: 0)]
        }
        let allNoTax = lines.allSatisfy { $0.taxType.uppercased() == "NONE" }
        let posting = Posting(
            settlementID: header.id, part: 1, type: type, contactName: marketplace,
            invoiceNumber: "AMZ-\(header.id)",
            reference: "\(marketplace) settlement \(header.id)",
            date: header.endDate, dueDate: max(header.depositDate, header.endDate), currency: header.currencyInfo,
            lineAmountTypes: allNoTax ? "NoTax" : "Inclusive", lines: lines)
        return LedgerResult(postings: unmappedList.isEmpty ? [posting] : [], unmapped: unmappedList, categoryTotals: totals)
    }
}
