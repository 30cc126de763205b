import ArgumentParser
import Foundation
import LMBCore

extension Category: ExpressibleByArgument {}

extension LMB {
    struct MappingCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mapping",
            abstract: "Show, add to, explain and check how settlement rows map to Xero accounts and tax types.",
            discussion: """
            Every (transaction-type, amount-type, amount-description) combination of a settlement is booked by the most \
            specific rule that matches it. The home's mapping.json holds your own rules and settings; they are tried \
            first, and lmb's built-in rules (every transaction type Amazon and Etsy reports carry) decide the rest. A \
            combination no rule matches leaves its settlement in needs-mapping, unless mapping.json says \
            "unmapped": "other", which books it to Other with a note on the line and a warning.

            Patterns: each field is a literal or a glob, compared case-insensitively: * any text, ? one character, \
            [abc] or [a-z] one of a set, [!abc] none of it, \\* a literal star.

            Specificity: fields are compared in the order amount-description, amount-type, transaction-type, and \
            the first that differs decides: a literal beats a glob, a glob with more literal characters beats one \
            with fewer, * loses to both. Two rules of one file that are equally specific and can match the same \
            combination tie, and the file is refused.
            """,
            subcommands: [Show.self, Init.self, Add.self, Explain.self, Check.self],
            defaultSubcommand: Show.self)

        struct Show: ContextCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the mapping in force: accounts, your rules, then the built-in ones.",
                discussion: "--json prints the home's mapping as its file holds it (the built-in rules are not part of it).")
            @OptionGroup var global: GlobalOptions

            func run(_ ctx: RunContext) throws {
                try runReporting {
                    let home = ctx.home
                    let mapping = try Mapping.load(home: home.url)
                    if global.json {
                        FileHandle.standardOutput.write(Data(try mapping.encoded().utf8))
                        return .ok
                    }
                    let source = FileManager.default.fileExists(atPath: home.mappingPath) ? home.mappingPath : "built-in defaults (no \(home.mappingPath))"
                    Terminal.out("Mapping: \(source); unmapped combinations: \(mapping.unmappedPolicy == .other ? "booked to Other (\"unmapped\": \"other\")" : "wait in needs-mapping")\n")
                    var rows = [["CATEGORY", "ACCOUNT", "TAX TYPE", "NAME"]]
                    for c in Category.allCases {
                        let a = mapping.account(for: c)
                        rows.append([c.rawValue, a.account, a.taxType, a.name])
                    }
                    Terminal.out(Terminal.table(rows))
                    Terminal.out("\nRules (yours first, then the built-in ones; the most specific match wins, see lmb mapping --help):")
                    var ruleRows = [["FROM", "TRANSACTION-TYPE", "AMOUNT-TYPE", "AMOUNT-DESCRIPTION", "CATEGORY"]]
                    for (i, r) in mapping.rules.enumerated() { ruleRows.append(Self.row("rules[\(i)]", r)) }
                    for r in Mapping.defaultRules { ruleRows.append(Self.row("built-in", r)) }
                    Terminal.out(Terminal.table(ruleRows))
                    return .ok
                }
            }

            static func row(_ from: String, _ r: MappingRule) -> [String] {
                let category = r.category.rawValue + (r.account.map { " (account \($0))" } ?? "") + (r.taxType.map { " (tax \($0))" } ?? "")
                return [from, r.transactionType, r.amountType, r.amountDescription.isEmpty ? "\"\"" : r.amountDescription, category]
            }
        }

        struct Init: ContextCommand {
            static let configuration = CommandConfiguration(abstract: "Write the mapping's settings to the lmb home, to edit (your own rules go in its \"rules\").")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Overwrite an existing mapping file.") var force = false

            func run(_ ctx: RunContext) throws {
                try runReporting {
                    let home = ctx.home
                    try home.ensureExists()
                    if FileManager.default.fileExists(atPath: home.mappingPath) && !force {
                        throw LMBError.usage("\(home.mappingPath) exists; use --force to overwrite it")
                    }
                    try Mapping.defaults.write(to: home.mappingPath)
                    if global.json { Terminal.out(JSON.object([("wrote", .string(home.mappingPath))]).rendered()) }
                    else if !global.quiet { Terminal.out("wrote \(home.mappingPath)") }
                    return .ok
                }
            }
        }

        struct Add: ContextCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a rule to the home's mapping.json, and see which waiting settlements it makes ready.",
                discussion: """
                The fields are patterns (see lmb mapping --help); quote them for the shell. A rule with the same three \
                patterns as one of yours replaces it. A rule that would tie with one of yours, or a pattern that cannot \
                be read, is refused and the file is left as it was. mapping.json is created when absent, holding only \
                your own rules over the built-in ones, and written atomically.
                """)
            @OptionGroup var global: GlobalOptions
            @Argument(help: ArgumentHelp("The transaction-type pattern (Etsy: the statement's Type).", valueName: "transaction-type")) var transactionType: String
            @Argument(help: ArgumentHelp("The amount-type pattern (Etsy: Etsy).", valueName: "amount-type")) var amountType: String
            @Argument(help: ArgumentHelp("The amount-description pattern (Etsy: the title).", valueName: "amount-description")) var amountDescription: String
            @Argument(help: ArgumentHelp("The category: \(Category.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "category")) var category: Category
            @Option(help: ArgumentHelp("Book these rows to this account code instead of the category's.", valueName: "code")) var account: String?
            @Option(help: ArgumentHelp("Book these rows with this Xero tax type instead of the category's.", valueName: "type")) var taxType: String?
            @Option(help: ArgumentHelp("Why the rule books what it books, kept in the file.", valueName: "text")) var note: String?

            var rule: MappingRule {
                MappingRule(transactionType, amountType, amountDescription, category, account: account, taxType: taxType, note: note)
            }

            func validate() throws {
                if let problem = MappingRule.problems(in: [rule], name: { _ in "the rule" }).first { throw ValidationError(problem) }
            }

            func run(_ ctx: RunContext) throws {
                try runReporting {
                    let addition: RuleAddition
                    do {
                        addition = try Mapping.addRule(rule, home: ctx.home, store: try ctx.existingStore())
                    } catch MappingError.invalid(let detail) {
                        throw LMBError.usage("the rule was not added (\(ctx.home.mappingPath) is unchanged): \(detail)")
                    }
                    if global.json {
                        Terminal.out(JSON.object([
                            ("file", .string(addition.file)), ("action", .string(addition.action.rawValue)), ("rule", Explain.json(addition.rule)),
                            ("nowReady", .array(addition.nowReady.map(JSON.string))),
                            ("stillNeedsMapping", .array(addition.stillNeedsMapping.map { .object([("id", .string($0.id)), ("unmapped", .int($0.combinations))]) })),
                            ("matchedIn", .array(addition.matchedIn.map(JSON.string))),
                        ]).rendered())
                        return .ok
                    }
                    if global.quiet { return .ok }
                    Terminal.out("\(addition.action.rawValue) \(addition.rule.label) in \(addition.file)")
                    for id in addition.nowReady { Terminal.out("settlement \(id): needs-mapping → ready") }
                    if addition.nowReady.isEmpty { Terminal.out("no settlement was waiting for it\(addition.matchedIn.isEmpty ? "" : "; it now books rows of \(addition.matchedIn.joined(separator: ", "))")") }
                    for s in addition.stillNeedsMapping {
                        Terminal.out("settlement \(s.id) still needs mapping: \(s.combinations) combination\(s.combinations == 1 ? "" : "s") (lmb mapping explain \(s.id))")
                    }
                    return .ok
                }
            }
        }

        struct Explain: ContextCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show, for each combination of a settlement, the rule that books it and where the rule comes from.",
                discussion: "Give a stored settlement's id, or a settlement file (read, not imported).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: ArgumentHelp("A settlement id, or the path of a settlement file.", valueName: "id-or-file")) var target: String

            func run(_ ctx: RunContext) throws {
                try runReporting {
                    let home = ctx.home
                    let mapping = try Mapping.load(home: home.url)
                    let settlements: [ExplainedSettlement]
                    if InputFile.namesFile(target) {
                        settlements = try Mapping.settlements(inFile: target).map(mapping.explain)
                    } else {
                        guard let s = try ctx.existingStore()?.settlement(id: target) else {
                            throw LMBError.usage("no settlement \(target) was ever imported (and no file has that name); list the imported ones with: lmb settlements")
                        }
                        settlements = [mapping.explain(s)]
                    }
                    if global.json {
                        Terminal.out(JSON.array(settlements.map { s in
                            .object([("id", .string(s.id)), ("marketplace", .string(s.marketplace)),
                                     ("combinations", .array(s.combinations.map { Self.json($0, currency: s.currency) }))])
                        }).rendered())
                        return .ok
                    }
                    for (i, s) in settlements.enumerated() {
                        if i > 0 { Terminal.out("") }
                        Terminal.out(Self.text(s))
                    }
                    return .ok
                }
            }

            static func text(_ s: ExplainedSettlement) -> String {
                var rows = [["TRANSACTION-TYPE", "AMOUNT-TYPE", "AMOUNT-DESCRIPTION", "ROWS", "AMOUNT", "CATEGORY", "RULE", "FROM"]]
                for c in s.combinations {
                    let rule = c.match?.rule.map { [$0.transactionType, $0.amountType, $0.amountDescription].joined(separator: " / ") }
                    rows.append([c.transactionType, c.amountType, c.amountDescription.isEmpty ? "\"\"" : c.amountDescription, String(c.rows),
                                 Money.format(c.amountMinor, exponent: s.currency.exponent), c.match?.category.rawValue ?? "—",
                                 rule ?? (c.match == nil ? "no rule: needs mapping" : "no rule"), c.match?.sourceLabel ?? ""])
                }
                var out = ["Settlement \(s.id) · \(s.marketplace) · \(s.combinations.count) combination\(s.combinations.count == 1 ? "" : "s")",
                           Terminal.table(rows, rightAlign: [3, 4])]
                let notes = s.combinations.compactMap { c in c.match?.rule.flatMap { r in r.note.map { "  \(r.label): \($0)" } } }
                if !notes.isEmpty { out += ["Why:"] + notes.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } } }
                let unmapped = s.unmapped.map(\.unmapped)
                if !unmapped.isEmpty { out += ["To map what no rule covers:"] + unmapped.map { "  " + $0.addCommand } }
                return out.joined(separator: "\n")
            }

            static func json(_ c: CombinationExplanation, currency: Currency) -> JSON {
                let source: JSON
                switch c.match?.source {
                case .home(let i): source = .object([("kind", .string("home")), ("file", .string(Mapping.fileName)), ("index", .int(i))])
                case .builtIn(let i): source = .object([("kind", .string("built-in")), ("index", .int(i))])
                case .unmappedPolicy: source = .object([("kind", .string("unmapped-policy"))])
                case nil: source = .null
                }
                return .object([
                    ("transactionType", .string(c.transactionType)), ("amountType", .string(c.amountType)),
                    ("amountDescription", .string(c.amountDescription)), ("rows", .int(c.rows)),
                    ("amount", .money(c.amountMinor, exponent: currency.exponent)), ("category", .optional(c.match?.category.rawValue)),
                    ("rule", c.match?.rule.map(json) ?? .null), ("source", source),
                ])
            }

            static func json(_ r: MappingRule) -> JSON {
                var pairs: [(String, JSON)] = [("transactionType", .string(r.transactionType)), ("amountType", .string(r.amountType)),
                                               ("amountDescription", .string(r.amountDescription)), ("category", .string(r.category.rawValue))]
                if let a = r.account { pairs.append(("account", .string(a))) }
                if let t = r.taxType { pairs.append(("taxType", .string(t))) }
                if let n = r.note { pairs.append(("note", .string(n))) }
                return .object(pairs)
            }
        }

        struct Check: ContextCommand {
            static let configuration = CommandConfiguration(
                abstract: "Report whether the mapping covers every combination of settlement files, without importing them.",
                discussion: "Exit codes: 0 every combination has a rule; 65 some have none (or a file cannot be read); 66 a file is missing.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: ArgumentHelp("Settlement report files.", valueName: "file")) var files: [String]

            func validate() throws {
                if files.isEmpty { throw ValidationError("name at least one settlement file") }
            }

            func run(_ ctx: RunContext) throws {
                try runReporting {
                    let mapping = try Mapping.load(home: ctx.home.url)
                    var reports: [JSON] = []
                    var codes: [ExitStatus] = []
                    var combinations = 0, unmapped = 0
                    for file in files {
                        let settlements: [ExplainedSettlement]
                        do {
                            settlements = try Mapping.settlements(inFile: file).map(mapping.explain)
                        } catch let error as SettlementFileError {
                            Terminal.error(error.description)
                            reports.append(.object([("file", .string(file)), ("error", .string(error.description))]))
                            codes.append(error.exitStatus)
                            continue
                        }
                        for s in settlements {
                            combinations += s.combinations.count
                            unmapped += s.unmapped.count
                            if !s.unmapped.isEmpty { codes.append(.dataError) }
                            if !global.json && (!global.quiet || !s.unmapped.isEmpty) { Terminal.out(Self.text(file: file, s)) }
                        }
                        reports.append(.object([("file", .string(file)), ("settlements", .array(settlements.map { s in
                            .object([("id", .string(s.id)), ("combinations", .int(s.combinations.count)),
                                     ("unmapped", .array(s.unmapped.map { c in
                                         .object([("transactionType", .string(c.transactionType)), ("amountType", .string(c.amountType)),
                                                  ("amountDescription", .string(c.amountDescription)), ("rows", .int(c.rows)),
                                                  ("amount", .money(c.amountMinor, exponent: s.currency.exponent)),
                                                  ("command", .string(c.unmapped.addCommand))])
                                     }))])
                        }))]))
                    }
                    if global.json {
                        Terminal.out(JSON.object([("files", .array(reports)), ("combinations", .int(combinations)), ("unmapped", .int(unmapped))]).rendered())
                    } else if !global.quiet {
                        Terminal.out("\(combinations) combination\(combinations == 1 ? "" : "s") checked: \(unmapped == 0 ? "every one has a rule" : "\(unmapped) without a rule")")
                    }
                    return ExitStatus.worst(codes)
                }
            }

            static func text(file: String, _ s: ExplainedSettlement) -> String {
                let head = "\(file): settlement \(s.id) (\(s.marketplace)): \(s.combinations.count) combination\(s.combinations.count == 1 ? "" : "s"), "
                guard !s.unmapped.isEmpty else { return head + "all mapped" }
                var out = [head + "\(s.unmapped.count) without a rule:"]
                for c in s.unmapped {
                    out.append("  \(c.transactionType) / \(c.amountType) / \(c.amountDescription) (\(c.rows) row\(c.rows == 1 ? "" : "s"), \(Money.format(c.amountMinor, exponent: s.currency.exponent)) \(s.currency.code))\(c.match == nil ? "" : ", booked to Other by \"unmapped\": \"other\"")")
                    out.append("    " + c.unmapped.addCommand)
                }
                return out.joined(separator: "\n")
            }
        }
    }
}

extension Render {
    /// The warning preview, import and send give when `"unmapped": "other"` booked combinations no rule covers.
    static func warnBookedToOther(settlementID: String, _ result: LedgerResult, currency: Currency, quiet: Bool = false) {
        guard !result.bookedToOther.isEmpty, !quiet else { return }
        let n = result.bookedToOther.count
        var lines = ["lmb: warning: settlement \(settlementID): \(n) combination\(n == 1 ? " matches" : "s match") no rule and \(n == 1 ? "is" : "are") booked to Other (\"unmapped\": \"other\" in the mapping):"]
        for u in result.bookedToOther {
            lines.append("  \(u.transactionType) / \(u.amountType) / \(u.amountDescription) (\(u.count) row\(u.count == 1 ? "" : "s"), \(Money.format(u.amountMinor, exponent: currency.exponent))) — map it: \(u.addCommand)")
        }
        Terminal.err(lines.joined(separator: "\n"))
    }
}
