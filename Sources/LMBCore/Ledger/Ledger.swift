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
    public var category: Category?      // nil for a split's balance rolled forward / brought forward
    public var description: String
    public var accountCode: String
    public var taxType: String
    public var amountMinor: Int64   // as it appears on the document (signs already turned round for a bill)
    /// With a tax profile: the line's treatment.
    public var tax: TaxKey? = nil
    /// The tax inside `amountMinor` (amounts are tax-inclusive): Amazon's own VAT when `explicitTax`, else what Xero
    /// will compute for the line's TaxType (per line, rounded to 2 places).
    public var taxMinor: Int64 = 0
    /// The tax is Amazon's (VAT Calculation Service rows) and is sent as the line's TaxAmount.
    public var explicitTax: Bool = false

    public var netMinor: Int64 { amountMinor - taxMinor }
}

/// What a settlement becomes in Xero: an invoice (ACCREC) or, when negative, a bill (ACCPAY).
public struct Posting: Sendable, Equatable {
    public enum DocumentType: String, Sendable { case invoice = "ACCREC", bill = "ACCPAY" }

    public var settlementID: String
    public var part: Int
    public var parts: Int
    public var type: DocumentType
    public var contactName: String
    public var invoiceNumber: String
    public var reference: String
    public var date: CalendarDate
    public var dueDate: CalendarDate
    public var currency: Currency
    public var lineAmountTypes: String
    public var lines: [PostingLine]
    /// Set when the document was re-dated out of a locked period.
    public var lockNote: String?
    /// The tracking category each line carries, with the marketplace (the contact) as its option.
    public var tracking: String? = nil

    /// The document's total as Xero will show it (always ≥ 0).
    public var totalMinor: Int64 { lines.reduce(0) { $0 + $1.amountMinor } }
    /// The tax inside it (Xero's TotalTax), 0 for a NoTax document.
    public var totalTaxMinor: Int64 { lineAmountTypes == "NoTax" ? 0 : lines.reduce(0) { $0 + $1.taxMinor } }
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
                var fields: [(String, JSON)] = [
                    ("Description", .string(line.description)),
                    ("Quantity", .number("1")),
                    ("UnitAmount", .money(line.amountMinor, exponent: currency.exponent)),
                    ("AccountCode", .string(line.accountCode)),
                    ("TaxType", .string(line.taxType)),
                ]
                // Amazon's own VAT on the line, so the return agrees with its VAT invoices to the penny.
                if line.explicitTax && lineAmountTypes != "NoTax" { fields.append(("TaxAmount", .money(line.taxMinor, exponent: currency.exponent))) }
                fields.append(("LineAmount", .money(line.amountMinor, exponent: currency.exponent)))
                if let tracking { fields.append(("Tracking", .array([.object([("Name", .string(tracking)), ("Option", .string(contactName))])]))) }
                return .object(fields)
            })),
        ]
        return .object(pairs)
    }

    public static func requestBody(_ postings: [Posting], status: String = "DRAFT") -> JSON {
        .object([("Invoices", .array(postings.map { $0.xeroInvoice(status: status) }))])
    }
}

/// The reserve Amazon holds back: released at the start of a settlement, held again at its end.
public struct ReserveReconciliation: Sendable, Equatable {
    public var openingMinor: Int64     // the previous reserve, released into this settlement
    public var closingMinor: Int64     // the reserve held back from this settlement
    public var movementMinor: Int64 { openingMinor - closingMinor }
}

/// The ledger's verdict on a settlement.
public struct LedgerResult: Sendable, Equatable {
    public var postings: [Posting]
    public var unmapped: [UnmappedCombination]
    public var categoryTotals: [(Category, Int64)]
    public var reserves: ReserveReconciliation?
    /// Combinations no rule covers that the mapping's `"unmapped": "other"` booked to Other: each one a warning.
    public var bookedToOther: [UnmappedCombination] = []
    /// Treatments with no usable TaxType in the organisation: send refuses (exit 78) until each is fixed.
    public var taxProblems: [TaxProblem] = []
    /// Why the settlement waits for Amazon's VAT report before it is sent (nil: it does not).
    public var awaitingVAT: String?

    public var needsMapping: Bool { !unmapped.isEmpty }

    public static func == (a: LedgerResult, b: LedgerResult) -> Bool {
        a.postings == b.postings && a.unmapped == b.unmapped && a.categoryTotals.map(\.0) == b.categoryTotals.map(\.0)
            && a.categoryTotals.map(\.1) == b.categoryTotals.map(\.1) && a.reserves == b.reserves && a.bookedToOther == b.bookedToOther
            && a.taxProblems == b.taxProblems && a.awaitingVAT == b.awaitingVAT
    }
}

/// Turns a settlement's groups into the document(s) to post, by the mapping: one per calendar month when the
/// settlement spans a month end, re-dated out of a locked period when Xero's lock date says so.
public struct Ledger: Sendable {
    public var mapping: Mapping
    /// The organisation's period lock date, when lmb knows it.
    public var lockDate: CalendarDate?
    /// With a tax profile: how treatments become the organisation's TaxTypes.
    public var resolver: TaxResolver?

    public init(mapping: Mapping, lockDate: CalendarDate? = nil, resolver: TaxResolver? = nil) {
        self.mapping = mapping
        self.lockDate = lockDate
        self.resolver = resolver ?? mapping.tax.map { TaxResolver(profile: $0, version: nil, rates: nil) }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    public func book(header: SettlementHeader, marketplace reported: String, groups: [SettlementGroup]) -> LedgerResult {
        let marketplace = AmazonMarketplace.name(format: header.format, currency: header.currency, reported: reported)
        // 1. Categories, and what no rule covers: each distinct combination is matched once, however many months it spans.
        var unmapped: [String: UnmappedCombination] = [:]
        var bookedToOther: [String: UnmappedCombination] = [:]
        var matches: [String: MappingMatch?] = [:]
        var mapped: [(SettlementGroup, MappingMatch)] = []
        for g in groups {
            // A seller-responsible order's tax row books with its sale or refund (the VAT folds into the gross).
            let probe = g.folded == true ? SettlementGroup(transactionType: g.transactionType, amountType: "ItemPrice", amountDescription: "Principal",
                                                            month: g.month, amountMinor: g.amountMinor, count: g.count) : g
            let key = "\(probe.transactionType)\u{1F}\(probe.amountType)\u{1F}\(probe.amountDescription)"
            let found: MappingMatch?
            if let known = matches[key] { found = known } else { found = mapping.resolve(probe); matches[key] = found }
            guard let match = found else {
                unmapped[key, default: UnmappedCombination(g)].add(g)
                continue
            }
            if match.source == .unmappedPolicy { bookedToOther[key, default: UnmappedCombination(g)].add(g) }
            mapped.append((g, match))
        }
        var totals: [Category: Int64] = [:]
        for (g, m) in mapped { totals[m.category, default: 0] += g.amountMinor }
        let categoryTotals = totals.keys.sorted().map { ($0, totals[$0]!) }
        let reserves = Self.reserves(groups)
        guard unmapped.isEmpty else {
            return LedgerResult(postings: [], unmapped: UnmappedCombination.sorted(unmapped), categoryTotals: categoryTotals, reserves: reserves)
        }
        // 2. Parts: one per month when the settlement spans a month end (rows without a date go with the last).
        let months = Set(mapped.map(\.0.month).filter { !$0.isEmpty }).sorted()
        let partMonths: [String] = mapping.splitsByMonth && months.count >= 2 ? months : [months.last ?? ""]
        var postings: [Posting] = []
        var problems: [TaxProblem] = []
        var carried: Int64 = 0
        let carryAccount = mapping.carriedForwardAccount
        for (index, month) in partMonths.enumerated() {
            let isLast = index == partMonths.count - 1
            let rows = mapped.filter { partMonths.count == 1 || $0.0.month == month || (isLast && $0.0.month.isEmpty) }
            var lines = categoryLines(rows, marketplace: marketplace, problems: &problems)
            let own = rows.reduce(Int64(0)) { $0 + $1.0.amountMinor }
            if partMonths.count > 1 {
                let monthName = Self.monthLabel(month)
                if carried != 0 || index > 0 {
                    lines.append(PostingLine(category: nil, description: "Split month settlement – balance brought forward from the previous part",
                                             accountCode: carryAccount.account, taxType: carryAccount.taxType, amountMinor: carried))
                }
                if !isLast {
                    lines.append(PostingLine(category: nil, description: "Split month settlement – balance rolled forward (\(monthName))",
                                             accountCode: carryAccount.account, taxType: carryAccount.taxType, amountMinor: -(carried + own)))
                }
            }
            carried += own
            postings.append(document(header: header, marketplace: marketplace, part: index + 1, parts: partMonths.count, month: month,
                                     lines: lines, isLast: isLast))
        }
        var unique: [TaxProblem] = []
        for p in problems where !unique.contains(p) { unique.append(p) }
        return LedgerResult(postings: postings, unmapped: [], categoryTotals: categoryTotals, reserves: reserves,
                            bookedToOther: UnmappedCombination.sorted(bookedToOther), taxProblems: unique)
    }

    /// One line per (category, account, tax type) — and per marketplace or SKU when the mapping groups by one, and
    /// per VAT/GST treatment (× rate × country) with a tax profile. A rule that names its own account or tax type gets
    /// lines of its own, and so does what the unmapped policy booked, with a note that says so.
    func categoryLines(_ rows: [(SettlementGroup, MappingMatch)], marketplace: String, problems: inout [TaxProblem]) -> [PostingLine] {
        struct Key: Hashable {
            var category: Category; var detail: String; var account: String; var taxType: String?; var unruled: Bool
            var tax: TaxKey?; var explicit: Bool
        }
        var amounts: [Key: Int64] = [:]
        var vat: [Key: Int64] = [:]
        var names: [Key: [String: Int64]] = [:]
        let classifier = resolver.map { TaxClassifier(profile: $0.profile, marketplace: marketplace) }
        for (g, m) in rows {
            let account = mapping.account(for: m.category)
            // A tax type the mapping names itself (a rule's, or a category's other than NONE) wins over the treatment.
            let ownTaxType = m.rule?.taxType ?? (mapping.categories[m.category.rawValue].map(\.taxType).flatMap { $0.uppercased() == "NONE" ? nil : $0 })
            var tax: TaxKey?
            if let resolver, let classifier, ownTaxType == nil {
                tax = g.tax ?? CategoryTaxRule.key(for: m.category, profile: resolver.profile, month: g.month, classifier: classifier, marketplace: marketplace)
            }
            let key = Key(category: m.category, detail: mapping.lineGrouping == .category ? "" : g.detail, account: m.rule?.account ?? account.account,
                          taxType: tax == nil ? (ownTaxType ?? account.taxType) : nil, unruled: m.source == .unmappedPolicy,
                          tax: tax, explicit: g.vatMinor != nil)
            amounts[key, default: 0] += g.amountMinor
            vat[key, default: 0] += g.vatMinor ?? 0
            if g.folded != true {
                names[key, default: [:]][g.amountDescription.isEmpty ? g.transactionType : g.amountDescription, default: 0] += g.amountMinor
            }
        }
        var lines: [PostingLine] = []
        let order = { (k: Key) in (k.category, k.detail, k.unruled ? 1 : 0, k.account, k.taxType ?? "", k.tax.map { [$0] } ?? [], k.explicit ? 1 : 0) }
        let sortedKeys = amounts.keys.sorted { a, b in
            let x = order(a), y = order(b)
            if (x.0, x.1, x.2, x.3, x.4) != (y.0, y.1, y.2, y.3, y.4) { return (x.0, x.1, x.2, x.3, x.4) < (y.0, y.1, y.2, y.3, y.4) }
            if x.5 != y.5 { return x.5.lexicographicallyPrecedes(y.5) }
            return x.6 < y.6
        }
        for key in sortedKeys {
            let list = (names[key] ?? [:]).sorted { (abs($0.value), $1.key) > (abs($1.value), $0.key) }.map(\.key)
            let shown = list.prefix(4).joined(separator: ", ") + (list.count > 4 ? ", …" : "")
            let where_ = key.detail.isEmpty ? marketplace : (mapping.lineGrouping == .marketplace ? key.detail : "\(marketplace) \(key.detail)")
            let note = key.unruled ? " [\(UnmappedCombination.lineNote)]" : ""
            let amount = amounts[key]!
            var line = PostingLine(category: key.category, description: "\(where_) \(key.category.label.lowercased()) — \(shown)\(note)",
                                   accountCode: key.account, taxType: key.taxType ?? "", amountMinor: amount)
            if let tax = key.tax, let resolver {
                line.tax = tax
                line.description = "\(where_) \(key.category.label.lowercased()) — \(tax.label)\(key.explicit && !tax.treatment.carriesNoTax ? " (Amazon's VAT)" : "") — \(shown)\(note)"
                switch resolver.resolve(tax, account: key.account) {
                case .success(let code): line.taxType = code
                case .failure(let problem):
                    line.taxType = ""
                    if amount != 0 { problems.append(problem) }
                }
                let rate = tax.treatment.carriesNoTax || line.taxType == "NONE" ? 0 : (resolver.basisPoints(of: line.taxType) ?? tax.rate ?? 0)
                if key.explicit && rate != 0 {
                    line.taxMinor = vat[key] ?? 0
                    line.explicitTax = true
                } else {
                    line.taxMinor = XeroTaxMath.inclusiveTax(amount, rate: rate)
                }
            }
            lines.append(line)
        }
        return lines
    }

    func document(header: SettlementHeader, marketplace: String, part: Int, parts: Int, month: String, lines rawLines: [PostingLine], isLast: Bool) -> Posting {
        // A category that nets to zero books nothing; keep one line so the document is never empty.
        var lines = rawLines.filter { $0.amountMinor != 0 }
        if lines.isEmpty {
            let account = mapping.account(for: .other)
            lines = [rawLines.first ?? PostingLine(category: .other, description: "\(marketplace) settlement \(header.id) — no transactions",
                                                   accountCode: account.account, taxType: account.taxType, amountMinor: 0)]
            lines[0].amountMinor = 0
        }
        let total = lines.reduce(Int64(0)) { $0 + $1.amountMinor }
        let type: Posting.DocumentType = total >= 0 ? .invoice : .bill
        if type == .bill {
            for i in lines.indices {
                lines[i].amountMinor = -lines[i].amountMinor
                lines[i].taxMinor = -lines[i].taxMinor
            }
        }
        var date = isLast || month.isEmpty ? header.endDate : Self.lastDay(of: month) ?? header.endDate
        var lockNote: String?
        if let lock = lockDate, date <= lock, let open = Self.dayAfter(lock) {
            lockNote = "dated \(open) (the period to \(lock) is locked in Xero; settlement date \(date))"
            date = open
            for i in lines.indices { lines[i].description += " [\(lockNote!)]" }
        }
        let number = parts > 1 ? "\(header.format.invoicePrefix)\(header.id)-\(part)" : "\(header.format.invoicePrefix)\(header.id)"
        let reference = parts > 1 ? "\(marketplace) settlement \(header.id), part \(part) of \(parts) (\(Self.monthLabel(month)))"
                                  : "\(marketplace) settlement \(header.id)"
        return Posting(settlementID: header.id, part: part, parts: parts, type: type, contactName: marketplace, invoiceNumber: number,
                       reference: reference, date: date, dueDate: max(header.depositDate, date), currency: header.currencyInfo,
                       lineAmountTypes: lines.allSatisfy { $0.taxType.uppercased() == "NONE" } ? "NoTax" : "Inclusive",
                       lines: lines, lockNote: lockNote, tracking: mapping.tracking)
    }

    static func reserves(_ groups: [SettlementGroup]) -> ReserveReconciliation? {
        let previous = groups.filter { $0.amountDescription == "Previous Reserve Amount Balance" }.reduce(Int64(0)) { $0 + $1.amountMinor }
        let current = groups.filter { $0.amountDescription == "Current Reserve Amount" }.reduce(Int64(0)) { $0 + $1.amountMinor }
        guard groups.contains(where: { $0.amountDescription == "Previous Reserve Amount Balance" || $0.amountDescription == "Current Reserve Amount" }) else { return nil }
        return ReserveReconciliation(openingMinor: previous, closingMinor: -current)
    }

    static func monthLabel(_ month: String) -> String {
        let parts = month.split(separator: "-")
        guard parts.count == 2, let m = Int(parts[1]), (1...12).contains(m) else { return month }
        return "\(monthNames[m - 1]) \(parts[0])"
    }

    static func lastDay(of month: String) -> CalendarDate? {
        let parts = month.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        return CalendarDate(year: y, month: m, day: CalendarDate.daysIn(month: m, year: y))
    }

    static func dayAfter(_ d: CalendarDate) -> CalendarDate? {
        if let next = CalendarDate(year: d.year, month: d.month, day: d.day + 1) { return next }
        if let next = CalendarDate(year: d.year, month: d.month + 1, day: 1) { return next }
        return CalendarDate(year: d.year + 1, month: 1, day: 1)
    }
}
