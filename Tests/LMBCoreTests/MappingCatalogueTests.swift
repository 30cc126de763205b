import Foundation
import Testing
@testable import LMBCore

/// One line of ../shared/docs/amazon-transaction-types.jsonl.
struct CatalogueEntry: Sendable, CustomTestStringConvertible {
    var transactionType: String
    var amountType: String
    var amountDescription: String
    var category: String
    var note: String

    var testDescription: String { "\(transactionType) / \(amountType) / \(amountDescription)" }
    var isJudgementCall: Bool { note.contains("judgement call") }
    /// V1 rows name the V1 column (`price-type`, `other-amount`) where V2 has an amount-type.
    var v1Column: (type: String?, amount: String, amountType: StaticString)? {
        SettlementParser.v1AmountColumns.first { $0.type == amountType || $0.amount == amountType }
    }

    static let url = Paths.shared.appendingPathComponent("docs/amazon-transaction-types.jsonl")
    static var all: [CatalogueEntry] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let d = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return CatalogueEntry(transactionType: d["transactionType"] as! String, amountType: d["amountType"] as! String,
                                  amountDescription: d["amountDescription"] as! String, category: d["category"] as! String, note: d["note"] as? String ?? "")
        }
    }
}

/// A Flat File V1 report written by hand: the fixture's header, a summary row, and one row per dictionary of columns.
enum V1Report {
    static func write(_ rows: [[String: String]], currency: String = "CAD", marketplace: String? = nil) throws -> String {
        let header = try String(contentsOfFile: Paths.fixture("v1-ca.txt"), encoding: .utf8).split(separator: "\n")[0].split(separator: "\t").map(String.init)
        let exponent = Currency(code: currency).exponent
        var minor = 0
        for row in rows { for (k, v) in row where k.hasSuffix("-amount") { minor += Int((Double(v)! * pow(10, Double(exponent))).rounded()) } }
        var lines = [header.joined(separator: "\t")]
        let summary = ["settlement-id": "77000000077", "settlement-start-date": "2025-07-31T22:07:18+00:00", "settlement-end-date": "2025-08-14T22:07:18+00:00",
                       "deposit-date": "2025-08-16T22:07:18+00:00", "total-amount": Money.format(Int64(minor), exponent: exponent), "currency": currency]
        lines.append(header.map { summary[$0] ?? "" }.joined(separator: "\t"))
        for row in rows {
            var r = row
            r["settlement-id"] = "77000000077"
            r["posted-date"] = "2025-08-10T06:23:59+00:00"
            if let marketplace { r["marketplace-name"] = marketplace }
            lines.append(header.map { r[$0] ?? "" }.joined(separator: "\t"))
        }
        return try writeTemp(lines.joined(separator: "\n") + "\n")
    }
}

@Suite("The built-in mapping against the catalogue of Amazon transaction types",
       .enabled(if: FileManager.default.fileExists(atPath: CatalogueEntry.url.path), "../shared/docs is absent"))
struct MappingCatalogueTests {
    /// The group lmb makes of a catalogue entry: V2 entries as they are, V1 entries through the V1 parser itself.
    /// A `*` in an entry (a family of descriptions) becomes sample text.
    static func group(_ e: CatalogueEntry) throws -> SettlementGroup {
        let sample = { (s: String) in s.replacingOccurrences(of: "*", with: "Example 42") }
        guard let column = e.v1Column else {
            return SettlementGroup(transactionType: sample(e.transactionType), amountType: sample(e.amountType),
                                   amountDescription: sample(e.amountDescription), month: "2025-08", amountMinor: 100, count: 1)
        }
        var row = ["transaction-type": sample(e.transactionType), column.amount: "1.00"]
        if let type = column.type { row[type] = sample(e.amountDescription) }
        let parsed = try SettlementParser(path: try V1Report.write([row])).parse()
        #expect(parsed.header.format == .amazonV1)
        return try #require(parsed.groups.first)
    }

    @Test("every combination maps, to the catalogue's category unless the rule's note says why not", arguments: CatalogueEntry.all)
    func maps(entry: CatalogueEntry) throws {
        let g = try Self.group(entry)
        let match = try #require(Mapping.defaults.match(g), "no rule for \(g.transactionType) / \(g.amountType) / \(g.amountDescription)")
        #expect(match.source != .unmappedPolicy)
        let rule = try #require(match.rule)
        if match.category.rawValue != entry.category {
            // A deliberate choice names the category it turns down: "…, not seller-fees".
            #expect(rule.note?.contains("not \(entry.category)") == true,
                    "\(rule.label) books \(match.category.rawValue) where the catalogue says \(entry.category), and its note does not say why")
        }
        if entry.isJudgementCall {
            #expect(rule.note?.isEmpty == false, "\(rule.label) decides a judgement call without a note")
        }
    }

    @Test("the catalogue is all there: 244 combinations, 26 of them V1 rows")
    func catalogueShape() {
        let all = CatalogueEntry.all
        #expect(all.count == 244)
        #expect(all.filter { $0.v1Column != nil }.count == 26)
        #expect(Set(all.map(\.category)).isSubset(of: Set(Category.allCases.map(\.rawValue))))
    }
}

@Suite("Mapping rules: patterns, specificity, layers, errors")
struct MappingRuleTests {
    func group(_ t: String, _ a: String, _ d: String) -> SettlementGroup {
        SettlementGroup(transactionType: t, amountType: a, amountDescription: d, month: "2025-01", amountMinor: 100, count: 1)
    }

    @Test("the built-in rules read, and none ties with another")
    func defaultsAreValid() {
        #expect(MappingRule.problems(in: Mapping.defaultRules, name: { "built-in[\($0)]" }) == [])
        #expect(Mapping.defaultRules.count > 100)
        #expect(Mapping.defaultRules.allSatisfy { $0.note?.isEmpty == false })
    }

    @Test("globs: * any text, ? one character, sets, escapes; case is ignored", arguments: [
        ("FBA*", "FBAPerUnitFulfillmentFee", true), ("FBA*", "fba", true), ("FBA*", "xFBA", false),
        ("*ItemWithheldTax*", "ItemWithheldTax", true), ("Charge for refund *", "Charge for refund on Order", true),
        ("Charge for refund *", "Charge for refund", false), ("Base fee", "Base Fee", true), ("Base fee", "Base fees", false),
        ("TCS-?GST", "TCS-IGST", true), ("TCS-?GST", "TCS-UTGST", false), ("*[CS]GST", "Commission SGST", true),
        ("*[CS]GST", "Commission IGST", false), ("*[!C]GST", "Commission IGST", true), ("\\*", "*", true), ("\\*", "x", false),
        ("", "", true), ("", "x", false), ("*", "", true), ("a*b*c", "aXbYbZc", true), ("a*b*c", "aXbYc d", false),
        ("ÉTÉ*", "été 2025", true), ("[\\]]x", "]x", true), ("[0-9]*", "194-O", true), ("[0-9]*", "TDS", false),
    ])
    func globs(pattern: String, value: String, matches: Bool) {
        #expect(MappingPattern(pattern).problem == nil)
        #expect(MappingPattern(pattern).matches(value) == matches)
    }

    @Test("an unreadable pattern is named with why", arguments: ["Mys[tery", "a]", "x\\", "[z-a]", "[]"])
    func badGlob(pattern: String) throws {
        #expect(MappingPattern(pattern).problem != nil)
        var mapping = Mapping()
        mapping.rules = [MappingRule("Order", "ItemFees", pattern, .sellerFees)]
        let error = try #require(throws: MappingError.self) { try mapping.validate() }
        let text = "\(error)"
        #expect(text.contains("rules[0] (Order / ItemFees / \(pattern) → seller-fees)"))
        #expect(text.contains("not a valid pattern"))
        #expect(!text.contains("\n"))
        #expect(!mapping.rules[0].matches(group("Order", "ItemFees", pattern)))
    }

    @Test("the description decides first, then the amount-type, then the transaction-type; literal beats glob beats *")
    func specificity() {
        let rules = [
            MappingRule("Order", "ItemPrice", "*", .sales),          // 0
            MappingRule("*", "*", "Tax", .salesTax),                   // 1: a literal description beats literal types
            MappingRule("*", "ItemFees", "FBA*", .fbaFees),            // 2
            MappingRule("*", "ItemFees", "FBA Pick*", .storageFees),   // 3: more literal characters
            MappingRule("*", "ItemFees", "*", .sellerFees),            // 4
            MappingRule("Refund", "ItemFees", "*", .refunds),          // 5: beats 4 on the transaction-type only
        ]
        let mapping = Mapping(rules: rules)
        #expect(mapping.match(group("Order", "ItemPrice", "tax"))?.source == .home(1))
        #expect(mapping.match(group("Order", "ItemPrice", "Principal"))?.source == .home(0))
        #expect(mapping.match(group("Order", "ItemFees", "FBA Pick & Pack Fee"))?.source == .home(3))
        #expect(mapping.match(group("Order", "ItemFees", "FBAWeightBasedFee"))?.source == .home(2))
        #expect(mapping.match(group("Order", "ItemFees", "Commission"))?.source == .home(4))
        #expect(mapping.match(group("Refund", "ItemFees", "Commission"))?.source == .home(5))
        #expect(mapping.match(group("Refund", "ItemFees", "FBAWeightBasedFee"))?.source == .home(2))
        #expect(rules[1].specificity > rules[0].specificity)
        #expect(rules[3].specificity > rules[2].specificity)
        #expect(rules[5].specificity > rules[4].specificity)
    }

    @Test("two equally specific rules that can meet are a tie: refused, one line naming both and a row they share")
    func tie() throws {
        let mapping = Mapping(rules: [MappingRule("Order", "ItemFees", "FBA*", .fbaFees), MappingRule("Order", "ItemFees", "*Fee", .sellerFees)])
        let error = try #require(throws: MappingError.self) { try mapping.validate() }
        let text = "\(error)"
        #expect(text.contains("rules[0] (Order / ItemFees / FBA* → fba-fees) and rules[1] (Order / ItemFees / *Fee → seller-fees) tie"))
        #expect(text.contains("both match order / itemfees / fba"))
        #expect(!text.contains("\n"))
        // Equally specific but disjoint is no tie; nor is the same pattern in another case… which is a tie.
        #expect(throws: Never.self) { try Mapping(rules: [MappingRule("Order", "ItemFees", "FBA*", .fbaFees), MappingRule("Order", "ItemFees", "Com*", .sellerFees)]).validate() }
        #expect(throws: MappingError.self) { try Mapping(rules: [MappingRule("Order", "x", "y", .sales), MappingRule("ORDER", "X", "Y", .refunds)]).validate() }
    }

    @Test("a mapping file naming an unknown category, a tie or a bad glob is refused in one line naming the rule and the file")
    func fileErrors() throws {
        let home = try temporaryHome()
        let cases = [
            (#"{"rules": [{"transactionType": "Order", "amountType": "ItemPrice", "amountDescription": "Principal", "category": "sale"}]}"#,
             "rules[0] (Order / ItemPrice / Principal): unknown category 'sale'"),
            (#"{"rules": [{"transactionType": "A", "amountType": "*", "amountDescription": "x*", "category": "sales"}, {"transactionType": "A", "amountType": "*", "amountDescription": "*x", "category": "other"}]}"#,
             "rules[0] (A / * / x* → sales) and rules[1] (A / * / *x → other) tie"),
            (#"{"rules": [{"transactionType": "A", "amountType": "[oops", "amountDescription": "x", "category": "sales"}]}"#,
             "rules[0] (A / [oops / x → sales): amountType '[oops' is not a valid pattern"),
        ]
        for (text, expected) in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: home.mappingPath))
            let error = try #require(throws: MappingError.self) { _ = try Mapping.load(home: home.url) }
            #expect("\(error)".hasPrefix(home.mappingPath + ": the mapping is invalid: "), "\(error)")
            #expect("\(error)".contains(expected), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test("the home's rules beat the built-in ones however specific those are; the built-in ones fill the rest")
    func layers() throws {
        let vine = group("AmazonFees", "Vine Enrollment Fee", "Tax on fee")
        #expect(Mapping.defaults.match(vine)?.category == .salesTax)
        let mapping = Mapping(rules: [MappingRule("AmazonFees", "Vine*", "*", .sellerFees)])
        try mapping.validate()
        #expect(mapping.match(vine)?.source == .home(0))
        #expect(mapping.category(of: vine) == .sellerFees)
        #expect(mapping.match(group("Order", "ItemPrice", "Principal"))?.source == .builtIn(0))
        #expect(mapping.match(group("other-transaction", "other-transaction", "Mystery Adjustment")) == nil)
    }

    @Test("a version-1 mapping.json (a full copy of the old defaults) keeps booking what it booked, and the built-in rules map the rest")
    func versionOneFile() throws {
        let old: [(String, String, String, String)] = [
            ("*", "*", "Current Reserve Amount", "reserves"), ("Order", "ItemPrice", "*", "sales"), ("Order", "ItemPrice", "Tax", "sales-tax"),
            ("*", "ItemWithheldTax", "*", "sales-tax"), ("*", "Promotion", "*", "sales"), ("Refund", "ItemPrice", "*", "refunds"),
            ("*", "ItemFees", "*", "seller-fees"), ("*", "ItemFees", "FBA*", "fba-fees"), ("*", "*", "Subscription Fee", "seller-fees"),
            ("Subscription Fee", "*", "*", "seller-fees"), ("ServiceFee", "*", "*", "seller-fees"), ("ServiceFee", "*", "Cost of Advertising", "advertising"),
            ("ServiceFee", "OtherFee", "TaxAmount", "advertising"), ("*", "*", "Storage Fee", "storage-fees"), ("Storage Fee", "*", "*", "storage-fees"),
            ("FBA Inventory Reimbursement", "*", "*", "reimbursements"), ("*", "FBA Inventory Reimbursement", "*", "reimbursements"),
            ("Payable to Amazon", "*", "*", "other"), ("Sale", "Etsy", "*", "sales"), ("Deposit", "Etsy", "Etsy balance carried", "reserves"),
        ]
        let rules = old.map { #"{"transactionType": "\#($0.0)", "amountType": "\#($0.1)", "amountDescription": "\#($0.2)", "category": "\#($0.3)"}"# }
        let text = #"{"version": 1, "categories": {"sales": {"account": "200", "taxType": "NONE", "name": "Sales"}}, "split": true, "grouping": "category", "rules": [\#(rules.joined(separator: ","))]}"#
        let home = try temporaryHome()
        try Data(text.utf8).write(to: URL(fileURLWithPath: home.mappingPath))
        let mapping = try Mapping.load(home: home.url)
        #expect(mapping.version == 1)
        #expect(mapping.account(for: .sales).account == "200")
        #expect(mapping.account(for: .refunds).account == "LMB2")
        #expect(mapping.category(of: group("ServiceFee", "OtherFee", "TaxAmount")) == .advertising)   // as the file says
        #expect(Mapping.defaults.category(of: group("ServiceFee", "OtherFee", "TaxAmount")) == .salesTax)
        #expect(mapping.match(group("other-transaction", "other-transaction", "Shipping label purchase"))?.source.isBuiltIn == true)
        // Written back, it is a version-2 file with the same rules.
        let (added, _) = try mapping.adding(MappingRule("x", "y", "z", .other))
        #expect(added.version == 2)
        #expect(added.rules.count == old.count + 1)
    }

    @Test("every Etsy statement type maps, whatever its title says", arguments: [
        ("Sale", "Payment for Order", Category.sales), ("Refund", "Partial refund for Order", .refunds), ("Fee", "Credit for transaction fee on Wall Clock | Oak…", .sellerFees),
        ("Fee", "Listing fee", .sellerFees), ("Listing", "Listing fee", .sellerFees), ("Transaction", "Transaction fee", .sellerFees),
        ("Tax", "Sales tax paid by buyer", .salesTax), ("VAT", "VAT", .salesTax), ("Buyer Fee", "Colorado Retail Delivery Fee (paid by buyer)", .salesTax),
        ("Shipping", "USPS shipping label", .shippingLabels), ("Postage Label", "Postage label", .shippingLabels),
        ("Marketing", "Etsy Ads", .advertising), ("Payment", "Charge for refund on Order 3957288221", .other),
        ("Reserve", "Reserve released", .reserves), ("Fee", "Funds held in payment account reserve", .reserves),
        ("Deposit", "Etsy balance carried", .reserves), ("Subscription", "Etsy Plus subscription", .sellerFees),
    ])
    func etsy(type: String, title: String, category: Category) {
        #expect(Mapping.defaults.category(of: group(type, "Etsy", EtsyStatementParser.describe(title))) == category)
    }

    @Test("a combination Amazon has not told anyone about still waits: nothing is guessed")
    func unknownWaits() {
        for g in [group("other-transaction", "other-transaction", "Mystery Adjustment"), group("Adjustment", "ItemPrice", "Principal"),
                  group("Order", "NewFees", "Something"), group("NewEvent", "NewType", "NewThing")] {
            #expect(Mapping.defaults.match(g) == nil, "\(g)")
            #expect(Mapping.defaults.resolve(g) == nil)
        }
    }
}

@Suite("The ledger with the mapping: unmapped policy, rule accounts, V1 marketplace names")
struct MappingLedgerTests {
    func book(_ name: String, _ mapping: Mapping) throws -> (ParsedSettlement, LedgerResult) {
        let p = try SettlementParser(path: Paths.fixture(name)).parse()
        return (p, Ledger(mapping: mapping).book(header: p.header, marketplace: p.marketplace, groups: p.groups))
    }

    @Test("\"unmapped\": \"other\" books what no rule covers to Other, says so on the line, and lists it for a warning")
    func unmappedOther() throws {
        var mapping = Mapping.defaults
        mapping.unmapped = .other
        let (p, r) = try book("v2-unmapped.txt", mapping)
        #expect(!r.needsMapping)
        #expect(r.bookedToOther.map(\.amountDescription) == ["Mystery Adjustment"])
        #expect(r.bookedToOther.first?.count == 2)
        let other = try #require(r.postings.first?.lines.first { $0.category == .other })
        #expect(other.description.contains("Mystery Adjustment [unmapped: booked to Other"))
        #expect(other.accountCode == "LMB11")
        #expect(r.postings.first?.signedTotalMinor == p.header.totalMinor)
        // A combination a rule books to Other keeps a line of its own, without the note.
        mapping.rules = [MappingRule("Order", "ItemPrice", "Shipping", .other)]
        let (_, both) = try book("v2-unmapped.txt", mapping)
        let others = try #require(both.postings.first).lines.filter { $0.category == .other }
        #expect(others.map(\.amountMinor) == [499, -1000])
        #expect(others.map { $0.description.contains("[unmapped") } == [false, true])
        // Without the policy the same file waits, as before.
        let (_, waiting) = try book("v2-unmapped.txt", .defaults)
        #expect(waiting.needsMapping && waiting.postings.isEmpty && waiting.bookedToOther.isEmpty)
    }

    @Test("a mapping.json can say \"unmapped\": \"other\" and nothing else")
    func policyFile() throws {
        let home = try temporaryHome()
        try Data(#"{"unmapped": "other"}"#.utf8).write(to: URL(fileURLWithPath: home.mappingPath))
        let mapping = try Mapping.load(home: home.url)
        #expect(mapping.unmappedPolicy == .other)
        #expect(mapping.rules.isEmpty && mapping.account(for: .sales).account == "LMB1")
        try Data(#"{"unmapped": "guess"}"#.utf8).write(to: URL(fileURLWithPath: home.mappingPath))
        #expect(throws: MappingError.self) { _ = try Mapping.load(home: home.url) }
    }

    @Test("a rule with its own account and tax type gets a line of its own")
    func ruleAccount() throws {
        var mapping = Mapping.defaults
        mapping.rules = [MappingRule("Order", "ItemPrice", "Shipping", .sales, account: "4010", taxType: "OUTPUT")]
        let (p, r) = try book("v2-us.txt", mapping)
        let sales = try #require(r.postings.first).lines.filter { $0.category == .sales }
        #expect(sales.count == 2)
        let shipping = try #require(sales.first { $0.accountCode == "4010" })
        #expect(shipping.taxType == "OUTPUT")
        #expect(shipping.amountMinor == 499)
        #expect(sales.first { $0.accountCode == "LMB1" }?.amountMinor == Int64(4550 + 2599 - 499))   // principal, and the shipping promotion
        #expect(r.postings.first?.signedTotalMinor == p.header.totalMinor)
    }

    @Test("a V1 report that names no marketplace is named by its currency where only one marketplace uses it", arguments: [
        ("CAD", "Amazon.ca"), ("GBP", "Amazon.co.uk"), ("JPY", "Amazon.co.jp"), ("AUD", "Amazon.com.au"), ("MXN", "Amazon.com.mx"),
        ("INR", "Amazon.in"), ("USD", "Amazon.com"), ("EUR", "Amazon"),
    ])
    func v1Marketplace(currency: String, name: String) throws {
        let path = try V1Report.write([["transaction-type": "Order", "price-type": "Principal", "price-amount": "10"],
                                       ["transaction-type": "Order", "item-related-fee-type": "Commission", "item-related-fee-amount": "-1"]],
                                      currency: currency)
        let p = try SettlementParser(path: path).parse()
        #expect(p.marketplace == "Amazon")
        let posting = try #require(Ledger(mapping: .defaults).book(header: p.header, marketplace: p.marketplace, groups: p.groups).postings.first)
        #expect(posting.contactName == name)
        #expect(posting.lines.allSatisfy { $0.description.hasPrefix(name + " ") })
        #expect(posting.reference == "\(name) settlement 77000000077")
    }

    @Test("a V1 report that names its marketplace, and any V2 report, keeps the name it gives")
    func namedMarketplace() throws {
        let path = try V1Report.write([["transaction-type": "Order", "price-type": "Principal", "price-amount": "10.00"]], currency: "EUR", marketplace: "Amazon.de")
        let p = try SettlementParser(path: path).parse()
        #expect(Ledger(mapping: .defaults).book(header: p.header, marketplace: p.marketplace, groups: p.groups).postings.first?.contactName == "Amazon.de")
        #expect(AmazonMarketplace.name(format: .amazonV2, currency: "CAD", reported: "Amazon") == "Amazon")
        #expect(AmazonMarketplace.name(format: .etsy, currency: "USD", reported: "Etsy") == "Etsy")
    }
}

@Suite("Adding a rule to the home's mapping")
struct MappingAddTests {
    @Test("with no mapping.json, adding writes only the user's rule; waiting settlements become ready")
    func addCreates() throws {
        let home = try temporaryHome()
        let store = try Store.open(home: home)
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-unmapped.txt")).first!
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        let addition = try Mapping.addRule(MappingRule("other-transaction", "other-transaction", "Mystery*", .other, note: "asked Amazon"), home: home, store: FileManager.default.fileExists(atPath: home.storePath) ? try Store.open(home: home) : nil)
        #expect(addition.action == .added)
        #expect(addition.nowReady == ["90000000009"])
        #expect(addition.matchedIn == ["90000000009"])
        #expect(addition.stillNeedsMapping.isEmpty)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: home.mappingPath))) as? [String: Any])
        #expect(Set(json.keys) == ["version", "rules"])
        #expect((json["rules"] as? [[String: String]])?.first?["note"] == "asked Amazon")
        let s = try #require(try store.settlement(id: "90000000009"))
        #expect(s.status(ledger: try Booking(store: store, mapping: try Mapping.load(home: home.url)).book(s)) == .ready)
        // The same patterns in another case replace the rule rather than tie with it.
        let again = try Mapping.addRule(MappingRule("OTHER-TRANSACTION", "other-transaction", "mystery*", .refunds), home: home, store: FileManager.default.fileExists(atPath: home.storePath) ? try Store.open(home: home) : nil)
        #expect(again.action == .replaced)
        #expect(try Mapping.load(home: home.url).rules.map(\.category) == [.refunds])
    }

    @Test("a rule that would tie is refused and the file is left byte for byte")
    func tieRefused() throws {
        let home = try temporaryHome()
        _ = try Mapping.addRule(MappingRule("A", "B", "x*", .sales), home: home, store: FileManager.default.fileExists(atPath: home.storePath) ? try Store.open(home: home) : nil)
        let before = try Data(contentsOf: URL(fileURLWithPath: home.mappingPath))
        let error = try #require(throws: MappingError.self) { _ = try Mapping.addRule(MappingRule("A", "B", "*x", .refunds), home: home, store: FileManager.default.fileExists(atPath: home.storePath) ? try Store.open(home: home) : nil) }
        #expect("\(error)".contains("rules[0] (A / B / x* → sales) and rules[1] (A / B / *x → refunds) tie"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: home.mappingPath)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.url.path) == ["mapping.json"])
    }
}

extension MappingMatch.Source {
    var isBuiltIn: Bool { if case .builtIn = self { return true } else { return false } }
}
