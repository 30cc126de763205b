import Foundation
import Testing
@testable import LMBCore

/// A settlement imported and recorded as sent (as a send would leave it), for rollback to take back.
private struct SentSettlement {
    let world: FakeWorld
    let id: String
    let number: String

    init(state: PostingState = .sent) throws {
        world = try FakeWorld()
        try world.connect()
        let store = try world.ctx.store()
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt"))
        let s = try #require(try store.allSettlements().first)
        id = s.header.id
        let posting = try #require(try Booking(store: store, mapping: .defaults).book(s).postings.first)
        number = posting.invoiceNumber
        let body = posting.xeroInvoice().rendered(pretty: false)
        try store.recordSending([StoredPosting(settlementID: id, part: 1, invoiceNumber: number, type: posting.type.rawValue, state: .sending,
                                               body: body, idempotencyKey: "lmb-test", xeroInvoiceID: nil, xeroStatus: nil)])
        if state == .sent {
            try store.markSent(settlementID: id, part: 1, invoiceNumber: number, invoiceID: "inv-1", xeroStatus: "DRAFT", recovered: false)
        }
    }

    var store: Store { get throws { try world.ctx.store() } }

    /// GET /Invoices/inv-1 answers with this status (and these payments); POST /Invoices/inv-1 takes the change asked.
    func xeroHolds(_ status: String, payments: [String] = []) {
        let list = payments.map { #"{"PaymentID":"\#($0)","Amount":10.00}"# }.joined(separator: ",")
        world.transport.on("GET", "/Invoices/inv-1", ScriptedTransport.json(200, #"{"Invoices":[{"InvoiceID":"inv-1","InvoiceNumber":"\#(number)","Status":"\#(status)","AmountPaid":\#(payments.isEmpty ? "0" : "10.00"),"Payments":[\#(list)]}]}"#))
    }

    func xeroTakesChanges() {
        let number = self.number
        world.transport.on("POST", "/Invoices/inv-1") { request in
            let body = (try? JSONSerialization.jsonObject(with: request.body ?? Data())) as? [String: Any]
            let status = ((body?["Invoices"] as? [[String: Any]])?.first?["Status"] as? String) ?? "?"
            return ScriptedTransport.json(200, #"{"Invoices":[{"InvoiceID":"inv-1","InvoiceNumber":"\#(number)","Status":"\#(status)"}]}"#)
        }
    }

    func flow(dryRun: Bool = false, removePayments: Bool = false) -> RollbackFlow {
        RollbackFlow(ctx: world.ctx, ids: [id], dryRun: dryRun, removePayments: removePayments)
    }

    func postedStatuses() -> [String] {
        world.transport.requests("POST", "/Invoices/").compactMap { r in
            let body = (try? JSONSerialization.jsonObject(with: r.body ?? Data())) as? [String: Any]
            return (body?["Invoices"] as? [[String: Any]])?.first?["Status"] as? String
        }
    }
}

@Suite("lmb rollback against a fake Xero: take back, then send again under new numbers")
struct RollbackTests {
    @Test("a DRAFT document is DELETED; the settlement is ready at generation 2 and books -r2 numbers")
    func draftDeleted() async throws {
        let s = try SentSettlement()
        s.xeroHolds("DRAFT")
        s.xeroTakesChanges()
        let results = try await s.flow().perform()
        #expect(results.map(\.outcome) == [.rolledBack])
        #expect(results[0].exitStatus == .ok)
        #expect(s.postedStatuses() == ["DELETED"])
        let store = try s.store
        #expect(try store.postings(settlementID: s.id).isEmpty)
        #expect(try store.generation(settlementID: s.id) == 2)
        let history = try store.rolledBackDocuments(settlementID: s.id)
        #expect(history.map(\.invoiceNumber) == [s.number])
        #expect(history.map(\.xeroStatus) == ["DELETED"])
        let settlement = try #require(try store.settlement(id: s.id))
        let booked = try Booking(store: store, mapping: .defaults).book(settlement)
        #expect(booked.postings.map(\.invoiceNumber) == [s.number + "-r2"])
        #expect(try Booking(store: store, mapping: .defaults).status(settlement) == .ready)
        // The log holds both generations' story.
        #expect(try store.events(settlementID: s.id).contains { $0.kind == "rollback" && $0.message.contains("generation 1 rolled back") })
        // Each change went under an idempotency key.
        #expect(s.world.transport.requests("POST", "/Invoices/").allSatisfy { r in r.headers.contains { $0.0 == "Idempotency-Key" && $0.1.hasPrefix("lmb-rb-") } })
    }

    @Test("an AUTHORISED document is VOIDED")
    func authorisedVoided() async throws {
        let s = try SentSettlement()
        s.xeroHolds("AUTHORISED")
        s.xeroTakesChanges()
        let results = try await s.flow().perform()
        #expect(results.map(\.outcome) == [.rolledBack])
        #expect(s.postedStatuses() == ["VOIDED"])
        #expect(try s.store.rolledBackDocuments(settlementID: s.id).map(\.xeroStatus) == ["VOIDED"])
    }

    @Test("a payment allocated stops the settlement before anything changes (65, the runbook names --remove-payments)")
    func paymentBlocks() async throws {
        let s = try SentSettlement()
        s.xeroHolds("PAID", payments: ["pay-1"])
        s.xeroTakesChanges()
        let results = try await s.flow().perform()
        #expect(results.map(\.outcome) == [.blocked])
        #expect(results[0].exitStatus == .dataError)
        let f = try #require(results[0].failure)
        #expect(Runbook.steps(for: f, settlementID: s.id).contains { $0.contains("lmb rollback \(s.id) --remove-payments") })
        #expect(s.world.transport.requests("POST", "/Invoices/").isEmpty)
        #expect(try s.store.postings(settlementID: s.id).map(\.state) == [.sent])
        #expect(try s.store.generation(settlementID: s.id) == 1)
    }

    @Test("--remove-payments deletes the payment first, then voids")
    func removePayments() async throws {
        let s = try SentSettlement()
        s.xeroHolds("PAID", payments: ["pay-1"])
        s.xeroTakesChanges()
        s.world.transport.on("POST", "/Payments/pay-1", ScriptedTransport.json(200, #"{"Payments":[{"PaymentID":"pay-1","Status":"DELETED"}]}"#))
        let results = try await s.flow(removePayments: true).perform()
        #expect(results.map(\.outcome) == [.rolledBack])
        #expect(results[0].documents.first?.paymentsRemoved == 1)
        let order = s.world.transport.requests.filter { $0.method == "POST" }.map(\.url.path)
        #expect(order.count == 2 && order[0].hasSuffix("/Payments/pay-1") && order[1].hasSuffix("/Invoices/inv-1"))
        #expect(s.postedStatuses() == ["VOIDED"])
    }

    @Test("--dry-run reads the status and changes nothing")
    func dryRun() async throws {
        let s = try SentSettlement()
        s.xeroHolds("AUTHORISED")
        let results = try await s.flow(dryRun: true).perform()
        #expect(results.map(\.outcome) == [.planned])
        #expect(results[0].documents.map(\.action) == ["void"])
        #expect(s.world.transport.requests.filter { $0.method != "GET" }.isEmpty)
        #expect(try s.store.postings(settlementID: s.id).map(\.state) == [.sent])
    }

    @Test("stopped halfway (the void's answer lost): send refuses, and a second rollback finds it voided and finishes without a second change")
    func interrupted() async throws {
        let s = try SentSettlement()
        s.world.transport.on("GET", "/Invoices/inv-1",
                             ScriptedTransport.json(200, #"{"Invoices":[{"InvoiceID":"inv-1","InvoiceNumber":"\#(s.number)","Status":"AUTHORISED"}]}"#),
                             ScriptedTransport.json(200, #"{"Invoices":[{"InvoiceID":"inv-1","InvoiceNumber":"\#(s.number)","Status":"VOIDED"}]}"#))
        s.world.transport.on("POST", "/Invoices/inv-1", ScriptedTransport.json(400, #"{"Type":"ValidationException","Message":"no","Elements":[{"ValidationErrors":[{"Message":"Invoice not of valid status for modification"}]}]}"#))
        let first = try await s.flow().perform()
        #expect(first.map(\.outcome) == [.failed])
        #expect(try s.store.postings(settlementID: s.id).map(\.state) == [.rollingBack])
        let settlement = try #require(try s.store.settlement(id: s.id))
        #expect(try Booking(store: s.store, mapping: .defaults).status(settlement) == .rollingBack)

        // send refuses it until the rollback finishes.
        s.world.organisationAnswers()
        let sent = try #require(try await SendFlow(ctx: s.world.ctx, mapping: .defaults, all: false, ids: [s.id], status: "DRAFT", tenant: nil).perform())
        #expect(sent.map(\.outcome) == [.failed])
        #expect(sent[0].failure?.code == RollbackFlow.unfinishedCode)
        #expect(s.world.transport.requests("PUT", "/Invoices").isEmpty)

        let second = try await s.flow().perform()
        #expect(second.map(\.outcome) == [.rolledBack])
        #expect(s.world.transport.requests("POST", "/Invoices/").count == 1)
        #expect(try s.store.generation(settlementID: s.id) == 2)
    }

    @Test("a document left unsure and not in Xero is forgotten; one found there under its number is taken back")
    func unsure() async throws {
        let missing = try SentSettlement(state: .sending)
        missing.world.transport.on("GET", "/Invoices", ScriptedTransport.json(200, #"{"Invoices":[]}"#))
        let r1 = try await missing.flow().perform()
        #expect(r1.map(\.outcome) == [.nothing])
        #expect(try missing.store.postings(settlementID: missing.id).isEmpty)
        #expect(try missing.store.generation(settlementID: missing.id) == 1)

        let found = try SentSettlement(state: .sending)
        found.xeroHolds("DRAFT")
        found.xeroTakesChanges()
        found.world.transport.on("GET", "/Invoices", ScriptedTransport.json(200, #"{"Invoices":[{"InvoiceID":"inv-1","InvoiceNumber":"\#(found.number)","Status":"DRAFT"}]}"#))
        let r2 = try await found.flow().perform()
        #expect(r2.map(\.outcome) == [.rolledBack])
        #expect(found.postedStatuses() == ["DELETED"])
        // The look-up asked for this generation's number.
        let asked = found.world.transport.requests("GET", "/Invoices").compactMap { URLComponents(url: $0.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "InvoiceNumbers" }?.value }
        #expect(asked.contains(found.number))
    }

    @Test("the second generation's unsure documents are looked up by their -r2 numbers")
    func secondGeneration() async throws {
        let s = try SentSettlement()
        s.xeroHolds("DRAFT")
        s.xeroTakesChanges()
        _ = try await s.flow().perform()
        s.world.organisationAnswers()
        // The PUT's answer is lost: the -r2 document stays unsure, and the next send looks for it by its -r2 number.
        s.world.transport.on("PUT", "/Invoices", ScriptedTransport.json(200, "<html>502</html>"))
        s.world.transport.on("GET", "/Invoices") { request in
            let numbers = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "InvoiceNumbers" }?.value ?? ""
            let found = numbers.split(separator: ",").filter { $0.hasSuffix("-r2") }.map { #"{"InvoiceID":"inv-2","InvoiceNumber":"\#($0)","Status":"DRAFT"}"# }
            return ScriptedTransport.json(200, #"{"Invoices":[\#(found.joined(separator: ","))]}"#)
        }
        let flow = SendFlow(ctx: s.world.ctx, mapping: .defaults, all: false, ids: [s.id], status: "DRAFT", tenant: nil)
        _ = try await flow.perform()
        #expect(try s.store.unsurePostings().map(\.invoiceNumber) == [s.number + "-r2"])
        let again = try #require(try await flow.perform())
        #expect(again.map(\.outcome) == [.skipped])
        #expect(again[0].invoiceNumbers == [s.number + "-r2"])
        #expect(s.world.transport.requests("PUT", "/Invoices").count == 1)
    }
}
