import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct TaxCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tax",
            abstract: "The seller's VAT/GST: the tax profile lines are booked by, and what each treatment is in Xero.",
            discussion: """
            Without a profile every document is NoTax (right for a seller registered nowhere). With one, each line gets a \
            treatment — standard, reduced, zero-rated, exempt, export, ec-goods, marketplace-collected, outside-scope, \
            reverse-charge, standard-input — and lmb resolves it to the organisation's own TaxType from GET /TaxRates: your \
            `lmb tax map` choice first, then the system code of the organisation's version (UK OUTPUT2, INPUT2…; AU OUTPUT, \
            INPUT…), then an active rate of the same direction and percentage (user rates TAX001… in Global organisations). \
            Amounts are sent gross (LineAmountTypes Inclusive); where Amazon's VAT Calculation Service rows give a line's VAT \
            it is sent as the line's TaxAmount.
            """,
            subcommands: [TaxInit.self, TaxShow.self, TaxMap.self])
    }

    struct TaxInit: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Write the seller's tax profile (\"tax\" in config.json).",
            discussion: """
            --country is where the business is established (GB, DE, AU, US…). --registered lists the countries where it \
            holds a VAT/GST registration (default: --country alone); --not-registered says it holds none (every line NoTax). \
            --oss: it files the EU One-Stop Shop, so distance sales to EU countries where it is not registered are taxed at \
            the destination's rate. --await-vat-report (the default for EU-registered and OSS sellers) holds settlements as \
            awaiting-vat until Amazon's VAT Transactions Report for their period is imported. Running it again replaces the \
            profile and keeps `lmb tax map` choices.
            """)
        @OptionGroup var global: GlobalOptions
        @Option(help: ArgumentHelp("Country of establishment, ISO 3166 two letters.", valueName: "CC")) var country: String
        @Option(help: ArgumentHelp("Countries of VAT/GST registration, comma-separated.", valueName: "CC,CC…")) var registered: String?
        @Flag(help: "Files the EU One-Stop Shop (Union scheme).") var oss = false
        @Flag(help: "Holds no VAT/GST registration anywhere.") var notRegistered = false
        @Flag(inversion: .prefixedNo, help: "Hold EU/UK settlements until a VAT Transactions Report covers them.") var awaitVatReport: Bool?

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let regs = registered.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
                let p = try TaxFlow(ctx).initialise(country: country, registered: regs, oss: oss, notRegistered: notRegistered, awaitVATReport: awaitVatReport)
                if global.json {
                    Terminal.out(TaxRender.profileJSON(p).rendered())
                } else if !global.quiet {
                    Terminal.out("Tax profile written to \(ctx.home.url.appendingPathComponent(LMBConfig.fileName).path):")
                    Terminal.out(TaxRender.profileText(p))
                    Terminal.out("Next: lmb tax show (what each treatment is in Xero), then lmb preview <settlement-id>.")
                }
                return .ok
            }
        }
    }

    struct TaxShow: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the tax profile and, for the organisation, the TaxType each treatment will use.",
            discussion: "Reads the organisation's tax rates from Xero (GET /TaxRates) and keeps them for preview; --offline uses what lmb last read.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tenant: TenantOption
        @Flag(help: "Do not call Xero: use the tax rates lmb last read.") var offline = false

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let r = try await TaxFlow(ctx).show(tenant: tenant.tenant, offline: offline)
                let failed = !r.rates.isEmpty && r.uses.contains { $0.problem != nil }
                if global.json {
                    Terminal.out(JSON.object([
                        ("profile", TaxRender.profileJSON(r.profile)),
                        ("organisation", r.organisation.map(JSON.string) ?? .null),
                        ("version", .string(r.version)),
                        ("rates", .string(r.ratesSource)),
                        ("treatments", .array(r.uses.map { u in
                            .object([("treatment", .string(u.key.treatment.rawValue)), ("country", u.key.country.map(JSON.string) ?? .null),
                                     ("rate", u.key.rate.map { .string(TaxKey.percent($0)) } ?? .null),
                                     ("taxType", u.taxType.map(JSON.string) ?? .null), ("source", .string(u.source)),
                                     ("problem", u.problem.map(JSON.string) ?? .null)])
                        })),
                    ]).rendered())
                } else {
                    Terminal.out(TaxRender.profileText(r.profile))
                    Terminal.out("Organisation: \(r.organisation ?? "not connected") (version \(r.version)); tax rates: \(r.ratesSource)\n")
                    var rows = [["TREATMENT", "COUNTRY", "RATE", "TAX TYPE", "HOW"]]
                    for u in r.uses {
                        rows.append([u.key.treatment.rawValue, u.key.country ?? "", u.key.rate.map(TaxKey.percent) ?? "",
                                     u.taxType ?? "—", u.problem.map { "\(u.source): \($0)" } ?? u.source])
                    }
                    Terminal.out(Terminal.table(rows))
                    if !r.rates.isEmpty {
                        Terminal.out("\nThe organisation's tax rates:")
                        var rateRows = [["TAX TYPE", "NAME", "RATE", "STATUS", "REVENUE", "EXPENSES"]]
                        for rate in r.rates {
                            rateRows.append([rate.TaxType ?? "", rate.Name ?? "", rate.basisPoints.map(TaxKey.percent) ?? "", rate.Status ?? "",
                                             rate.CanApplyToRevenue == false ? "no" : "yes", rate.CanApplyToExpenses == false ? "no" : "yes"])
                        }
                        Terminal.out(Terminal.table(rateRows))
                    }
                }
                return failed ? .config : .ok
            }
        }
    }

    struct TaxMap: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "map",
            abstract: "Choose the organisation's TaxType for a treatment: TREATMENT=TAXTYPE (an empty TAXTYPE removes the choice).",
            discussion: """
            TREATMENT is one of standard, reduced, zero-rated, exempt, export, ec-goods, marketplace-collected, outside-scope, \
            reverse-charge, standard-input, optionally for one destination country: standard@DE=TAX002. Examples: \
            lmb tax map standard-input=INPUT2 ; lmb tax map standard@IE=TAX001 export=ZERORATEDOUTPUT
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("TREATMENT=TAXTYPE pairs.", valueName: "TREATMENT=TAXTYPE")) var assignments: [String]

        func validate() throws {
            if assignments.isEmpty { throw ValidationError("give at least one TREATMENT=TAXTYPE") }
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let p = try TaxFlow(ctx).map(assignments)
                if global.json { Terminal.out(TaxRender.profileJSON(p).rendered()) } else if !global.quiet { Terminal.out(TaxRender.profileText(p)) }
                return .ok
            }
        }
    }
}

enum TaxRender {
    static func profileJSON(_ p: TaxProfile) -> JSON {
        .object([
            ("country", .string(p.country)),
            ("registered", .array(p.registered.map(JSON.string))),
            ("oss", .bool(p.oss)),
            ("await_vat_report", .bool(p.waitsForVATReport)),
            ("map", .object(p.map.keys.sorted().map { ($0, JSON.string(p.map[$0] ?? "")) })),
        ])
    }

    static func profileText(_ p: TaxProfile) -> String {
        var lines = ["  established in: \(p.country)",
                     "  registered in:  \(p.registered.isEmpty ? "nowhere (every line NoTax)" : p.registered.joined(separator: ", "))",
                     "  EU One-Stop Shop: \(p.oss ? "yes" : "no")",
                     "  hold settlements for the VAT report: \(p.waitsForVATReport ? "yes" : "no")"]
        if !p.map.isEmpty { lines.append("  your choices: " + p.map.keys.sorted().map { "\($0)=\(p.map[$0] ?? "")" }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
