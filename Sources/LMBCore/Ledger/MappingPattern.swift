/// One field of a mapping rule: a literal value or a glob, compared case-insensitively ("Base fee" = "Base Fee").
///
/// Glob syntax: `*` any run of characters (also none), `?` one character, `[abc]` / `[a-z]` one of a set,
/// `[!abc]` (or `[^abc]`) one character not in it, `\x` the character x itself (so `\*` is a literal star).
/// Anything else is itself. A pattern that cannot be read (an unclosed `[`, a reversed range, a trailing `\`)
/// keeps its `problem` and matches nothing; `Mapping.validate()` refuses it, naming the rule.
public struct MappingPattern: Sendable, Hashable, CustomStringConvertible {
    public let source: String
    /// Why the pattern cannot be read, or nil.
    public let problem: String?
    let tokens: [Token]
    /// The folded text when the pattern has no wildcard: matching is then a string comparison.
    let literal: String?

    public init(_ source: String) {
        self.source = source
        let folded = Self.fold(source)
        do throws(Unreadable) {
            tokens = try Self.tokens(Array(folded.unicodeScalars))
            problem = nil
        } catch {
            tokens = []
            problem = error.reason
        }
        literal = problem == nil && tokens.allSatisfy(\.isLiteral) ? String(String.UnicodeScalarView(tokens.compactMap(\.literalScalar))) : nil
    }

    public var description: String { source }

    /// How case is ignored: both sides are lower-cased before they are compared.
    static func fold(_ s: String) -> String { s.lowercased() }

    // MARK: Specificity

    /// 2 for a literal, 1 for a glob with something besides `*` in it, 0 for `*` alone (or `**`).
    public var rank: Int {
        if literal != nil { return 2 }
        return tokens.allSatisfy { $0 == .star } ? 0 : 1
    }

    /// Characters that must appear as written: a longer fixed part is a narrower glob (`FBA Pick*` beats `FBA*`).
    public var literalCount: Int { tokens.filter(\.isLiteral).count }

    // MARK: Matching

    /// Whether a value, already folded with `fold`, matches.
    func matches(folded value: String) -> Bool {
        if let literal { return literal == value }
        if problem != nil { return false }
        return Self.match(tokens, Array(value.unicodeScalars))
    }

    public func matches(_ value: String) -> Bool { matches(folded: Self.fold(value)) }

    /// Greedy glob matching that backtracks to the last `*` only: linear for the patterns rules use.
    static func match(_ p: [Token], _ v: [Unicode.Scalar]) -> Bool {
        var i = 0, j = 0
        var star = -1, resume = 0
        while j < v.count {
            if i < p.count, p[i] == .star {
                star = i; resume = j; i += 1
            } else if i < p.count, p[i].accepts(v[j]) {
                i += 1; j += 1
            } else if star >= 0 {
                i = star + 1; resume += 1; j = resume
            } else {
                return false
            }
        }
        while i < p.count, p[i] == .star { i += 1 }
        return i == p.count
    }

    /// A value both patterns match, or nil when no value can match both: what makes two rules collide.
    public func commonExample(with other: MappingPattern) -> String? {
        guard problem == nil, other.problem == nil else { return nil }
        let a = tokens, b = other.tokens
        struct State: Hashable { var i: Int; var j: Int }
        var from: [State: (State, Unicode.Scalar?)] = [:]
        var queue = [State(i: 0, j: 0)]
        var seen: Set<State> = [queue[0]]
        var head = 0
        func visit(_ s: State, _ previous: State, _ c: Unicode.Scalar?) {
            guard seen.insert(s).inserted else { return }
            from[s] = (previous, c)
            queue.append(s)
        }
        while head < queue.count {
            let s = queue[head]; head += 1
            if s.i == a.count && s.j == b.count {
                var out: [Unicode.Scalar] = []
                var at = s
                while let (previous, c) = from[at] { if let c { out.append(c) }; at = previous }
                return String(String.UnicodeScalarView(out.reversed()))
            }
            let ta = s.i < a.count ? a[s.i] : nil, tb = s.j < b.count ? b[s.j] : nil
            if ta == .star { visit(State(i: s.i + 1, j: s.j), s, nil) }
            if tb == .star { visit(State(i: s.i, j: s.j + 1), s, nil) }
            guard let ta, let tb, !(ta == .star && tb == .star), let c = ta.sample(sharedWith: tb) else { continue }
            visit(State(i: ta == .star ? s.i : s.i + 1, j: tb == .star ? s.j : s.j + 1), s, c)
        }
        return nil
    }

    /// The pattern written so that it matches exactly this value: what `lmb mapping add` needs for a literal.
    public static func escaping(_ literal: String) -> String {
        var out = ""
        for c in literal {
            if "*?[]\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    // MARK: Tokens

    enum Token: Hashable, Sendable {
        case scalar(Unicode.Scalar)
        case any
        case star
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)

        var isLiteral: Bool { if case .scalar = self { return true } else { return false } }
        var literalScalar: Unicode.Scalar? { if case .scalar(let c) = self { return c } else { return nil } }

        func accepts(_ c: Unicode.Scalar) -> Bool {
            switch self {
            case .scalar(let s): return s == c
            case .any, .star: return true
            case .set(let ranges, let negated): return ranges.contains { $0.contains(c.value) } != negated
            }
        }

        /// A character both tokens accept, or nil.
        func sample(sharedWith other: Token) -> Unicode.Scalar? {
            if case .scalar(let c) = self { return other.accepts(c) ? c : nil }
            if case .scalar(let c) = other { return accepts(c) ? c : nil }
            if case .set(let ranges, false) = self { return Self.first(in: ranges, accepted: other) }
            if case .set(let ranges, false) = other { return Self.first(in: ranges, accepted: self) }
            // Both are `?`, `*` or negated sets: some plain letter or digit is outside any negated set written by hand.
            return (Array("xyzabc0123456789".unicodeScalars) + (0x61...0x7A).compactMap(Unicode.Scalar.init))
                .first { accepts($0) && other.accepts($0) }
        }

        static func first(in ranges: [ClosedRange<UInt32>], accepted other: Token) -> Unicode.Scalar? {
            for r in ranges {
                for v in r { if let c = Unicode.Scalar(v), other.accepts(c) { return c } }
            }
            return nil
        }
    }

    struct Unreadable: Error { var reason: String }

    /// Reads a folded pattern into tokens; ranges wider than a few thousand characters are refused (nobody means them).
    static func tokens(_ s: [Unicode.Scalar]) throws(Unreadable) -> [Token] {
        var out: [Token] = []
        var k = 0
        while k < s.count {
            let c = s[k]
            switch c {
            case "*":
                if out.last != .star { out.append(.star) }   // `**` is `*`
                k += 1
            case "?":
                out.append(.any); k += 1
            case "\\":
                guard k + 1 < s.count else { throw Unreadable(reason: "a trailing '\\' escapes nothing (write '\\\\' for a backslash)") }
                out.append(.scalar(s[k + 1])); k += 2
            case "[":
                let (set, next) = try readSet(s, from: k + 1)
                out.append(set); k = next
            case "]":
                throw Unreadable(reason: "a ']' closes no '[' (write '\\]' for a bracket)")
            default:
                out.append(.scalar(c)); k += 1
            }
        }
        return out
    }

    /// `[abc]`, `[a-z]`, `[!abc]` from just after its `[`: the token, and where the pattern goes on.
    static func readSet(_ s: [Unicode.Scalar], from start: Int) throws(Unreadable) -> (Token, Int) {
        var m = start
        var negated = false
        if m < s.count, s[m] == "!" || s[m] == "^" { negated = true; m += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        func character() -> Unicode.Scalar? {   // one character of the set, `\x` being x
            guard m < s.count else { return nil }
            if s[m] == "\\" { m += 1; guard m < s.count else { return nil } }
            defer { m += 1 }
            return s[m]
        }
        while m < s.count, s[m] != "]" {
            guard let lower = character() else { break }
            var upper = lower
            if m + 1 < s.count, s[m] == "-", s[m + 1] != "]" {
                m += 1
                guard let u = character() else { break }
                upper = u
            }
            guard lower.value <= upper.value else { throw Unreadable(reason: "the range '\(lower)-\(upper)' runs backwards") }
            guard upper.value - lower.value < 4096 else { throw Unreadable(reason: "the range '\(lower)-\(upper)' is too wide") }
            ranges.append(lower.value...upper.value)
        }
        guard m < s.count, s[m] == "]" else { throw Unreadable(reason: "a '[' is never closed by ']' (write '\\[' for a bracket)") }
        guard !ranges.isEmpty else { throw Unreadable(reason: "'[]' is an empty set of characters") }
        return (.set(ranges: ranges, negated: negated), m + 1)
    }
}
