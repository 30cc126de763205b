import ArgumentParser
import Foundation
import LMBCore
import XeroSandbox

extension SandboxScenario: ExpressibleByArgument {}

extension LMB {
    struct Sandbox: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a local Amazon and Xero emulator, to try lmb with no Amazon or Xero account.",
            discussion: """
            Serves Xero's identity, connections and accounting endpoints, and Amazon's Login with Amazon, Reports API \
            and document downloads, on 127.0.0.1, all on one port, in the foreground until Ctrl-C. Point lmb at it \
            with the LMB_XERO_BASE_URL and LMB_AMAZON_BASE_URL it prints. Amazon's side accepts any client id and \
            secret and any refresh token that starts Atzr|.

            Scenarios (--scenario, or POST /_sandbox/scenario {"scenario":"NAME"} while it runs): \
            \(SandboxScenario.allCases.map(\.rawValue).joined(separator: ", ")).

            Control API: GET /_sandbox/state, POST /_sandbox/scenario, POST /_sandbox/clock {"advance_seconds":N} or {"freeze":true}, \
            POST /_sandbox/reset, POST /_sandbox/organisation (archive_account, period_lock_date, currencies, \
            archive_contact, archive_tax_rate; version UK|AU|NZ|US|GLOBAL with that version's tax rates and Xero's tax \
            arithmetic, chart empty|demo, tax_rates [{"TaxType","Status"} or {"Name","TaxType","Rate"}], compute_tax), \
            POST /_sandbox/currencies {"EUR":"0.8432"} (the organisation's rates, returned as invoices' CurrencyRate), \
            POST /_sandbox/config (client_secret, minute_limit, day_limit, deny_consent); \
            Amazon: POST /_sandbox/amazon/reports?compression=GZIP&charset=Cp1252|Shift_JIS|UTF-8|none with a settlement \
            file as the body (a DONE settlement report), GET|POST /_sandbox/amazon/config ({"buckets":{"getReportDocument":\
            {"rate":…,"burst":…}},"access_token_seconds":…,"presigned_url_seconds":…,"tax_remittance_role":true|false}), \
            POST /_sandbox/amazon/vat-data?month=YYYY-MM with a VAT Transactions Report as the body (what a requested \
            GET_VAT_TRANSACTION_DATA report holds; its document is read only with a restricted-data token).

            A bookkeeper's many clients: POST /_sandbox/organisations {"name","base_currency"} adds an organisation and \
            answers {"tenantId","client_id"} (`lmb connect --client-credentials --client-id CID`, any secret, connects \
            it); POST /_sandbox/scenario {"scenario","tenant"} touches one organisation; POST \
            /_sandbox/amazon/reports?refresh_token=Atzr|… makes a report only that seller sees; {"scenario": \
            "amazon-refresh-revoked", "refresh_token": …} revokes one seller; POST /_sandbox/config {"latency_ms": N} \
            delays every Amazon and Xero answer; GET /_sandbox/state lists "organisations" with their peak calls a \
            minute and at once.
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Port to listen on (0: one the OS picks).")
        var port: UInt16 = 0

        @Option(help: "The scenario to start in.")
        var scenario: SandboxScenario = .healthy

        @Option(help: "The demo organisation's base currency.")
        var baseCurrency = "USD"

        @Option(name: .customLong("port-file"), help: ArgumentHelp("Write the chosen port to this file once listening (for scripts).", valueName: "file"))
        var portFile: String?

        func run(_ ctx: RunContext) async throws {
            var options = SandboxEngine.Options()
            options.baseCurrency = baseCurrency.uppercased()
            let engine = SandboxEngine(options: options, scenario: scenario)
            let server: SandboxServer
            do {
                server = try await SandboxServer(engine: engine, port: port)
            } catch {
                // A port taken or not ours to bind is this machine refusing a resource, not a wrong argument, and
                // not something a cron retry would fix (ExitStatus.temporary): 74, as the policy says.
                Terminal.error("cannot listen on 127.0.0.1:\(port): \(error)")
                throw ExitCode(ExitStatus.ioError.rawValue)
            }
            if let portFile { try? String(server.port).write(toFile: portFile, atomically: true, encoding: .utf8) }
            Terminal.out("""
                Amazon and Xero sandbox listening on \(server.baseURL) (scenario: \(scenario.rawValue)).
                Point lmb at it:
                  export LMB_XERO_BASE_URL=\(server.baseURL) LMB_AMAZON_BASE_URL=\(server.baseURL)
                Control it: curl -s \(server.baseURL)/_sandbox/state
                Stop it with Ctrl-C.
                """)
            await waitForInterrupt()
            await server.stop()
            Terminal.err("sandbox stopped")
        }

        /// Returns at the first SIGINT or SIGTERM. The stream takes any number of signals (both may come, or
        /// Ctrl-C twice), so nothing needs a lock; the signals stay ignored after, while the server stops.
        func waitForInterrupt() async {
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            let (signals, delivered) = AsyncStream<Int32>.makeStream()
            let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { delivered.yield(sig) }
                source.resume()
                return source
            }
            for await _ in signals { break }
            withExtendedLifetime(sources) {}
        }
    }
}
