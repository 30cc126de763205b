import Foundation
import GRDB

/// What happened to one settlement in a send run.
public struct SendResult: Sendable {
    public enum Outcome: String, Sendable { case sent, skipped, failed }
    public var settlementID: String
    public var outcome: Outcome
    public var classification: XeroClassification
    public var message: String
    public var invoiceIDs: [String]
    public var invoiceNumbers: [String]
    public var failure: XeroFailure?

    public init(settlementID: String, outcome: Outcome, classification: XeroClassification, message: String,
                invoiceIDs: [String], invoiceNumbers: [String], failure: XeroFailure? = nil) {
        self.settlementID = settlementID
        self.outcome = outcome
        self.classification = classification
        self.message = message
        self.invoiceIDs = invoiceIDs
        self.invoiceNumbers = invoiceNumbers
        self.failure = failure
    }

    public var exitCode: Int32 {
        switch outcome {
        case .sent, .skipped: return 0
        case .failed: return failure?.exitCode ?? classification.exitCode
        }
    }
}

/// The exactly-once send: each document's idempotency key and body are recorded (state `sending`) before the
/// request; an answer records `sent`; a document left `sending` by a crash or a lost answer is looked up in Xero
/// by its InvoiceNumber before anything is sent again.
public struct Sender: Sendable {
    public let session: XeroSession
    public let client: XeroClient
    public let mapping: Mapping
    public var status: String = "DRAFT"
    public var batchSize = 50
    /// Called with progress lines a person may want (waits, recoveries).
    public var log: @Sendable (String) -> Void = { _ in }

    public init(session: XeroSession, client: XeroClient, mapping: Mapping) {
        self.session = session
        self.client = client
        self.mapping = mapping
    }

    var store: Store { session.store }

    /// A document to send, with everything recorded before the request.
    struct Document: Sendable {
        var settlementID: String
        var part: Int
        var invoiceNumber: String
        var body: String      // one invoice, as JSON
        var key: String
    }

    public static func idempotencyKey(settlementID: String, part: Int, body: String) -> String {
        "lmb-" + String(SHA256.hex("\(settlementID)|\(part)|\(body)").prefix(48))
    }

    /// The settlements `send --all` takes: every one that has something left to send.
    public static func readySettlements(store: Store, mapping: Mapping) throws -> [String] {
        return try store.allSettlements().filter { s in
            let status = s.status(ledger: try store.book(s, mapping: mapping))
            return status != .sent   // needs-mapping ones are reported (exit 65), never sent
        }.map(\.header.id)
    }

    public func send(_ ids: [String]) async throws -> [SendResult] {
        var results: [String: SendResult] = [:]
        var order: [String] = []
        var toSend: [Document] = []
        // 1. Recover documents an earlier run left in `sending`: is the invoice in Xero already?
        let unsure = try store.dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE state = 'sending' ORDER BY settlement_id, part")
        }.map { Document(settlementID: $0["settlement_id"], part: $0["part"], invoiceNumber: $0["invoice_number"], body: $0["body"], key: $0["idempotency_key"] ?? "") }
        var resend: [Document] = []
        if !unsure.isEmpty {
            var found: [String: XeroInvoice] = [:]
            do {
                for chunk in stride(from: 0, to: unsure.count, by: 40).map({ Array(unsure[$0..<min($0 + 40, unsure.count)]) }) {
                    for inv in try await client.invoices(numbers: chunk.map(\.invoiceNumber)) where inv.Status != "DELETED" && inv.Status != "VOIDED" {
                        if let n = inv.InvoiceNumber { found[n] = inv }
                    }
                }
            } catch let failure as XeroFailure {
                // Without knowing what Xero holds, nothing may be sent: report every target as failed.
                return try ids.map { id in try fail(id, failure, attempted: false) }
            }
            for doc in unsure {
                if let inv = found[doc.invoiceNumber], let invoiceID = inv.InvoiceID {
                    try markSent(doc, invoiceID: invoiceID, status: inv.Status, recovered: true)
                    log("settlement \(doc.settlementID): \(doc.invoiceNumber) was already in Xero (an earlier answer was lost); recorded as sent")
                } else {
                    resend.append(doc)   // the same body under the same key: Xero replays if it had it after all
                }
            }
        }
        // 2. What the organisation allows: its lock date (documents dated before it move to the first open day)
        //    and its currencies (a settlement in another one is refused here, in lmb's words, not by Xero).
        let facts: Store.OrganisationFacts
        do { facts = try await client.refreshOrganisationFacts(store: store) } catch let failure as XeroFailure {
            return try ids.map { id in try fail(id, failure, attempted: false) }
        }
        // 3. Decide, settlement by settlement.
        for id in ids where results[id] == nil {
            order.append(id)
            guard let s = try store.settlement(id: id) else {
                results[id] = SendResult(settlementID: id, outcome: .failed, classification: .config, message: "no such settlement; import it first (lmb import FILE)",
                                         invoiceIDs: [], invoiceNumbers: [], failure: XeroFailure(.config, "no such settlement"))
                continue
            }
            if !facts.currencies.isEmpty && !facts.currencies.contains(s.header.currency) {
                let f = XeroFailure(.validationFailed, "the organisation has no \(s.header.currency) currency enabled (it has \(facts.currencies.joined(separator: ", "))); nothing was sent",
                                    validationErrors: ["Organisation is not subscribed to currency \(s.header.currency)"],
                                    evidence: ["GET /Currencies does not list \(s.header.currency)"])
                results[id] = try fail(id, f, attempted: false)
                continue
            }
            let booked = try store.book(s, mapping: mapping, tenant: client.connection.tenantID)
            if booked.needsMapping {
                let f = XeroFailure(.validationFailed, "needs mapping: \(booked.unmapped.count) combination(s) match no rule; nothing was sent",
                                    validationErrors: ["needs mapping"])
                results[id] = try fail(id, f, attempted: false)
                continue
            }
            let rows = try store.dbQueue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE settlement_id = ? ORDER BY part", arguments: [id])
            }
            let sent = rows.filter { ($0["state"] as String) == "sent" }
            if !sent.isEmpty && sent.count == rows.count && resend.allSatisfy({ $0.settlementID != id }) {
                results[id] = SendResult(settlementID: id, outcome: .skipped, classification: .ok,
                                         message: "already sent: \(sent.map { "\($0["invoice_number"] as String) (InvoiceID \($0["xero_invoice_id"] as String? ?? "?"))" }.joined(separator: ", ")); it is never posted twice",
                                         invoiceIDs: sent.compactMap { $0["xero_invoice_id"] }, invoiceNumbers: sent.map { $0["invoice_number"] })
                continue
            }
            let sentParts = Set(sent.map { $0["part"] as Int })
            for posting in booked.postings where !sentParts.contains(posting.part) {
                if let pending = resend.first(where: { $0.settlementID == id && $0.part == posting.part }) {
                    toSend.append(pending)
                    continue
                }
                let body = posting.xeroInvoice(status: status).rendered(pretty: false)
                toSend.append(Document(settlementID: id, part: posting.part, invoiceNumber: posting.invoiceNumber, body: body,
                                       key: Self.idempotencyKey(settlementID: id, part: posting.part, body: body)))
            }
        }
        for doc in resend where !order.contains(doc.settlementID) {
            order.append(doc.settlementID)
            toSend.append(doc)
        }
        // 4. Record every document as `sending` before any request.
        let recording = toSend
        try await store.dbQueue.write { db in
            for doc in recording {
                let posting = try Row.fetchOne(db, sql: "SELECT state FROM posting WHERE settlement_id = ? AND part = ?", arguments: [doc.settlementID, doc.part])
                if posting == nil {
                    let type = (try? JSON.parse(doc.body))?["Type"]?.stringValue ?? "ACCREC"
                    try db.execute(sql: """
                        INSERT INTO posting (settlement_id, part, invoice_number, type, total_minor, body, state, idempotency_key, updated_at)
                        VALUES (?,?,?,?,0,?,'sending',?,?)
                        """, arguments: [doc.settlementID, doc.part, doc.invoiceNumber, type, doc.body, doc.key, Store.now()])
                } else {
                    try db.execute(sql: "UPDATE posting SET body = ?, idempotency_key = ?, state = 'sending', updated_at = ? WHERE settlement_id = ? AND part = ?",
                                   arguments: [doc.body, doc.key, Store.now(), doc.settlementID, doc.part])
                }
            }
        }
        // 5. Send in batches, paced by Xero's remaining-calls header.
        var stop: XeroFailure?
        var index = 0
        var docOutcomes: [String: [(Document, Result<XeroInvoice, XeroFailure>)]] = [:]
        while index < toSend.count {
            let batch = Array(toSend[index..<min(index + batchSize, toSend.count)])
            index += batch.count
            if let stop {
                for doc in batch {
                    var f = stop
                    f.message = "not attempted: an earlier request failed (\(stop.message))"
                    try markFailedIfUnanswered(doc, f, answered: true)
                    docOutcomes[doc.settlementID, default: []].append((doc, .failure(f)))
                }
                continue
            }
            if let remaining = await client.minuteRemaining, remaining < 2 {
                let seconds = 61 - Int(Date().timeIntervalSince1970) % 60
                log("pacing: Xero allows \(remaining) more call(s) this minute; waiting \(seconds) s")
                try await Task.sleep(nanoseconds: UInt64(seconds) * 1_000_000_000)
            }
            let body = "{\"Invoices\":[" + batch.map(\.body).joined(separator: ",") + "]}"
            let key = batch.count == 1 ? batch[0].key : "lmb-batch-" + String(SHA256.hex(batch.map(\.key).joined(separator: ",")).prefix(42))
            do {
                let answered = try await client.putInvoices(Data(body.utf8), idempotencyKey: key, summarizeErrors: false)
                for doc in batch {
                    let inv = answered.first { $0.InvoiceNumber == doc.invoiceNumber }
                    if let inv, inv.HasErrors != true, let invoiceID = inv.InvoiceID {
                        try markSent(doc, invoiceID: invoiceID, status: inv.Status, recovered: false)
                        docOutcomes[doc.settlementID, default: []].append((doc, .success(inv)))
                    } else {
                        let messages = inv?.ValidationErrors?.compactMap(\.Message) ?? ["Xero's answer did not include \(doc.invoiceNumber)"]
                        var f = XeroFailure(.validationFailed, messages.joined(separator: "; "), status: 200,
                                            correlationID: await client.lastCorrelationID, validationErrors: messages,
                                            evidence: ["HasErrors on the element for \(doc.invoiceNumber)"])
                        if messages.contains(where: { $0.contains("must be unique") }), let existing = try? await client.invoices(numbers: [doc.invoiceNumber]).first,
                           let invoiceID = existing.InvoiceID {
                            // Xero already holds this number: it is this settlement, sent before. Record it; never post it twice.
                            try markSent(doc, invoiceID: invoiceID, status: existing.Status, recovered: true)
                            docOutcomes[doc.settlementID, default: []].append((doc, .success(existing)))
                            continue
                        }
                        f.evidence.append("Xero refused the document; nothing was created for it")
                        try markFailedIfUnanswered(doc, f, answered: true)
                        docOutcomes[doc.settlementID, default: []].append((doc, .failure(f)))
                    }
                }
            } catch let failure as XeroFailure {
                // A definite refusal (4xx) created nothing; a lost or 5xx answer may have: leave those `sending`.
                let answered = failure.status.map { $0 < 500 } ?? false
                for doc in batch {
                    try markFailedIfUnanswered(doc, failure, answered: answered)
                    docOutcomes[doc.settlementID, default: []].append((doc, .failure(failure)))
                }
                if failure.classification != .validationFailed { stop = failure }
            }
        }
        // 6. One result per settlement, one event per attempt.
        for id in order where results[id] == nil {
            let outcomes = docOutcomes[id] ?? []
            let failures = outcomes.compactMap { if case .failure(let f) = $0.1 { return f } else { return nil } }
            let invoices = outcomes.compactMap { if case .success(let i) = $0.1 { return i } else { return nil } }
            let previouslySent = try store.dbQueue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM posting WHERE settlement_id = ? AND state = 'sent' ORDER BY part", arguments: [id])
            }
            if let f = failures.first {
                results[id] = try fail(id, f, attempted: true)
            } else {
                let numbers = previouslySent.map { $0["invoice_number"] as String }
                let ids = previouslySent.compactMap { $0["xero_invoice_id"] as String? }
                results[id] = SendResult(settlementID: id, outcome: .sent, classification: .ok,
                                         message: "sent as \(numbers.joined(separator: ", ")) (\(invoices.compactMap(\.Status).first ?? status))",
                                         invoiceIDs: ids, invoiceNumbers: numbers)
                try store.recordEvent(kind: "send_attempt", settlementID: id, message: "sent to Xero as \(numbers.joined(separator: ", "))",
                                      detail: .object([("classification", .string("ok")), ("invoiceIds", .array(ids.map(JSON.string))),
                                                       ("correlationId", .optional(await client.lastCorrelationID))]))
            }
        }
        return order.compactMap { results[$0] }
    }

    func fail(_ id: String, _ f: XeroFailure, attempted: Bool) throws -> SendResult {
        try store.recordEvent(kind: "send_attempt", settlementID: id, message: f.message, detail: .object([
            ("classification", .string(f.classification.rawValue)), ("message", .string(f.message)),
            ("status", f.status.map { .int($0) } ?? .null), ("correlationId", .optional(f.correlationID)),
            ("evidence", .array(f.evidence.map(JSON.string))), ("attempted", .bool(attempted)),
        ]))
        return SendResult(settlementID: id, outcome: .failed, classification: f.classification, message: f.message,
                          invoiceIDs: [], invoiceNumbers: [], failure: f)
    }

    func markSent(_ doc: Document, invoiceID: String, status: String?, recovered: Bool) throws {
        try store.dbQueue.write { db in
            try db.execute(sql: "UPDATE posting SET state = 'sent', xero_invoice_id = ?, xero_status = ?, updated_at = ? WHERE settlement_id = ? AND part = ?",
                           arguments: [invoiceID, status, Store.now(), doc.settlementID, doc.part])
            if recovered {
                try Store.recordEvent(db, kind: "recovered", settlementID: doc.settlementID,
                                      message: "\(doc.invoiceNumber) found in Xero (InvoiceID \(invoiceID)); recorded as sent without sending again")
            }
        }
    }

    /// A refusal Xero answered created nothing: the document may be sent again. An unanswered one stays `sending`.
    func markFailedIfUnanswered(_ doc: Document, _ f: XeroFailure, answered: Bool) throws {
        guard answered else { return }
        try store.dbQueue.write { db in
            try db.execute(sql: "UPDATE posting SET state = 'failed', updated_at = ? WHERE settlement_id = ? AND part = ? AND state = 'sending'",
                           arguments: [Store.now(), doc.settlementID, doc.part])
        }
    }
}
