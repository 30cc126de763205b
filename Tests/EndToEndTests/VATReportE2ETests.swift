import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import XeroSandbox

extension EndToEnd {
    @Suite("lmb import of a VAT Transactions Report, lmb tax summary — the built binary")
    struct VATReportE2ETests {
        /// A home and the October report written as a file, as a person downloads it.
        static func octoberFile() throws -> (home: String, file: String) {
            let home = try E2E.newHome()
            let file = URL(fileURLWithPath: home).appendingPathComponent("VAT-2024-10.txt").path
            try Data(VATReportFixture.october2024.utf8).write(to: URL(fileURLWithPath: file))
            return (home, file)
        }

        @Test("import says it stored a VAT report, not a settlement; a second import stores nothing new")
        func importTwice() async throws {
            let (home, file) = try Self.octoberFile()
            let first = try await E2E.run(["import", file], home: home)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("VAT Transactions Report"))
            #expect(first.stdout.contains("not a settlement"))
            #expect(first.stdout.contains("9 rows"))
            #expect(first.stdout.contains("2024-10"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_row", home: home) == 9)
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: home) == 0)
            let again = try await E2E.run(["import", "--json", file], home: home)
            #expect(again.status == 0, "\(again.stderr)")
            let items = try #require(try E2E.json(again.stdout) as? [[String: Any]])
            #expect(items.first?["kind"] as? String == "vat-report")
            #expect(items.first?["outcome"] as? String == "unchanged")
            #expect(items.first?["rows"] as? Int == 0)
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_row", home: home) == 9)
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_report", home: home) == 1)
            let settlements = try await E2E.run(["settlements", "--json"], home: home)
            #expect((try E2E.json(settlements.stdout) as? [Any])?.isEmpty == true)
        }

        @Test("import --json of a new report names its kind, rows and months")
        func importJSON() async throws {
            let (home, file) = try Self.octoberFile()
            let r = try await E2E.run(["import", "--json", file], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            let item = try #require((try E2E.json(r.stdout) as? [[String: Any]])?.first)
            #expect(item["outcome"] as? String == "imported")
            #expect(item["kind"] as? String == "vat-report")
            #expect(item["rows"] as? Int == 9)
            #expect(item["months"] as? [String] == ["2024-10"])
            #expect(item["firstDate"] as? String == "2024-10-03")
        }

        @Test("tax summary --json and --csv give the month's figures per type, jurisdiction, currency and rate")
        func summary() async throws {
            let (home, file) = try Self.octoberFile()
            #expect(try await E2E.run(["import", file], home: home).status == 0)
            let json = try await E2E.run(["tax", "summary", "--period", "2024-10", "--json"], home: home)
            #expect(json.status == 0, "\(json.stderr)")
            let object = try #require(try E2E.json(json.stdout) as? [String: Any])
            #expect(Set(object.keys) == ["period", "rows"])
            #expect(object["period"] as? String == "2024-10")
            let rows = try #require(object["rows"] as? [[String: Any]])
            #expect(rows.count == 8)
            #expect(rows.allSatisfy { Set($0.keys) == ["type", "jurisdiction", "country", "currency", "rate", "gross", "vat", "net"] })
            let germanSales = try #require(rows.first { $0["jurisdiction"] as? String == "GERMANY" && $0["type"] as? String == "SALE" && $0["rate"] as? String == "0.19" })
            #expect(germanSales["gross"] as? String == "119.00")
            #expect(germanSales["vat"] as? String == "19.00")
            #expect(germanSales["net"] as? String == "100.00")
            #expect(germanSales["country"] as? String == "DE")
            let oss = try #require(rows.first { $0["rate"] as? String == "0.055" })
            #expect(oss["jurisdiction"] as? String == "FRANCE")
            #expect(oss["vat"] as? String == "0.55")

            let csv = try await E2E.run(["tax", "summary", "--period", "2024-10", "--csv"], home: home)
            #expect(csv.status == 0, "\(csv.stderr)")
            let lines = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.first == "type,jurisdiction,country,currency,rate,gross,vat,net")
            #expect(lines.contains("REFUND,GERMANY,DE,EUR,0.19,-59.50,-9.50,-50.00"))
            #expect(lines.count == 9)

            let text = try await E2E.run(["tax", "summary", "--period", "2024-10"], home: home)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.contains("JURISDICTION"))
            #expect(text.stdout.contains("179.50"))  // Germany's gross total
            #expect(text.stdout.contains("UNITED KINGDOM"))
        }

        @Test("a quarter with one stored month prints it and names the missing months on stderr")
        func quarter() async throws {
            let (home, file) = try Self.octoberFile()
            #expect(try await E2E.run(["import", file], home: home).status == 0)
            let r = try await E2E.run(["tax", "summary", "--period", "2024-Q4", "--json"], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("2024-11, 2024-12"))
            let object = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(object["period"] as? String == "2024-Q4")
            #expect((object["rows"] as? [Any])?.count == 8)
        }

        @Test("a period with no stored report exits 66 with what to do; a bad --period is usage (64)")
        func nothingThere() async throws {
            let (home, file) = try Self.octoberFile()
            let empty = try await E2E.run(["tax", "summary", "--period", "2024-10"], home: home)
            #expect(empty.status == 66)
            #expect(empty.stderr.contains("no VAT Transactions Report is stored for 2024-10"))
            #expect(try await E2E.run(["import", file], home: home).status == 0)
            let other = try await E2E.run(["tax", "summary", "--period", "2024-09", "--json"], home: home)
            #expect(other.status == 66)
            #expect(other.stdout.isEmpty)
            let bad = try await E2E.run(["tax", "summary", "--period", "2024-13"], home: home)
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("--period"))
        }

        @Test("a report with a broken row is refused with its line; nothing is stored")
        func brokenRefused() async throws {
            var rows = VATReportFixture.october2024Rows
            rows[4]["TOTAL_ACTIVITY_VALUE_VAT_AMT"] = "abc"
            let home = try E2E.newHome()
            let file = URL(fileURLWithPath: home).appendingPathComponent("bad.txt").path
            try Data(VATReportFixture.text(rows: rows).utf8).write(to: URL(fileURLWithPath: file))
            let r = try await E2E.run(["import", file], home: home)
            #expect(r.status == 65)
            #expect(r.stderr.contains("bad.txt:6"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_row", home: home) == 0)
        }

        // MARK: lmb fetch

        /// The month lmb asks for today: the previous one from the 3rd on (UTC), else the one before.
        static func wantedMonth() -> String {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let c = calendar.dateComponents([.year, .month, .day], from: Date())
            var (y, m) = (c.year!, c.month! - (c.day! >= 3 ? 1 : 2))
            while m < 1 { m += 12; y -= 1 }
            return String(format: "%04d-%02d", y, m)
        }

        static func post(_ s: SandboxHome, _ path: String, _ body: Data) async throws {
            var request = URLRequest(url: URL(string: s.sandbox.baseURL + path)!)
            request.httpMethod = "POST"
            request.httpBody = body
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        }

        static func germanSettlement(_ s: SandboxHome) async throws {
            try await s.postReport(try String(contentsOfFile: E2E.fixture("v2-de-comma.txt"), encoding: .utf8))
        }

        @Test("fetch asks Amazon for last month's VAT report, a later fetch stores it through a restricted data token, then nothing more")
        func fetchVATReport() async throws {
            let s = try await SandboxHome()
            try await Self.germanSettlement(s)
            let month = Self.wantedMonth()
            try await Self.post(s, "/_sandbox/amazon/vat-data?month=\(month)", Data(VATReportFixture.october2024.utf8))
            try await s.amazonConnect()
            let first = try await s.lmb(["fetch"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("20000000002"), "\(first.stdout)")
            #expect(first.stderr.contains("asked Amazon for the VAT Transactions Report of \(month)"), "\(first.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_row", home: s.home) == 0)

            try await s.control("clock", ["advance_seconds": 61])
            let second = try await s.lmb(["fetch"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("stored the VAT Transactions Report of \(month)"), "\(second.stderr)")
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_row", home: s.home) == 9)
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_report_request", home: s.home) == 0)
            let requests = try await s.amazonRequests().all
            #expect(requests.contains { $0["path"] as? String == "/tokens/2021-03-01/restrictedDataToken" && $0["status"] as? Int == 200 })
            for secret in try await s.amazonSecrets() { #expect(!second.stderr.contains(secret) && !second.stdout.contains(secret)) }

            let mark = try await s.amazonRequests().all.count
            let third = try await s.lmb(["fetch"])
            #expect(third.status == 0, "\(third.stderr)")
            #expect(!third.stderr.contains("VAT"), "\(third.stderr)")
            let later = Array(try await s.amazonRequests().all.dropFirst(mark))
            #expect(!later.contains { ($0["path"] as? String)?.hasPrefix("/tokens/") == true || $0["method"] as? String == "POST" && $0["path"] as? String == "/reports/2021-06-30/reports" })
            // The month is covered now: the summary reads it.
            let summary = try await E2E.run(["tax", "summary", "--period", month, "--json"], home: s.home)
            #expect(summary.status == 0, "\(summary.stderr)")
        }

        @Test("without the Tax Remittance role the fetch says once how to add it and fetches settlements as before")
        func fetchWithoutRole() async throws {
            let s = try await SandboxHome()
            try await Self.germanSettlement(s)
            try await s.amazonControl("config", ["tax_remittance_role": false])
            try await s.amazonConnect()
            let r = try await s.lmb(["fetch"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("20000000002"), "\(r.stdout)")
            #expect(r.stderr.components(separatedBy: "the app lacks the Tax Remittance role").count == 2, "\(r.stderr)")
            #expect(r.stderr.contains("lmb import FILE"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM vat_report_request", home: s.home) == 0)
        }
    }
}
