import Foundation
import Testing
@testable import LMBCore

@Suite struct TaxMathTests {
    @Test func inclusiveTaxRoundsEachLineHalfAwayFromZero() {
        #expect(XeroTaxMath.inclusiveTax(2799, rate: 2000) == 467)     // 27.99 × 20/120 = 4.665
        #expect(XeroTaxMath.inclusiveTax(-2799, rate: 2000) == -467)
        #expect(XeroTaxMath.inclusiveTax(2400, rate: 2000) == 400)
        #expect(XeroTaxMath.inclusiveTax(3300, rate: 1000) == 300)      // A$33.00 incl. 10 % GST
        #expect(XeroTaxMath.inclusiveTax(11900, rate: 1900) == 1900)    // €119.00 incl. 19 %
        #expect(XeroTaxMath.inclusiveTax(1000, rate: 0) == 0)
        #expect(XeroTaxMath.exclusiveTax(1999, rate: 2000) == 400)      // 3.998
        // Per line, then summed: two lines of 0.05 at 20 % are 0.01 each; the total 0.10 would be 0.02.
        #expect(XeroTaxMath.inclusiveTax(5, rate: 2000) * 2 == 2)
        #expect(XeroTaxMath.inclusiveTax(10, rate: 2000) == 2)
    }

    @Test func amazonsVATRowsGiveTheRate() {
        #expect(TaxClassifier.snap(vat: 379, net: 5420, standard: 1900) == 700)    // the DE sample's book: 7 %
        #expect(TaxClassifier.snap(vat: 200, net: 1000, standard: 2000) == 2000)
        #expect(TaxClassifier.snap(vat: -200, net: -1000, standard: 2000) == 2000) // a refund
        #expect(TaxClassifier.snap(vat: 0, net: 899, standard: 2000) == 0)
        #expect(TaxClassifier.snap(vat: 55, net: 1000, standard: 2000) == 550)
        #expect(TaxClassifier.snap(vat: 199, net: 1000, standard: 2000) == 2000)   // a penny of rounding is still the standard rate
    }

    @Test func percentLabels() {
        #expect(TaxKey.percent(2000) == "20 %")
        #expect(TaxKey.percent(550) == "5.5 %")
        #expect(TaxKey.percent(2550) == "25.5 %")
        #expect(TaxKey.percent(5) == "0.05 %")
    }
}

@Suite struct TaxProfileTests {
    @Test func profileChecksItsCountriesAndKeys() throws {
        #expect(throws: LMBError.self) { try TaxProfile(country: "UK1", registered: []).validate() }
        #expect(throws: LMBError.self) { try TaxProfile(country: "GB", registered: ["G"]).validate() }
        #expect(throws: LMBError.self) { try TaxProfile(country: "US", registered: ["US"], oss: true).validate() }
        try TaxProfile(country: "gb", registered: ["gb", "de"]).validate()
        #expect(TaxProfile(country: "gb", registered: ["gb"]).country == "GB")
        #expect(try TaxMapKey(parsing: "standard@de").description == "standard@DE")
        #expect(try TaxMapKey(parsing: "standard-input").treatment == .standardInput)
        #expect(throws: LMBError.self) { try TaxMapKey(parsing: "sales") }
        #expect(throws: LMBError.self) { try TaxMapKey(parsing: "standard@Germany") }
    }

    @Test func euSellersWaitForTheVATReportByDefault() {
        #expect(TaxProfile(country: "GB", registered: ["GB"]).waitsForVATReport == false)
        #expect(TaxProfile(country: "GB", registered: ["GB", "DE"]).waitsForVATReport == true)
        #expect(TaxProfile(country: "DE", registered: ["DE"], oss: true).waitsForVATReport == true)
        #expect(TaxProfile(country: "DE", registered: ["DE"], oss: true, awaitVATReport: false).waitsForVATReport == false)
    }

    @Test func profileRoundTripsThroughConfig() throws {
        let home = LMBHome(url: FileManager.default.temporaryDirectory.appendingPathComponent("lmb-tax-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: home.url) }
        var config = LMBConfig()
        config.tax = TaxProfile(country: "GB", registered: ["GB"], map: ["standard-input": "INPUT2"])
        try config.save(home: home)
        let loaded = try LMBConfig.taxProfile(home: home)
        #expect(loaded == config.tax)
        #expect(try Mapping.load(home: home.url).tax == config.tax)
    }
}

@Suite struct TaxClassifierTests {
    static func row(_ order: String?, _ tt: String, _ at: String, _ ad: String, _ cents: Int64, day: String = "2024-10-08",
                    market: String = "Amazon.co.uk") -> TaxRow {
        TaxRow(transactionType: tt, amountType: at, amountDescription: ad, orderID: order, marketplace: market,
               postedDate: CalendarDate(iso: day), detail: "", amountMinor: cents)
    }

    static let uk = TaxProfile(country: "GB", registered: ["GB"])

    @Test func marketplaceCollectedOrdersStayOutOfOutputVAT() {
        let groups = TaxClassifier(profile: Self.uk, marketplace: "Amazon.co.uk").groups([
            Self.row("A", "Order", "ItemPrice", "Principal", 1500), Self.row("A", "Order", "ItemPrice", "Tax", 300),
            Self.row("A", "Order", "ItemWithheldTax", "MarketplaceFacilitatorVAT-Principal", -300),
        ])
        let principal = groups.first { $0.amountDescription == "Principal" }
        #expect(principal?.tax?.treatment == .marketplaceCollected)
        // The tax and the withheld tax keep no treatment of their own: they book (and net to zero) in their category.
        #expect(groups.first { $0.amountDescription == "Tax" }?.tax == nil)
        #expect(groups.first { $0.amountDescription == "Tax" }?.folded == nil)
    }

    @Test func amazonsVATRowsFoldIntoTheSaleWithTheirRate() {
        let groups = TaxClassifier(profile: Self.uk, marketplace: "Amazon.co.uk").groups([
            Self.row("B", "Order", "ItemPrice", "Principal", 1000), Self.row("B", "Order", "ItemPrice", "Tax", 200),
            Self.row("B", "Order", "ItemPrice", "Shipping", 250), Self.row("B", "Order", "ItemPrice", "ShippingTax", 50),
            Self.row("C", "Order", "ItemPrice", "Principal", 899), Self.row("C", "Order", "ItemPrice", "Tax", 0),
        ])
        let tax = groups.filter { $0.amountDescription == "Tax" || $0.amountDescription == "ShippingTax" }
        #expect(tax.allSatisfy { $0.folded == true })
        let b = groups.filter { $0.tax == TaxKey(.standard, country: "GB", rate: 2000) }
        #expect(b.reduce(0) { $0 + $1.amountMinor } == 1500)
        #expect(b.reduce(0) { $0 + ($1.vatMinor ?? 0) } == 250)
        #expect(groups.first { $0.amountMinor == 899 }?.tax?.treatment == .zeroRated)
    }

    @Test func destinationGroups() {
        let day = CalendarDate(iso: "2024-10-08")
        let gb = TaxClassifier(profile: Self.uk, marketplace: "Amazon.co.uk")
        #expect(gb.destination("GB", date: day) == TaxKey(.standard, country: "GB", rate: 2000))
        #expect(gb.destination("DE", date: day) == TaxKey(.export, country: "DE"))          // UK → EU since 2021
        #expect(gb.destination("US", date: day) == TaxKey(.export, country: "US"))
        let gbde = TaxClassifier(profile: TaxProfile(country: "GB", registered: ["GB", "DE"]), marketplace: "Amazon.de")
        #expect(gbde.destination("DE", date: day) == TaxKey(.standard, country: "DE", rate: 1900))
        let deOSS = TaxClassifier(profile: TaxProfile(country: "DE", registered: ["DE"], oss: true), marketplace: "Amazon.fr")
        #expect(deOSS.destination("FR", date: day) == TaxKey(.standard, country: "FR", rate: 2000, oss: true))
        #expect(deOSS.destination("GB", date: day) == TaxKey(.export, country: "GB"))
        let de = TaxClassifier(profile: TaxProfile(country: "DE", registered: ["DE"]), marketplace: "Amazon.fr")
        #expect(de.destination("FR", date: day) == TaxKey(.standard, country: "DE", rate: 1900))   // under the EU threshold
        let none = TaxClassifier(profile: TaxProfile(country: "GB", registered: []), marketplace: "Amazon.co.uk")
        #expect(none.destination("GB", date: day).treatment == .outsideScope)
        // Finland's rate changed on 1 September 2024.
        #expect(TaxCountries.standardRate("FI", on: CalendarDate(iso: "2024-08-31")) == 2400)
        #expect(TaxCountries.standardRate("FI", on: CalendarDate(iso: "2024-09-01")) == 2550)
    }

    @Test func theVATReportDecidesWhereAnOrderWasTaxed() {
        let j = ["D": OrderJurisdiction(country: "FR", name: "FRANCE", rate: 550, marketplaceCollected: false, exportOutsideEU: false,
                                      businessZeroRated: false, oss: true),
                 "E": OrderJurisdiction(country: "DE", name: "GERMANY", rate: 0, marketplaceCollected: false, exportOutsideEU: false,
                                      businessZeroRated: true, oss: false)]
        let groups = TaxClassifier(profile: TaxProfile(country: "DE", registered: ["DE"], oss: true), marketplace: "Amazon.de", jurisdictions: j).groups([
            Self.row("D", "Order", "ItemPrice", "Principal", 2110, market: "Amazon.de"),
            Self.row("E", "Order", "ItemPrice", "Principal", 5000, market: "Amazon.de"),
            Self.row("F", "Order", "ItemPrice", "Principal", 1190, market: "Amazon.de"),
        ])
        #expect(groups.first { $0.amountMinor == 2110 }?.tax == TaxKey(.reduced, country: "FR", rate: 550, oss: true))
        #expect(groups.first { $0.amountMinor == 5000 }?.tax?.treatment == .ecGoods)
        #expect(groups.first { $0.amountMinor == 1190 }?.tax == TaxKey(.standard, country: "DE", rate: 1900))
    }

    @Test func feesAreTaxedByTheirPostedMonth() {
        let classifier = TaxClassifier(profile: Self.uk, marketplace: "Amazon.co.uk")
        #expect(CategoryTaxRule.key(for: .fbaFees, profile: Self.uk, month: "2024-07", classifier: classifier, marketplace: "Amazon.co.uk").treatment == .reverseCharge)
        #expect(CategoryTaxRule.key(for: .fbaFees, profile: Self.uk, month: "2024-08", classifier: classifier, marketplace: "Amazon.co.uk")
                == TaxKey(.standardInput, country: "GB", rate: 2000))
        #expect(CategoryTaxRule.key(for: .advertising, profile: Self.uk, month: "2024-07", classifier: classifier, marketplace: "Amazon.co.uk").treatment == .standardInput)
        #expect(CategoryTaxRule.key(for: .reimbursements, profile: Self.uk, month: "2024-10", classifier: classifier, marketplace: "Amazon.co.uk").treatment == .outsideScope)
        let us = TaxProfile(country: "US", registered: ["US"])
        #expect(CategoryTaxRule.key(for: .sellerFees, profile: us, month: "2024-10", classifier: classifier, marketplace: "Amazon.com").treatment == .outsideScope)
        #expect(CategoryTaxRule.defaults.allSatisfy { !$0.note.isEmpty })
    }
}

@Suite struct TaxResolverTests {
    static func rate(_ type: String, _ percent: Decimal, report: String? = nil, status: String = "ACTIVE", revenue: Bool = true, expenses: Bool = true) -> XeroTaxRate {
        XeroTaxRate(Name: type, TaxType: type, Status: status, ReportTaxType: report, DisplayTaxRate: percent, EffectiveRate: percent, TaxComponents: nil,
                    CanApplyToRevenue: revenue, CanApplyToExpenses: expenses, CanApplyToLiabilities: true, CanApplyToAssets: true, CanApplyToEquity: true)
    }

    static let ukRates = [rate("OUTPUT2", 20, report: "OUTPUT", expenses: false), rate("INPUT2", 20, report: "INPUT", revenue: false),
                          rate("ZERORATEDOUTPUT", 0, report: "OUTPUT", expenses: false), rate("NONE", 0, report: "NONE"),
                          rate("REVERSECHARGES", 20, report: "REVERSECHARGES", revenue: false), rate("RROUTPUT", 5, report: "OUTPUT", expenses: false),
                          rate("ECACQUISITIONS", 20, report: "ECACQUISITIONS", revenue: false)]

    @Test func ukTreatmentsResolveToSystemCodes() throws {
        let r = TaxResolver(profile: TaxProfile(country: "GB", registered: ["GB"]), version: "UK", rates: Self.ukRates)
        #expect(try r.resolve(TaxKey(.standard, country: "GB", rate: 2000)).get() == "OUTPUT2")
        #expect(try r.resolve(TaxKey(.standardInput, country: "GB", rate: 2000)).get() == "INPUT2")
        #expect(try r.resolve(TaxKey(.marketplaceCollected, country: "DE")).get() == "NONE")
        #expect(try r.resolve(TaxKey(.reduced, country: "GB", rate: 500)).get() == "RROUTPUT")
        #expect(try r.resolve(TaxKey(.reverseCharge)).get() == "REVERSECHARGES")
    }

    @Test func anArchivedRateIsRefusedNotReplaced() {
        var rates = Self.ukRates
        rates[1].Status = "ARCHIVED"
        let r = TaxResolver(profile: TaxProfile(country: "GB", registered: ["GB"]), version: "UK", rates: rates)
        guard case .failure(let p) = r.resolve(TaxKey(.standardInput, country: "GB", rate: 2000)) else {
            Issue.record("an archived INPUT2 resolved")
            return
        }
        #expect(p.taxType == "INPUT2")
        #expect(p.reason.contains("ARCHIVED"))
        #expect(TaxProblem.failure([p], settlementID: "1").exitStatus == .config)
    }

    @Test func aRateMayNotBeUsedOnAnotherClassOfAccount() {
        let accounts = [XeroAccount(AccountID: nil, Code: "LMB4", Name: "Fees", Status: "ACTIVE", Type: "EXPENSE", TaxType: "NONE", Class: nil)]
        let r = TaxResolver(profile: TaxProfile(country: "GB", registered: ["GB"], map: ["standard-input": "OUTPUT2"]), version: "UK",
                            rates: Self.ukRates, accounts: accounts)
        guard case .failure(let p) = r.resolve(TaxKey(.standardInput, country: "GB", rate: 2000), account: "LMB4") else {
            Issue.record("OUTPUT2 was allowed on an expense account")
            return
        }
        #expect(p.reason.contains("cannot be used with account code 'LMB4'"))
    }

    @Test func globalOrganisationsResolveThroughUserRates() throws {
        let rates = [Self.rate("INPUT", 0), Self.rate("OUTPUT", 0), Self.rate("NONE", 0), Self.rate("TAX001", 23), Self.rate("TAX002", 19),
                     Self.rate("TAX003", 7)]
        let r = TaxResolver(profile: TaxProfile(country: "DE", registered: ["DE"]), version: "GLOBAL", rates: rates)
        #expect(try r.resolve(TaxKey(.standard, country: "DE", rate: 1900)).get() == "TAX002")
        #expect(try r.resolve(TaxKey(.reduced, country: "DE", rate: 700)).get() == "TAX003")
        #expect(try r.resolve(TaxKey(.standardInput, country: "DE", rate: 1900)).get() == "TAX002")
        #expect(try r.resolve(TaxKey(.outsideScope)).get() == "NONE")
        guard case .failure(let p) = r.resolve(TaxKey(.standard, country: "FR", rate: 2000)) else {
            Issue.record("a 20 % rate the organisation lacks resolved")
            return
        }
        #expect(p.fix.contains("lmb tax map standard@FR="))
        // The user's choice wins.
        let mapped = TaxResolver(profile: TaxProfile(country: "DE", registered: ["DE"], map: ["standard@FR": "TAX001"]), version: "GLOBAL", rates: rates)
        #expect(try mapped.resolve(TaxKey(.standard, country: "FR", rate: 2000)).get() == "TAX001")
    }

    @Test func aSellerRegisteredNowhereBooksNoTax() throws {
        let r = TaxResolver(profile: TaxProfile(country: "GB", registered: []), version: "UK", rates: Self.ukRates)
        #expect(try r.resolve(TaxKey(.standard, country: "GB", rate: 2000)).get() == "NONE")
        let us = TaxResolver(profile: TaxProfile(country: "US", registered: ["US"]), version: "US", rates: [Self.rate("NONE", 0), Self.rate("OUTPUT", 0)])
        #expect(try us.resolve(TaxKey(.standard, country: "US", rate: nil)).get() == "NONE")
    }
}

@Suite struct TaxLedgerTests {
    static func book(_ fixture: String, profile: TaxProfile, rates: [XeroTaxRate]? = TaxResolverTests.ukRates, version: String = "UK") throws -> (ParsedSettlement, LedgerResult) {
        var mapping = Mapping.defaults
        mapping.tax = profile
        let parsed = try SettlementParser(path: Paths.fixture(fixture)).parseForTaxBooking(mapping, profile: profile)
        let resolver = TaxResolver(profile: profile, version: version, rates: rates)
        return (parsed, Ledger(mapping: mapping, resolver: resolver).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups))
    }

    @Test func aUKSettlementBooksByTreatmentAndStillEqualsTheDeposit() throws {
        let (parsed, result) = try Self.book("v2-uk-vat.txt", profile: TaxProfile(country: "GB", registered: ["GB"]))
        #expect(result.taxProblems.isEmpty)
        let doc = try #require(result.postings.first)
        #expect(doc.lineAmountTypes == "Inclusive")
        #expect(doc.signedTotalMinor == parsed.header.totalMinor)
        let byType = Dictionary(grouping: doc.lines, by: \.taxType)
        #expect(byType["INPUT2"]?.allSatisfy { [.sellerFees, .fbaFees, .storageFees, .advertising].contains($0.category) } == true)
        #expect(byType["NONE"]?.contains { $0.category == .reimbursements } == true)
        #expect(byType["NONE"]?.contains { $0.tax?.treatment == .marketplaceCollected && $0.amountMinor == 1500 } == true)
        let explicit = try #require(doc.lines.first { $0.explicitTax })
        #expect(explicit.amountMinor == 1500 && explicit.taxMinor == 250 && explicit.taxType == "OUTPUT2")
        // Every other taxed line's tax is Xero's own: per line, rounded.
        for line in doc.lines where !line.explicitTax && line.taxType == "OUTPUT2" {
            #expect(line.taxMinor == XeroTaxMath.inclusiveTax(line.amountMinor, rate: 2000))
        }
        let body = doc.xeroInvoice().rendered(pretty: false)
        #expect(body.contains("\"TaxAmount\":2.50"))
        #expect(!body.contains("\"TaxType\":\"\""))
    }

    @Test func aSplitSettlementKeepsItsTreatmentsPerPart() throws {
        let (parsed, result) = try Self.book("v2-uk-vat-august.txt", profile: TaxProfile(country: "GB", registered: ["GB"]))
        #expect(result.postings.count == 2)
        let july = result.postings[0].lines.filter { $0.category == .sellerFees }
        let august = result.postings[1].lines.filter { $0.category == .sellerFees }
        #expect(july.allSatisfy { $0.taxType == "REVERSECHARGES" } && !july.isEmpty)
        #expect(august.allSatisfy { $0.taxType == "INPUT2" } && !august.isEmpty)
        #expect(result.postings.reduce(0) { $0 + $1.signedTotalMinor } == parsed.header.totalMinor)
    }

    @Test func withoutAProfileEverythingIsNoTaxAsBefore() throws {
        let parsed = try SettlementParser(path: Paths.fixture("v2-uk-vat.txt")).parseForBooking(.defaults)
        let result = Ledger(mapping: .defaults).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
        #expect(result.postings.allSatisfy { $0.lineAmountTypes == "NoTax" && $0.totalTaxMinor == 0 })
        #expect(!result.postings[0].xeroInvoice().rendered(pretty: false).contains("TaxAmount"))
    }

    @Test func anAustralianSettlementPostsWithGST() throws {
        let au = [TaxResolverTests.rate("OUTPUT", 10, report: "OUTPUT", expenses: false), TaxResolverTests.rate("INPUT", 10, report: "INPUT", revenue: false),
                  TaxResolverTests.rate("BASEXCLUDED", 0), TaxResolverTests.rate("EXEMPTOUTPUT", 0), TaxResolverTests.rate("EXEMPTEXPORT", 0)]
        let (parsed, result) = try Self.book("v2-au-gst.txt", profile: TaxProfile(country: "AU", registered: ["AU"]), rates: au, version: "AU")
        let doc = try #require(result.postings.first)
        #expect(doc.lines.first { $0.taxType == "OUTPUT" }?.taxMinor == 300)
        #expect(doc.lines.contains { $0.taxType == "INPUT" && $0.category == .sellerFees })
        #expect(doc.lines.contains { $0.taxType == "BASEXCLUDED" && $0.tax?.treatment == .marketplaceCollected })
        #expect(doc.signedTotalMinor == parsed.header.totalMinor)
    }

    @Test func anArchivedRateBecomesATaxProblem() throws {
        var rates = TaxResolverTests.ukRates
        rates[1].Status = "ARCHIVED"
        let (_, result) = try Self.book("v2-uk-vat.txt", profile: TaxProfile(country: "GB", registered: ["GB"]), rates: rates)
        #expect(result.taxProblems.contains { $0.taxType == "INPUT2" })
    }

    @Test func theGermanSampleIsMarketplaceCollectedWithUKVATOnFees() throws {
        let sample = Paths.shared.appendingPathComponent("samples/amazon-v2/amazon-de-23167452842.txt")
        guard FileManager.default.fileExists(atPath: sample.path) else { return }   // no ../shared in a fresh clone
        var mapping = Mapping.defaults
        let profile = TaxProfile(country: "GB", registered: ["GB"])
        mapping.tax = profile
        let parsed = try SettlementParser(path: sample.path).parseForTaxBooking(mapping, profile: profile)
        let result = Ledger(mapping: mapping, resolver: TaxResolver(profile: profile, version: "UK", rates: TaxResolverTests.ukRates))
            .book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
        let doc = try #require(result.postings.first)
        #expect(doc.lines.filter { $0.category == .sales || $0.category == .refunds }.allSatisfy { $0.tax?.treatment == .marketplaceCollected })
        #expect(doc.lines.filter { $0.category == .sellerFees || $0.category == .fbaFees }.allSatisfy { $0.taxType == "INPUT2" })
        #expect(doc.signedTotalMinor == 19665)
        // Commission −10,44 on a 57,99 gross sale carries 20 % UK VAT (1,74) inside it.
        #expect(XeroTaxMath.inclusiveTax(-1044, rate: 2000) == -174)
    }
}
