import Foundation
import Testing
@testable import LMBCore

@Suite("Report figures: waterfalls, shares, summaries, the page")
struct ReportFiguresTests {
    func booked(_ name: String) throws -> (ParsedSettlement, LedgerResult) {
        let p = try SettlementParser(path: Paths.fixture(name)).parse()
        return (p, Ledger(mapping: .defaults).book(header: p.header, marketplace: p.marketplace, groups: p.groups))
    }

    func store(_ fixtures: [String]) throws -> Store {
        let store = try Store.open(home: try temporaryHome())
        for name in fixtures { _ = try Importer(store: store).importFile(path: Paths.fixture(name)) }
        return store
    }

    @Test("the step order names every category exactly once, Other last")
    func order() {
        #expect(SettlementWaterfall.order.count == Category.allCases.count)
        #expect(Set(SettlementWaterfall.order) == Set(Category.allCases))
        #expect(SettlementWaterfall.order.first == .sales && SettlementWaterfall.order.last == .other)
    }

    @Test("a share is computed from the integers, rounded half away from zero to a tenth of a percent", arguments: [
        (Int64(1), Int64(3), "33.3"), (2, 3, "66.7"), (1, 8, "12.5"), (1, 16, "6.3"), (-1, 16, "-6.3"), (0, 5, "0.0"),
        (3, 2000, "0.2"), (1, 2000, "0.1"), (1, 2001, "0.0"), (7, 7, "100.0"), (31243, 99338, "31.5"),
        (Int64.max, Int64.max, "100.0"), (Int64.max - 1, Int64.max, "100.0"),
    ])
    func percent(part: Int64, base: Int64, expected: String) throws {
        #expect(try #require(Percent(part, of: base)).decimalString == expected)
    }

    @Test("no share without a positive base, and none that would overflow")
    func noPercent() {
        #expect(Percent(5, of: 0) == nil)
        #expect(Percent(5, of: -2) == nil)
        #expect(Percent(Int64.max, of: 1) == nil)
        #expect(Percent(Int64.min, of: 1) == nil)
    }

    @Test("every accepted fixture's waterfall ends at its deposit, each step equal to the ledger's category total",
          arguments: Expected.accepted)
    func waterfalls(name: String) throws {
        let (p, ledger) = try booked(name)
        guard !ledger.needsMapping else { return }
        let w = try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: ledger)
        #expect(w.runningTotals.last ?? 0 == p.header.totalMinor)
        #expect(w.steps.allSatisfy { $0.amountMinor != 0 })
        let ranks = w.steps.map { SettlementWaterfall.order.firstIndex(of: $0.category)! }
        #expect(ranks == ranks.sorted() && Set(ranks).count == ranks.count)
        for (category, total) in ledger.categoryTotals { #expect(w.amount(category) == total, "\(category)") }
    }

    @Test("a month-split settlement: one step per category over all parts, the balance carried between parts is no step")
    func split() throws {
        for name in ["v2-split-two-months.txt", "v2-split-three-months.txt", "v2-split-negative-part.txt"] {
            let (p, ledger) = try booked(name)
            #expect(ledger.postings.count >= 2, "\(name)")
            let carried = ledger.postings.flatMap(\.lines).filter { $0.category == nil }
            #expect(!carried.isEmpty && carried.contains { $0.amountMinor != 0 }, "\(name) has balancing lines")
            let w = try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: ledger)
            #expect(w.runningTotals.last == p.header.totalMinor)
            #expect(Set(w.steps.map(\.category)).count == w.steps.count)
        }
    }

    @Test("a waterfall that would disagree with the invoice is refused, naming the settlement")
    func refused() throws {
        let (p, ledger) = try booked("v2-split-two-months.txt")
        var offTotal = ledger
        offTotal.categoryTotals[0].1 += 1
        #expect(throws: LMBError.self) { try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: offTotal) }
        var offLine = ledger
        offLine.categoryTotals[0].1 += 1
        offLine.categoryTotals[1].1 -= 1
        do {
            _ = try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: offLine)
            Issue.record("a category that differs from its invoice lines was accepted")
        } catch let error as LMBError {
            #expect(error.description.contains(p.header.id) && error.description.contains("invoice"))
            #expect(error.exitStatus == .dataError)
        }
        var offCarry = ledger
        offCarry.postings[0].lines.append(PostingLine(category: nil, description: "x", accountCode: "LMB12", taxType: "NONE", amountMinor: 1))
        offCarry.postings[1].lines.append(PostingLine(category: .sales, description: "x", accountCode: "LMB1", taxType: "NONE", amountMinor: -1))
        #expect(throws: LMBError.self) { try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: offCarry) }
        #expect(throws: LMBError.self) { try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor + 1, ledger: ledger) }
    }

    @Test("fees are seller, FBA, storage and advertising; shares are of sales")
    func shares() throws {
        let (p, ledger) = try booked("v2-us.txt")
        let w = try SettlementWaterfall(settlementID: p.header.id, depositMinor: p.header.totalMinor, ledger: ledger)
        #expect(w.salesMinor == 7149 && w.refundsMinor == -2599)
        #expect(w.feesMinor == -761 - 322 - 1250)
        #expect(w.feeShare?.description == "32.6%")   // 2333 / 7149
        #expect(w.refundRate?.description == "36.4%")  // 2599 / 7149
    }

    @Test("the period keeps each marketplace and currency apart, and lists what needs mapping")
    func summaries() throws {
        let s = try store(["v2-us.txt", "v2-negative.txt", "v2-jp.txt", "v1-ca.txt", "v2-unmapped.txt"])
        let report = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection())
        #expect(report.summaries.map { "\($0.marketplace) \($0.currency.code)" } == ["Amazon.ca CAD", "Amazon.co.jp JPY", "Amazon.com USD"])
        let usd = try #require(report.summaries.first { $0.currency.code == "USD" })
        #expect(usd.settlements == 2 && usd.depositMinor == 4092 - 5971)
        #expect(report.summaries.first { $0.currency.code == "JPY" }?.depositMinor == 3161)
        #expect(report.needsMapping.map(\.id) == ["90000000009"])
        #expect(report.needsMapping[0].unmapped.first?.addCommand.hasPrefix("lmb mapping add") == true)
        #expect(!report.settled.contains { $0.id == "90000000009" })
        let json = report.json.rendered()
        #expect(json.contains("\"deposit\": 3161,"))   // JPY has no minor digits
        #expect(json.contains("\"deposit\": -18.79,"))
    }

    @Test("each settlement is set beside the one before it from the same marketplace and currency")
    func previous() throws {
        let s = try store(["v2-us.txt", "v2-split-two-months.txt", "v2-jp.txt"])
        let report = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection(id: "21000000021"))
        #expect(report.settled.map(\.id) == ["21000000021"])
        #expect(report.settled[0].previous?.id == "10000000001")
        let jp = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection(id: "11000000010"))
        #expect(jp.settled[0].previous == nil)
        #expect(throws: LMBError.usage("no settlement 404 was ever imported; list the imported ones with: lmb settlements")) {
            try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection(id: "404"))
        }
    }

    @Test("the period and marketplace choose by end date and name; an unknown marketplace is a usage error")
    func selection() throws {
        let s = try store(["v2-us.txt", "v2-split-two-months.txt", "v2-jp.txt"])
        func ids(_ sel: ReportSelection) throws -> [String] { try SettlementReport.build(store: s, mapping: .defaults, selection: sel).settled.map(\.id) }
        #expect(try ids(ReportSelection(since: CalendarDate(iso: "2024-11-01"))) == ["21000000021"])
        #expect(try ids(ReportSelection(until: CalendarDate(iso: "2024-10-15"))) == ["10000000001", "11000000010"])
        #expect(try ids(ReportSelection(since: CalendarDate(iso: "2024-10-16"), until: CalendarDate(iso: "2024-11-07"))) == [])
        #expect(try ids(ReportSelection(marketplace: "amazon.co.jp")) == ["11000000010"])
        #expect(throws: LMBError.self) { try ids(ReportSelection(marketplace: "Amazon.nowhere")) }
    }

    @Test("a failed last send is listed with the commands that fix it; a later success clears it")
    func failed() throws {
        let s = try store(["v2-us.txt"])
        try s.recordEvent(kind: .sendAttempt, settlementID: "10000000001", message: "You are not permitted to access this resource",
                          detail: .object([("classification", .string("permission_denied"))]))
        let report = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection())
        let f = try #require(report.failed.first)
        #expect(f.id == "10000000001" && f.classification == "permission_denied")
        #expect(f.command == "lmb diagnose --settlement 10000000001 && lmb send 10000000001")
        try s.recordEvent(kind: .sendAttempt, settlementID: "10000000001", message: "sent", detail: .object([("classification", .string("ok"))]))
        #expect(try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection()).failed.isEmpty)
    }

    @Test("every text from the store is escaped on the page; nothing on it points anywhere")
    func escaping() throws {
        let hostile = "Amazon<script>alert(\"m\")</script>&co"
        let text = try String(contentsOfFile: Paths.fixture("v2-unmapped.txt"), encoding: .utf8)
            .replacingOccurrences(of: "Amazon.com", with: hostile)
            .replacingOccurrences(of: "Mystery Adjustment", with: "Mystery <img src=x onerror=alert(1)> 'q'")
        let us = try String(contentsOfFile: Paths.fixture("v2-us.txt"), encoding: .utf8).replacingOccurrences(of: "Amazon.com", with: hostile)
        let s = try Store.open(home: try temporaryHome())
        _ = try Importer(store: s).importFile(path: try writeTemp(text, name: "hostile-unmapped.txt"))
        _ = try Importer(store: s).importFile(path: try writeTemp(us, name: "hostile-us.txt"))
        let page = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection()).html(generatedOn: CalendarDate(iso: "2026-01-02")!)
        #expect(!page.contains("<script") && !page.contains("<img"))
        #expect(page.contains("Amazon&lt;script&gt;alert(&quot;m&quot;)&lt;/script&gt;&amp;co"))
        #expect(page.contains("Mystery &lt;img src=x onerror=alert(1)&gt;"))
        #expect(!page.contains("http") && !page.contains("@import") && !page.contains("url("))
        #expect(page.contains("<meta name=\"viewport\""))
        #expect(page.contains("@media print"))
    }

    @Test("CSV fields are quoted as RFC 4180 says; rows end in CRLF")
    func csv() throws {
        #expect(SettlementReport.csvField("plain") == "plain")
        #expect(SettlementReport.csvField("a,b") == "\"a,b\"")
        #expect(SettlementReport.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(SettlementReport.csvField("two\nlines") == "\"two\nlines\"")
        let s = try store(["v2-us.txt"])
        let csv = try SettlementReport.build(store: s, mapping: .defaults, selection: ReportSelection()).csv
        let rows = csv.components(separatedBy: "\r\n").dropLast()
        #expect(rows.count == 1 + 6)
        #expect(rows.last == "10000000001,Amazon.com,USD,2024-10-01,2024-10-15,2024-10-17,ready,6,storage-fees,Storage fees,-12.50,40.92,40.92")
    }

    @Test("page amounts are exact, grouped, with a true minus sign")
    func amounts() {
        #expect(Amounts.text(123456789, exponent: 2) == "1,234,567.89")
        #expect(Amounts.text(-100000, exponent: 0) == "\u{2212}100,000")
        #expect(Amounts.text(-5, exponent: 2) == "\u{2212}0.05")
        #expect(Amounts.signed(1250, exponent: 3) == "+1.250")
        #expect(Amounts.text(Int64.min, exponent: 2) == "\u{2212}92,233,720,368,547,758.08")
    }

    @Test("an empty store is a page that says there is nothing yet")
    func empty() throws {
        let report = try SettlementReport.build(store: nil, mapping: .defaults, selection: ReportSelection())
        #expect(report.storeIsEmpty && report.isEmpty)
        let page = report.html(generatedOn: CalendarDate(iso: "2026-01-02")!)
        #expect(page.contains("Nothing to report yet") && !page.contains("<svg"))
        #expect(report.csv == "settlement,marketplace,currency,start,end,deposit_date,status,step,category,label,amount,running_total,deposit\r\n")
    }
}
