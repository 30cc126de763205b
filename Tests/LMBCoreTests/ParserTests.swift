import Foundation
import Testing
@testable import LMBCore

@Suite("Settlement parsing over the project's fixtures")
struct ParserTests {
    @Test("each accepted fixture parses to its expected summary", arguments: Expected.accepted)
    func accepted(name: String) throws {
        let e = Expected.all[name]!
        // Parsed as import does, reading every stored field (the encoding shows in the SKUs).
        let parsed = try SettlementParser(path: Paths.fixture(name), displayName: name).parse(onEntry: { _, _ in })
        #expect(parsed.header.id == e["id"] as? String)
        #expect(parsed.header.format.rawValue == e["format"] as? String)
        #expect(parsed.header.currency == e["currency"] as? String)
        #expect(parsed.header.total.decimalString == e["total"] as? String)
        #expect(parsed.rowCount == e["rows"] as? Int)
        #expect(parsed.marketplace == e["marketplace"] as? String)
        // Rows add up to the total, group by group.
        #expect(parsed.groups.reduce(Int64(0)) { $0 + $1.amountMinor } == parsed.header.totalMinor)
        if let mark = e["decimalMark"] as? String { #expect(parsed.decimalMark == mark) }
        if let order = e["dateOrder"] as? String { #expect(parsed.dateOrder == order) }
        if let end = e["endDate"] as? String { #expect(parsed.header.endDate.description == end) }
        if let deposit = e["depositDate"] as? String { #expect(parsed.header.depositDate.description == deposit) }
        if let encoding = e["encoding"] as? String { #expect(parsed.encoding == encoding) }
    }

    @Test("each refused fixture says file:line and what is wrong", arguments: Expected.refused)
    func refused(name: String) throws {
        let e = Expected.all[name]!
        do {
            _ = try SettlementParser(path: Paths.fixture(name), displayName: name).parse()
            Issue.record("\(name) was accepted")
        } catch let error as SettlementFileError {
            #expect(error.file == name)
            #expect(error.description.contains(e["message"] as! String), "\(error)")
            if let line = e["line"] as? Int { #expect(error.line == line) }
            if let id = e["id"] as? String { #expect(error.message.contains(id)) }
            if let diff = e["difference"] as? String { #expect(error.message.contains("difference \(diff)")) }
        }
    }

    @Test("a file that does not exist is not found, not malformed")
    func missing() {
        #expect(throws: SettlementFileError(.notFound, file: "/nonexistent/x.txt", "no such file")) {
            _ = try SettlementParser(path: "/nonexistent/x.txt").parse()
        }
    }

    @Test("the UTF-8 and the Windows-1252 file store the same text")
    func encodings() throws {
        var skus: [String] = []
        for name in ["v2-fr-crlf-bom.txt", "v2-de-cp1252.txt"] {
            _ = try SettlementParser(path: Paths.fixture(name)).parse(onEntry: { entry, text in
                if entry.line == 3 { skus.append(try text.string(entry.sku)) }
            })
        }
        #expect(skus == ["Café-Tasse", "Café-Tasse"])
    }

    @Test("a line of 10 MB is refused without reading it into memory whole")
    func hugeLine() throws {
        var text = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tamount-type\tamount-description\tamount\n"
        text += String(repeating: "x", count: 10 << 20) + "\n"
        let path = try writeTemp(text)
        #expect(throws: SettlementFileError.self) { _ = try SettlementParser(path: path).parse() }
        do { _ = try SettlementParser(path: path).parse(); Issue.record("accepted") } catch let e as SettlementFileError {
            #expect(e.line == 2)
            #expect(e.message.contains("longer than"))
        }
    }

    @Test("ambiguous slashed dates take the currency's convention, consistently")
    func ambiguousSlashes() throws {
        let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tamount-type\tamount-description\tamount\tposted-date\n"
        for (currency, end) in [("USD", "2025-06-10"), ("GBP", "2025-10-06")] {
            let body = header + "1\t01/06/25\t06/10/25\t07/10/25\t1.00\t\(currency)\n1\t\t\t\t\t\tOrder\tItemPrice\tPrincipal\t1.00\t03/06/25\n"
            let parsed = try SettlementParser(path: try writeTemp(body)).parse()
            #expect(parsed.header.endDate.description == end)
        }
    }

    @Test("the content hash names the file's bytes")
    func hash() throws {
        let a = try SettlementParser(path: Paths.fixture("v2-us.txt")).parse()
        let b = try SettlementParser(path: Paths.fixture("v2-short-rows.txt")).parse()
        #expect(a.contentHash.count == 64)
        #expect(a.contentHash != b.contentHash)
        #expect(try SettlementParser(path: Paths.fixture("v2-us.txt")).parse().contentHash == a.contentHash)
    }
}

@Suite("Parser against a naive reading")
struct ParserNaiveTests {
    /// Rows whose fields have random widths, so tabs fall at every offset of the eight-byte scan.
    @Test("random field widths give the same groups as splitting each line by hand", arguments: [1, 2, 3])
    func randomWidths(seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmarketplace-name\tamount-type\tamount-description\tamount\tposted-date\tsku\n"
        let kinds = [("Order", "ItemPrice", "Principal"), ("Order", "ItemFees", "Commission"), ("Refund", "ItemPrice", "Principal"),
                     ("other-transaction", "other-transaction", "Storage Fee")]
        var rows: [String] = []
        var expected: [String: Int64] = [:]
        var total: Int64 = 0
        for _ in 0..<500 {
            let (tt, at, ad) = kinds[Int(rng.next() % UInt64(kinds.count))]
            let cents = Int64(rng.next() % 20000) - 10000
            total += cents
            expected["\(tt)|\(at)|\(ad)", default: 0] += cents
            let pad = String(repeating: "x", count: Int(rng.next() % 23))
            let sku = rng.next() % 5 == 0 ? "Ünïcode-\(pad)" : pad
            rows.append("7\t\t\t\t\t\t\(tt)\t\(pad)\tAmazon.com\t\(at)\t\(ad)\t\(Money.format(cents, exponent: 2))\t2024-10-0\(1 + rng.next() % 9)\t\(sku)")
        }
        let text = header + "7\t2024-10-01\t2024-10-15\t2024-10-17\t\(Money.format(total, exponent: 2))\tUSD\n" + rows.joined(separator: "\n") + "\n"
        let parsed = try SettlementParser(path: try writeTemp(text)).parse(onEntry: { _, _ in })
        var got: [String: Int64] = [:]
        for g in parsed.groups { got["\(g.transactionType)|\(g.amountType)|\(g.amountDescription)", default: 0] += g.amountMinor }
        #expect(got == expected)
        #expect(parsed.rowCount == 500)
        #expect(parsed.encoding == "utf-8")
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Etsy monthly statements")
struct EtsyTests {
    @Test("each payout is the rows up to its deposit; the last keeps the rows after it; each totals its deposit")
    func fixture() throws {
        let payouts = try EtsyStatementParser(path: Paths.fixture("etsy-statement.csv")).parse()
        let expected = Expected.all["etsy-statement.csv"]!["payouts"] as! [[String: Any]]
        #expect(payouts.map(\.settlement.header.id) == expected.map { $0["id"] as! String })
        #expect(payouts.map(\.settlement.header.total.decimalString) == expected.map { $0["total"] as! String })
        #expect(payouts.map(\.settlement.rowCount) == expected.map { $0["rows"] as! Int })
        for (p, e) in zip(payouts, expected) {
            let carried = p.settlement.groups.first { $0.amountDescription == "Etsy balance carried" }
            #expect(carried.map { Money.format($0.amountMinor, exponent: 2) } == e["carried"] as? String)
            let result = Ledger(mapping: .defaults).book(header: p.settlement.header, marketplace: "Etsy", groups: p.settlement.groups)
            #expect(!result.needsMapping)
            #expect(result.postings.last?.signedTotalMinor == p.settlement.header.totalMinor)
            #expect(result.postings.last?.invoiceNumber.hasPrefix("etsy-") == true)
        }
        // Quoted commas and doubled quotes survive; "--" is empty.
        #expect(payouts[1].rows.contains { $0.title == "Transaction fee: Lamp, \"Woven\" Grille" })
    }

    @Test("CR LF line ends and a title quoted over two lines read as the LF statement does, with the same payouts")
    func crlfAndMultiLineField() throws {
        let lf = try String(contentsOfFile: Paths.fixture("etsy-statement.csv"), encoding: .utf8)
        let crlf = try writeTemp(lf.replacingOccurrences(of: "\n", with: "\r\n"), name: "crlf.csv")
        let fromLF = try EtsyStatementParser(path: Paths.fixture("etsy-statement.csv")).parse().map(\.settlement)
        #expect(try EtsyStatementParser(path: crlf).parse().map(\.settlement) == fromLF)

        let header = "Date,Type,Title,Info,Currency,Amount,\"Fees & Taxes\",Net,\"Tax Details\"\r\n"
        let rows = "\"November 2, 2025\",Deposit,\"$1.00 sent to your bank account\",,USD,--,--,--,--\r\n"
            + "\"November 1, 2025\",Sale,\"Payment for Order #1:\r\ntwo lines\",,USD,$1.00,--,$1.00,--\r\n"
        let payouts = try EtsyStatementParser(path: try writeTemp(header + rows, name: "s.csv")).parse()
        #expect(payouts.count == 1)
        #expect(payouts.first?.rows.map(\.title) == ["Payment for Order #1:\r\ntwo lines"])
        #expect(payouts.first?.rows.map(\.line) == [3])
        #expect(payouts.first?.settlement.header.totalMinor == 100)
    }

    @Test("one detection for every command: the Etsy header, Amazon V2 and V1 by their columns, else nothing")
    func detection() throws {
        #expect(SettlementFormat.detect(path: Paths.fixture("etsy-statement.csv")) == .etsy)
        #expect(SettlementFormat.detect(path: Paths.fixture("v2-us.txt")) == .amazonV2)
        #expect(SettlementFormat.detect(path: Paths.fixture("v2-fr-crlf-bom.txt")) == .amazonV2)
        #expect(SettlementFormat.detect(path: Paths.fixture("v1-ca.txt")) == .amazonV1)
        #expect(SettlementFormat.detect(path: Paths.fixture("bad-wrong-delimiter.txt")) == nil)
        #expect(SettlementFormat.detect(path: Paths.fixture("bad-empty.txt")) == nil)
        #expect(SettlementFormat.detect(path: "/nonexistent/file.csv") == nil)
    }

    @Test("a statement without a deposit, or with a field that ends mid-quote, is refused with file:line")
    func refused() throws {
        let header = "Date,Type,Title,Info,Currency,Amount,\"Fees & Taxes\",Net,\"Tax Details\"\n"
        let noDeposit = try writeTemp(header + "\"November 1, 2025\",Sale,\"Payment for Order #1\",,USD,$1.00,--,$1.00,--\n", name: "s.csv")
        #expect(throws: SettlementFileError.self) { _ = try EtsyStatementParser(path: noDeposit).parse() }
        let open = try writeTemp(header + "\"November 1, 2025,Sale\n", name: "s.csv")
        do { _ = try EtsyStatementParser(path: open).parse(); Issue.record("accepted") } catch let e as SettlementFileError {
            #expect(e.line == 2)
            #expect(e.message.contains("never closed"))
        }
    }
}
