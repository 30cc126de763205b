import ArgumentParser
import Foundation
import LMBCore

enum DocumentStatus: String, ExpressibleByArgument, CaseIterable {
    case draft, authorised
}

extension LMB {
    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send settlements to Xero, exactly once.",
            discussion: """
            Each settlement's invoice (or bill) is recorded with an idempotency key before it is sent; a settlement \
            already sent is skipped and never posted again; one whose answer was lost is looked up in Xero first. \
            Documents go in batches of up to 50 per request, paced by Xero's rate-limit headers. When Xero refuses, \
            lmb says why (the classification, Xero's exact message, the correlation id) and prints the steps that fix it.

            Exit codes (the worst outcome of the run): 0 sent or skipped; 65 a settlement needs mapping or Xero \
            refused a document; 75 temporary (rate limit, organisation offline, Xero unavailable, network, another \
            lmb send running): cron may retry; 77 a person must act (permission, stale connection, missing scope); \
            78 not connected or misconfigured.
            """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Send every settlement that is ready (and retry failed ones).")
        var all = false

        @Flag(help: "Print the request bodies; send nothing.")
        var dryRun = false

        @Option(help: "The status documents are created with: draft (the default, as bookkeepers expect) or authorised.")
        var status: DocumentStatus = .draft

        @Option(help: ArgumentHelp("The connected organisation to send to, by name or tenant id (default: the default one).", valueName: "name|id"))
        var tenant: String?

        @Argument(help: ArgumentHelp("Settlement ids.", valueName: "settlement-id"))
        var ids: [String] = []

        func validate() throws {
            if all == !ids.isEmpty { throw ValidationError("name settlement ids, or --all (not both)") }
        }

        func run() async throws {
            try await runReportingAsync {
                let home = global.lmbHome
                let mapping = try Mapping.load(home: home.url)
                if dryRun { return try dryRunBodies(home: home, mapping: mapping) }
                let wait = TimeInterval(ProcessInfo.processInfo.environment["LMB_LOCK_WAIT"].flatMap(Double.init) ?? 10)
                let lock = try SendLock(home: home, wait: wait)
                defer { withExtendedLifetime(lock) {} }
                let session = try XeroSession(home: home)
                let targets: [String]
                if all {
                    targets = try Sender.readySettlements(store: session.store, mapping: mapping)
                } else {
                    targets = ids
                }
                for s in try targets.compactMap({ try session.store.settlement(id: $0) }) {
                    Render.warnBookedToOther(settlementID: s.header.id, try session.store.book(s, mapping: mapping), currency: s.header.currencyInfo, quiet: global.quiet)
                }
                let client: XeroClient
                do { client = try session.client(tenant: tenant) } catch let f as XeroFailure {
                    return try render(targets.map { SendResult(settlementID: $0, outcome: .failed, classification: f.classification, message: f.message, invoiceIDs: [], invoiceNumbers: [], failure: f) }, mapping: mapping)
                }
                let quiet = global.quiet || global.json
                await client.setOnWait { seconds, reason in if !quiet { Terminal.err("waiting \(seconds) s for \(reason)") } }
                var sender = Sender(session: session, client: client, mapping: mapping)
                sender.status = status.rawValue.uppercased()
                if let size = ProcessInfo.processInfo.environment["LMB_BATCH_SIZE"].flatMap(Int.init), (1...50).contains(size) { sender.batchSize = size }
                sender.log = { line in if !quiet { Terminal.err(line) } }
                if targets.isEmpty {
                    if global.json { Terminal.out(JSON.object([("results", .array([]))]).rendered()) }
                    else if !global.quiet { Terminal.out("Nothing to send: every settlement is sent, or needs mapping (see lmb settlements).") }
                    return 0
                }
                let results = try await sender.send(targets)
                return try render(results, mapping: mapping)
            }
        }

        func render(_ results: [SendResult], mapping: Mapping) throws -> Int32 {
            if global.json {
                Terminal.out(JSON.object([("results", .array(results.map { r in
                    .object([
                        ("settlement", .string(r.settlementID)), ("outcome", .string(r.outcome.rawValue)),
                        ("classification", .string(r.classification.rawValue)), ("message", .string(r.message)),
                        ("invoiceIds", .array(r.invoiceIDs.map(JSON.string))), ("invoiceNumbers", .array(r.invoiceNumbers.map(JSON.string))),
                        ("correlationId", .optional(r.failure?.correlationID)), ("httpStatus", r.failure?.status.map { .int($0) } ?? .null),
                        ("runbook", .array(r.failure.map { Runbook.steps(for: $0, settlementID: r.settlementID, mapping: mapping) }?.map(JSON.string) ?? [])),
                    ])
                }))]).rendered())
            } else {
                for r in results {
                    switch r.outcome {
                    case .sent: if !global.quiet { Terminal.out("sent \(r.settlementID): \(r.message)") }
                    case .skipped: if !global.quiet { Terminal.out("skipped \(r.settlementID): \(r.message)") }
                    case .failed:
                        guard let f = r.failure else { continue }
                        Terminal.err(Render.failure(settlementID: r.settlementID, f, mapping: mapping))
                    }
                }
            }
            return worstExitCode(results.map(\.exitCode))
        }

        func dryRunBodies(home: LMBHome, mapping: Mapping) throws -> Int32 {
            let store = try Store.open(home: home)
            let settlements = all ? try store.allSettlements() : try ids.map { id in
                guard let s = try store.settlement(id: id) else { throw LMBError.notFound("no settlement \(id); list them with: lmb settlements") }
                return s
            }
            var code: Int32 = 0
            var bodies: [JSON] = []
            for s in settlements {
                let result = try store.book(s, mapping: mapping, tenant: tenant)
                if result.needsMapping {
                    Terminal.err(Render.unmappedText(settlementID: s.header.id, result.unmapped, currency: s.header.currencyInfo))
                    code = max(code, 65)
                    continue
                }
                if s.status(ledger: result) == .sent { if !global.quiet { Terminal.err("skipped \(s.header.id): already sent") }; continue }
                Render.warnBookedToOther(settlementID: s.header.id, result, currency: s.header.currencyInfo, quiet: global.quiet)
                bodies.append(contentsOf: result.postings.map { $0.xeroInvoice(status: status.rawValue.uppercased()) })
            }
            Terminal.out(JSON.object([("Invoices", .array(bodies))]).rendered())
            return code
        }
    }
}

/// The exit code that matters most: a person must act (77), configuration (78), data (65), then temporary (75).
func worstExitCode(_ codes: [Int32]) -> Int32 {
    for code in [Int32(77), 78, 65, 75, 74, 66] where codes.contains(code) { return code }
    return codes.first { $0 != 0 } ?? 0
}
