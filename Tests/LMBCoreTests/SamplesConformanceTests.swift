import Foundation
import Testing
@testable import LMBCore

/// Real settlement files from ../shared/samples. A fresh clone has no ../shared: these skip then.
@Suite("Conformance on real Amazon settlements", .enabled(if: Paths.sharedSamples != nil, "../shared/samples is absent"))
struct SamplesConformanceTests {
    static var amazonFiles: [String] {
        guard let root = Paths.sharedSamples else { return [] }
        return ["amazon-v1", "amazon-v2"].flatMap { dir -> [String] in
            let url = root.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.filter { $0.hasSuffix(".txt") }.sorted().map { url.appendingPathComponent($0).path }
        }
    }

    @Test("every Amazon file imports, adds up, and previews to the deposit as the right document", arguments: amazonFiles)
    func sample(path: String) throws {
        let store = try Store.open(home: try temporaryHome())
        guard case .imported(let parsed) = try Importer(store: store).importFile(path: path).first! else {
            Issue.record("not imported"); return
        }
        let result = Ledger(mapping: .defaults).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
        #expect(!result.needsMapping, "\(result.unmapped)")
        // Stored, it is ready, and every combination is booked by a built-in rule (none by the unmapped policy).
        let stored = try #require(try store.settlement(id: parsed.header.id))
        #expect(stored.status(ledger: try Booking(store: store, mapping: .defaults).book(stored)) == .ready)
        #expect(Mapping.defaults.explain(stored).combinations.allSatisfy { $0.match?.rule != nil })
        if parsed.header.format == .amazonV1 { #expect(posting(result).contactName == "Amazon.ca") }
        // Every split still nets to the deposit, to the cent: the last part is the deposit, the others net to zero.
        let posting = try #require(result.postings.last)
        #expect(posting.signedTotalMinor == parsed.header.totalMinor)
        #expect(posting.type == (parsed.header.totalMinor >= 0 ? .invoice : .bill))
        #expect(result.postings.reduce(Int64(0)) { $0 + $1.signedTotalMinor } == parsed.header.totalMinor)
        let months = Set(parsed.groups.map(\.month).filter { !$0.isEmpty })
        #expect(result.postings.count == max(1, months.count))
    }

    func posting(_ r: LedgerResult) -> Posting { r.postings.last! }

    @Test("the DE file's category totals agree with Amazon's own payout summary")
    func germanSummary() throws {
        let root = try #require(Paths.sharedSamples).appendingPathComponent("amazon-v2")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("amazon-de-23167452842.summary.json"))) as! [String: Any]
        func cents(_ key: String) -> Int64 { Int64(((summary[key] as! NSNumber).doubleValue * 100).rounded()) }
        let parsed = try SettlementParser(path: root.appendingPathComponent("amazon-de-23167452842.txt").path).parse()
        let totals = Dictionary(uniqueKeysWithValues: Ledger(mapping: .defaults)
            .book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups).categoryTotals)
        #expect(parsed.header.totalMinor == cents("netProceeds"))
        #expect(totals[.sales] == cents("sales"))
        #expect(totals[.refunds] == cents("refundedSales"))
        // Amazon counts refunded commissions as refunds; lmb keeps them with the fees they reverse.
        #expect((totals[.sellerFees] ?? 0) + (totals[.fbaFees] ?? 0) == cents("amazonFees") + cents("refundedExpenses"))
        #expect(totals[.reserves] == cents("beginningBalance") + cents("accountReserveLevel"))
        #expect((totals[.salesTax] ?? 0) == 0)  // marketplace-withheld VAT cancels the VAT collected
    }

    static var etsyFiles: [String] {
        guard let root = Paths.sharedSamples?.appendingPathComponent("etsy") else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasSuffix(".csv") }.sorted().map { root.appendingPathComponent($0).path }
    }

    @Test("every Etsy statement: each payout maps, every split nets to its deposit, and no row is lost", arguments: etsyFiles)
    func etsy(path: String) throws {
        let payouts = try EtsyStatementParser(path: path).parse()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let dataRows = text.split(separator: "\n").dropFirst().filter { !$0.isEmpty }
        let deposits = dataRows.filter { $0.contains(",Deposit,") }.count
        #expect(payouts.count == deposits)
        #expect(payouts.reduce(0) { $0 + $1.settlement.rowCount } == dataRows.count - deposits)
        let store = try Store.open(home: try temporaryHome())
        #expect(try Importer(store: store).importFile(path: path).count == payouts.count)
        for p in payouts {
            let result = Ledger(mapping: .defaults).book(header: p.settlement.header, marketplace: "Etsy", groups: p.settlement.groups)
            #expect(!result.needsMapping, "\(result.unmapped)")
            #expect(result.bookedToOther.isEmpty)
            let stored = try #require(try store.settlement(id: p.settlement.header.id))
            #expect(stored.status(ledger: try Booking(store: store, mapping: .defaults).book(stored)) == .ready)
            #expect(result.postings.last?.signedTotalMinor == p.settlement.header.totalMinor)
            #expect(result.postings.reduce(Int64(0)) { $0 + $1.signedTotalMinor } == p.settlement.header.totalMinor)
        }
    }
}
