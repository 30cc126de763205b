import Foundation
import Testing
import TestSupport

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
    }
}
