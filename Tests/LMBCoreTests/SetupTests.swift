import Foundation
import Testing
@testable import LMBCore

@Suite("lmb setup: the accounts a mapping needs, the checks send makes, foreign-currency references")
struct SetupTests {
    static func account(_ code: String, _ type: String, status: String = "ACTIVE", system: String? = nil) -> XeroAccount {
        XeroAccount(AccountID: UUID().uuidString, Code: code, Name: "Account \(code)", Status: status, Type: type, TaxType: "NONE", Class: nil,
                    SystemAccount: system)
    }

    static func rate(_ type: String, percent: Decimal, status: String = "ACTIVE") -> XeroTaxRate {
        XeroTaxRate(Name: type, TaxType: type, Status: status, ReportTaxType: nil, DisplayTaxRate: percent, EffectiveRate: percent, TaxComponents: nil,
                    CanApplyToRevenue: true, CanApplyToExpenses: true, CanApplyToLiabilities: true, CanApplyToAssets: true, CanApplyToEquity: true)
    }

    static func posting(_ lines: [(Category?, String)]) -> Posting {
        Posting(settlementID: "1", part: 1, parts: 1, type: .invoice, contactName: "Amazon.co.uk", invoiceNumber: "AMZ-1", reference: "Amazon.co.uk settlement 1",
                date: CalendarDate(year: 2024, month: 10, day: 15)!, dueDate: CalendarDate(year: 2024, month: 10, day: 17)!, currency: Currency(code: "GBP"),
                lineAmountTypes: "NoTax",
                lines: lines.map { PostingLine(category: $0.0, description: "line", accountCode: $0.1, taxType: "NONE", amountMinor: 100) })
    }

    @Test("the default mapping needs 13 accounts, each with the Type its category books to")
    func defaultNeeds() {
        let needs = SetupFlow.accountNeeds(.defaults)
        #expect(needs.count == 13)
        #expect(Set(needs.map(\.code)).count == 13)
        let types = Dictionary(uniqueKeysWithValues: needs.map { ($0.code, $0.type) })
        #expect(types["LMB1"] == "REVENUE" && types["LMB2"] == "REVENUE" && types["LMB3"] == "OTHERINCOME")
        #expect(types["LMB4"] == "DIRECTCOSTS" && types["LMB5"] == "DIRECTCOSTS" && types["LMB6"] == "DIRECTCOSTS" && types["LMB13"] == "DIRECTCOSTS")
        #expect(types["LMB7"] == "EXPENSE" && types["LMB11"] == "EXPENSE")
        #expect(types["LMB8"] == "CURRLIAB" && types["LMB9"] == "CURRLIAB")
        #expect(types["LMB10"] == "CURRENT" && types["LMB12"] == "CURRENT")
        #expect(needs.last?.key == AccountRoles.carriedForwardKey)
        // Every created type is one --map accepts for the category.
        for n in needs { #expect(AccountRoles.allowedTypes(n.category).contains(n.type), "\(n.key)") }
    }

    @Test("two categories on one code need one account")
    func sharedCode() {
        var m = Mapping.defaults
        m.categories["refunds"] = CategoryAccount(account: "lmb1", taxType: "NONE", name: "Refunds")
        #expect(SetupFlow.accountNeeds(m).count == 12)
    }

    @Test("a new account's tax type: the mapping's own without a profile, the profile's treatment with one, nothing the organisation lacks")
    func taxTypes() throws {
        let needs = SetupFlow.accountNeeds(.defaults)
        let sales = try #require(needs.first { $0.code == "LMB1" })
        let fees = try #require(needs.first { $0.code == "LMB4" })
        let reserves = try #require(needs.first { $0.code == "LMB10" })
        let uk = [Self.rate("OUTPUT2", percent: 20), Self.rate("INPUT2", percent: 20), Self.rate("NONE", percent: 0)]
        #expect(SetupFlow.taxType(for: sales, mapping: .defaults, version: "UK", rates: uk) == "NONE")
        #expect(SetupFlow.taxType(for: sales, mapping: .defaults, version: "AU", rates: [Self.rate("OUTPUT", percent: 10)]) == nil)
        var taxed = Mapping.defaults
        taxed.tax = TaxProfile(country: "GB", registered: ["GB"])
        #expect(SetupFlow.taxType(for: sales, mapping: taxed, version: "UK", rates: uk) == "OUTPUT2")
        #expect(SetupFlow.taxType(for: fees, mapping: taxed, version: "UK", rates: uk) == "INPUT2")
        #expect(SetupFlow.taxType(for: reserves, mapping: taxed, version: "UK", rates: uk) == "NONE")
        let archived = [Self.rate("OUTPUT2", percent: 20, status: "ARCHIVED"), Self.rate("NONE", percent: 0)]
        #expect(SetupFlow.taxType(for: sales, mapping: taxed, version: "UK", rates: archived) == nil)
    }

    @Test("send's account check: missing, archived, bank and system accounts are refused with the lmb setup runbook (78)")
    func accountProblems() {
        let accounts = [Self.account("LMB1", "REVENUE"), Self.account("LMB4", "DIRECTCOSTS", status: "ARCHIVED"), Self.account("090", "BANK"),
                        Self.account("610", "CURRENT", system: "DEBTORS"), Self.account("lmb12", "CURRENT")]
        #expect(AccountRoles.problems([Self.posting([(.sales, "LMB1"), (nil, "LMB12")])], accounts: accounts).isEmpty)
        let problems = AccountRoles.problems([Self.posting([(.sales, "LMB1"), (.refunds, "LMB2"), (.sellerFees, "LMB4"), (.other, "090"),
                                                            (.reserves, "610"), (.refunds, "LMB2")])], accounts: accounts)
        #expect(problems.map(\.code) == ["LMB2", "LMB4", "090", "610"])
        #expect(problems[0].description == "account LMB2 (refunds) does not exist in the organisation")
        #expect(problems[1].reason == "is ARCHIVED")
        #expect(problems[2].reason.contains("BANK") && problems[3].reason.contains("DEBTORS"))
        let f = AccountProblem.failure(problems, settlementID: "1")
        #expect(f.exitStatus == .config && f.code == AccountProblem.failureCode)
        let runbook = Runbook.of(f, Runbook.Context(settlementID: "1"))
        #expect(runbook.fix == "lmb setup")
        #expect(runbook.steps.first?.contains("`lmb setup`") == true)
        #expect(runbook.steps.contains { $0.contains("lmb setup --map CATEGORY=CODE") })
        #expect(runbook.steps.last == "Run `lmb send 1` again.")
    }

    @Test("a missing scope met by setup: insufficient_scope with lmb reconnect --setup")
    func scope() async throws {
        let r = HTTPResponse(status: 401, headers: ["WWW-Authenticate": "Bearer error=\"insufficient_scope\""], body: Data(#"{"Title":"Unauthorized","Detail":"AuthorizationUnsuccessful"}"#.utf8))
        let failure = try #require(XeroErrorClassifier.classify(r))
        await #expect(throws: RemoteFailure.self) { _ = try await SetupFlow.creating { throw failure } }
        do {
            _ = try await SetupFlow.creating { throw failure }
        } catch let f as RemoteFailure {
            #expect(f.classification == .insufficientScope && f.code == SetupFlow.scopeFailureCode)
            #expect(f.exitStatus.rawValue == 77)
            let runbook = f.runbook()
            #expect(runbook.fix == "lmb reconnect --setup")
            #expect(runbook.steps.contains { $0.contains("`lmb reconnect --setup`") })
        }
        // A refusal of the one item is not a stop: its words come back.
        let refusal = RemoteFailure.xero(.validationFailed, "refused", validationErrors: ["Please enter a unique Name."])
        #expect(try await SetupFlow.creating { throw refusal } == "Please enter a unique Name.")
    }

    @Test("connect --setup asks for accounting.settings in place of accounting.settings.read")
    func settingsScope() {
        #expect(SetupFlow.withSettingsScope(ScopeSet.broad.scopes).contains("accounting.settings"))
        #expect(!SetupFlow.withSettingsScope(ScopeSet.granular.scopes).contains("accounting.settings.read"))
        #expect(SetupFlow.withSettingsScope(["offline_access", "accounting.invoices"]) == ["offline_access", "accounting.invoices", "accounting.settings"])
        var request = XeroConnectRequest(clientID: "x", flow: .pkce, tenant: nil, port: nil, noBrowser: true, scopes: nil, timeout: 1)
        #expect(request.scopeList(config: LMBConfig()).contains("accounting.settings.read"))
        request.setup = true
        let scopes = request.scopeList(config: LMBConfig())
        #expect(scopes.contains("accounting.settings") && !scopes.contains("accounting.settings.read"))
    }

    @Test("--tracking: every line carries the tracking category with the marketplace as its option")
    func trackingOnLines() throws {
        var p = Self.posting([(.sales, "LMB1"), (.sellerFees, "LMB4")])
        #expect(!p.xeroInvoice().rendered(pretty: false).contains("Tracking"))
        p.tracking = "Sales channel"
        let body = p.xeroInvoice().rendered(pretty: false)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let lines = o["LineItems"] as? [[String: Any]] ?? []
        #expect(lines.count == 2)
        for line in lines {
            #expect((line["Tracking"] as? [[String: Any]])?.first?["Name"] as? String == "Sales channel")
            #expect((line["Tracking"] as? [[String: Any]])?.first?["Option"] as? String == "Amazon.co.uk")
        }
        // The mapping keeps it through its file.
        var m = Mapping()
        m.tracking = "Sales channel"
        let decoded = try JSONDecoder().decode(Mapping.self, from: Data(try m.encoded().utf8))
        #expect(decoded.tracking == "Sales channel")
    }

    @Test("the base-currency amount at Xero's rate (units of the currency per one base unit), exact and rounded half away from zero")
    func conversion() {
        #expect(Sender.converted(totalMinor: 109_057, exponent: 2, rate: Decimal(string: "1.1865")!, baseExponent: 2) == 91_915)
        #expect(Sender.converted(totalMinor: 579, exponent: 2, rate: Decimal(string: "1.1865")!, baseExponent: 2) == 488)
        #expect(Sender.converted(totalMinor: -579, exponent: 2, rate: Decimal(string: "1.1865")!, baseExponent: 2) == -488)
        #expect(Sender.converted(totalMinor: 100, exponent: 2, rate: 8, baseExponent: 2) == 13)            // 12.5 → 13
        #expect(Sender.converted(totalMinor: 1000, exponent: 0, rate: Decimal(string: "160.5")!, baseExponent: 2) == 623)   // JPY 1000 → 6.23
        #expect(Sender.converted(totalMinor: 100, exponent: 2, rate: 0, baseExponent: 2) == nil)
        #expect(Sender.conversionNote(currency: Currency(code: "EUR"), totalMinor: 579, base: Currency(code: "GBP"), convertedMinor: 488)
                == "EUR 5.79 = GBP 4.88")
    }
}
