import Foundation
import Testing
@testable import LMBCore

@Suite("Unit costs: lmb costs import, show, missing")
struct CostsTests {
    @Test("a good file: exact minor units, a later from_date starts a new cost, the cost on a day is the latest before it")
    func good() throws {
        let text = "sku,unit_cost,currency,from_date\r\nSKU-1,4.10,GBP\nSKU-1,4.35,gbp,2024-10-05\nSKU-2,1200,JPY,\n"
        let costs = try CostImport.parse(text).get()
        #expect(costs.map(\.unitCostMinor) == [410, 435, 1200])
        #expect(costs.map(\.currency.code) == ["GBP", "GBP", "JPY"])
        let store = try Store.open(home: try temporaryHome())
        try store.saveCosts(costs)
        #expect(try store.cost(sku: "SKU-1", on: try #require(CalendarDate(iso: "2024-10-04")))?.unitCostMinor == 410)
        #expect(try store.cost(sku: "SKU-1", on: try #require(CalendarDate(iso: "2024-10-05")))?.unitCostMinor == 435)
        #expect(try store.cost(sku: "SKU-3", on: try #require(CalendarDate(iso: "2024-10-05"))) == nil)
        #expect(try store.costs(sku: "SKU-1").count == 2)
    }

    @Test("bad rows are refused with their line numbers, and nothing is stored")
    func bad() throws {
        let path = try writeTemp("sku,unit_cost,currency\nSKU-1,4.10,GBP\n,1.00,GBP\nSKU-2,abc,GBP\nSKU-3,1.005,GBP\nSKU-4,-1,GBP\nSKU-5,1,POUNDS\nSKU-6,1,GBP,2024-13-01\nSKU-1,4.20,GBP\nSKU-7,1\n", name: "costs.csv")
        guard case .failure(let refused) = CostImport.parse(try String(contentsOfFile: path, encoding: .utf8)) else {
            Issue.record("a file with bad rows was accepted")
            return
        }
        #expect(refused.problems.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 10])
        #expect(refused.problems.first { $0.line == 9 }?.message.contains("line 2") == true)
        let store = try Store.open(home: try temporaryHome())
        #expect(throws: LMBError.self) { try CostImport.importFile(path, store: store) }
        #expect(try store.costs().isEmpty)
    }

    @Test("missing: SKUs sold in stored settlements without a cost")
    func missing() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt"))
        let before = try store.missingCosts()
        #expect(!before.isEmpty)
        let first = try #require(before.first)
        try store.saveCosts([UnitCost(sku: first.sku, unitCostMinor: 100, currency: Currency(code: "USD"), fromDate: nil)])
        #expect(try store.missingCosts().map(\.sku) == before.dropFirst().map(\.sku))
    }

    @Test("the COGS journal balances; its cost is Σ units × cost, FBA and merchant-fulfilled apart, returns reversed, missing SKUs named")
    func journal() throws {
        let day = try #require(CalendarDate(iso: "2024-10-15"))
        let usd = Currency(code: "USD")
        let costs = ["A": UnitCost(sku: "A", unitCostMinor: 410, currency: usd, fromDate: nil),
                     "B": UnitCost(sku: "B", unitCostMinor: 1_250, currency: usd, fromDate: nil),
                     "G": UnitCost(sku: "G", unitCostMinor: 99, currency: Currency(code: "GBP"), fromDate: nil)]
        let moves = [UnitMovement(sku: "A", quantity: 3, fulfilment: .fba, date: day),
                     UnitMovement(sku: "B", quantity: 2, fulfilment: .fba, date: day),
                     UnitMovement(sku: "A", quantity: -1, fulfilment: .fba, date: day),
                     UnitMovement(sku: "B", quantity: 1, fulfilment: .merchant, date: day),
                     UnitMovement(sku: "X", quantity: 5, fulfilment: .merchant, date: day),
                     UnitMovement(sku: "G", quantity: 1, fulfilment: .fba, date: day)]
        let j = try #require(CostOfGoodsJournal.build(settlementID: "1", number: "AMZ-1", date: day, currency: usd, movements: moves,
                                                      cost: { sku, _ in costs[sku] }))
        #expect(j.balances)
        let expected: Int64 = (3 - 1) * 410 + 3 * 1_250
        #expect(j.costMinor == expected)
        #expect(j.lines.map(\.accountCode) == ["310", "630", "310", "630"])
        #expect(j.lines.map(\.amountMinor) == [3_320, -3_320, 1_250, -1_250])
        #expect(j.missingSKUs == ["G", "X"])
        #expect(j.narration.contains("no cost for: G, X"))
        let body = j.xeroManualJournal().rendered(pretty: false)
        #expect(body.contains("\"LineAmount\":33.20") && body.contains("\"LineAmount\":-33.20"))
        #expect(CostOfGoodsJournal.build(settlementID: "1", number: "AMZ-1", date: day, currency: usd, movements: [moves[4]], cost: { sku, _ in costs[sku] }) == nil)
    }

    /// A V2 file: sales of 3 (FBA) and 2 (merchant), a refund row without a quantity, a row of another SKU with no
    /// fulfillment-id, and fee rows (which carry the quantity too and must not count).
    static let settlement = [
        "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tsku\tquantity-purchased",
        "77\t2024-10-01\t2024-10-15\t2024-10-17\t93.00\tUSD",
        "77\t\t\t\t\t\tOrder\t1\tAmazon.com\tItemPrice\tPrincipal\t60.00\tAFN\t2024-10-03\tA\t3",
        "77\t\t\t\t\t\tOrder\t1\tAmazon.com\tItemFees\tCommission\t-9.00\tAFN\t2024-10-03\tA\t3",
        "77\t\t\t\t\t\tOrder\t2\tAmazon.com\tItemPrice\tPrincipal\t50.00\tMFN\t2024-10-05\tB\t2",
        "77\t\t\t\t\t\tOrder\t3\tAmazon.com\tItemPrice\tPrincipal\t12.00\t\t2024-10-06\tC\t1",
        "77\t\t\t\t\t\tRefund\t1\tAmazon.com\tItemPrice\tPrincipal\t-20.00\tAFN\t2024-10-12\tA\t",
    ].joined(separator: "\n") + "\n"

    @Test("quantity-purchased and fulfillment-id are stored; units: sales by quantity, a refund row without one is one unit back, fee rows never count")
    func units() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: try writeTemp(Self.settlement, name: "units.txt"))
        #expect(try store.transactionCount(settlementID: "77") == 5)
        let units = try store.settlementUnits(settlementID: "77")
        #expect(units.unknownRows == 0)
        let d = { (s: String) in CalendarDate(iso: s)! }
        #expect(units.movements == [UnitMovement(sku: "A", quantity: 3, fulfilment: .fba, date: d("2024-10-03")),
                                    UnitMovement(sku: "B", quantity: 2, fulfilment: .merchant, date: d("2024-10-05")),
                                    UnitMovement(sku: "C", quantity: 1, fulfilment: .unstated, date: d("2024-10-06")),
                                    UnitMovement(sku: "A", quantity: -1, fulfilment: .fba, date: d("2024-10-12"))])
        // Rows stored before lmb kept quantities (NULL) are unknown: counted, never guessed.
        try store.dbQueue.write { try $0.execute(sql: "UPDATE transaction_row SET quantity = NULL, fulfilment = NULL WHERE sku = 'B'") }
        let old = try store.settlementUnits(settlementID: "77")
        #expect(old.unknownRows == 1)
        #expect(!old.movements.contains { $0.sku == "B" })
    }

    @Test("the plan of a stored settlement: cost at each row's date, the journal's number carries the generation, missing SKUs warned; nothing without costs")
    func plan() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: try writeTemp(Self.settlement, name: "plan.txt"))
        let s = try #require(try store.settlement(id: "77"))
        let booked = try Booking(store: store, mapping: .defaults).book(s)
        #expect(try CostOfGoodsPlan.make(store: store, settlement: s, booked: booked, settings: .init()) == nil)
        let usd = Currency(code: "USD")
        try store.saveCosts([UnitCost(sku: "A", unitCostMinor: 400, currency: usd, fromDate: nil),
                             UnitCost(sku: "A", unitCostMinor: 500, currency: usd, fromDate: CalendarDate(iso: "2024-10-10")),
                             UnitCost(sku: "B", unitCostMinor: 700, currency: usd, fromDate: nil)])
        let plan = try #require(try CostOfGoodsPlan.make(store: store, settlement: s, booked: booked, settings: .init()))
        let doc = try #require(plan.document)
        // FBA: 3 × 4.00 − 1 × 5.00 (the refund on the 12th at the cost from the 10th); merchant 2 × 7.00.
        #expect(doc.journal.costMinor == 700 + 1_400)
        #expect(doc.journal.balances)
        #expect(doc.number == "AMZ-77-COGS")
        #expect(doc.journal.lines.map(\.accountCode) == ["LMB14", "LMB15", "LMB14", "LMB15"])
        #expect(plan.missingSKUs == ["C"])
        #expect(plan.warning(settlementID: "77")?.contains("no unit cost for C") == true)
        #expect(doc.journal.narration.hasPrefix("AMZ-77-COGS cost of goods sold"))
        #expect(try CostOfGoodsPlan.make(store: store, settlement: s, booked: booked, settings: .init(mode: .off)) == nil)
        try store.dbQueue.write { try $0.execute(sql: "INSERT INTO settlement_generation (settlement_id, generation) VALUES ('77', 2)") }
        #expect(try CostOfGoodsPlan.make(store: store, settlement: s, booked: try Booking(store: store, mapping: .defaults).book(s), settings: .init())?.document?.number == "AMZ-77-COGS-r2")
    }

    @Test("the journal is DRAFT beside a DRAFT invoice and POSTED beside an AUTHORISED one; \"cogs\": \"bill\" gives a zero-total ACCPAY; a bad \"cogs\" is a configuration error")
    func bodies() throws {
        let day = try #require(CalendarDate(iso: "2024-10-15"))
        let usd = Currency(code: "USD")
        let j = try #require(CostOfGoodsJournal.build(settlementID: "1", number: "AMZ-1-COGS", date: day, currency: usd,
                                                      movements: [UnitMovement(sku: "A", quantity: 2, fulfilment: .fba, date: day)],
                                                      cost: { _, _ in UnitCost(sku: "A", unitCostMinor: 250, currency: usd, fromDate: nil) },
                                                      inventoryAccount: "LMB15", cogsAccount: "LMB14"))
        let journal = CostOfGoodsDocument(journal: j, number: "AMZ-1-COGS", mode: .journal, contactName: "Amazon.com")
        #expect(journal.type == "MANUALJOURNAL")
        #expect(journal.body(invoiceStatus: "DRAFT")["Status"]?.stringValue == "DRAFT")
        #expect(journal.body(invoiceStatus: "AUTHORISED")["Status"]?.stringValue == "POSTED")
        let bill = CostOfGoodsDocument(journal: j, number: "AMZ-1-COGS", mode: .bill, contactName: "Amazon.com")
        let text = bill.body(invoiceStatus: "DRAFT").rendered(pretty: false)
        #expect(bill.type == "ACCPAY")
        #expect(text.contains("\"Type\":\"ACCPAY\"") && text.contains("\"InvoiceNumber\":\"AMZ-1-COGS\""))
        #expect(text.contains("\"LineAmount\":5.00") && text.contains("\"LineAmount\":-5.00"))
        var config = LMBConfig()
        config.cogs = "bill"
        config.inventoryAccount = "630"
        let settings = try CostOfGoodsSettings(config: config)
        #expect(settings.mode == .bill && settings.inventoryAccount == "630" && settings.cogsAccount == "LMB14")
        config.cogs = "sometimes"
        #expect(throws: LMBError.self) { try CostOfGoodsSettings(config: config) }
    }

    @Test("send --all takes a settlement whose invoice is sent but whose cost-of-goods document is not")
    func readyWithUnsentJournal() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: try writeTemp(Self.settlement, name: "ready.txt"))
        try store.recordSending([StoredPosting(settlementID: "77", part: 1, invoiceNumber: "AMZ-77", type: "ACCREC", state: .sending, body: "{}",
                                               idempotencyKey: "k1", xeroInvoiceID: nil, xeroStatus: nil),
                                 StoredPosting(settlementID: "77", part: CostOfGoodsDocument.part, invoiceNumber: "AMZ-77-COGS", type: "MANUALJOURNAL",
                                               state: .sending, body: "{}", idempotencyKey: "k2", xeroInvoiceID: nil, xeroStatus: nil)])
        try store.markSent(settlementID: "77", part: 1, invoiceNumber: "AMZ-77", invoiceID: "i1", xeroStatus: "DRAFT", recovered: false)
        try store.markRefused(settlementID: "77", part: CostOfGoodsDocument.part)
        #expect(try Sender.readySettlements(store: store, mapping: .defaults) == ["77"])
        try store.recordSending([StoredPosting(settlementID: "77", part: CostOfGoodsDocument.part, invoiceNumber: "AMZ-77-COGS", type: "MANUALJOURNAL",
                                               state: .sending, body: "{}", idempotencyKey: "k2", xeroInvoiceID: nil, xeroStatus: nil)])
        try store.markSent(settlementID: "77", part: CostOfGoodsDocument.part, invoiceNumber: "AMZ-77-COGS", invoiceID: "j1", xeroStatus: "DRAFT", recovered: false)
        #expect(try Sender.readySettlements(store: store, mapping: .defaults).isEmpty)
    }
}
