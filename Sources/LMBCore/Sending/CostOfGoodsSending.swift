import Foundation

// The cost-of-goods journal in the send (CostOfGoods.swift builds it). It is one more document of the settlement,
// recorded with the invoices (part `CostOfGoodsDocument.part`, type MANUALJOURNAL, its number `AMZ-<id>-COGS`) in the
// same transaction before any request, so it has the invoices' guarantees:
// - intent first: the body and idempotency key are stored `sending` before the PUT;
// - recovery by reading back: a journal left `sending` (a kill, a lost answer) is looked up among Xero's manual
//   journals by its narration, which starts with its number; found, it is recorded sent; not found, it goes again
//   with the same body and key. A kill between the invoice and the journal therefore posts the journal once on the
//   next send, and the invoice (found by its number) is never posted twice;
// - after the invoices: a settlement's journal goes only when its invoices did not fail in this run (otherwise it is
//   recorded as not sent, and the next send takes both again).
// With `"cogs": "bill"` the document is a zero-total bill (ACCPAY) instead, which goes in the invoice batches and is
// recovered by its InvoiceNumber like any bill.

/// A manual journal as Xero answers it.
public struct XeroManualJournal: Codable, Sendable {
    public var ManualJournalID: String?
    public var Narration: String?
    public var Status: String?
    public var HasErrors: Bool?
    public var ValidationErrors: [XeroValidationError]?
}

struct XeroManualJournalsEnvelope: Codable { var ManualJournals: [XeroManualJournal] }

extension XeroClient {
    /// The live (not DELETED or VOIDED) manual journal whose narration starts with `number` and a space, if any.
    public func manualJournal(number: String) async throws -> XeroManualJournal? {
        let escaped = number.replacingOccurrences(of: "\"", with: "")
        let r = try await send("GET", "ManualJournals", query: [("where", "Narration.StartsWith(\"\(escaped) \")")])
        return try decode(XeroManualJournalsEnvelope.self, r, "GET ManualJournals").ManualJournals.first {
            ($0.Narration ?? "").hasPrefix(number + " ") && $0.Status != "DELETED" && $0.Status != "VOIDED"
        }
    }

    public func manualJournal(id: String) async throws -> XeroManualJournal? {
        try decode(XeroManualJournalsEnvelope.self, try await send("GET", "ManualJournals/\(id)"), "GET ManualJournals/{id}").ManualJournals.first
    }

    /// `PUT /ManualJournals` of one journal (its JSON): the answer's HTTP status and journals.
    func putManualJournal(_ body: String, idempotencyKey: String) async throws -> (Int, [XeroManualJournal]) {
        let r = try await send("PUT", "ManualJournals", body: Data("{\"ManualJournals\":[\(body)]}".utf8), idempotencyKey: idempotencyKey, paced: true)
        return (r.status, try decode(XeroManualJournalsEnvelope.self, r, "PUT ManualJournals").ManualJournals)
    }

    /// `POST /ManualJournals/{id}` with a new Status (DELETED for a DRAFT, VOIDED for a POSTED journal).
    /// The narration goes along unchanged: Xero's ManualJournal schema requires it in every body.
    public func changeManualJournalStatus(id: String, to status: String, narration: String?, idempotencyKey: String) async throws -> XeroManualJournal {
        var fields: [(String, JSON)] = [("ManualJournalID", .string(id)), ("Status", .string(status))]
        if let narration { fields.insert(("Narration", .string(narration)), at: 0) }
        let body = JSON.object([("ManualJournals", .array([.object(fields)]))])
        let r = try await send("POST", "ManualJournals/\(id)", body: Data(body.rendered(pretty: false).utf8), idempotencyKey: idempotencyKey, paced: true)
        guard let j = try decode(XeroManualJournalsEnvelope.self, r, "POST ManualJournals/{id}").ManualJournals.first else {
            throw RemoteFailure.xero(.unexpectedAnswer, "Xero's answer to the status change of manual journal \(id) holds no journal", status: r.status)
        }
        return j
    }
}

extension Sender {
    /// The cost-of-goods plan of a settlement as booked, under config.json's settings.
    func costOfGoodsPlan(_ s: StoredSettlement, _ booked: LedgerResult) throws -> CostOfGoodsPlan? {
        try CostOfGoodsPlan.make(store: store, settlement: s, booked: booked, settings: try CostOfGoodsSettings(config: session.config))
    }

    /// The cost-of-goods and inventory accounts must take the document's lines, like the invoice's accounts.
    static func costOfGoodsAccountProblems(_ document: CostOfGoodsDocument?, accounts: [XeroAccount]) -> [AccountProblem] {
        guard let document else { return [] }
        let byCode = Dictionary(accounts.compactMap { a in a.Code.map { ($0.uppercased(), a) } }, uniquingKeysWith: { a, _ in a })
        var out: [AccountProblem] = []
        for line in document.journal.lines where !out.contains(where: { $0.code == line.accountCode }) {
            if let reason = AccountRoles.unusable(byCode[line.accountCode.uppercased()]) {
                let role = line.amountMinor >= 0 ? "cost-of-goods" : "inventory"
                out.append(AccountProblem(code: line.accountCode, category: role, document: document.number, reason: reason))
            }
        }
        return out
    }

    /// Step 1 for journals: each one left `sending` is looked up by its number; found, it is recorded sent.
    func recoverUnsureJournals(_ unsure: [Document]) async throws -> [Document] {
        var resend: [Document] = []
        for doc in unsure {
            if let j = try await client.manualJournal(number: doc.invoiceNumber), let journalID = j.ManualJournalID {
                try markSent(doc, invoiceID: journalID, status: j.Status, recovered: true)
                log("settlement \(doc.settlementID): \(doc.invoiceNumber) (the cost-of-goods journal) was already in Xero (an earlier answer was lost); recorded as sent")
            } else {
                resend.append(doc)
            }
        }
        return resend
    }

    /// Step 4 for journals: one PUT /ManualJournals each, after the invoices. Not attempted (and free to go next time)
    /// when the settlement's invoice failed or an earlier request stopped the run.
    func postJournal(_ doc: Document, stop: RemoteFailure?, invoiceFailed: Bool) async throws -> Result<XeroInvoice, RemoteFailure> {
        if let stop {
            var f = stop
            f.message = "not attempted: an earlier request failed (\(stop.message))"
            try recordRefusal(doc)
            return .failure(f)
        }
        if invoiceFailed {
            try recordRefusal(doc)
            return .failure(RemoteFailure.xero(.validationFailed, "not attempted: the settlement's invoice was not sent, so its cost-of-goods journal \(doc.invoiceNumber) waits for it",
                                               validationErrors: ["invoice not sent"]))
        }
        do {
            let (status, journals) = try await client.putManualJournal(doc.body, idempotencyKey: doc.key)
            if let j = journals.first, j.HasErrors != true, let journalID = j.ManualJournalID {
                try markSent(doc, invoiceID: journalID, status: j.Status, recovered: false)
                try? store.recordEvent(kind: .step, settlementID: doc.settlementID, message: "cost-of-goods journal \(doc.invoiceNumber) posted (ManualJournalID \(journalID), \(j.Status ?? "?"))")
                return .success(XeroInvoice(InvoiceID: journalID, InvoiceNumber: doc.invoiceNumber, Status: j.Status))
            }
            let messages = journals.first?.ValidationErrors?.compactMap(\.Message) ?? []
            if journals.first?.HasErrors == true, !messages.isEmpty {
                try recordRefusal(doc)
                return .failure(RemoteFailure.xero(.validationFailed, messages.joined(separator: "; "), status: status, validationErrors: messages,
                                                   evidence: ["HasErrors on the manual journal \(doc.invoiceNumber)"]))
            }
            // A 2xx that shows neither: it stays `sending` and is looked up before it is sent again.
            return .failure(RemoteFailure.xero(.unexpectedAnswer, "Xero's answer did not show the journal \(doc.invoiceNumber) created or refused; it is looked up in Xero before it is sent again",
                                               status: status, requestID: await client.lastCorrelationID))
        } catch let failure as RemoteFailure {
            let answered = failure.classification != .unexpectedAnswer && !failure.earlierAttemptMayHaveBeenProcessed
                && (failure.status.map { $0 < 500 } ?? false)
            if answered { try recordRefusal(doc) }
            return .failure(failure)
        }
    }
}

extension SetupFlow {
    /// The cost-of-goods and inventory accounts, when cost of goods is on (not `"cogs": "off"`) and unit costs are
    /// stored or `"cogs"` is set in config.json; none otherwise. A code the mapping already needs is not repeated.
    public static func costOfGoodsNeeds(store: Store, config: LMBConfig, mapping: Mapping) throws -> [AccountNeed] {
        let settings = try CostOfGoodsSettings(config: config)
        let hasCosts = try store.hasCosts()
        guard settings.mode != .off, config.cogs != nil || hasCosts else { return [] }
        let taken = Set(accountNeeds(mapping).map { $0.code.uppercased() })
        let c = CostOfGoodsSettings.defaultCOGSAccount, i = CostOfGoodsSettings.defaultInventoryAccount
        return [AccountNeed(key: "cost-of-goods", category: nil, code: settings.cogsAccount, name: c.name, type: c.type, allowed: CostOfGoodsSettings.cogsTypes),
                AccountNeed(key: "inventory", category: nil, code: settings.inventoryAccount, name: i.name, type: i.type, allowed: CostOfGoodsSettings.inventoryTypes)]
            .filter { !taken.contains($0.code.uppercased()) }
    }
}
