import Foundation
import TestSupport
import Testing
import XeroSandbox

/// A settlement built for cost of goods sold: FBA and merchant-fulfilled sales, a quantity of three, a unit cost
/// that changes mid-settlement, a refund row without a quantity (one unit back to stock), and a SKU with no cost.
enum COGSFixture {
    static let id = "30000000001"
    static let costs = "sku,unit_cost,currency,from_date\nSKU-A,4.10,USD\nSKU-A,4.35,USD,2024-10-08\nSKU-B,7.00,USD\n"
    /// FBA: 3 × 4.10 + 1 × 4.35 − 1 × 4.35 (the refund on the 12th, at the cost valid then); merchant: 2 × 7.00.
    static let fbaMinor: Int64 = 1_230, merchantMinor: Int64 = 1_400

    static func write(home: String, id: String = COGSFixture.id) throws -> String {
        let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tsku\tquantity-purchased"
        func row(_ type: String, _ order: String, _ amountType: String, _ description: String, _ amount: String, _ channel: String, _ day: String, _ sku: String, _ qty: String) -> String {
            "\(id)\t\t\t\t\t\t\(type)\t\(order)\tAmazon.com\t\(amountType)\t\(description)\t\(amount)\t\(channel)\t2024-10-\(day)\t\(sku)\t\(qty)"
        }
        let lines = [header, "\(id)\t2024-10-01 00:00:00 UTC\t2024-10-15 00:00:00 UTC\t2024-10-17 00:00:00 UTC\t106.00\tUSD",
                     row("Order", "111-1", "ItemPrice", "Principal", "60.00", "AFN", "03", "SKU-A", "3"),
                     row("Order", "111-1", "ItemFees", "Commission", "-9.00", "AFN", "03", "SKU-A", "3"),
                     row("Order", "111-2", "ItemPrice", "Principal", "50.00", "MFN", "05", "SKU-B", "2"),
                     row("Order", "111-3", "ItemPrice", "Principal", "20.00", "AFN", "10", "SKU-A", "1"),
                     row("Order", "111-4", "ItemPrice", "Principal", "5.00", "MFN", "10", "SKU-X", "1"),
                     row("Refund", "111-3", "ItemPrice", "Principal", "-20.00", "AFN", "12", "SKU-A", "")]
        let path = home + "/cogs-\(id).txt"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A home connected to the sandbox with the settlement imported, the costs imported and `lmb setup` run.
    static func ready(config: [String: Any]? = nil) async throws -> SandboxHome {
        let s = try await SandboxHome.connected([])
        if let config { try s.writeConfig(config) }
        #expect(try await s.run(["import", try write(home: s.home)]).status == 0)
        let costs = s.home + "/costs.csv"
        try Self.costs.write(toFile: costs, atomically: true, encoding: .utf8)
        #expect(try await s.run(["costs", "import", costs]).status == 0)
        return s
    }
}

extension SandboxHome {
    /// The sandbox's manual journals, as it holds them.
    func manualJournals() async throws -> [[String: Any]] {
        ((try await state()["xero"] as? [String: Any])?["manual_journals"] as? [[String: Any]]) ?? []
    }

    /// Minor units of a number Xero answered.
    static func minor(_ any: Any?) -> Int64? {
        guard let n = any as? NSNumber else { return nil }
        return Int64((n.doubleValue * 100).rounded())
    }
}

extension EndToEnd {
    @Suite("lmb costs — the built binary")
    struct CostsE2ETests {
        @Test("import stores a good file, refuses a bad one whole (65, line numbers), show and missing list what is stored")
        func importShowMissing() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let before = try await E2E.run(["costs", "missing", "--json"], home: home)
            #expect(before.status == 0, "\(before.stderr)")
            let missing = try #require((try E2E.json(before.stdout) as? [String: Any])?["missing"] as? [[String: Any]])
            let sku = try #require(missing.first?["sku"] as? String)

            let bad = home + "/bad.csv"
            try "sku,unit_cost,currency\n\(sku),4.10,USD\nOTHER,abc,USD\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await E2E.run(["costs", "import", bad], home: home)
            #expect(refused.status == 65)
            #expect(refused.stderr.contains("line 3"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM unit_cost", home: home) == 0)

            let good = home + "/good.csv"
            try "\(sku),4.10,USD\n\(sku),4.35,USD,2024-10-05\n".write(toFile: good, atomically: true, encoding: .utf8)
            let stored = try await E2E.run(["costs", "import", good], home: home)
            #expect(stored.status == 0, "\(stored.stderr)")
            let shown = try await E2E.run(["costs", "show", sku], home: home)
            #expect(shown.stdout.contains("4.10 USD") && shown.stdout.contains("4.35 USD") && shown.stdout.contains("from 2024-10-05"))
            let after = try await E2E.run(["costs", "missing", "--json"], home: home)
            let still = (try E2E.json(after.stdout) as? [String: Any])?["missing"] as? [[String: Any]] ?? []
            #expect(!still.contains { $0["sku"] as? String == sku })
        }

        @Test("send posts one balanced journal beside the invoice: Σ units × cost, FBA and merchant apart, the SKU without a cost named; its body validates against Xero's OpenAPI")
        func journalSent() async throws {
            let s = try await COGSFixture.ready()
            // The demo chart has no cost-of-goods accounts: send refuses in lmb's words, setup creates them.
            let refused = try await s.run(["send", COGSFixture.id])
            #expect(refused.status == 78, "\(refused.stderr)")
            #expect(refused.stderr.contains("LMB14") && refused.stderr.contains("lmb setup"), "\(refused.stderr)")
            #expect(try await s.invoices().isEmpty)
            let setup = try await s.run(["setup", "--json"])
            #expect(setup.status == 0, "\(setup.stderr)")
            let created = ((try E2E.json(setup.stdout) as? [String: Any])?["created"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(created.contains("LMB14") && created.contains("LMB15"), "\(setup.stdout)")

            let preview = try await s.run(["preview", COGSFixture.id])
            #expect(preview.status == 0, "\(preview.stderr)")
            #expect(preview.stdout.contains("AMZ-\(COGSFixture.id)-COGS") && preview.stdout.contains("total cost 26.30"), "\(preview.stdout)")
            #expect(preview.stderr.contains("no unit cost for SKU-X"), "\(preview.stderr)")
            let previewJSON = try #require(try E2E.json(try await s.run(["preview", COGSFixture.id, "--json"]).stdout) as? [String: Any])
            #expect((previewJSON["ManualJournals"] as? [[String: Any]])?.count == 1)

            let sent = try await s.run(["send", COGSFixture.id])
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stderr.contains("no unit cost for SKU-X"), "\(sent.stderr)")
            #expect(try await s.invoices().count == 1)
            let journals = try await s.manualJournals()
            #expect(journals.count == 1)
            let j = try #require(journals.first)
            #expect(j["Status"] as? String == "DRAFT")
            let narration = j["Narration"] as? String ?? ""
            #expect(narration.hasPrefix("AMZ-\(COGSFixture.id)-COGS ") && narration.contains("no cost for: SKU-X"), "\(narration)")
            let lines = j["JournalLines"] as? [[String: Any]] ?? []
            let amounts = lines.compactMap { SandboxHome.minor($0["LineAmount"]) }
            #expect(amounts.reduce(0, +) == 0, "the journal balances")
            #expect(lines.map { $0["AccountCode"] as? String ?? "" } == ["LMB14", "LMB15", "LMB14", "LMB15"])
            #expect(amounts == [COGSFixture.fbaMinor, -COGSFixture.fbaMinor, COGSFixture.merchantMinor, -COGSFixture.merchantMinor])
            #expect(amounts.filter { $0 > 0 }.reduce(0, +) == COGSFixture.fbaMinor + COGSFixture.merchantMinor)

            // An answer lost after Xero stored the journal: the next send finds it by its narration, posts nothing.
            try s.sql("UPDATE posting SET state = 'sending' WHERE part = 900")
            let again = try await s.run(["send", COGSFixture.id])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await s.manualJournals().count == 1)
            #expect(try await s.invoices().count == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home) == 2)

            // The report: gross margin after cost of goods (net sales 115.00 − 26.30).
            let report = try await s.run(["report", COGSFixture.id, "--json"])
            #expect(report.status == 0, "\(report.stderr)")
            let settled = try #require(((try E2E.json(report.stdout) as? [String: Any])?["settlements"] as? [[String: Any]])?.first)
            #expect(SandboxHome.minor(settled["costOfGoods"]) == 2_630)
            #expect(SandboxHome.minor(settled["grossMargin"]) == Int64(8_870), "\(settled)")

            // The body lmb sent, and the sandbox's answer, against Xero's OpenAPI description.
            if PythonValidator.xeroOpenAPI.available {
                let body = try #require(try await E2E.column("SELECT body FROM posting WHERE part = 900", home: s.home).first)
                let answer = String(decoding: try JSONSerialization.data(withJSONObject: ["ManualJournals": [j]]), as: UTF8.self)
                let exchanges: [[String: Any]] = [["name": "PUT ManualJournals (lmb's COGS journal)", "method": "PUT", "path": "/api.xro/2.0/ManualJournals",
                                                   "status": 200, "content_type": "application/json", "request_body": "{\"ManualJournals\":[\(body)]}",
                                                   "response_body": answer]]
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("cogs-exchanges-\(UUID().uuidString).json")
                try JSONSerialization.data(withJSONObject: exchanges).write(to: file)
                let (status, text) = try PythonValidator.xeroOpenAPI.validate(exchanges: file)
                #expect(status == 0 && !text.contains("FAIL"), "\(text)")
                #expect(text.contains("ok   PUT ManualJournals (lmb's COGS journal)"), "\(text)")
            }
        }

        @Test("kill -9 between the invoice and its journal, then send: the invoice and the journal are each in Xero once")
        func killBetweenInvoiceAndJournal() async throws {
            let s = try await COGSFixture.ready()
            #expect(try await s.run(["setup"]).status == 0)
            // Each answer comes 0.2 s after Xero stored the document: killed as soon as the invoice is stored, lmb has
            // recorded both documents `sending` and has not had the invoice's answer, so the journal was never sent.
            try await s.control("scenario", ["scenario": "slow", "delay_seconds": 0.2])
            let p = try LMBProcess(["send", COGSFixture.id, "--quiet"], home: s.home, environment: s.env.merging(["LMB_HTTP_TIMEOUT": "20"]) { $1 })
            let landed = try await E2E.sigkill(p, when: "the invoice in Xero", { try await !s.invoices().isEmpty })
            #expect(landed, "the kill did not land while lmb was sending")
            #expect(try await s.manualJournals().isEmpty)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sending'", home: s.home) == 2)
            try await s.control("scenario", ["scenario": "healthy"])
            let r = try await s.run(["send", COGSFixture.id])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.invoices().count == 1)
            #expect(try await s.manualJournals().count == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home) == 2)
            #expect(try await s.run(["send", COGSFixture.id]).stdout.contains("already sent"))
            #expect(try await s.manualJournals().count == 1)
        }

        @Test("\"cogs\": \"bill\" books a zero-total bill with the two lines instead of a journal; AUTHORISED gives POSTED journals otherwise")
        func billMode() async throws {
            let s = try await COGSFixture.ready(config: ["cogs": "bill"])
            #expect(try await s.run(["setup"]).status == 0)
            let r = try await s.run(["send", COGSFixture.id])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.manualJournals().isEmpty)
            let bill = try #require(try await s.invoices().first { $0["InvoiceNumber"] as? String == "AMZ-\(COGSFixture.id)-COGS" })
            #expect(bill["Type"] as? String == "ACCPAY")
            #expect(SandboxHome.minor(bill["Total"]) == 0)
            let lines = bill["LineItems"] as? [[String: Any]] ?? []
            #expect(lines.compactMap { SandboxHome.minor($0["LineAmount"]) } == [COGSFixture.fbaMinor, -COGSFixture.fbaMinor, COGSFixture.merchantMinor, -COGSFixture.merchantMinor])
            #expect(try await s.invoices().count == 2)

            let t = try await COGSFixture.ready()
            #expect(try await t.run(["setup"]).status == 0)
            #expect(try await t.run(["send", COGSFixture.id, "--status", "authorised"]).status == 0)
            #expect(try await t.manualJournals().first?["Status"] as? String == "POSTED")
        }
    }
}
