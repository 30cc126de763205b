import Foundation

/// What happened to one settlement in a send run.
public struct SendResult: Sendable {
    public enum Outcome: String, Sendable { case sent, skipped, failed }
    public var settlementID: String
    public var outcome: Outcome
    public var classification: Classification
    public var message: String
    public var invoiceIDs: [String]
    public var invoiceNumbers: [String]
    public var failure: RemoteFailure?
    /// The organisation it was sent to (or meant for).
    public var tenantID: String?

    public init(settlementID: String, outcome: Outcome, classification: Classification, message: String,
                invoiceIDs: [String], invoiceNumbers: [String], failure: RemoteFailure? = nil) {
        self.settlementID = settlementID
        self.outcome = outcome
        self.classification = classification
        self.message = message
        self.invoiceIDs = invoiceIDs
        self.invoiceNumbers = invoiceNumbers
        self.failure = failure
    }

    public var exitStatus: ExitStatus {
        switch outcome {
        case .sent, .skipped: return .ok
        case .failed: return (failure?.classification ?? classification).exitStatus
        }
    }

    public var exitCode: Int32 { exitStatus.rawValue }
}

/// The exactly-once send: each document's idempotency key and body are recorded (state `sending`) before the
/// request; an answer records `sent`; a document left `sending` by a crash or a lost answer is looked up in Xero
/// by its InvoiceNumber before anything is sent again.
public struct Sender: Sendable {
    public let session: XeroSession
    public let client: XeroClient
    public let mapping: Mapping
    public var status: String = "DRAFT"
    /// Xero takes up to 50 documents in one request…
    public var batchSize = 50
    /// …and refuses a request body over 3.5 MB, however few documents it holds.
    public var maxBodyBytes = Sender.xeroMaxBodyBytes
    public static let xeroMaxBodyBytes = 3_500_000
    /// Called with progress lines a person may want (waits, recoveries).
    public var log: @Sendable (String) -> Void = { _ in }
    /// The settlements whose unsure documents this organisation may resolve (SendRoute.recoveryScope); nil: all.
    public var recoveryScope: Set<String>?
    /// Settlements sent without waiting for Amazon's VAT report (`--without-vat-report`).
    public var withoutVATReport: Set<String> = []
    /// Called after each request with (documents done, documents to send): a progress bar on a TTY.
    public var progress: @Sendable (Int, Int) -> Void = { _, _ in }

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
        var type: String
        var body: String      // one invoice, as JSON
        var key: String

        init(settlementID: String, part: Int, invoiceNumber: String, type: String, body: String, key: String) {
            self.settlementID = settlementID
            self.part = part
            self.invoiceNumber = invoiceNumber
            self.type = type
            self.body = body
            self.key = key
        }

        init(_ p: StoredPosting) {
            self.init(settlementID: p.settlementID, part: p.part, invoiceNumber: p.invoiceNumber, type: p.type, body: p.body,
                      key: p.idempotencyKey ?? "")
        }

        var stored: StoredPosting {
            StoredPosting(settlementID: settlementID, part: part, invoiceNumber: invoiceNumber, type: type, state: .sending, body: body,
                          idempotencyKey: key, xeroInvoiceID: nil, xeroStatus: nil)
        }
    }

    public static func idempotencyKey(settlementID: String, part: Int, body: String) -> String {
        "lmb-" + String(SHA256.hex("\(settlementID)|\(part)|\(body)").prefix(48))
    }

    /// The settlements `send --all` takes: every one that has something left to send.
    public static func readySettlements(store: Store, mapping: Mapping) throws -> [String] {
        let booking = Booking(store: store, mapping: mapping)
        return try store.allSettlements().filter { s in
            // needs-mapping ones are reported (exit 65), never sent; a cost-of-goods document not yet in Xero (refused,
            // or not attempted because its invoice failed) is something left to send even when the invoices are sent.
            try booking.status(s) != .sent || s.postingStates.contains { $0.part == CostOfGoodsDocument.part && $0.state != .sent }
        }.map(\.header.id)
    }

    /// Settlement ids must name imported settlements: a usage error, found before anything talks to Xero.
    public static func checkImported(_ ids: [String], store: Store) throws {
        let unknown = try ids.filter { try store.settlement(id: $0) == nil }
        guard unknown.isEmpty else {
            throw LMBError.usage("no settlement \(unknown.joined(separator: ", ")) was ever imported; list the imported ones with: lmb settlements")
        }
    }

    // MARK: The run, step by step

    public func send(_ ids: [String]) async throws -> [SendResult] {
        try Self.checkImported(ids, store: store)
        let resend: [Document]
        let facts: OrganisationFacts
        do {
            resend = try await recoverUnsureDocuments()
            facts = try await readOrganisationFacts()
        } catch let failure as RemoteFailure {
            // Without knowing what Xero holds, nothing may be sent: report every target as failed.
            return try ids.map { id in try fail(id, failure, attempted: false) }
        }
        await completePendingReferences(facts: facts)
        var plan = try decide(ids, facts: facts, resend: resend)
        try recordPendingReferences(plan.documents, facts: facts)
        try store.recordSending(plan.documents.map(\.stored))
        let outcomes = try await post(plan.documents)
        await convertReferences(outcomes, facts: facts)
        return try await summarise(&plan, outcomes)
    }

    /// Step 1: documents an earlier run left `sending` — is the invoice in Xero already? Those that are get
    /// recorded as sent; the rest go again with the same body and key (Xero replays if it had it after all).
    func recoverUnsureDocuments() async throws -> [Document] {
        let all = try store.unsurePostings().filter { recoveryScope?.contains($0.settlementID) ?? true }.map(Document.init)
        guard !all.isEmpty else { return [] }
        // Cost-of-goods journals are looked up among the manual journals (CostOfGoodsSending.swift).
        var resend = try await recoverUnsureJournals(all.filter { $0.type == CostOfGoodsDocument.journalType })
        let unsure = all.filter { $0.type != CostOfGoodsDocument.journalType }
        var found: [String: XeroInvoice] = [:]
        for chunk in stride(from: 0, to: unsure.count, by: 40).map({ Array(unsure[$0..<min($0 + 40, unsure.count)]) }) {
            for inv in try await client.invoices(numbers: chunk.map(\.invoiceNumber)) where inv.Status != "DELETED" && inv.Status != "VOIDED" {
                if let n = inv.InvoiceNumber { found[n] = inv }
            }
        }
        for doc in unsure {
            if let inv = found[doc.invoiceNumber], let invoiceID = inv.InvoiceID {
                try markSent(doc, invoiceID: invoiceID, status: inv.Status, recovered: true)
                log("settlement \(doc.settlementID): \(doc.invoiceNumber) was already in Xero (an earlier answer was lost); recorded as sent")
            } else {
                resend.append(doc)
            }
        }
        return resend
    }

    /// Step 2: what the organisation allows — its lock date (documents dated before it move to the first open
    /// day) and its currencies — kept in the store so preview can show what send will do.
    func readOrganisationFacts() async throws -> OrganisationFacts {
        let facts = try await client.organisationFacts(withTax: mapping.tax != nil, withAccounts: true)
        try store.saveOrganisationFacts(tenantID: client.connection.tenantID, facts)
        return facts
    }

    /// What step 3 decided: results already known (skipped, refused before sending) and the documents to post.
    struct Plan {
        var order: [String] = []
        var results: [String: SendResult] = [:]
        var documents: [Document] = []
    }

    /// Step 3: settlement by settlement, refuse what Xero would refuse (currency, mapping, size) in lmb's words,
    /// skip what was sent, and build the documents still to send.
    func decide(_ ids: [String], facts: OrganisationFacts, resend: [Document]) throws -> Plan {
        var plan = Plan()
        let booking = Booking(store: store, mapping: mapping, withoutVATReport: withoutVATReport)
        for id in ids where plan.results[id] == nil && !plan.order.contains(id) {
            plan.order.append(id)
            guard let s = try store.settlement(id: id) else { continue }   // checked before the run
            if let refusal = currencyRefusal(s, facts) {
                plan.results[id] = try fail(id, refusal, attempted: false)
                continue
            }
            let booked = try booking.book(s, tenant: client.connection.tenantID)
            if booked.needsMapping {
                let f = RemoteFailure.xero(.validationFailed, "needs mapping: \(booked.unmapped.count) combination(s) match no rule; nothing was sent",
                                    validationErrors: ["needs mapping"])
                plan.results[id] = try fail(id, f, attempted: false)
                continue
            }
            if let hold = booked.awaitingVAT, try store.postings(settlementID: id).isEmpty {
                plan.results[id] = SendResult(settlementID: id, outcome: .skipped, classification: .ok, message: hold, invoiceIDs: [], invoiceNumbers: [])
                continue
            }
            if !booked.taxProblems.isEmpty {
                plan.results[id] = try fail(id, TaxProblem.failure(booked.taxProblems, settlementID: id), attempted: false)
                continue
            }
            if try store.postings(settlementID: id).contains(where: { $0.state == .rollingBack || $0.state == .rolledBack }) {
                plan.results[id] = try fail(id, RollbackFlow.unfinished(id), attempted: false)
                continue
            }
            // Cost of goods sold: its document goes with the invoice; a missing cost is a warning, never a hold.
            let cogs = try costOfGoodsPlan(s, booked)
            try store.forgetFailedParts(settlementID: id, keeping: Set(booked.postings.map(\.part) + (cogs?.document == nil ? [] : [CostOfGoodsDocument.part])))
            let stored = try store.postings(settlementID: id)
            let sent = stored.filter { $0.state == .sent }
            // Every account the documents still to send use must take their lines (exists, ACTIVE, not a bank or
            // system account): refused here in lmb's words, with `lmb setup` as the fix, rather than by Xero.
            let unsent = booked.postings.filter { p in !sent.contains { $0.part == p.part } }
            let cogsUnsent = cogs?.document.flatMap { d in sent.contains { $0.part == CostOfGoodsDocument.part } ? nil : d }
            if let accounts = facts.accounts, !unsent.isEmpty || cogsUnsent != nil, resend.allSatisfy({ $0.settlementID != id }) {
                let problems = AccountRoles.problems(unsent, accounts: accounts) + Self.costOfGoodsAccountProblems(cogsUnsent, accounts: accounts)
                if !problems.isEmpty {
                    plan.results[id] = try fail(id, AccountProblem.failure(problems, settlementID: id), attempted: false)
                    continue
                }
            }
            if !sent.isEmpty && sent.count == stored.count && resend.allSatisfy({ $0.settlementID != id }) {
                plan.results[id] = SendResult(settlementID: id, outcome: .skipped, classification: .ok,
                                              message: "already sent: \(sent.map { "\($0.invoiceNumber) (InvoiceID \($0.xeroInvoiceID ?? "?"))" }.joined(separator: ", ")); it is never posted twice",
                                              invoiceIDs: sent.compactMap(\.xeroInvoiceID), invoiceNumbers: sent.map(\.invoiceNumber))
                continue
            }
            let sentParts = Set(sent.map(\.part))
            var documents: [Document] = []
            for posting in booked.postings where !sentParts.contains(posting.part) {
                if let pending = resend.first(where: { $0.settlementID == id && $0.part == posting.part }) {
                    documents.append(pending)
                    continue
                }
                let body = posting.xeroInvoice(status: status).rendered(pretty: false)
                documents.append(Document(settlementID: id, part: posting.part, invoiceNumber: posting.invoiceNumber, type: posting.type.rawValue,
                                          body: body, key: Self.idempotencyKey(settlementID: id, part: posting.part, body: body)))
            }
            if let cogs, !documents.isEmpty || cogsUnsent != nil {
                if let warning = cogs.warning(settlementID: id) { log(warning) }
                if let document = cogsUnsent {
                    if let pending = resend.first(where: { $0.settlementID == id && $0.part == CostOfGoodsDocument.part }) {
                        documents.append(pending)
                    } else {
                        let body = document.body(invoiceStatus: status).rendered(pretty: false)
                        documents.append(Document(settlementID: id, part: CostOfGoodsDocument.part, invoiceNumber: document.number, type: document.type,
                                                  body: body, key: Self.idempotencyKey(settlementID: id, part: CostOfGoodsDocument.part, body: body)))
                    }
                }
            }
            if let tooLarge = sizeRefusal(documents) {
                plan.results[id] = try fail(id, tooLarge, attempted: false)
                continue
            }
            plan.documents += documents
        }
        for doc in resend where !plan.order.contains(doc.settlementID) {
            plan.order.append(doc.settlementID)
            plan.documents.append(doc)
        }
        return plan
    }

    func currencyRefusal(_ s: StoredSettlement, _ facts: OrganisationFacts) -> RemoteFailure? {
        guard !facts.currencies.isEmpty, !facts.currencies.contains(s.header.currency) else { return nil }
        return RemoteFailure.xero(.validationFailed, "the organisation has no \(s.header.currency) currency enabled (it has \(facts.currencies.joined(separator: ", "))); nothing was sent",
                           validationErrors: ["Organisation is not subscribed to currency \(s.header.currency)"],
                           evidence: ["GET /Currencies does not list \(s.header.currency)"])
    }

    /// A document that cannot fit one request alone is refused here, before Xero sees it.
    func sizeRefusal(_ documents: [Document]) -> RemoteFailure? {
        guard let big = documents.first(where: { Self.requestBytes([$0]) > maxBodyBytes }) else { return nil }
        let mb = { (n: Int) in String(format: "%.1f MB", Double(n) / 1_000_000) }
        return RemoteFailure.xero(.tooLarge, "\(big.invoiceNumber) would be a \(mb(Self.requestBytes([big]))) request; Xero accepts at most \(mb(maxBodyBytes)) in one request; nothing was sent",
                           evidence: ["\(big.body.utf8.count) bytes of JSON for one document; lmb splits batches by size but cannot split one document"])
    }

    /// Step 4: post the documents in batches that Xero accepts (≤ 50 documents, ≤ 3.5 MB), paced by Xero's
    /// remaining-calls header. After a failure that is not about one document, the rest are not attempted.
    func post(_ all: [Document]) async throws -> [String: [(Document, Result<XeroInvoice, RemoteFailure>)]] {
        var outcomes: [String: [(Document, Result<XeroInvoice, RemoteFailure>)]] = [:]
        var stop: RemoteFailure?
        var done = 0
        defer { progress(all.count, all.count) }
        // Invoices and bills first, in batches; each settlement's cost-of-goods journal after its invoice.
        let documents = all.filter { $0.type != CostOfGoodsDocument.journalType }
        for batch in Self.batches(documents, maxCount: batchSize, maxBytes: maxBodyBytes) {
            progress(done, documents.count)
            done += batch.count
            if let stop {
                for doc in batch {
                    var f = stop
                    f.message = "not attempted: an earlier request failed (\(stop.message))"
                    try recordRefusal(doc)
                    outcomes[doc.settlementID, default: []].append((doc, .failure(f)))
                }
                continue
            }
            do {
                let answered = try await client.putInvoices(Self.requestBody(batch), idempotencyKey: Self.batchKey(batch), summarizeErrors: false)
                for doc in batch {
                    let result = try await recordAnswer(doc, answered.first { $0.InvoiceNumber == doc.invoiceNumber })
                    outcomes[doc.settlementID, default: []].append((doc, result))
                }
            } catch let failure as RemoteFailure {
                // A definite refusal (4xx) created nothing; a lost, unreadable or 5xx answer may have: leave those
                // `sending`, so the next send looks them up in Xero before posting anything again.
                let answered = failure.classification != .unexpectedAnswer && !failure.earlierAttemptMayHaveBeenProcessed
                    && (failure.status.map { $0 < 500 } ?? false)
                for doc in batch {
                    if answered { try recordRefusal(doc) }
                    outcomes[doc.settlementID, default: []].append((doc, .failure(failure)))
                }
                if failure.classification != .validationFailed { stop = failure }
            }
        }
        for doc in all where doc.type == CostOfGoodsDocument.journalType {
            progress(done, all.count)
            done += 1
            let result = try await postJournal(doc, stop: stop, invoiceFailed: (outcomes[doc.settlementID] ?? []).contains { if case .failure = $0.1 { return true } else { return false } })
            // The first failure that is not about one document stops what follows (a journal not attempted is never one).
            if stop == nil, case .failure(let f) = result, f.classification != .validationFailed { stop = f }
            outcomes[doc.settlementID, default: []].append((doc, result))
        }
        return outcomes
    }

    /// One element of Xero's answer: created, or refused with its validation errors. An "Invoice # must be
    /// unique" refusal means Xero holds this number already: it is this settlement, sent before; recorded, never posted twice.
    func recordAnswer(_ doc: Document, _ inv: XeroInvoice?) async throws -> Result<XeroInvoice, RemoteFailure> {
        if let inv, inv.HasErrors != true, let invoiceID = inv.InvoiceID {
            try markSent(doc, invoiceID: invoiceID, status: inv.Status, recovered: false)
            return .success(inv)
        }
        let messages = inv?.ValidationErrors?.compactMap(\.Message) ?? []
        guard let inv, inv.HasErrors == true, !messages.isEmpty else {
            // Xero answered 2xx without saying this document was refused (an element missing, no InvoiceID): it may
            // have been created. It stays `sending`, and the next send looks it up by number before posting it again
            // (bills have no unique-number check in Xero to fall back on).
            let f = RemoteFailure.xero(.unexpectedAnswer, "Xero's answer did not show \(doc.invoiceNumber) created or refused; it is looked up in Xero before it is sent again",
                                       status: 200, requestID: await client.lastCorrelationID,
                                       evidence: [inv == nil ? "no element for \(doc.invoiceNumber) in the answer" : "the element for \(doc.invoiceNumber) has no InvoiceID and no validation errors"])
            return .failure(f)
        }
        if messages.contains(where: { $0.contains("must be unique") }), let existing = try? await client.invoices(numbers: [doc.invoiceNumber]).first,
           let invoiceID = existing.InvoiceID {
            try markSent(doc, invoiceID: invoiceID, status: existing.Status, recovered: true)
            return .success(existing)
        }
        let f = RemoteFailure.xero(.validationFailed, messages.joined(separator: "; "), status: 200,
                            requestID: await client.lastCorrelationID, validationErrors: messages,
                            evidence: ["HasErrors on the element for \(inv.InvoiceNumber ?? doc.invoiceNumber)", "Xero refused the document; nothing was created for it"])
        try recordRefusal(doc)
        return .failure(f)
    }

    /// Step 5: one result per settlement, one event per attempt.
    func summarise(_ plan: inout Plan, _ outcomes: [String: [(Document, Result<XeroInvoice, RemoteFailure>)]]) async throws -> [SendResult] {
        for id in plan.order where plan.results[id] == nil {
            let results = outcomes[id] ?? []
            let failures = results.compactMap { if case .failure(let f) = $0.1 { return f } else { return nil } }
            let invoices = results.filter { $0.0.part != CostOfGoodsDocument.part }.compactMap { if case .success(let i) = $0.1 { return i } else { return nil } }
            if let f = failures.first {
                plan.results[id] = try fail(id, f, attempted: true)
                continue
            }
            let all = try store.postings(settlementID: id).filter { $0.state == .sent }
            let sent = all.filter { $0.part != CostOfGoodsDocument.part }
            let numbers = sent.map(\.invoiceNumber)
            let ids = sent.compactMap(\.xeroInvoiceID)
            let cogs = results.first { $0.0.part == CostOfGoodsDocument.part }.map { " with cost of goods sold \($0.0.invoiceNumber) (\($0.0.type == CostOfGoodsDocument.journalType ? "manual journal" : "zero-total bill"))" } ?? ""
            plan.results[id] = SendResult(settlementID: id, outcome: .sent, classification: .ok,
                                          message: "sent as \(numbers.joined(separator: ", ")) (\(invoices.compactMap(\.Status).first ?? status))\(cogs)",
                                          invoiceIDs: ids, invoiceNumbers: numbers)
            try store.recordEvent(kind: .sendAttempt, settlementID: id, message: "sent to Xero as \(numbers.joined(separator: ", "))",
                                  detail: .object([("classification", .string("ok")), ("invoiceIds", .array(ids.map(JSON.string))),
                                                   ("correlationId", .optional(await client.lastCorrelationID))]))
        }
        return plan.order.compactMap { plan.results[$0] }
    }

    // MARK: Request bodies

    static func requestBody(_ batch: [Document]) -> Data {
        Data(("{\"Invoices\":[" + batch.map(\.body).joined(separator: ",") + "]}").utf8)
    }

    static func requestBytes(_ batch: [Document]) -> Int {
        "{\"Invoices\":[]}".utf8.count + batch.reduce(0) { $0 + $1.body.utf8.count } + max(0, batch.count - 1)
    }

    static func batchKey(_ batch: [Document]) -> String {
        batch.count == 1 ? batch[0].key : "lmb-batch-" + String(SHA256.hex(batch.map(\.key).joined(separator: ",")).prefix(42))
    }

    /// Consecutive batches of at most `maxCount` documents whose request body stays within `maxBytes`.
    /// A document too large alone still gets a batch of its own (decide() refuses those before this).
    static func batches(_ documents: [Document], maxCount: Int, maxBytes: Int) -> [[Document]] {
        var out: [[Document]] = []
        var current: [Document] = []
        var bytes = requestBytes([])
        for doc in documents {
            let added = doc.body.utf8.count + (current.isEmpty ? 0 : 1)
            if !current.isEmpty && (current.count >= maxCount || bytes + added > maxBytes) {
                out.append(current)
                current = []
                bytes = requestBytes([])
            }
            bytes += doc.body.utf8.count + (current.isEmpty ? 0 : 1)
            current.append(doc)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    // MARK: Recording

    func fail(_ id: String, _ f: RemoteFailure, attempted: Bool) throws -> SendResult {
        try store.recordEvent(kind: .sendAttempt, settlementID: id, message: f.message, detail: .object([
            ("classification", .string(f.classification.rawValue)), ("message", .string(f.message)),
            ("status", f.status.map { .int($0) } ?? .null), ("correlationId", .optional(f.requestID)),
            ("evidence", .array(f.evidence.map(JSON.string))), ("attempted", .bool(attempted)),
        ]))
        return SendResult(settlementID: id, outcome: .failed, classification: f.classification, message: f.message,
                          invoiceIDs: [], invoiceNumbers: [], failure: f)
    }

    func markSent(_ doc: Document, invoiceID: String, status: String?, recovered: Bool) throws {
        try store.markSent(settlementID: doc.settlementID, part: doc.part, invoiceNumber: doc.invoiceNumber, invoiceID: invoiceID,
                           xeroStatus: status, recovered: recovered)
    }

    /// Xero answered with a refusal, so nothing was created: the document may be sent again.
    func recordRefusal(_ doc: Document) throws {
        try store.markRefused(settlementID: doc.settlementID, part: doc.part)
    }
}
