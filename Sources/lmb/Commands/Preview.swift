import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Preview: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the Xero invoice or bill a settlement becomes.",
            discussion: """
            Give a stored settlement's id, or a settlement file (previewed without importing it). \
            --json prints exactly the request body that sending will PUT to Xero: {"Invoices":[…]}. \
            A settlement with rows that no mapping rule covers cannot become a document: it is listed \
            with the mapping entries to add, and the exit code is 65.
            """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: ArgumentHelp("A settlement id, or the path of a settlement file.", valueName: "id-or-file"))
        var target: String

        /// An Etsy statement holds several payouts: each previews as its own settlement.
        func previewEtsy(mapping: Mapping, lock: CalendarDate?, settlements: [ParsedSettlement]? = nil) throws -> ExitStatus {
            let payouts = try settlements ?? EtsyStatementParser(path: target).parse().map(\.settlement)
            let ledger = Ledger(mapping: mapping, lockDate: lock)
            var postings: [Posting] = []
            var code = ExitStatus.ok
            for (i, p) in payouts.enumerated() {
                let result = ledger.book(header: p.header, marketplace: p.marketplace, groups: p.groups)
                if result.needsMapping {
                    Terminal.err(Render.unmappedText(settlementID: p.header.id, result.unmapped, currency: p.header.currencyInfo))
                    code = .dataError
                    continue
                }
                Render.warnBookedToOther(settlementID: p.header.id, result, currency: p.header.currencyInfo)
                postings += result.postings
                if !global.json {
                    if i > 0 { Terminal.out("\n" + String(repeating: "─", count: 60) + "\n") }
                    Terminal.out(Render.preview(header: p.header, marketplace: p.marketplace, result: result, fromFile: true))
                }
            }
            if global.json { Terminal.out(Posting.requestBody(postings).rendered()) }
            return code
        }

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let home = ctx.home
                let mapping = try Mapping.load(home: home.url)
                let header: SettlementHeader
                let marketplace: String
                let result: LedgerResult
                var isFile = false
                // A stored settlement's cost-of-goods journal (or bill), shown beside the invoice as send will post it.
                var cogs: CostOfGoodsPlan?
                let store = try ctx.existingStore()
                if InputFile.namesFile(target) {
                    try InputFile.check(target)
                    if SettlementFormat.detect(path: target) == .etsy {
                        return try previewEtsy(mapping: mapping, lock: try store?.organisationFacts(tenant: nil)?.lockDate)
                    }
                    if let payouts = try ChannelExports.parse(path: target, format: SettlementFormat.detect(path: target)) {
                        return try previewEtsy(mapping: mapping, lock: try store?.organisationFacts(tenant: nil)?.lockDate,
                                               settlements: payouts.map(\.settlement))
                    }
                    let parser = SettlementParser(path: target)
                    let parsed = try mapping.tax.map { try parser.parseForTaxBooking(mapping, profile: $0) } ?? parser.parseForBooking(mapping)
                    (header, marketplace, isFile) = (parsed.header, parsed.marketplace, true)
                    let facts = try store?.organisationFacts(tenant: nil)
                    let resolver = mapping.tax.map { TaxResolver(profile: $0, version: facts?.version, rates: facts?.taxRates, accounts: facts?.accounts) }
                    result = Ledger(mapping: mapping, lockDate: facts?.lockDate, resolver: resolver)
                        .book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
                } else {
                    guard let store, let s = try store.settlement(id: target) else {
                        throw LMBError.usage("no settlement \(target) was ever imported (and no file has that name); list the imported ones with: lmb settlements")
                    }
                    (header, marketplace) = (s.header, s.marketplace)
                    result = try Booking(store: store, mapping: mapping).book(s)
                    if !result.needsMapping {
                        cogs = try CostOfGoodsPlan.make(store: store, settlement: s, booked: result, settings: try CostOfGoodsSettings(config: try ctx.config()))
                    }
                }
                if result.needsMapping {
                    Terminal.err(Render.unmappedText(settlementID: header.id, result.unmapped, currency: header.currencyInfo))
                    if global.json {
                        Terminal.out(JSON.object([("Invoices", .array([])),
                                                  ("unmapped", .array(result.unmapped.map(Render.unmappedJSON(currency: header.currencyInfo))))]).rendered())
                    }
                    return .dataError
                }
                Render.warnBookedToOther(settlementID: header.id, result, currency: header.currencyInfo)
                if let warning = cogs?.warning(settlementID: header.id), !ctx.output.quiet { Terminal.err(warning) }
                if global.json {
                    // The bodies send will PUT: the invoices (a cost-of-goods bill among them), and the journal beside them.
                    var invoices = result.postings.map { $0.xeroInvoice() }
                    var pairs: [(String, JSON)] = []
                    if let d = cogs?.document {
                        if d.mode == .bill { invoices.append(d.body(invoiceStatus: "DRAFT")) } else { pairs.append(("ManualJournals", .array([d.body(invoiceStatus: "DRAFT")]))) }
                    }
                    Terminal.out(JSON.object([("Invoices", .array(invoices))] + pairs).rendered())
                } else {
                    Terminal.out(Render.preview(header: header, marketplace: marketplace, result: result, fromFile: isFile))
                    if let cogs { Terminal.out("\n" + cogs.previewText()) }
                    // Both amounts once Xero has applied the organisation's rate to the sent invoice (Sending/ForeignCurrencyReference.swift).
                    if !isFile, let converted = try store?.convertedAmounts(settlementID: header.id), !converted.isEmpty {
                        for (number, note) in converted.sorted(by: { $0.key < $1.key }) { Terminal.out("\(number): \(note) (the organisation's rate in Xero)") }
                    }
                }
                return .ok
            }
        }
    }
}
