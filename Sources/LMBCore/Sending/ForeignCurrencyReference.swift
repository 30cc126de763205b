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
// difference with, so the two would disagree by design. What this does not do: a run killed between the PUT and the
// POST leaves that invoice's Reference unconverted (the invoice itself is sent once and recorded); the amount and
// rate are visible on the invoice in Xero. Bills (ACCPAY) carry no Reference in lmb's documents and are not updated.
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

    /// After the PUT: every invoice created in a currency other than the base currency gets the converted amount in
    /// its Reference. A failure here is reported as a warning; the invoice stays sent and is never posted again.
    func convertReferences(_ outcomes: [String: [(Document, Result<XeroInvoice, RemoteFailure>)]], facts: OrganisationFacts) async {
        guard let baseCode = facts.baseCurrency else { return }
        let base = Currency(code: baseCode)
        for (_, results) in outcomes.sorted(by: { $0.key < $1.key }) {
            for (doc, result) in results {
                guard doc.type == Posting.DocumentType.invoice.rawValue, case .success(let inv) = result, let invoiceID = inv.InvoiceID else { continue }
                guard let body = (try? JSONSerialization.jsonObject(with: Data(doc.body.utf8))) as? [String: Any],
                      let code = (inv.CurrencyCode ?? body["CurrencyCode"] as? String), code.uppercased() != base.code.uppercased(),
                      let rate = inv.CurrencyRate, rate > 0, let total = inv.Total else { continue }
                let currency = Currency(code: code)
                var totalValue = total * Self.power(currency.exponent)
                var rounded = Decimal()
                NSDecimalRound(&rounded, &totalValue, 0, .plain)
                let totalMinor = NSDecimalNumber(decimal: rounded).int64Value
                guard let convertedMinor = Self.converted(totalMinor: totalMinor, exponent: currency.exponent, rate: rate, baseExponent: base.exponent) else { continue }
                let note = Self.conversionNote(currency: currency, totalMinor: totalMinor, base: base, convertedMinor: convertedMinor)
                let original = (inv.Reference ?? body["Reference"] as? String) ?? doc.invoiceNumber
                guard !original.contains(" = \(base.code) ") else { continue }
                let reference = "\(original) (\(note))"
                let update = JSON.object([("Invoices", .array([.object([("InvoiceID", .string(invoiceID)), ("Reference", .string(reference))])]))])
                do {
                    _ = try await client.send("POST", "Invoices/\(invoiceID)", body: Data(update.rendered(pretty: false).utf8),
                                              idempotencyKey: "lmb-ref-" + String(SHA256.hex("\(invoiceID)|\(reference)").prefix(40)), paced: true)
                    try? store.recordEvent(kind: .step, settlementID: doc.settlementID, message: "reference of \(doc.invoiceNumber): \(note)",
                                           detail: .object([("invoiceNumber", .string(doc.invoiceNumber)), ("invoiceId", .string(invoiceID)),
                                                            ("reference", .string(reference)), ("currencyRate", .string("\(rate)")),
                                                            ("converted", .string(note))]))
                    log("settlement \(doc.settlementID): \(doc.invoiceNumber) reference: \(note) (the organisation's rate \(rate))")
                } catch {
                    log("settlement \(doc.settlementID): warning: \(doc.invoiceNumber) was sent, but its Reference could not be updated with \(note): \(error)")
                }
            }
        }
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
