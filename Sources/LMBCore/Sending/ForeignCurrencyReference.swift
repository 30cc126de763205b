import Foundation

// Foreign currency: a settlement in a currency other than the organisation's base currency is posted in its own
// currency (as always), and its invoice's Reference then says what it is worth in the base currency at the
// organisation's own rate, e.g. `Amazon.de settlement 123 (EUR 5.79 = GBP 4.88)`, so the home-currency deposit can
// be matched in bank reconciliation.
//
// How lmb gets the rate: Xero has no endpoint that answers "the organisation's rate for a date". The one place Xero
// says which rate it uses is the document itself: an invoice created without a CurrencyRate gets the organisation's
// rate for its date, returned as `CurrencyRate` in the PUT's answer. So lmb sends the invoice exactly as before (the
// exactly-once path is unchanged: the document is recorded `sent` from that answer), and only then updates the
// invoice's Reference with `POST /Invoices/{InvoiceID}`. That update changes one text field of a document lmb
// already holds the id of: sending it twice writes the same text, and it can never create a second document. A rate
// table in config.json was the alternative; it would be lmb's rate, not the one Xero books the deposit's exchange
// difference with, so the two would disagree by design. A run killed between the PUT and the POST leaves a
// `pending_reference` row (recorded before the PUT), which the next send completes by reading the invoice back. Bills
// (ACCPAY): Xero takes a Reference on invoices only, and shows a bill's InvoiceNumber as its reference, so a bill's
// number gets the note (lmb keeps looking its documents up by InvoiceID once sent).
extension Sender {
    /// The base-currency value of `totalMinor` (in a currency of `exponent` decimals) at Xero's `rate` (units of the
    /// currency per one unit of the base currency), rounded half away from zero to the base currency's decimals.
    public static func converted(totalMinor: Int64, exponent: Int, rate: Decimal, baseExponent: Int) -> Int64? {
        guard rate > 0 else { return nil }
        var magnitude = Decimal(totalMinor.magnitude) / power(exponent) / rate * power(baseExponent)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &magnitude, 0, .plain)   // .plain: half away from zero, on the magnitude
        let n = NSDecimalNumber(decimal: rounded)
        guard n.compare(NSDecimalNumber(value: Int64.max / 2)) == .orderedAscending else { return nil }
        return totalMinor < 0 ? -n.int64Value : n.int64Value
    }

    static func power(_ exponent: Int) -> Decimal {
        var d = Decimal(1)
        for _ in 0..<max(0, exponent) { d *= 10 }
        return d
    }

    /// "EUR 5.79 = GBP 4.88".
    public static func conversionNote(currency: Currency, totalMinor: Int64, base: Currency, convertedMinor: Int64) -> String {
        "\(currency.code) \(Money.format(totalMinor, exponent: currency.exponent)) = \(base.code) \(Money.format(convertedMinor, exponent: base.exponent))"
    }

    /// Before the PUT: each invoice or bill in a currency other than the base currency is recorded as needing its
    /// converted reference, so a run killed between the PUT and the update leaves a row the next send completes.
    func recordPendingReferences(_ documents: [Document], facts: OrganisationFacts) throws {
        guard let base = facts.baseCurrency?.uppercased() else { return }
        var items: [(settlementID: String, invoiceNumber: String)] = []
        for doc in documents where doc.part != CostOfGoodsDocument.part
            && (doc.type == Posting.DocumentType.invoice.rawValue || doc.type == Posting.DocumentType.bill.rawValue) {
            guard let code = Self.sent(doc.body).currency, code.uppercased() != base else { continue }
            items.append((doc.settlementID, doc.invoiceNumber))
        }
        try store.recordPendingReferences(items)
    }

    /// After the PUT: every invoice (Reference) or bill (its number, which Xero shows as a bill's reference) created
    /// in a currency other than the base currency gets the converted amount. A failure here is reported as a warning;
    /// the document stays sent and is never posted again, and its pending row makes the next send try again.
    func convertReferences(_ outcomes: [String: [(Document, Result<XeroInvoice, RemoteFailure>)]], facts: OrganisationFacts) async {
        guard let baseCode = facts.baseCurrency else { return }
        for (_, results) in outcomes.sorted(by: { $0.key < $1.key }) {
            for (doc, result) in results where doc.part != CostOfGoodsDocument.part {
                guard doc.type == Posting.DocumentType.invoice.rawValue || doc.type == Posting.DocumentType.bill.rawValue,
                      case .success(let inv) = result, let invoiceID = inv.InvoiceID else { continue }
                let sent = Self.sent(doc.body)
                await updateReference(settlementID: doc.settlementID, number: doc.invoiceNumber, type: doc.type, invoiceID: invoiceID, inv: inv,
                                      sentCurrency: sent.currency, sentReference: sent.reference, base: Currency(code: baseCode))
            }
        }
    }

    /// Step 1½: the updates an earlier run recorded and did not finish (killed after the PUT, or the update failed):
    /// each sent document is read back from Xero and its reference completed; a document that never reached Xero
    /// (refused, forgotten, rolled back) needs none.
    func completePendingReferences(facts: OrganisationFacts) async {
        guard let baseCode = facts.baseCurrency, let pending = try? store.pendingReferences() else { return }
        for (id, number, posting) in pending where recoveryScope?.contains(id) ?? true {
            guard let posting, posting.state == .sent || posting.state == .sending else {
                try? store.clearPendingReference(settlementID: id, invoiceNumber: number)
                continue
            }
            guard posting.state == .sent, let invoiceID = posting.xeroInvoiceID else { continue }   // recovery decides first
            do {
                guard let inv = try await client.invoiceForReference(id: invoiceID) else { continue }
                let sent = Self.sent(posting.body)
                log("settlement \(id): completing the converted reference of \(number) (an earlier run stopped before it)")
                await updateReference(settlementID: id, number: number, type: posting.type, invoiceID: invoiceID, inv: inv,
                                      sentCurrency: sent.currency, sentReference: sent.reference, base: Currency(code: baseCode))
            } catch {
                log("settlement \(id): warning: the converted reference of \(number) is still to be written: \(error)")
            }
        }
    }

    /// The currency and Reference a document's body was sent with.
    static func sent(_ body: String) -> (currency: String?, reference: String?) {
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        return (object?["CurrencyCode"] as? String, object?["Reference"] as? String)
    }

    /// Writes "… (EUR 5.79 = GBP 4.88)" into the invoice's Reference, or a bill's number, once; clears the pending row.
    func updateReference(settlementID: String, number: String, type: String, invoiceID: String, inv: XeroInvoice,
                         sentCurrency: String?, sentReference: String?, base: Currency) async {
        guard let code = inv.CurrencyCode ?? sentCurrency, code.uppercased() != base.code.uppercased() else {
            try? store.clearPendingReference(settlementID: settlementID, invoiceNumber: number)
            return
        }
        guard let rate = inv.CurrencyRate, rate > 0, let total = inv.Total else { return }
        let currency = Currency(code: code)
        var totalValue = total * Self.power(currency.exponent)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &totalValue, 0, .plain)
        let totalMinor = NSDecimalNumber(decimal: rounded).int64Value
        guard let convertedMinor = Self.converted(totalMinor: totalMinor, exponent: currency.exponent, rate: rate, baseExponent: base.exponent) else { return }
        let note = Self.conversionNote(currency: currency, totalMinor: totalMinor, base: base, convertedMinor: convertedMinor)
        // Xero takes a Reference on invoices only; on a bill the number is what it shows as the reference.
        let isBill = type == Posting.DocumentType.bill.rawValue
        let original = isBill ? (inv.InvoiceNumber ?? number) : ((inv.Reference ?? sentReference) ?? number)
        guard !original.contains(" = \(base.code) ") else {
            try? store.clearPendingReference(settlementID: settlementID, invoiceNumber: number)
            return
        }
        let field = isBill ? "InvoiceNumber" : "Reference"
        let reference = "\(original) (\(note))"
        let update = JSON.object([("Invoices", .array([.object([("InvoiceID", .string(invoiceID)), (field, .string(reference))])]))])
        do {
            _ = try await client.send("POST", "Invoices/\(invoiceID)", body: Data(update.rendered(pretty: false).utf8),
                                      idempotencyKey: "lmb-ref-" + String(SHA256.hex("\(invoiceID)|\(reference)").prefix(40)), paced: true)
            try? store.recordEvent(kind: .step, settlementID: settlementID, message: "reference of \(number): \(note)",
                                   detail: .object([("invoiceNumber", .string(number)), ("invoiceId", .string(invoiceID)),
                                                    (isBill ? "billNumber" : "reference", .string(reference)), ("currencyRate", .string("\(rate)")),
                                                    ("converted", .string(note))]))
            try? store.clearPendingReference(settlementID: settlementID, invoiceNumber: number)
            log("settlement \(settlementID): \(number) \(isBill ? "bill number" : "reference"): \(note) (the organisation's rate \(rate))")
        } catch {
            log("settlement \(settlementID): warning: \(number) was sent, but its \(isBill ? "number" : "Reference") could not be updated with \(note) (the next send tries again): \(error)")
        }
    }
}

extension XeroClient {
    /// `GET /Invoices/{InvoiceID}` with the fields a converted reference needs (CurrencyCode, CurrencyRate, Total,
    /// Reference, InvoiceNumber).
    func invoiceForReference(id: String) async throws -> XeroInvoice? {
        try decode(XeroInvoicesEnvelope.self, try await send("GET", "Invoices/\(id)"), "GET Invoices/{InvoiceID}").Invoices.first
    }
}

extension Store {
    /// The conversion notes recorded for a settlement's invoices ("EUR 5.79 = GBP 4.88"), by invoice number.
    public func convertedAmounts(settlementID: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for e in try events(settlementID: settlementID) where e.kind == EventKind.step.rawValue && e.message.hasPrefix("reference of ") {
            let rest = e.message.dropFirst("reference of ".count)
            guard let colon = rest.range(of: ": ") else { continue }
            out[String(rest[..<colon.lowerBound])] = String(rest[colon.upperBound...])
        }
        return out
    }
}
