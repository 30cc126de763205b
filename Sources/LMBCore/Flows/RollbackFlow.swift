import Foundation

/// One document of a settlement as a rollback found it and what it did (or, under --dry-run, would do) to it.
public struct RollbackDocument: Sendable, Equatable {
    public var part: Int
    public var invoiceNumber: String
    public var invoiceID: String?
    public var type: String
    /// Its status in Xero before the rollback (nil: it never reached Xero).
    public var from: String?
    /// DELETED or VOIDED; nil when nothing is to be done to it.
    public var to: String?
    /// Payments allocated to it, and how many of them the rollback removed (`--remove-payments`).
    public var payments: Int
    public var paymentsRemoved: Int

    public var action: String {
        switch to {
        case "DELETED": return from == "DELETED" ? "already deleted" : "delete"
        case "VOIDED": return from == "VOIDED" ? "already voided" : "void"
        default: return from == nil ? "never reached Xero" : "keep"
        }
    }
}

/// What happened to one settlement in a rollback run.
public struct RollbackResult: Sendable {
    public enum Outcome: String, Sendable {
        /// Every document is taken back in Xero; the settlement is ready to send again.
        case rolledBack = "rolled-back"
        /// --dry-run: what would be done.
        case planned
        /// Nothing of it is in Xero.
        case nothing
        /// A payment (or credit) is allocated: nothing was changed.
        case blocked
        case failed
    }

    public var settlementID: String
    public var outcome: Outcome
    public var message: String
    public var documents: [RollbackDocument]
    /// The generation the next send posts (its numbers end in `Booking.revisionSuffix(generation)`).
    public var generation: Int
    public var failure: RemoteFailure?
    public var tenantID: String?

    public var exitStatus: ExitStatus {
        switch outcome {
        case .rolledBack, .planned, .nothing: return .ok
        case .blocked, .failed: return failure?.exitStatus ?? .dataError
        }
    }
}

/// `lmb rollback ID…`: every document a send posted for the settlement is taken back in Xero — a DRAFT or SUBMITTED
/// one DELETED, an AUTHORISED one VOIDED — after reading each one's status. A document with a payment allocated stops
/// the settlement before anything changes, unless `removePayments`, which deletes the payments first. When every
/// document is taken back the settlement is `ready` again, one generation on: the next send books it with the current
/// mapping and posts new numbers (`AMZ-<id>-r2`, …; Xero keeps a voided document's number).
///
/// Exactly once across a kill: documents left `sending` are looked up in Xero first (by the numbers of the generation
/// that sent them); each sent document is recorded `rolling-back` before the first request that changes it and
/// `rolled-back` when Xero has it VOIDED or DELETED; the status read before each change makes a repeated run skip
/// what an interrupted one did. Until a rollback finishes, `send` refuses the settlement.
public struct RollbackFlow: Sendable {
    public let ctx: RunContext
    public var ids: [String]
    public var tenant: String?
    public var dryRun = false
    public var removePayments = false

    public init(ctx: RunContext, ids: [String], tenant: String? = nil, dryRun: Bool = false, removePayments: Bool = false) {
        self.ctx = ctx
        self.ids = ids
        self.tenant = tenant
        self.dryRun = dryRun
        self.removePayments = removePayments
    }

    /// Failure codes of lmb's own (never one of Xero's exception types).
    public static let paymentAllocatedCode = "lmb_rollback_payment_allocated"
    public static let unfinishedCode = "lmb_rollback_unfinished"

    /// The results in the order the settlements were named.
    public func perform() async throws -> [RollbackResult] {
        let session = try ctx.xeroSession()
        let store = session.store
        try Sender.checkImported(ids, store: store)
        var byID: [String: RollbackResult] = [:]
        for route in try SendRouting.routes(ids, store: store, tenant: tenant, explicit: true) where !route.settlementIDs.isEmpty {
            let connection: StoredConnection
            switch route.connection {
            case .failure(let f):
                for id in route.settlementIDs {
                    byID[id] = RollbackResult(settlementID: id, outcome: .failed, message: f.message, documents: [],
                                              generation: try store.generation(settlementID: id), failure: f)
                }
                continue
            case .success(let c): connection = c
            }
            // Under the organisation's send lock: a rollback and a send never interleave on one settlement.
            let lock = try RunLock(home: ctx.home, purpose: .send, scope: connection.tenantID, wait: ctx.lockWait, clock: ctx.clock)
            defer { withExtendedLifetime(lock) {} }
            let client = session.client(for: connection)
            let output = ctx.output
            await client.setOnWait { seconds, reason in output.note("waiting \(Int(seconds.rounded(.up))) s for \(reason)") }
            let run = SettlementRollback(store: store, client: client, dryRun: dryRun, removePayments: removePayments,
                                         log: { output.note($0) })
            for id in route.settlementIDs where byID[id] == nil {
                var result = try await run.rollback(id)
                result.tenantID = connection.tenantID
                byID[id] = result
            }
        }
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }.compactMap { byID[$0] }
    }

    /// Why `send` refuses a settlement whose rollback has not finished.
    public static func unfinished(_ settlementID: String) -> RemoteFailure {
        RemoteFailure(.validationFailed, "a rollback of settlement \(settlementID) has not finished (some of its documents are being taken back in Xero); nothing was sent",
                      service: .xero, code: unfinishedCode, validationErrors: ["rollback unfinished"],
                      evidence: ["documents of the settlement are recorded rolling-back or rolled-back"])
    }

    /// The runbook steps of rollback's own refusals; nil for any other failure.
    public static func steps(for failure: RemoteFailure, settlementID: String?) -> [String]? {
        let id = settlementID ?? "<settlement-id>"
        switch failure.code {
        case paymentAllocatedCode?:
            return ["Xero will not void or delete a document with a payment (or credit note) allocated to it; nothing was changed.",
                    "Remove the payment in Xero (open the invoice or bill → the payment → Options → Remove and Redo), or let lmb delete the payments: `lmb rollback \(id) --remove-payments` (a credit note, prepayment or overpayment allocation must be removed in Xero).",
                    "Run `lmb rollback \(id)` again."]
        case unfinishedCode?:
            return ["An earlier `lmb rollback \(id)` stopped before every document was taken back in Xero.",
                    "Run `lmb rollback \(id)` again: it reads each document's status in Xero and finishes what is left.",
                    "Then run `lmb send \(id)`."]
        default:
            return nil
        }
    }
}

/// One organisation's part of a rollback run.
struct SettlementRollback: Sendable {
    let store: Store
    let client: XeroClient
    let dryRun: Bool
    let removePayments: Bool
    let log: @Sendable (String) -> Void

    func rollback(_ id: String) async throws -> RollbackResult {
        let generation = try store.generation(settlementID: id)
        do {
            return try await attempt(id, generation: generation)
        } catch let f as RemoteFailure {
            try store.recordEvent(kind: .rollback, settlementID: id, message: "rollback stopped: \(f.message)", detail: .object([
                ("classification", .string(f.classification.rawValue)), ("status", f.status.map { .int($0) } ?? .null),
                ("correlationId", .optional(f.requestID)), ("generation", .int(generation)),
            ]))
            return RollbackResult(settlementID: id, outcome: .failed, message: f.message, documents: [], generation: generation, failure: f)
        }
    }

    func attempt(_ id: String, generation: Int) async throws -> RollbackResult {
        var postings = try store.postings(settlementID: id)
        guard !postings.isEmpty else {
            let earlier = try store.rolledBackDocuments(settlementID: id)
            let message = earlier.isEmpty ? "never sent: nothing to take back" : "nothing to take back: generation \(generation - 1) was rolled back already (the next send posts numbers ending \(Booking.revisionSuffix(generation)))"
            return RollbackResult(settlementID: id, outcome: .nothing, message: message, documents: [], generation: generation)
        }
        // 1. Documents an earlier send left unsure: in Xero (under this generation's number) or not?
        var gone: [RollbackDocument] = []
        let unsure = postings.filter { $0.state == .sending }
        if !unsure.isEmpty {
            var found: [String: XeroInvoice] = [:]
            let invoiceNumbers = unsure.filter { $0.type != CostOfGoodsDocument.journalType }.map(\.invoiceNumber)
            if !invoiceNumbers.isEmpty {
                for inv in try await client.invoices(numbers: invoiceNumbers) where inv.Status != "DELETED" && inv.Status != "VOIDED" {
                    if let n = inv.InvoiceNumber { found[n] = inv }
                }
            }
            // A cost-of-goods journal is found among the manual journals by its narration.
            for p in unsure where p.type == CostOfGoodsDocument.journalType {
                if let j = try await client.manualJournal(number: p.invoiceNumber), let journalID = j.ManualJournalID {
                    found[p.invoiceNumber] = XeroInvoice(InvoiceID: journalID, InvoiceNumber: p.invoiceNumber, Status: j.Status)
                }
            }
            for p in unsure {
                if let inv = found[p.invoiceNumber], let invoiceID = inv.InvoiceID {
                    if !dryRun {
                        try store.markSent(settlementID: id, part: p.part, invoiceNumber: p.invoiceNumber, invoiceID: invoiceID, xeroStatus: inv.Status, recovered: true)
                    }
                    if let i = postings.firstIndex(where: { $0.part == p.part }) {
                        postings[i].state = .sent
                        postings[i].xeroInvoiceID = invoiceID
                    }
                    log("settlement \(id): \(p.invoiceNumber) was in Xero after all (an earlier answer was lost)")
                } else {
                    gone.append(RollbackDocument(part: p.part, invoiceNumber: p.invoiceNumber, invoiceID: nil, type: p.type, from: nil, to: nil, payments: 0, paymentsRemoved: 0))
                    if !dryRun { try store.forgetPosting(settlementID: id, part: p.part) }
                }
            }
        }
        // Refused documents never reached Xero.
        for p in postings where p.state == .failed {
            gone.append(RollbackDocument(part: p.part, invoiceNumber: p.invoiceNumber, invoiceID: nil, type: p.type, from: nil, to: nil, payments: 0, paymentsRemoved: 0))
            if !dryRun { try store.forgetPosting(settlementID: id, part: p.part) }
        }
        let live = postings.filter { [.sent, .rollingBack, .rolledBack].contains($0.state) }
        guard !live.isEmpty else {
            return RollbackResult(settlementID: id, outcome: dryRun ? .planned : .nothing,
                                  message: "nothing of it is in Xero: \(gone.map(\.invoiceNumber).joined(separator: ", ")) never reached it\(dryRun ? "" : "; the settlement is ready")",
                                  documents: gone, generation: generation)
        }
        // 2. Each document's status and allocations, before anything changes.
        var plan: [(posting: StoredPosting, detail: XeroInvoiceDetail?, doc: RollbackDocument)] = []
        var blocked: [String] = []
        var evidence: [String] = []
        for p in live {
            if p.state == .rolledBack {
                plan.append((p, nil, RollbackDocument(part: p.part, invoiceNumber: p.invoiceNumber, invoiceID: p.xeroInvoiceID, type: p.type,
                                                      from: p.xeroStatus, to: p.xeroStatus, payments: 0, paymentsRemoved: 0)))
                continue
            }
            let detail = try await read(p)
            let status = (detail.Status ?? "").uppercased()
            let target: String?
            switch status {
            case "DELETED", "VOIDED": target = status
            case "DRAFT", "SUBMITTED": target = "DELETED"
            case "AUTHORISED", "PAID", "POSTED": target = "VOIDED"
            default: target = nil
            }
            let payments = detail.activePayments.count
            let doc = RollbackDocument(part: p.part, invoiceNumber: p.invoiceNumber, invoiceID: detail.InvoiceID ?? p.xeroInvoiceID, type: p.type,
                                       from: status, to: target, payments: payments, paymentsRemoved: 0)
            if target == nil {
                blocked.append("\(p.invoiceNumber) is \(status.isEmpty ? "of no status" : status) in Xero, which lmb cannot void or delete")
            } else if target != status {
                if detail.otherAllocations > 0 {
                    blocked.append("\(p.invoiceNumber) has a credit note, prepayment or overpayment allocated")
                } else if payments > 0 && !removePayments {
                    blocked.append("\(p.invoiceNumber) has \(payments) payment\(payments == 1 ? "" : "s") allocated")
                } else if payments == 0 && (detail.AmountPaid ?? 0) > 0 {
                    blocked.append("\(p.invoiceNumber) shows \(detail.AmountPaid ?? 0) paid without a payment lmb can remove")
                }
            }
            evidence.append("\(p.invoiceNumber): \(status), \(payments) payment(s), AmountPaid \(detail.AmountPaid ?? 0)")
            plan.append((p, detail, doc))
        }
        let documents = plan.map { $0.doc } + gone
        if !blocked.isEmpty {
            let f = RemoteFailure(.validationFailed, "\(blocked.joined(separator: "; ")); nothing was voided or deleted",
                                  service: .xero, code: RollbackFlow.paymentAllocatedCode,
                                  validationErrors: ["This document cannot be edited as it has a payment or credit note allocated to it."],
                                  evidence: evidence)
            try store.recordEvent(kind: .rollback, settlementID: id, message: "rollback refused: \(f.message)", detail: .object([
                ("classification", .string(f.classification.rawValue)), ("generation", .int(generation)),
            ]))
            return RollbackResult(settlementID: id, outcome: .blocked, message: f.message, documents: documents, generation: generation, failure: f)
        }
        if dryRun {
            let said = plan.map { "\($0.doc.invoiceNumber) (\($0.doc.from ?? "?")): \($0.doc.action)\($0.doc.payments > 0 ? " after removing \($0.doc.payments) payment(s)" : "")" }
            return RollbackResult(settlementID: id, outcome: .planned, message: "would take back: " + said.joined(separator: ", "),
                                  documents: documents, generation: generation + 1)
        }
        // 3. The intent, then each change.
        try store.markRollingBack(settlementID: id, parts: plan.filter { $0.posting.state != .rolledBack }.map { $0.posting.part })
        var done: [RollbackDocument] = []
        for (p, detail, doc) in plan {
            var doc = doc
            guard let detail, let target = doc.to, let invoiceID = doc.invoiceID else { done.append(doc); continue }
            if target == doc.from {
                try store.markRolledBack(settlementID: id, part: p.part, invoiceNumber: p.invoiceNumber, xeroStatus: target)
                done.append(doc)
                continue
            }
            for payment in detail.activePayments {
                guard let paymentID = payment.PaymentID else { continue }
                try await client.deletePayment(id: paymentID, idempotencyKey: "lmb-rbp-" + String(SHA256.hex("\(id)|\(paymentID)").prefix(40)))
                doc.paymentsRemoved += 1
                try store.recordEvent(kind: .rollback, settlementID: id, message: "payment \(paymentID) of \(payment.Amount.map { "\($0)" } ?? "?") removed from \(p.invoiceNumber) in Xero (--remove-payments)")
            }
            let key = "lmb-rb-" + String(SHA256.hex("\(id)|\(generation)|\(p.part)|\(invoiceID)|\(target)").prefix(40))
            let answer = p.type == CostOfGoodsDocument.journalType
                ? XeroInvoiceDetail(InvoiceID: invoiceID, Status: try await client.changeManualJournalStatus(
                    id: invoiceID, to: target, narration: ((try? JSONSerialization.jsonObject(with: Data(p.body.utf8))) as? [String: Any])?["Narration"] as? String,
                    idempotencyKey: key).Status)
                : try await client.changeInvoiceStatus(id: invoiceID, to: target, idempotencyKey: key)
            guard (answer.Status ?? "").uppercased() == target else {
                throw RemoteFailure.xero(.unexpectedAnswer, "Xero answered the change of \(p.invoiceNumber) to \(target) with status \(answer.Status ?? "none")",
                                         status: 200, requestID: await client.lastCorrelationID,
                                         evidence: ["POST Invoices/\(invoiceID) {Status: \(target)}"])
            }
            try store.markRolledBack(settlementID: id, part: p.part, invoiceNumber: p.invoiceNumber, xeroStatus: target)
            done.append(doc)
        }
        // 4. Every document taken back: the settlement is ready again, one generation on.
        let next = try store.finishRollback(settlementID: id)
        let all = done + gone
        let said = all.map { "\($0.invoiceNumber) \($0.to.map { $0.lowercased() } ?? "never reached Xero")" }
        return RollbackResult(settlementID: id, outcome: .rolledBack,
                              message: "\(said.joined(separator: ", ")); ready to send again as \(numbersAfter(all, next: next))",
                              documents: all, generation: next)
    }

    /// The document as Xero holds it now: by its InvoiceID, else by its number.
    func read(_ p: StoredPosting) async throws -> XeroInvoiceDetail {
        if p.type == CostOfGoodsDocument.journalType {
            // A manual journal has no payments: its status is all a rollback needs (DRAFT deleted, POSTED voided).
            let j: XeroManualJournal?
            if let journalID = p.xeroInvoiceID { j = try await client.manualJournal(id: journalID) } else { j = try await client.manualJournal(number: p.invoiceNumber) }
            guard let j, let journalID = j.ManualJournalID else { return XeroInvoiceDetail(InvoiceID: nil, InvoiceNumber: p.invoiceNumber, Status: "DELETED") }
            return XeroInvoiceDetail(InvoiceID: journalID, InvoiceNumber: p.invoiceNumber, Status: j.Status)
        }
        if let invoiceID = p.xeroInvoiceID { return try await client.invoice(id: invoiceID) }
        guard let found = try await client.invoices(numbers: [p.invoiceNumber]).first(where: { $0.Status != "DELETED" && $0.Status != "VOIDED" }),
              let invoiceID = found.InvoiceID else {
            return XeroInvoiceDetail(InvoiceID: nil, InvoiceNumber: p.invoiceNumber, Status: "DELETED")
        }
        return try await client.invoice(id: invoiceID)
    }

    func numbersAfter(_ docs: [RollbackDocument], next: Int) -> String {
        let old = Booking.revisionSuffix(next - 1)
        return docs.map { d in
            let base = old.isEmpty || !d.invoiceNumber.hasSuffix(old) ? d.invoiceNumber : String(d.invoiceNumber.dropLast(old.count))
            return base + Booking.revisionSuffix(next)
        }.joined(separator: ", ")
    }
}
