import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct MappingCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mapping",
            abstract: "Show or write how settlement rows map to Xero accounts and tax types.",
            subcommands: [Show.self, Init.self],
            defaultSubcommand: Show.self)

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the mapping in force (the file in the lmb home, else the defaults).")
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting {
                    let home = global.context.home
                    let mapping = try Mapping.load(home: home.url)
                    if global.json {
                        FileHandle.standardOutput.write(Data(mapping.encoded().utf8))
                        return .ok
                    }
                    let source = FileManager.default.fileExists(atPath: home.mappingPath) ? home.mappingPath : "built-in defaults (no \(home.mappingPath))"
                    Terminal.out("Mapping: \(source)\n")
                    var rows = [["CATEGORY", "ACCOUNT", "TAX TYPE", "NAME"]]
                    for c in Category.allCases {
                        let a = mapping.account(for: c)
                        rows.append([c.rawValue, a.account, a.taxType, a.name])
                    }
                    Terminal.out(Terminal.table(rows))
                    Terminal.out("\nRules (the most specific match wins; * matches anything, a trailing * a prefix):")
                    var ruleRows = [["TRANSACTION-TYPE", "AMOUNT-TYPE", "AMOUNT-DESCRIPTION", "CATEGORY"]]
                    for r in mapping.rules { ruleRows.append([r.transactionType, r.amountType, r.amountDescription, r.category.rawValue]) }
                    Terminal.out(Terminal.table(ruleRows))
                    return .ok
                }
            }
        }

        struct Init: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Write the default mapping to the lmb home, to edit.")
            @OptionGroup var global: GlobalOptions
            @Flag(help: "Overwrite an existing mapping file.") var force = false

            func run() throws {
                try runReporting {
                    let home = global.context.home
                    try home.ensureExists()
                    if FileManager.default.fileExists(atPath: home.mappingPath) && !force {
                        throw LMBError.usage("\(home.mappingPath) exists; use --force to overwrite it")
                    }
                    let tmp = home.mappingPath + ".tmp"
                    try Data(Mapping.defaults.encoded().utf8).write(to: URL(fileURLWithPath: tmp))
                    guard rename(tmp, home.mappingPath) == 0 else { throw LMBError.io("cannot write \(home.mappingPath)") }
                    if global.json { Terminal.out(JSON.object([("wrote", .string(home.mappingPath))]).rendered()) }
                    else if !global.quiet { Terminal.out("wrote \(home.mappingPath)") }
                    return .ok
                }
            }
        }
    }
}
