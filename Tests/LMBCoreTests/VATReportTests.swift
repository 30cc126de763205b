import Foundation
import Testing
import TestSupport
@testable import LMBCore

@Suite("Amazon's VAT Transactions Report: parser, store, summary")
struct VATReportTests {
    static func october() throws -> VATTransactionsReport {
        try VATTransactionsReport.parse(Data(VATReportFixture.october2024.utf8))
    }

    // MARK: Parser

    @Test("every row of the 2021+ layout is read by column name, amounts in minor units, rates in basis points")
    func parsesOctober() throws {
        let text = VATReportFixture.october2024
        #expect(text.contains("\r\n"))
        let report = try Self.october()
        #expect(report.rows.count == 9)
        let first = report.rows[0]
        #expect(first.transactionType == "SALE")
        #expect(first.eventID == "302-1111111-1111111")
        #expect(first.activityTransactionID == "DV6FmcGhL")
        #expect(first.marketplace == "amazon.de")
        #expect(first.activityPeriod == "2024-OCT")
        #expect(first.completeDate == CalendarDate(year: 2024, month: 10, day: 3))
        #expect(first.sku == "LAMP-01")
        #expect(first.quantity == 2)
        #expect(first.currency == "EUR")
        #expect((first.grossMinor, first.vatMinor, first.netMinor) == (11900, 1900, 10000))
        #expect(first.rateBasisPoints == 1900)
        #expect(first.taxableJurisdiction == "GERMANY")
        #expect(first.jurisdictionCountry == "DE")
        #expect(first.scheme == "REGULAR")
        #expect(first.responsibility == "SELLER")
        #expect(first.itemDescription == "Lúmenes Schreibtischlampe")
        #expect(report.rows[2].rateBasisPoints == 550)
        #expect(report.rows[2].scheme == "UNION-OSS")
        let uk = report.rows[3]
        #expect(uk.jurisdictionCountry == "GB")
        #expect(uk.currency == "GBP")
        #expect(uk.collectedByMarketplace)
        let refund = report.rows[4]
        #expect(refund.transactionType == "REFUND")
        #expect((refund.grossMinor, refund.vatMinor, refund.netMinor) == (-5950, -950, -5000))
        #expect(refund.quantity == -1)
        let ret = report.rows[5]
        #expect((ret.grossMinor, ret.vatMinor, ret.netMinor, ret.rateBasisPoints) == (0, 0, 0, 0))
        #expect(report.rows[6].transactionType == "FC_TRANSFER")
        #expect(report.rows[6].marketplace == "N/A")
        #expect(report.rows[6].arrivalCountry == "PL")
        #expect(report.rows[7].buyerVATNumber == "FR12345678901")
        #expect(report.rows[8].exportOutsideEU)
        #expect(!report.rows[7].exportOutsideEU)
        #expect(report.months == ["2024-10"])
        #expect(report.firstDate == CalendarDate(year: 2024, month: 10, day: 3))
        #expect(report.lastDate == CalendarDate(year: 2024, month: 10, day: 25))
        #expect(report.unbalancedLines.isEmpty)
    }

    @Test("the 92-column 2019 layout in Windows-1252 reads, without scheme or responsibility")
    func parsesLegacy() throws {
        #expect(VATReportFixture.legacyColumns.count == 92)
        let report = try VATTransactionsReport.parse(VATReportFixture.legacy2019)
        #expect(report.rows.count == 1)
        let r = report.rows[0]
        #expect(r.itemDescription == "Camiseta algodón")
        #expect(r.scheme == nil && r.responsibility == nil)
        #expect(r.rateBasisPoints == 2100)
        #expect((r.grossMinor, r.vatMinor, r.netMinor) == (1000, 174, 826))
        #expect(r.jurisdictionCountry == "ES")
        #expect(report.encoding == .windows1252)
        #expect(report.months == ["2019-03"])
    }

    @Test("the header is recognised, a settlement's is not")
    func detectsHeader() throws {
        #expect(VATTransactionsReport.isHeader(VATReportFixture.columns.joined(separator: "\t")))
        #expect(VATTransactionsReport.isHeader("\u{FEFF}" + VATReportFixture.legacyColumns.joined(separator: "\t")))
        #expect(VATTransactionsReport.isHeader("MARKETPLACE\tTRANSACTION_EVENT_ID\tTAXABLE_JURISDICTION"))
        #expect(!VATTransactionsReport.isHeader("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency"))
        let path = try writeTemp(VATReportFixture.october2024, name: "vat.txt")
        #expect(VATTransactionsReport.detect(path: path))
        #expect(!VATTransactionsReport.detect(path: Paths.fixture("v2-us.txt")))
        // A FIFO is never opened (it would block until a writer came).
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("vat-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        #expect(!VATTransactionsReport.detect(path: fifo))
    }

    @Test("a broken row refuses the whole file with its line number", arguments: [
        ("TOTAL_ACTIVITY_VALUE_VAT_AMT", "19,00", "TOTAL_ACTIVITY_VALUE_VAT_AMT"),
        ("TRANSACTION_COMPLETE_DATE", "2024/10/03", "TRANSACTION_COMPLETE_DATE"),
        ("PRICE_OF_ITEMS_VAT_RATE_PERCENT", "19", "PRICE_OF_ITEMS_VAT_RATE_PERCENT"),
        ("QTY", "two", "QTY"),
        ("TRANSACTION_TYPE", "", "TRANSACTION_TYPE"),
        ("ACTIVITY_PERIOD", "October", "ACTIVITY_PERIOD"),
        ("TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL", "119.001", "TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL"),
    ])
    func refusesBrokenRow(column: String, value: String, named: String) throws {
        var rows = VATReportFixture.october2024Rows
        rows[2][column] = value
        let data = Data(VATReportFixture.text(rows: rows).utf8)
        let error = try #require(throws: SettlementFileError.self) { try VATTransactionsReport.parse(data, source: "oct.txt") }
        #expect(error.line == 4)
        #expect(error.file == "oct.txt")
        #expect(error.message.contains(named))
        #expect(error.exitStatus == .dataError)
    }

    @Test("a row with more filled fields than the header (a tab inside a field) is refused")
    func refusesShiftedRow() throws {
        var rows = VATReportFixture.october2024Rows
        rows[0]["SUPPLIER_VAT_NUMBER"] = "DE123\tX"
        let data = Data(VATReportFixture.text(rows: rows).utf8)
        let error = try #require(throws: SettlementFileError.self) { try VATTransactionsReport.parse(data) }
        #expect(error.line == 2)
    }

    @Test("a header without the totals is not a VAT report")
    func refusesOtherHeader() throws {
        let data = Data("TRANSACTION_EVENT_ID\tTAXABLE_JURISDICTION\r\n1\tGERMANY\r\n".utf8)
        let error = try #require(throws: SettlementFileError.self) { try VATTransactionsReport.parse(data) }
        #expect(error.message.contains("TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL"))
    }

    @Test("a row whose gross is not net + VAT is kept and named")
    func unbalanced() throws {
        var rows = VATReportFixture.october2024Rows
        rows[1]["TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL"] = "24.01"
        let report = try VATTransactionsReport.parse(Data(VATReportFixture.text(rows: rows).utf8))
        #expect(report.unbalancedLines == [3])
        #expect(report.rows[1].grossMinor == 2401)
    }

    @Test("octal escapes: Latin-1 and UTF-8 runs decode, anything else stays as written")
    func octal() {
        #expect(VATTransactionsReport.decodeOctalEscapes("L\\372menes") == "Lúmenes")
        #expect(VATTransactionsReport.decodeOctalEscapes("L\\303\\272menes") == "Lúmenes")
        #expect(VATTransactionsReport.decodeOctalEscapes("back\\slash \\9 end\\") == "back\\slash \\9 end\\")
        #expect(VATTransactionsReport.decodeOctalEscapes("\\37") == "\\37")
        #expect(VATTransactionsReport.decodeOctalEscapes("\\777x") == "\\777x")
    }

    @Test("rates: fractions to basis points and back")
    func rates() {
        #expect(VATTransactionsReport.basisPoints("0.2") == 2000)
        #expect(VATTransactionsReport.basisPoints("0.19") == 1900)
        #expect(VATTransactionsReport.basisPoints("0.055") == 550)
        #expect(VATTransactionsReport.basisPoints("0.0") == 0)
        #expect(VATTransactionsReport.basisPoints("0.077000") == 770)
        #expect(VATTransactionsReport.basisPoints("19") == nil)
        #expect(VATTransactionsReport.basisPoints("0.12345") == nil)
        #expect(VATTransactionsReport.basisPoints("-0.2") == nil)
        #expect(VATTransactionsReport.rateText(basisPoints: 1900) == "0.19")
        #expect(VATTransactionsReport.rateText(basisPoints: 550) == "0.055")
        #expect(VATTransactionsReport.rateText(basisPoints: 2000) == "0.2")
        #expect(VATTransactionsReport.rateText(basisPoints: 0) == "0")
        #expect(VATTransactionsReport.rateText(basisPoints: 10_000) == "1")
    }

    @Test("jurisdiction names to ISO codes")
    func jurisdictions() {
        #expect(VATJurisdiction.countryCode("UNITED KINGDOM") == "GB")
        #expect(VATJurisdiction.countryCode("Germany") == "DE")
        #expect(VATJurisdiction.countryCode("CZECH REPUBLIC") == "CZ")
        #expect(VATJurisdiction.countryCode("FR") == "FR")
        #expect(VATJurisdiction.countryCode("") == nil)
        #expect(VATJurisdiction.countryCode("ATLANTIS") == nil)
    }

    // MARK: Store

    static func store() throws -> Store { try Store.open(home: try temporaryHome()) }

    @Test("storing is idempotent by SHA-256: the same file again adds nothing and says so")
    func idempotent() throws {
        let store = try Self.store()
        let importer = Importer(store: store)
        let path = try writeTemp(VATReportFixture.october2024, name: "vat-oct.txt")
        let first = try importer.importVATReport(path: path)
        #expect(!first.duplicate)
        #expect(first.rowsAdded == 9)
        #expect(first.months == ["2024-10"])
        let again = try importer.importVATReport(path: path)
        #expect(again.duplicate)
        #expect(again.rowsAdded == 0)
        #expect(again.sha256 == first.sha256)
        #expect(try store.vatReports().count == 1)
        #expect(try store.vatReports().first?.rowCount == 9)
        #expect(try store.vatRows(period: VATPeriod("2024-10")!.range).count == 9)
        #expect(try store.events().filter { $0.kind == "import" }.count == 1)
    }

    @Test("coverage is by month: every month of the range must have a stored report")
    func coverage() throws {
        let store = try Self.store()
        let importer = Importer(store: store)
        _ = try importer.importVATReport(data: Data(VATReportFixture.october2024.utf8), source: "oct.txt")
        let d = { (m: Int, day: Int) in CalendarDate(year: 2024, month: m, day: day)! }
        #expect(try store.vatReportCovers(from: d(10, 1), through: d(10, 31)))
        #expect(try store.vatReportCovers(from: d(10, 14), through: d(10, 27)))
        #expect(try !store.vatReportCovers(from: d(10, 14), through: d(11, 2)))
        #expect(try store.vatReportMissingMonths(from: d(9, 1), through: d(11, 30)) == ["2024-09", "2024-11"])
        _ = try importer.importVATReport(data: Data(VATReportFixture.november2024.utf8), source: "nov.txt")
        #expect(try store.vatReportCovers(from: d(10, 14), through: d(11, 2)))
        #expect(try !store.vatReportCovers(from: d(10, 14), through: d(12, 2)))
    }

    @Test("a fetch can say which month it asked for: an empty report still covers it")
    func emptyReportCovers() throws {
        let store = try Self.store()
        let empty = VATReportFixture.text(rows: [])
        let stored = try Importer(store: store).importVATReport(data: Data(empty.utf8), source: "dec.txt", months: ["2024-12"])
        #expect(stored.rowsAdded == 0)
        #expect(try store.vatReportCovers(from: CalendarDate(year: 2024, month: 12, day: 1)!, through: CalendarDate(year: 2024, month: 12, day: 31)!))
    }

    @Test("rows by order id: the sale, its refund and its return")
    func byEventID() throws {
        let store = try Self.store()
        _ = try Importer(store: store).importVATReport(data: Data(VATReportFixture.october2024.utf8), source: "oct.txt")
        let rows = try store.vatRows(eventIDs: ["302-1111111-1111111", "402-2222222-2222222", "no-such-order"])
        #expect(rows.map(\.transactionType) == ["SALE", "SALE", "REFUND", "RETURN"])
        #expect(rows.filter { $0.eventID == "302-1111111-1111111" }.count == 3)
        // What was stored reads back as it was parsed.
        let parsed = try Self.october().rows
        #expect(rows[0] == parsed[0])
        #expect(rows[2] == parsed[4])
        #expect(try store.vatRows(eventIDs: [String]()).isEmpty)
    }

    @Test("a later report for the same month answers for it; the earlier one's rows are no longer counted")
    func newestReportWins() throws {
        let store = try Self.store()
        let importer = Importer(store: store)
        _ = try importer.importVATReport(data: Data(VATReportFixture.october2024.utf8), source: "oct.txt")
        var rows = VATReportFixture.october2024Rows
        rows.removeLast()  // the regenerated report lacks the export
        let second = try importer.importVATReport(data: Data(VATReportFixture.text(rows: rows).utf8), source: "oct-2.txt")
        #expect(second.supersededMonths == ["2024-10"])
        #expect(try store.vatRows(period: VATPeriod("2024-10")!.range).count == 8)
        #expect(try store.vatRows(eventIDs: ["302-1111111-1111111"]).count == 3)
        #expect(try store.vatRows(eventIDs: ["302-6666666-6666666"]).isEmpty)
    }

    @Test("a file with a broken row stores nothing")
    func brokenStoresNothing() throws {
        let store = try Self.store()
        var rows = VATReportFixture.october2024Rows
        rows[8]["QTY"] = "x"
        #expect(throws: SettlementFileError.self) {
            _ = try Importer(store: store).importVATReport(data: Data(VATReportFixture.text(rows: rows).utf8), source: "bad.txt")
        }
        #expect(try store.vatReports().isEmpty)
        #expect(try !store.vatReportCovers(from: CalendarDate(year: 2024, month: 10, day: 1)!, through: CalendarDate(year: 2024, month: 10, day: 31)!))
    }

    @Test("importing a VAT report as a settlement is refused with what it is")
    func notASettlement() throws {
        let store = try Self.store()
        let path = try writeTemp(VATReportFixture.october2024, name: "vat.txt")
        let error = try #require(throws: SettlementFileError.self) { _ = try Importer(store: store).importFile(path: path) }
        #expect(error.message.contains("VAT Transactions Report"))
        #expect(try store.allSettlements().isEmpty)
    }

    // MARK: Fetch

    @Test("the month lmb fetch asks for: the previous one from the 3rd on, else the one before")
    func wantedMonth() {
        func wanted(_ y: Int, _ m: Int, _ d: Int) -> String? {
            AmazonVATFetch.wantedMonth(today: CalendarDate(year: y, month: m, day: d)!).map { "\($0.first) \($0.last)" }
        }
        #expect(wanted(2024, 11, 3) == "2024-10-01 2024-10-31")
        #expect(wanted(2024, 11, 2) == "2024-09-01 2024-09-30")
        #expect(wanted(2024, 1, 2) == "2023-11-01 2023-11-30")
        #expect(wanted(2024, 1, 5) == "2023-12-01 2023-12-31")
        #expect(wanted(2024, 3, 10) == "2024-02-01 2024-02-29")
    }

    @Test("days since 1970 and back")
    func daysRoundTrip() {
        for days in [0, 1, 59, 60, 365, 11_016, 20_089, 20_454, -1, 2_932_896] {
            #expect(CalendarDate(daysSince1970: days)?.daysSince1970 == days, "\(days)")
        }
        #expect(CalendarDate(year: 2024, month: 10, day: 1)!.daysSince1970 == 19_997)
    }

    // MARK: Summary

    @Test("periods: a month or a quarter, nothing else")
    func periods() {
        let q = VATPeriod("2024-q4")
        #expect(q?.label == "2024-Q4")
        #expect(q?.start == CalendarDate(year: 2024, month: 10, day: 1))
        #expect(q?.end == CalendarDate(year: 2024, month: 12, day: 31))
        #expect(q?.months == ["2024-10", "2024-11", "2024-12"])
        #expect(VATPeriod("2024-02")?.end == CalendarDate(year: 2024, month: 2, day: 29))
        for bad in ["2024", "2024-13", "2024-Q5", "24-10", "2024-1", "2024-10-01", "October"] { #expect(VATPeriod(bad) == nil, "\(bad)") }
    }

    @Test("the summary adds up per type, jurisdiction, currency and rate, with totals per jurisdiction")
    func summaryFigures() throws {
        let summary = VATSummary(period: VATPeriod("2024-10")!, rows: try Self.october().rows)
        let lines = summary.lines.map { "\($0.jurisdiction) \($0.currency) \($0.type) \($0.rate) \($0.grossMinor) \($0.vatMinor) \($0.netMinor)" }
        #expect(lines == [
            "FRANCE EUR SALE 0.055 1055 55 1000",
            "FRANCE EUR SALE 0.2 2400 400 2000",
            "GERMANY EUR FC_TRANSFER 0 3000 0 3000",
            "GERMANY EUR REFUND 0.19 -5950 -950 -5000",
            "GERMANY EUR RETURN 0 0 0 0",
            "GERMANY EUR SALE 0 9000 0 9000",
            "GERMANY EUR SALE 0.19 11900 1900 10000",
            "UNITED KINGDOM GBP SALE 0.2 1200 200 1000",
        ])
        #expect(summary.lines.first { $0.type == "SALE" && $0.rateBasisPoints == 0 }?.rows == 2)
        let totals = summary.totals.map { "\($0.jurisdiction) \($0.currency) \($0.grossMinor) \($0.vatMinor) \($0.netMinor)" }
        #expect(totals == ["FRANCE EUR 3455 455 3000", "GERMANY EUR 17950 950 17000", "UNITED KINGDOM GBP 1200 200 1000"])
        let json = summary.json
        #expect(json["period"] == .string("2024-10"))
        guard case .array(let rows)? = json["rows"] else { Issue.record("no rows"); return }
        #expect(rows.count == 8)
        #expect(rows[3].rendered(pretty: false)
            == #"{"type":"REFUND","jurisdiction":"GERMANY","country":"DE","currency":"EUR","rate":"0.19","gross":"-59.50","vat":"-9.50","net":"-50.00"}"#)
        let csv = summary.csv.split(separator: "\r\n", omittingEmptySubsequences: true)
        #expect(csv.first == "type,jurisdiction,country,currency,rate,gross,vat,net")
        #expect(csv.count == 9)
        #expect(csv.last == "SALE,UNITED KINGDOM,GB,GBP,0.2,12.00,2.00,10.00")
        let table = summary.tableRows
        #expect(table.contains(["total", "GERMANY", "DE", "EUR", "", "179.50", "9.50", "170.00"]))
    }

    @Test("a quarter's summary reads the stored months it covers")
    func quarterFromStore() throws {
        let store = try Self.store()
        let importer = Importer(store: store)
        _ = try importer.importVATReport(data: Data(VATReportFixture.october2024.utf8), source: "oct.txt")
        _ = try importer.importVATReport(data: Data(VATReportFixture.november2024.utf8), source: "nov.txt")
        let q4 = VATPeriod("2024-Q4")!
        #expect(try store.vatReportMissingMonths(from: q4.start, through: q4.end) == ["2024-12"])
        let summary = VATSummary(period: q4, rows: try store.vatRows(period: q4.range))
        let germany = try #require(summary.totals.first { $0.jurisdiction == "GERMANY" })
        #expect(germany.vatMinor == 950 + 190)
        let italy = try #require(summary.totals.first { $0.jurisdiction == "ITALY" })
        #expect(italy.netMinor == 10000)
        let october = VATSummary(period: VATPeriod("2024-10")!, rows: try store.vatRows(period: VATPeriod("2024-10")!.range))
        #expect(october.lines.contains { $0.jurisdiction == "ITALY" } == false)
    }
}
