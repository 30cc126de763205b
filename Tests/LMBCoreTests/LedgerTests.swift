import Foundation
import Testing
@testable import LMBCore

@Suite("Ledger: what a settlement becomes")
struct LedgerTests {
    func book(_ name: String, mapping: Mapping = .defaults) throws -> (ParsedSettlement, LedgerResult) {
        let p = try SettlementParser(path: Paths.fixture(name)).parse()
        return (p, Ledger(mapping: mapping).book(header: p.header, marketplace: p.marketplace, groups: p.groups))
    }

    @Test("every accepted fixture becomes the expected document, totalling the deposit", arguments: Expected.accepted)
    func documents(name: String) throws {
        let e = Expected.all[name]!
        let (p, result) = try book(name)
        if let type = e["document"] as? String {
            #expect(result.postings.count == (e["parts"] as? Int ?? 1))
            let posting = try #require(result.postings.last)
            #expect(posting.type.rawValue == type)
            #expect(posting.signedTotalMinor == p.header.totalMinor)   // the last part equals the deposit
            #expect(result.postings.dropLast().allSatisfy { $0.signedTotalMinor == 0 })
            #expect(result.postings.allSatisfy { $0.totalMinor >= 0 })
            #expect(result.postings.flatMap(\.lines).allSatisfy { !$0.description.isEmpty && !$0.accountCode.isEmpty })
            if let totals = e["partTotals"] as? [String] {
                #expect(result.postings.map { Money.format($0.totalMinor, exponent: 2) } == totals)
            }
            if let dates = e["partDates"] as? [String] { #expect(result.postings.map(\.date.description) == dates) }
            if let types = e["partTypes"] as? [String] { #expect(result.postings.map(\.type.rawValue) == types) }
        } else {
            #expect(result.postings.isEmpty)
            #expect(result.needsMapping)
        }
    }

    @Test("a negative settlement is a bill with the signs turned round")
    func bill() throws {
        let (p, result) = try book("v2-negative.txt")
        let posting = try #require(result.postings.first)
        #expect(posting.type == .bill)
        let sales = try #require(posting.lines.first { $0.category == .sales })
        #expect(sales.amountMinor == -1000)
        #expect(posting.totalMinor == -p.header.totalMinor)
        let body = posting.xeroInvoice()
        #expect(body["Type"]?.stringValue == "ACCPAY")
        #expect(body["Reference"] == nil)  // Reference is for sales invoices only
    }

    @Test("reserves go to the reserved-balances account, never into sales or fees")
    func reserves() throws {
        let (_, result) = try book("v2-reserves.txt")
        let posting = try #require(result.postings.first)
        let reserve = try #require(posting.lines.first { $0.category == .reserves })
        #expect(reserve.accountCode == "LMB10")
        #expect(Money.format(reserve.amountMinor, exponent: 2) == Expected.all["v2-reserves.txt"]!["reserves"] as? String)
        #expect(posting.lines.first { $0.category == .sales }?.amountMinor == 65040)
    }

    @Test("an unmapped combination is listed with counts, amount and the rule to add")
    func unmapped() throws {
        let (_, result) = try book("v2-unmapped.txt")
        let e = Expected.all["v2-unmapped.txt"]!["unmapped"] as! [String: Any]
        let u = try #require(result.unmapped.first)
        #expect(result.unmapped.count == 1)
        #expect(u.amountDescription == e["amountDescription"] as? String)
        #expect(u.count == e["rows"] as? Int)
        #expect(Money.format(u.amountMinor, exponent: 2) == e["amount"] as? String)
        #expect(u.suggestedRule.contains(#""amountDescription":"Mystery Adjustment""#))
    }

    @Test("a rule added to the mapping makes the settlement ready")
    func mappingFixes() throws {
        var mapping = Mapping.defaults
        mapping.rules.append(MappingRule("other-transaction", "other-transaction", "Mystery Adjustment", .other))
        let (p, result) = try book("v2-unmapped.txt", mapping: mapping)
        #expect(!result.needsMapping)
        #expect(result.postings.first?.signedTotalMinor == p.header.totalMinor)
    }

    @Test("the most specific rule wins")
    func specificity() {
        let g = SettlementGroup(transactionType: "Order", amountType: "ItemFees", amountDescription: "FBAPerUnitFulfillmentFee", month: "", amountMinor: 1, count: 1)
        #expect(Mapping.defaults.category(of: g) == .fbaFees)
        let tax = SettlementGroup(transactionType: "Order", amountType: "ItemPrice", amountDescription: "Tax", month: "", amountMinor: 1, count: 1)
        #expect(Mapping.defaults.category(of: tax) == .salesTax)
    }

    @Test("a category with a tax type makes the document tax-inclusive")
    func inclusive() throws {
        var mapping = Mapping.defaults
        mapping.categories["sales"] = CategoryAccount(account: "200", taxType: "OUTPUT2", name: "Sales")
        let (_, result) = try book("v2-us.txt", mapping: mapping)
        #expect(result.postings.first?.lineAmountTypes == "Inclusive")
        #expect(try book("v2-us.txt").1.postings.first?.lineAmountTypes == "NoTax")
    }

    @Test("the request body follows Xero's Invoice schema with exact amounts")
    func body() throws {
        let (_, result) = try book("v2-jp.txt")
        let json = try JSON.parse(Posting.requestBody(result.postings).rendered())
        let invoice = try #require(json["Invoices"]?.arrayValue?.first)
        #expect(invoice["CurrencyCode"]?.stringValue == "JPY")
        #expect(invoice["InvoiceNumber"]?.stringValue == "AMZ-11000000010")
        #expect(invoice["Status"]?.stringValue == "DRAFT")
        let amounts = invoice["LineItems"]?.arrayValue?.compactMap { item -> String? in
            if case .number(let n) = item["LineAmount"]! { return n } else { return nil }
        }
        #expect(amounts == ["3980", "-398", "-421"])
    }

    @Test("a mapping file with a syntax error is refused with where it is wrong")
    func badMappingFile() throws {
        let home = try temporaryHome()
        try Data("{\"version\": 1, \"categories\": {,}".utf8).write(to: URL(fileURLWithPath: home.mappingPath))
        #expect(throws: MappingError.self) { _ = try Mapping.load(home: home.url) }
        try Data(Mapping.defaults.encoded().utf8).write(to: URL(fileURLWithPath: home.mappingPath))
        #expect(try Mapping.load(home: home.url) == Mapping.defaults)
    }
}


@Suite("Month-end split, reserves, lock dates, grouping")
struct AccountingDepthTests {
    func book(_ name: String, mapping: Mapping = .defaults, lock: CalendarDate? = nil) throws -> (ParsedSettlement, LedgerResult) {
        let p = try SettlementParser(path: Paths.fixture(name)).parseForBooking(mapping)
        return (p, Ledger(mapping: mapping, lockDate: lock).book(header: p.header, marketplace: p.marketplace, groups: p.groups))
    }

    @Test("a split rolls each month's balance forward through the carried-forward account, which nets to zero")
    func rollover() throws {
        let (_, r) = try book("v2-split-two-months.txt")
        #expect(r.postings.map(\.invoiceNumber) == ["AMZ-21000000021-1", "AMZ-21000000021-2"])
        let carry = r.postings.flatMap { p in p.lines.filter { $0.category == nil }.map { ($0.accountCode, p.type == .invoice ? $0.amountMinor : -$0.amountMinor) } }
        #expect(carry.allSatisfy { $0.0 == "LMB12" })
        #expect(carry.map(\.1) == [-3400, 3400])
        #expect(carry.reduce(0) { $0 + $1.1 } == 0)
        let october = r.postings[0].lines.filter { $0.category != nil }.reduce(Int64(0)) { $0 + $1.amountMinor }
        #expect(october == 3400)
        #expect(r.postings[0].reference.contains("part 1 of 2 (October 2024)"))
    }

    @Test("split = false in the mapping keeps one document")
    func noSplit() throws {
        var mapping = Mapping.defaults
        mapping.split = false
        let (p, r) = try book("v2-split-three-months.txt", mapping: mapping)
        #expect(r.postings.count == 1)
        #expect(r.postings[0].invoiceNumber == "AMZ-22000000022")
        #expect(r.postings[0].signedTotalMinor == p.header.totalMinor)
    }

    @Test("a document dated in a locked period moves to the first open day, with a note on every line")
    func lockDate() throws {
        let (_, r) = try book("v2-split-two-months.txt", lock: CalendarDate(year: 2024, month: 10, day: 31))
        #expect(r.postings[0].date.description == "2024-11-01")
        #expect(r.postings[0].lockNote?.contains("the period to 2024-10-31 is locked") == true)
        #expect(r.postings[0].lines.allSatisfy { $0.description.contains("locked in Xero") })
        #expect(r.postings[1].date.description == "2024-11-08")
        #expect(r.postings[1].lockNote == nil)
        #expect(r.postings.allSatisfy { $0.dueDate >= $0.date })
    }

    @Test("the reserve reconciliation shows opening, closing and movement")
    func reserves() throws {
        let (_, r) = try book("v2-reserves.txt")
        let rec = try #require(r.reserves)
        #expect(rec.openingMinor == 18095)
        #expect(rec.closingMinor == 32410)
        #expect(rec.movementMinor == -14315)
        #expect(try book("v2-us.txt").1.reserves == nil)
    }

    @Test("grouping by SKU gives one line per category and SKU, from a file and from the store alike")
    func skuGrouping() throws {
        var mapping = Mapping.defaults
        mapping.grouping = .sku
        let text = try String(contentsOfFile: Paths.fixture("v2-us.txt"), encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        lines[9] = lines[9].replacingOccurrences(of: "SKU-1", with: "SKU-2")   // the second order's principal
        let path = try writeTemp(lines.joined(separator: "\n"))
        let p = try SettlementParser(path: path).parseForBooking(mapping)
        let r = Ledger(mapping: mapping).book(header: p.header, marketplace: p.marketplace, groups: p.groups)
        let sales = r.postings[0].lines.filter { $0.category == .sales }
        #expect(sales.count == 2)
        #expect(sales.contains { $0.description.hasPrefix("Amazon.com SKU-2 sales") && $0.amountMinor == 4550 })
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: path).first!
        let stored = try Booking(store: store, mapping: mapping).book(try #require(try store.settlement(id: "10000000001")))
        #expect(stored.postings == r.postings)
        var byMarket = Mapping.defaults
        byMarket.grouping = .marketplace
        let m = try SettlementParser(path: Paths.fixture("v2-us.txt")).parseForBooking(byMarket)
        let lm = Ledger(mapping: byMarket).book(header: m.header, marketplace: m.marketplace, groups: m.groups)
        #expect(lm.postings[0].lines.contains { $0.description.hasPrefix("Non-Amazon US sales") })
        #expect(lm.postings[0].signedTotalMinor == m.header.totalMinor)
    }
}
