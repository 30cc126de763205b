import Foundation
import TestSupport
import Testing

extension EndToEnd {
    @Suite("VAT, GST and sales tax: the tax profile, treatments resolved in each organisation version, the VAT report hold — the built binary against the sandbox")
    struct TaxE2ETests {
        /// A sandbox organisation of `version`, connected, with `fixtures` imported and `lmb tax init` run with `profile`.
        static func home(version: String, fixtures: [String], profile: [String], control: [String: Any] = [:]) async throws -> SandboxHome {
            let s = try await SandboxHome()
            try await s.control("organisation", ["version": version].merging(control) { $1 })
            let c = try await s.connect()
            #expect(c.status == 0, "\(c.stderr)")
            let i = try await s.run(["import"] + fixtures.map(E2E.fixture))
            #expect(i.status == 0, "\(i.stderr)")
            let t = try await s.run(["tax", "init"] + profile)
            #expect(t.status == 0, "\(t.stderr)")
            return s
        }

        /// Net, tax and gross of the preview's Total row (one document).
        static func previewTotals(_ text: String) -> (net: String, tax: String, gross: String)? {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ").map(String.init)
                if fields.first == "Total", fields.count == 4 { return (fields[1], fields[2], fields[3]) }
            }
            return nil
        }

        static func lines(_ invoice: [String: Any]) -> [[String: Any]] { invoice["LineItems"] as? [[String: Any]] ?? [] }

        static func number(_ any: Any?) -> Decimal? {
            switch any {
            case let n as NSNumber: return Decimal(string: n.stringValue)
            case let s as String: return Decimal(string: s)
            default: return nil
            }
        }

        @Test("a UK seller: OUTPUT2 sales, INPUT2 fees, NONE reimbursements, marketplace-collected orders out of output VAT; Xero's TotalTax is the preview's")
        func ukSeller() async throws {
            let s = try await Self.home(version: "UK", fixtures: ["v2-uk-vat.txt"], profile: ["--country", "GB"])
            let preview = try await s.run(["preview", "41000000041"])
            #expect(preview.status == 0, "\(preview.stderr)")
            let totals = try #require(Self.previewTotals(preview.stdout), "\(preview.stdout)")
            let sent = try await s.run(["send", "41000000041"])
            #expect(sent.status == 0, "\(sent.stderr)")
            let invoice = try #require(try await s.invoices().first)
            #expect(invoice["LineAmountTypes"] as? String == "Inclusive")
            #expect(Self.number(invoice["Total"]) == Decimal(string: "23.62"))
            #expect(Self.number(invoice["TotalTax"]) == Decimal(string: totals.tax))
            #expect(Self.number(invoice["SubTotal"]) == Decimal(string: totals.net))
            let lines = Self.lines(invoice)
            func types(_ account: String) -> Set<String> { Set(lines.filter { $0["AccountCode"] as? String == account }.compactMap { $0["TaxType"] as? String }) }
            #expect(types("LMB1") == ["OUTPUT2", "ZERORATEDOUTPUT", "NONE"])
            #expect(types("LMB4") == ["INPUT2"] && types("LMB5") == ["INPUT2"] && types("LMB6") == ["INPUT2"] && types("LMB7") == ["INPUT2"])
            #expect(types("LMB3") == ["NONE"])
            let collected = try #require(lines.first { ($0["Description"] as? String)?.contains("marketplace-collected") == true })
            #expect(collected["TaxType"] as? String == "NONE" && Self.number(collected["TaxAmount"]) == 0)
            // Amazon's own VAT on the VAT Calculation Service order is kept to the penny.
            let amazons = try #require(lines.first { ($0["Description"] as? String)?.contains("(Amazon's VAT)") == true })
            #expect(Self.number(amazons["TaxAmount"]) == Decimal(string: "2.50"))
        }

        @Test("a UK organisation whose INPUT2 is archived: refused before sending, exit 78, naming the treatment, the tax type and the fix")
        func archivedInput() async throws {
            let s = try await Self.home(version: "UK", fixtures: ["v2-uk-vat.txt"], profile: ["--country", "GB"],
                                        control: ["tax_rates": [["TaxType": "INPUT2", "Status": "ARCHIVED"]]])
            let r = try await s.run(["send", "41000000041"])
            #expect(r.status == 78)
            #expect(r.stderr.contains("INPUT2") && r.stderr.contains("ARCHIVED"))
            #expect(r.stderr.contains("standard-input"))
            #expect(r.stderr.contains("lmb tax map"))
            #expect(try await s.invoices().isEmpty)
            let puts = ((try await s.state()["requests"] as? [[String: Any]]) ?? []).filter { $0["method"] as? String == "PUT" }
            #expect(puts.isEmpty)
            let d = try await s.run(["diagnose", "--json"])
            #expect(d.status == 78)
            #expect(d.stdout.contains("\"tax\"") && d.stdout.contains("INPUT2"))
            // The user's choice fixes it: the fees go to another active expense rate.
            #expect(try await s.run(["tax", "map", "standard-input=REVERSECHARGES"]).status == 0)
            #expect(try await s.run(["send", "41000000041"]).status == 0)
        }

        @Test("an Australian seller posts with GST; a US seller posts as before (NoTax)")
        func australiaAndUS() async throws {
            let au = try await Self.home(version: "AU", fixtures: ["v2-au-gst.txt"], profile: ["--country", "AU"])
            let r = try await au.run(["send", "--all"])
            #expect(r.status == 0, "\(r.stderr)")
            let invoice = try #require(try await au.invoices().first)
            let lines = Self.lines(invoice)
            #expect(lines.contains { $0["TaxType"] as? String == "OUTPUT" && Self.number($0["TaxAmount"]) == 3 })
            #expect(lines.contains { $0["TaxType"] as? String == "INPUT" })
            #expect(lines.contains { $0["TaxType"] as? String == "BASEXCLUDED" })
            #expect(Self.number(invoice["TotalTax"]) == Decimal(string: "2.28"))    // 3.00 − 0.45 − 0.27

            let us = try await Self.home(version: "US", fixtures: ["v2-us.txt"], profile: ["--country", "US"])
            #expect(try await us.run(["send", "--all"]).status == 0)
            let usInvoice = try #require(try await us.invoices().first)
            #expect(usInvoice["LineAmountTypes"] as? String == "NoTax")
            #expect(Self.lines(usInvoice).allSatisfy { $0["TaxType"] as? String == "NONE" })
        }

        @Test("a Global organisation maps through its TAX00n user rates, Amazon's 7 % VAT kept on its own line")
        func globalOrganisation() async throws {
            let s = try await Self.home(version: "GLOBAL", fixtures: ["v2-de-vat.txt"], profile: ["--country", "DE", "--no-await-vat-report"])
            let show = try await s.run(["tax", "show", "--json"])
            #expect(show.status == 0, "\(show.stderr)")
            #expect(show.stdout.contains("TAX002"))
            let r = try await s.run(["send", "43000000044"])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = Self.lines(try #require(try await s.invoices().first))
            #expect(lines.contains { $0["TaxType"] as? String == "TAX002" && $0["AccountCode"] as? String == "LMB1" && Self.number($0["TaxAmount"]) == 19 })
            #expect(lines.contains { $0["TaxType"] as? String == "TAX003" && Self.number($0["TaxAmount"]) == Decimal(string: "1.40") })
            #expect(lines.contains { $0["TaxType"] as? String == "TAX002" && $0["AccountCode"] as? String == "LMB4" })
        }

        @Test("an EU seller: the settlement waits for the VAT report, sync sends it after the import, split by jurisdiction")
        func awaitsTheVATReport() async throws {
            let s = try await Self.home(version: "GLOBAL", fixtures: ["v2-de-vat.txt"], profile: ["--country", "DE", "--oss"])
            let listed = try await s.run(["settlements", "--json"])
            #expect(listed.stdout.contains("awaiting-vat"), "\(listed.stdout)")
            let held = try await s.run(["send", "--all"])
            #expect(held.status == 0, "\(held.stderr)")
            #expect(held.stdout.contains("VAT Transactions Report"))
            #expect(try await s.invoices().isEmpty)
            // Amazon's report: the first order was shipped to Ireland (OSS, 23 %), the second stayed in Germany at 7 %.
            let report = VATReportFixture.text(rows: [
                VATReportFixture.row(type: "SALE", event: "302-0000001-0000001", activity: "AAAAAAAA1", marketplace: "amazon.de", date: "08-10-2024",
                                     excl: "96.75", vat: "22.25", incl: "119.00", rate: "0.23", jurisdiction: "IRELAND", from: "DE", to: "IE",
                                     scheme: "UNION-OSS", responsibility: "SELLER"),
                VATReportFixture.row(type: "SALE", event: "302-0000002-0000002", activity: "AAAAAAAA2", marketplace: "amazon.de", date: "09-10-2024",
                                     excl: "20.00", vat: "1.40", incl: "21.40", rate: "0.07", jurisdiction: "GERMANY", from: "DE", to: "DE",
                                     scheme: "REGULAR", responsibility: "SELLER"),
            ])
            let file = URL(fileURLWithPath: s.home).appendingPathComponent("vat-2024-10.txt")
            try Data(report.utf8).write(to: file)
            #expect(try await s.run(["import", file.path]).status == 0)
            let sync = try await s.run(["send", "--all"])
            #expect(sync.status == 0, "\(sync.stderr)")
            let lines = Self.lines(try #require(try await s.invoices().first))
            let ireland = try #require(lines.first { ($0["Description"] as? String)?.contains("IE (OSS)") == true })
            #expect(ireland["TaxType"] as? String == "TAX001")
            #expect(lines.contains { $0["TaxType"] as? String == "TAX003" && ($0["Description"] as? String)?.contains("DE") == true })
        }

        @Test("no profile: documents stay NoTax, and diagnose says once that a registered seller should run lmb tax init")
        func noProfile() async throws {
            let s = try await SandboxHome.connected(["v2-uk-vat.txt"])
            let d = try await s.run(["diagnose"])
            #expect(d.stdout.components(separatedBy: "lmb tax init").count == 2, "\(d.stdout)")
            #expect(try await s.run(["send", "--all"]).status == 0)
            #expect(try await s.invoices().first?["LineAmountTypes"] as? String == "NoTax")
        }

        @Test("tax init refuses bad countries (64); tax map refuses an unknown treatment (64) and records a good one")
        func profileCommands() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["tax", "init", "--country", "Britain"], home: home).status == 64)
            #expect(try await E2E.run(["tax", "map", "standard=OUTPUT2"], home: home).status == 64)   // no profile yet
            #expect(try await E2E.run(["tax", "init", "--country", "GB", "--registered", "GB,DE"], home: home).status == 0)
            #expect(try await E2E.run(["tax", "map", "sales=OUTPUT2"], home: home).status == 64)
            let mapped = try await E2E.run(["tax", "map", "--json", "standard@DE=TAX002"], home: home)
            #expect(mapped.status == 0, "\(mapped.stderr)")
            let profile = try #require(try E2E.json(mapped.stdout) as? [String: Any])
            #expect((profile["map"] as? [String: String])?["standard@DE"] == "TAX002")
            #expect(profile["await_vat_report"] as? Bool == true)
            let config = try String(contentsOfFile: home + "/config.json", encoding: .utf8)
            #expect(config.contains("\"tax\""))
        }
    }
}
