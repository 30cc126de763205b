import ArgumentParser
import Foundation
import LMBCore

/// How to connect: shared by `lmb connect` and `lmb reconnect`.
struct ConnectOptions: ParsableArguments {
    @Option(help: "The Xero app's client id (saved to the configuration for next time).")
    var clientID: String?

    @Flag(help: "Connect a Xero custom connection with the client-credentials grant (needs the client secret).")
    var clientCredentials = false

    @Flag(help: "Use the web-app flow: authorization code with the client secret instead of PKCE.")
    var webApp = false

    /// The organisation to connect, when the sign-in grants several.
    @OptionGroup var tenantOption: TenantOption
    var tenant: String? { tenantOption.tenant }

    @Option(help: ArgumentHelp("Port of the redirect listener on 127.0.0.1; must match the redirect URI registered with Xero (http://127.0.0.1:PORT/callback). Default 5555.", valueName: "port"))
    var port: UInt16?

    @Flag(help: "Do not open a browser: open the printed URL anywhere, then paste the address it redirects to.")
    var noBrowser = false

    @Option(help: ArgumentHelp("broad (accounting.transactions …), granular (required of apps created since March 2026), or a space-separated list.", valueName: "set"))
    var scopes: String?

    @Option(help: "Seconds to wait for the sign-in to come back.")
    var timeout: Int = 300

    @Flag(help: "Also ask for accounting.settings (instead of accounting.settings.read): `lmb setup` needs it to create accounts, contacts and tracking.")
    var setup = false

    func validate() throws {
        if clientCredentials && webApp {
            throw ValidationError("--client-credentials and --web-app are two different flows; choose one")
        }
        if clientCredentials && noBrowser {
            throw ValidationError("--no-browser has no meaning with --client-credentials (no one signs in)")
        }
        if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    var request: XeroConnectRequest {
        var r = XeroConnectRequest(clientID: clientID, flow: clientCredentials ? .clientCredentials : (webApp ? .webApp : .pkce), tenant: tenant,
                                   port: port, noBrowser: noBrowser, scopes: scopes, timeout: TimeInterval(timeout))
        r.setup = setup
        return r
    }
}

extension LMB {
    struct Connect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect lmb to a Xero organisation.",
            discussion: """
            By default: the authorization-code flow with PKCE. lmb prints the sign-in URL (and opens a browser when \
            it can), listens on 127.0.0.1 for Xero's redirect, checks state, exchanges the code, and stores the tokens \
            in the store (0600). Sign in as a user with the Standard or Adviser role. The client secret (web app, \
            custom connection) is read only from LMB_XERO_CLIENT_SECRET or the home's client_secret file (0600), \
            never from the command line. Run again with --tenant to connect further organisations.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ConnectOptions

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                printConnected(try await ConnectFlow(ctx: ctx).connect(options.request), ctx)
                return .ok
            }
        }
    }

    struct Disconnect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disconnect lmb from a Xero organisation.",
            discussion: "Deletes the connection in Xero (DELETE /connections/{id}), revokes the refresh token when no other organisation uses it, and forgets the tokens.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tenantOption: TenantOption
        var tenant: String? { tenantOption.tenant }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let done = try await ConnectFlow(ctx: ctx).disconnect(tenant: tenant)
                for n in done.notes { Terminal.err("note: \(n)") }
                if ctx.json {
                    Terminal.out(JSON.object([("disconnected", .string(done.tenantID)), ("tenantName", .string(done.tenantName)),
                                              ("notes", .array(done.notes.map(JSON.string)))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Disconnected from \(done.tenantName).")
                }
                return .ok
            }
        }
    }

    struct Reconnect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disconnect, then connect again: the fix for a stale connection or a user without permission.",
            discussion: "Step 3 of the reconnect runbook. Authorise as a Xero user with the Standard or Adviser role.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ConnectOptions

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                printConnected(try await ConnectFlow(ctx: ctx).reconnect(options.request), ctx)
                return .ok
            }
        }
    }
}

/// What a connect prints: the organisation, in text or JSON.
func printConnected(_ c: XeroConnected, _ ctx: RunContext) {
    if ctx.json {
        Terminal.out(JSON.object([("tenantId", .string(c.tenantID)), ("tenantName", .optional(c.tenantName)),
                                  ("connectionId", .string(c.connectionID)), ("scopes", .string(c.scopes))]).rendered())
    } else if !ctx.quiet {
        Terminal.out("Connected to \(c.tenantName ?? c.tenantID) (tenant \(c.tenantID)).")
    }
}
