import Foundation
import LMBFuzzHarness
import PropertyBased
import Testing
@testable import LMBCore

@Suite("Properties")
struct PropertyTests {
    @Test("any amount written with either decimal mark, with or without grouping, parses back to itself")
    func amountsRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.int64(in: -99_999_999_999_99...99_999_999_999_99), Gen.int(in: 0...3), Gen.bool, Gen.bool) { minor, exponentChoice, comma, grouped in
            let exponent = [0, 2, 2, 3][exponentChoice]
            var text = Money.format(minor, exponent: exponent)
            let (mark, group) = comma ? (",", ".") : (".", ",")
            var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if grouped {
                var whole = parts[0]
                let negative = whole.hasPrefix("-")
                if negative { whole.removeFirst() }
                var groups: [String] = []
                while whole.count > 3 { groups.insert(String(whole.suffix(3)), at: 0); whole.removeLast(3) }
                groups.insert(whole, at: 0)
                parts[0] = (negative ? "-" : "") + groups.joined(separator: group)
            }
            text = parts.joined(separator: mark)
            // The mark is decided per file: tell the parser, as a file's earlier amounts would.
            var parser = AmountParser(exponent: exponent, decimalMark: comma ? .comma : .point)
            do { #expect(try parser.parse(text) == minor, "\(text)") } catch { Issue.record("\(text): \(error)") }
        }
    }

    @Test("every accepted file nets to its total; a file one cent off is refused")
    func filesNetToTheirTotal() async throws {
        let kinds = [("Order", "ItemPrice", "Principal"), ("Order", "ItemFees", "Commission"), ("Refund", "ItemPrice", "Principal"),
                     ("other-transaction", "other-transaction", "Current Reserve Amount"), ("Order", "Promotion", "Shipping")]
        let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tamount-type\tamount-description\tamount\tposted-date\n"
        await propertyCheck(count: 60, input: Gen.int(in: -500_000...500_000).array(of: 1...40), Gen.int(in: 0...4).array(of: 40), Gen.bool) { amounts, kindIndexes, offByOne in
            let total = amounts.reduce(Int64(0)) { $0 + Int64($1) }
            var text = header + "5\t2024-10-01\t2024-10-15\t2024-10-17\t\(Money.format(total + (offByOne ? 1 : 0), exponent: 2))\tUSD\n"
            for (i, a) in amounts.enumerated() {
                let k = kinds[kindIndexes[i % kindIndexes.count]]
                text += "5\t\t\t\t\t\t\(k.0)\t\(k.1)\t\(k.2)\t\(Money.format(Int64(a), exponent: 2))\t2024-10-0\(1 + i % 9)\n"
            }
            do {
                let parsed = try SettlementParser(path: try writeTemp(text)).parse()
                _ = parsed
                #expect(!offByOne)
                #expect(parsed.groups.reduce(0) { $0 + $1.amountMinor } == parsed.header.totalMinor)
                let booked = Ledger(mapping: .defaults).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
                #expect(booked.postings.first?.signedTotalMinor == total)
            } catch let e as SettlementFileError {
                #expect(offByOne, "\(e)")
                #expect(e.kind == .doesNotAddUp)
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

@Suite("Fuzz inputs replay without a crash")
struct FuzzReplayTests {
    @Test("the fuzz corpus and every crash the fuzzer saved")
    func replay() throws {
        let root = Paths.packageRoot.appendingPathComponent("fuzz")
        var count = 0
        for dir in ["corpus", "crashes"] {
            let url = root.appendingPathComponent(dir)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] where !name.hasPrefix(".") {
                FuzzHarness.run(try Data(contentsOf: url.appendingPathComponent(name)), scratch: try writeTemp("", name: "fuzz.txt"))
                count += 1
            }
        }
        #expect(count >= 5)
    }
}
