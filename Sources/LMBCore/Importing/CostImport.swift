import Foundation

/// A unit-cost file (`sku,unit_cost,currency[,from_date]`, one header line optional) read whole: every bad row is
/// named by its line number, and nothing is stored unless every row is good.
public enum CostImport {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The costs the text holds, or every problem found in it.
    public static func parse(_ text: String) -> Result<[UnitCost], CostFileError> {
        var costs: [UnitCost] = []
        var problems: [Problem] = []
        var seen: [String: Int] = [:]
        // "\r\n" is one Character in Swift: normalise line ends before splitting.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if index == 0, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0, fields.first?.lowercased() == "sku" {
                let expected = ["sku", "unit_cost", "currency", "from_date"]
                if !(fields.count == 3 || fields.count == 4) || fields.map({ $0.lowercased() }) != Array(expected.prefix(fields.count)) {
                    problems.append(Problem(line: number, message: "the header must be sku,unit_cost,currency[,from_date], not \(line)"))
                }
                continue
            }
            guard fields.count == 3 || fields.count == 4 else {
                problems.append(Problem(line: number, message: "\(fields.count) columns; expected sku,unit_cost,currency[,from_date]"))
                continue
            }
            let sku = fields[0]
            var bad: [String] = []
            if sku.isEmpty { bad.append("the sku is empty") }
            let code = fields[2].uppercased()
            if !Currency.isPlausible(code) { bad.append("'\(fields[2])' is not a currency code (three letters, e.g. GBP)") }
            let currency = Currency(code: Currency.isPlausible(code) ? code : "XXX")
            var cost: Int64?
            if fields[1].isEmpty {
                bad.append("the unit cost is empty")
            } else if fields[1].hasPrefix("-") {
                bad.append("the unit cost \(fields[1]) is negative")
            } else {
                var parser = AmountParser(exponent: currency.exponent, decimalMark: .point)
                do { cost = try parser.parse(fields[1]) } catch { bad.append("the unit cost '\(fields[1])': \(error)") }
            }
            var from: CalendarDate?
            if fields.count == 4, !fields[3].isEmpty {
                from = CalendarDate(iso: fields[3])
                if from == nil { bad.append("the from_date '\(fields[3])' is not a date (YYYY-MM-DD)") }
            }
            let key = "\(sku)|\(from?.description ?? "")"
            if !sku.isEmpty, let earlier = seen[key] {
                bad.append("\(sku) has a cost from \(from?.description ?? "the beginning") on line \(earlier) already")
            }
            guard bad.isEmpty, let cost else {
                problems += bad.map { Problem(line: number, message: $0) }
                continue
            }
            seen[key] = number
            costs.append(UnitCost(sku: sku, unitCostMinor: cost, currency: currency, fromDate: from))
        }
        if costs.isEmpty && problems.isEmpty { problems.append(Problem(line: 1, message: "the file holds no cost")) }
        return problems.isEmpty ? .success(costs) : .failure(CostFileError(problems: problems))
    }

    /// Reads and stores a file: all of it, or (with any bad row) none of it.
    public static func importFile(_ path: String, store: Store) throws -> [UnitCost] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LMBError.notFound("cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw LMBError.data("\(path): the file is not UTF-8 text; nothing was stored") }
        switch parse(text) {
        case .failure(let refused): throw LMBError.data("\(path): \(refused)")
        case .success(let costs):
            try store.saveCosts(costs)
            return costs
        }
    }
}

/// A cost file that was refused, with every bad line.
public struct CostFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [CostImport.Problem]
    public var description: String {
        "the cost file was refused; nothing was stored:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
