import Foundation

/// A small, tolerant GraphQL reader: enough of the language for the queries a payouts client sends, not a general
/// engine. It reads one `query` operation (anonymous or named, with variable definitions and defaults), fields with
/// aliases and arguments (Int, Float, String, Boolean, null, enum values, lists, objects and `$variables`), nested
/// selection sets and `#` comments. Fragments, directives, mutations and subscriptions are refused with a clear error.
indirect enum GQLValue {
    case int(Int), float(Double), string(String), bool(Bool), null, enumValue(String), variable(String)
    case list([GQLValue]), object([String: GQLValue])
}

struct GQLField {
    var alias: String?
    var name: String
    var arguments: [String: GQLValue]
    var selections: [GQLField]
    var line: Int
    var column: Int
    var responseKey: String { alias ?? name }
}

struct GQLOperation {
    var variableDefaults: [String: GQLValue]
    var selections: [GQLField]
}

struct GQLError: Error {
    var message: String
    var line: Int
    var column: Int
}

struct GQLParser {
    enum Token: Equatable {
        case punct(String), name(String), int(Int), float(Double), string(String), end
    }

    private var tokens: [(Token, Int, Int)] = []
    private var index = 0

    static func parse(_ text: String, operationName: String? = nil) throws -> GQLOperation {
        var parser = GQLParser()
        parser.tokens = try tokenize(text)
        return try parser.document(operationName: operationName)
    }

    private static func tokenize(_ text: String) throws -> [(Token, Int, Int)] {
        var out: [(Token, Int, Int)] = []
        let chars = Array(text)
        var i = 0, line = 1, lineStart = 0
        func column(_ at: Int) -> Int { at - lineStart + 1 }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1; i += 1; lineStart = i; continue }
            if c == " " || c == "\t" || c == "\r" || c == "," || c == "\u{FEFF}" { i += 1; continue }
            if c == "#" { while i < chars.count, chars[i] != "\n" { i += 1 }; continue }
            let start = i
            if c == "." {
                guard i + 2 < chars.count, chars[i + 1] == ".", chars[i + 2] == "." else {
                    throw GQLError(message: "Parse error on \".\" at [\(line), \(column(i))]", line: line, column: column(i))
                }
                out.append((.punct("..."), line, column(start))); i += 3; continue
            }
            if "{}()[]:!$=@|&".contains(c) { out.append((.punct(String(c)), line, column(start))); i += 1; continue }
            if c.isLetter || c == "_" {
                while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
                out.append((.name(String(chars[start..<i])), line, column(start))); continue
            }
            if c.isNumber || c == "-" {
                i += 1
                var isFloat = false
                while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
                        || ((chars[i] == "+" || chars[i] == "-") && (chars[i - 1] == "e" || chars[i - 1] == "E")) {
                    if !chars[i].isNumber { isFloat = true }
                    i += 1
                }
                let text = String(chars[start..<i])
                if !isFloat, let n = Int(text) { out.append((.int(n), line, column(start))); continue }
                if let d = Double(text) { out.append((.float(d), line, column(start))); continue }
                throw GQLError(message: "Parse error on \"\(text)\" at [\(line), \(column(start))]", line: line, column: column(start))
            }
            if c == "\"" {
                if i + 2 < chars.count, chars[i + 1] == "\"", chars[i + 2] == "\"" {   // block string
                    i += 3
                    var s = ""
                    while i + 2 < chars.count, !(chars[i] == "\"" && chars[i + 1] == "\"" && chars[i + 2] == "\"") {
                        if chars[i] == "\n" { line += 1; lineStart = i + 1 }
                        s.append(chars[i]); i += 1
                    }
                    guard i + 2 < chars.count else { throw GQLError(message: "Unterminated string", line: line, column: column(start)) }
                    i += 3
                    out.append((.string(s.trimmingCharacters(in: .whitespacesAndNewlines)), line, column(start))); continue
                }
                i += 1
                var s = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\n" { throw GQLError(message: "Unterminated string", line: line, column: column(start)) }
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        case "b": s.append("\u{8}")
                        case "f": s.append("\u{C}")
                        case "u":
                            let hex = String(chars[min(i + 1, chars.count)..<min(i + 5, chars.count)])
                            if let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) { s.append(Character(scalar)) }
                            i += 4
                        default: s.append(chars[i])
                        }
                    } else {
                        s.append(chars[i])
                    }
                    i += 1
                }
                guard i < chars.count else { throw GQLError(message: "Unterminated string", line: line, column: column(start)) }
                i += 1
                out.append((.string(s), line, column(start))); continue
            }
            throw GQLError(message: "Parse error on \"\(c)\" at [\(line), \(column(i))]", line: line, column: column(i))
        }
        out.append((.end, line, column(i)))
        return out
    }

    private var current: (Token, Int, Int) { tokens[index] }

    private func error(_ what: String? = nil) -> GQLError {
        let (token, line, column) = current
        let shown: String
        switch token {
        case .punct(let p): shown = p
        case .name(let n): shown = n
        case .int(let n): shown = String(n)
        case .float(let d): shown = String(d)
        case .string(let s): shown = s
        case .end: shown = "end of file"
        }
        return GQLError(message: what ?? "Parse error on \"\(shown)\" at [\(line), \(column)]", line: line, column: column)
    }

    private mutating func expect(_ p: String) throws {
        guard current.0 == .punct(p) else { throw error() }
        index += 1
    }

    private mutating func name() throws -> String {
        guard case .name(let n) = current.0 else { throw error() }
        index += 1
        return n
    }

    private mutating func document(operationName: String?) throws -> GQLOperation {
        var operations: [(String?, GQLOperation)] = []
        while current.0 != .end {
            if current.0 == .punct("{") {
                operations.append((nil, GQLOperation(variableDefaults: [:], selections: try selectionSet())))
                continue
            }
            let keyword = try name()
            switch keyword {
            case "query": break
            case "fragment":
                throw GQLError(message: "Fragments are not supported by the sandbox's Shopify emulator; write the fields inline",
                               line: tokens[index - 1].1, column: tokens[index - 1].2)
            case "mutation", "subscription":
                throw GQLError(message: "The sandbox's Shopify emulator answers queries only, not \(keyword) operations",
                               line: tokens[index - 1].1, column: tokens[index - 1].2)
            default: index -= 1; throw error()
            }
            var opName: String?
            if case .name(let n) = current.0 { opName = n; index += 1 }
            var defaults: [String: GQLValue] = [:]
            if current.0 == .punct("(") {
                index += 1
                while current.0 != .punct(")") {
                    try expect("$")
                    let variable = try name()
                    try expect(":")
                    try skipType()
                    if current.0 == .punct("=") { index += 1; defaults[variable] = try value(constant: true) }
                    if current.0 == .punct("@") { throw error("Directives are not supported by the sandbox's Shopify emulator") }
                }
                index += 1
            }
            if current.0 == .punct("@") { throw error("Directives are not supported by the sandbox's Shopify emulator") }
            operations.append((opName, GQLOperation(variableDefaults: defaults, selections: try selectionSet())))
        }
        guard !operations.isEmpty else { throw error("No operations in query document") }
        if let operationName {
            guard let op = operations.first(where: { $0.0 == operationName }) else {
                throw GQLError(message: "No operation named \"\(operationName)\"", line: 1, column: 1)
            }
            return op.1
        }
        guard operations.count == 1 else {
            throw GQLError(message: "An operation name is required when sending multiple operations", line: 1, column: 1)
        }
        return operations[0].1
    }

    private mutating func skipType() throws {
        if current.0 == .punct("[") {
            index += 1
            try skipType()
            try expect("]")
        } else {
            _ = try name()
        }
        if current.0 == .punct("!") { index += 1 }
    }

    private mutating func selectionSet() throws -> [GQLField] {
        try expect("{")
        var fields: [GQLField] = []
        while current.0 != .punct("}") {
            if current.0 == .punct("...") {
                throw error("Fragments are not supported by the sandbox's Shopify emulator; write the fields inline")
            }
            let (_, line, column) = current
            var fieldName = try name()
            var alias: String?
            if current.0 == .punct(":") {
                index += 1
                alias = fieldName
                fieldName = try name()
            }
            var arguments: [String: GQLValue] = [:]
            if current.0 == .punct("(") {
                index += 1
                while current.0 != .punct(")") {
                    let argument = try name()
                    try expect(":")
                    arguments[argument] = try value(constant: false)
                }
                index += 1
            }
            if current.0 == .punct("@") { throw error("Directives are not supported by the sandbox's Shopify emulator") }
            let selections = current.0 == .punct("{") ? try selectionSet() : []
            fields.append(GQLField(alias: alias, name: fieldName, arguments: arguments, selections: selections, line: line, column: column))
        }
        index += 1
        guard !fields.isEmpty else { throw error() }
        return fields
    }

    private mutating func value(constant: Bool) throws -> GQLValue {
        let (token, _, _) = current
        switch token {
        case .punct("$") where !constant:
            index += 1
            return .variable(try name())
        case .int(let n): index += 1; return .int(n)
        case .float(let d): index += 1; return .float(d)
        case .string(let s): index += 1; return .string(s)
        case .name("true"): index += 1; return .bool(true)
        case .name("false"): index += 1; return .bool(false)
        case .name("null"): index += 1; return .null
        case .name(let n): index += 1; return .enumValue(n)
        case .punct("["):
            index += 1
            var items: [GQLValue] = []
            while current.0 != .punct("]") { items.append(try value(constant: constant)) }
            index += 1
            return .list(items)
        case .punct("{"):
            index += 1
            var fields: [String: GQLValue] = [:]
            while current.0 != .punct("}") {
                let key = try name()
                try expect(":")
                fields[key] = try value(constant: constant)
            }
            index += 1
            return .object(fields)
        default: throw error()
        }
    }
}

extension GQLValue {
    /// The value with its variables replaced by the request's (JSON) variables or the operation's defaults.
    func resolved(_ variables: [String: Any], _ defaults: [String: GQLValue]) -> GQLValue {
        switch self {
        case .variable(let name):
            if let v = variables[name] { return GQLValue.fromJSON(v) }
            return defaults[name] ?? .null
        case .list(let items): return .list(items.map { $0.resolved(variables, defaults) })
        case .object(let fields): return .object(fields.mapValues { $0.resolved(variables, defaults) })
        default: return self
        }
    }

    static func fromJSON(_ v: Any) -> GQLValue {
        switch v {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            if n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 { return .int(n.intValue) }
            return .float(n.doubleValue)
        case let a as [Any]: return .list(a.map(fromJSON))
        case let o as [String: Any]: return .object(o.mapValues(fromJSON))
        default: return .null
        }
    }
}
