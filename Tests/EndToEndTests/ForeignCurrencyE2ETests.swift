import Foundation
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Foreign currency — a converted reference completed after a kill, shown by report")
    struct ForeignCurrencyE2ETests {
        @Test("kill -9 between a EUR invoice and its Reference update: the next send completes the Reference, posts nothing again; report shows both amounts")
        func killBeforeReference() async throws {
            let s = try await SetupE2ETests.home(["version": "UK"], fixtures: ["v2-de-comma.txt"])
            try await s.control("currencies", ["EUR": "1.1865"])
            #expect(try await s.run(["setup"]).status == 0)
            // Each answer comes 0.3 s after Xero stored the invoice: killed then, lmb has the invoice `sending` and
            // its converted reference recorded as still to be written.
            try await s.control("scenario", ["scenario": "slow", "delay_seconds": 0.3])
            let p = try LMBProcess(["send", "20000000002", "--quiet"], home: s.home, environment: s.env.merging(["LMB_HTTP_TIMEOUT": "20"]) { $1 })
            let landed = try await E2E.sigkill(p, when: "the invoice in Xero", { try await !s.invoices().isEmpty })
            #expect(landed, "the kill did not land while lmb was sending")
            #expect(!((try await s.invoices().first?["Reference"] as? String ?? "").contains(" = GBP ")))
            #expect(try await E2E.count("SELECT COUNT(*) FROM pending_reference", home: s.home) == 1)
            try await s.control("scenario", ["scenario": "healthy"])

            let r = try await s.run(["send", "20000000002"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.invoices().count == 1)
            let reference = try await s.invoices().first?["Reference"] as? String ?? ""
            #expect(reference.hasSuffix("(EUR 1090.57 = GBP 919.15)"), "\(reference)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM pending_reference", home: s.home) == 0)
            // Once written, never written again.
            #expect(try await s.run(["send", "20000000002"]).status == 0)
            #expect(try await s.invoices().first?["Reference"] as? String == reference)

            let report = try await s.run(["report", "20000000002", "--json"])
            #expect(report.status == 0, "\(report.stderr)")
            let settled = ((try E2E.json(report.stdout) as? [String: Any])?["settlements"] as? [[String: Any]])?.first
            let converted = settled?["converted"] as? [String: String] ?? [:]
            #expect(converted.values.contains("EUR 1090.57 = GBP 919.15"), "\(report.stdout)")
        }

        @Test("a USD bill in a GBP organisation carries the converted amount in its number (a bill has no Reference), once")
        func billCarriesConversion() async throws {
            let s = try await SetupE2ETests.home(["version": "UK"], fixtures: ["v2-negative.txt"])
            try await s.control("currencies", ["USD": "0.7900"])
            #expect(try await s.run(["setup"]).status == 0)
            let r = try await s.run(["send", "60000000006"])
            #expect(r.status == 0, "\(r.stderr)")
            let bills = try await s.invoices()
            #expect(bills.count == 1)
            #expect(bills.first?["Type"] as? String == "ACCPAY")
            let number = bills.first?["InvoiceNumber"] as? String ?? ""
            #expect(number.hasPrefix("AMZ-60000000006") && number.contains("(USD 59.71 = GBP "), "\(number)")
            // Sent again: nothing new, the number unchanged.
            #expect(try await s.run(["send", "60000000006"]).status == 0)
            #expect(try await s.invoices().count == 1)
            #expect(try await s.invoices().first?["InvoiceNumber"] as? String == number)
        }
    }
}
