import Testing
@testable import LMBCore

@Suite("Money and amounts")
struct MoneyTests {
    @Test("amounts parse into exact minor units", arguments: [
        ("196,65", 2, Int64(19665)), ("-1,234.50", 2, -123450), ("1.234,50", 2, 123450), ("$69.20", 2, 6920),
        ("-$0.99", 2, -99), ("0.00", 2, 0), ("3980", 0, 3980), ("1.250", 3, 1250), ("12", 2, 1200),
        ("  7.5 ", 2, 750), ("€1,00", 2, 100), ("1,230", 2, 123000),
    ])
    func parses(text: String, exponent: Int, expected: Int64) throws {
        var p = AmountParser(exponent: exponent)
        #expect(try p.parse(text) == expected)
    }

    @Test("the decimal mark is decided once per file")
    func markIsPerFile() throws {
        var p = AmountParser(exponent: 2)
        #expect(try p.parse("54,20") == 5420)
        #expect(p.decimalMark == .comma)
        #expect(try p.parse("1.234,00") == 123400)
        // A point-decimal amount in a comma file is refused, not read as 5420.
        #expect(throws: AmountParser.Failure.self) { _ = try p.parse("54.20") }
    }

    @Test("bad amounts are refused", arguments: ["", "abc", "4.9x", "1.2.3", "1,23.45", "--5",
                                                  "1234567890123456789012345678901234567890"])
    func refuses(text: String) {
        var p = AmountParser(exponent: 2)
        #expect(throws: AmountParser.Failure.self) { _ = try p.parse(text) }
    }

    @Test("more decimals than the currency has are refused unless zeros")
    func decimals() throws {
        var p = AmountParser(exponent: 0)
        #expect(try p.parse("1500.00") == 1500)
        var q = AmountParser(exponent: 0)
        #expect(throws: AmountParser.Failure.tooManyDecimals(1)) { _ = try q.parse("1500.5") }
    }

    @Test("currencies carry their ISO 4217 exponent")
    func exponents() {
        #expect(Currency(code: "JPY").exponent == 0)
        #expect(Currency(code: "eur").exponent == 2)
        #expect(Currency(code: "KWD").exponent == 3)
        #expect(Money(minorUnits: -5, currency: Currency(code: "USD")).decimalString == "-0.05")
        #expect(Money(minorUnits: 1250, currency: Currency(code: "KWD")).decimalString == "1.250")
        #expect(Money(minorUnits: 3980, currency: Currency(code: "JPY")).decimalString == "3980")
    }

    @Test("JSON keeps money exact and escapes text")
    func json() throws {
        let j = JSON.object([("a", .money(-10, exponent: 2)), ("b", .string("x\"y\n"))])
        #expect(j.rendered(pretty: false) == #"{"a":-0.10,"b":"x\"y\n"}"#)
        let back = try JSON.parse(j.rendered())
        #expect(back["b"]?.stringValue == "x\"y\n")
        #expect(back == j)
    }

    @Test("SHA-256 matches the standard test vector")
    func sha() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite("Dates")
struct DateTests {
    @Test("every date shape settlement files use", arguments: [
        ("2024-10-09 14:28:38 UTC", "2024-10-09"), ("2024-10-18", "2024-10-18"), ("2025-08-14T06:23:59+00:00", "2025-08-14"),
        ("11.10.2024 08:59:52 UTC", "2024-10-11"), ("14.10.2024", "2024-10-14"), ("2024/10/08", "2024-10-08"),
    ])
    func shapes(text: String, iso: String) throws {
        #expect(try DateReader().read(text).description == iso)
    }

    @Test("slashed dates follow the file's order")
    func slashed() throws {
        #expect(try DateReader(slashOrder: .dayFirst).read("09/06/25").description == "2025-06-09")
        #expect(try DateReader(slashOrder: .monthFirst).read("09/06/25").description == "2025-09-06")
        #expect(throws: DateReader.Failure.slashOrderUndecided) { _ = try DateReader().read("09/06/25") }
    }

    @Test("evidence over a file decides dd/mm against mm/dd")
    func evidence() {
        func parts(_ t: String) -> DateReader.Parts { Array(t.utf8).withUnsafeBufferPointer { DateReader.parts($0)! } }
        var e = SlashOrderEvidence()
        e.add(parts("09/06/25"))
        e.add(parts("12/06/25"))
        #expect(e.verdict == .undecided)
        e.add(parts("25/06/25"))
        #expect(e.verdict == .decided(.dayFirst))
        e.add(parts("06/30/25"))
        #expect(e.verdict == .contradictory)
    }

    @Test("impossible days are refused", arguments: ["2024-13-01", "31.02.2024", "99999-01-01", "2024-02-30", "soon"])
    func invalid(text: String) {
        #expect(throws: DateReader.Failure.self) { _ = try DateReader().read(text) }
    }
}
