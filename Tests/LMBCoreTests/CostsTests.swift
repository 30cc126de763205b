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
}
