import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct CostsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "costs",
            abstract: "Unit costs by SKU, for cost of goods sold.",
            discussion: """
            `lmb costs import FILE.csv` reads columns sku,unit_cost,currency[,from_date] (a header line is optional); a \
            later from_date starts a new cost for the SKU. A file with any bad row is refused whole, each bad row named by \
            its line number. `lmb costs show [SKU]` lists what is stored; `lmb costs missing` lists the SKUs sold in \
            imported settlements that have no cost.
            """,
            subcommands: [CostsImport.self, CostsShow.self, CostsMissing.self])
    }

    struct CostsImport: ContextCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Store unit costs from a CSV file (all rows or none).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The CSV file.", valueName: "file")) var file: String

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let costs = try CostImport.importFile(file, store: try ctx.store())
                if global.json {
                    Terminal.out(JSON.object([("imported", .int(costs.count)), ("costs", CostsShow.json(costs))]).rendered())
                } else if !global.quiet {
                    Terminal.out("stored \(costs.count) cost\(costs.count == 1 ? "" : "s") for \(Set(costs.map(\.sku)).count) SKU(s)")
                }
                return .ok
            }
        }
    }

    struct CostsShow: ContextCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The stored unit costs (of one SKU).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("Only this SKU.", valueName: "sku")) var sku: String?

        static func json(_ costs: [UnitCost]) -> JSON {
            .array(costs.map { c in
                .object([("sku", .string(c.sku)), ("unitCost", .money(c.unitCostMinor, exponent: c.currency.exponent)),
                         ("currency", .string(c.currency.code)), ("fromDate", .optional(c.fromDate?.description))])
            })
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let costs = try ctx.store().costs(sku: sku)
                if global.json {
                    Terminal.out(JSON.object([("costs", Self.json(costs))]).rendered())
                    return .ok
                }
                if costs.isEmpty {
                    if !global.quiet { Terminal.out(sku.map { "No cost is stored for \($0)." } ?? "No cost is stored: lmb costs import FILE.csv") }
                    return .ok
                }
                for c in costs {
                    Terminal.out("\(c.sku)\t\(Money.format(c.unitCostMinor, exponent: c.currency.exponent)) \(c.currency.code)\t\(c.fromDate.map { "from \($0)" } ?? "from the beginning")")
                }
                return .ok
            }
        }
    }

    struct CostsMissing: ContextCommand {
        static let configuration = CommandConfiguration(commandName: "missing", abstract: "SKUs sold in imported settlements that have no cost.")
        @OptionGroup var global: GlobalOptions

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let missing = try ctx.store().missingCosts()
                if global.json {
                    Terminal.out(JSON.object([("missing", .array(missing.map {
                        .object([("sku", .string($0.sku)), ("rows", .int($0.rows)), ("settlements", .int($0.settlements))])
                    }))]).rendered())
                } else if missing.isEmpty {
                    if !global.quiet { Terminal.out("Every SKU sold has a cost.") }
                } else {
                    for m in missing { Terminal.out("\(m.sku)\t\(m.rows) sale row(s) in \(m.settlements) settlement(s)") }
                }
                return .ok
            }
        }
    }
}
