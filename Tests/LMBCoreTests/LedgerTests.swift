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
            #expect(result.postings.count == 1)
            let posting = try #require(result.postings.first)
            #expect(posting.type.rawValue == type)
            #expect(posting.signedTotalMinor == p.header.totalMinor)
            #expect(posting.totalMinor >= 0)
            #expect(posting.lines.allSatisfy { !$0.description.isEmpty && !$0.accountCode.isEmpty })
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
