import ArgumentParser
import Foundation
import LMBCore

/// Which connected eBay account a command works with.
struct EbayAccountOption: ParsableArguments {
    @Option(help: ArgumentHelp("The eBay account, by the label `lmb ebay connect` gave it (default: the only one).", valueName: "label"))
    var account: String?
}

extension LMB {
    struct EbayCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ebay",
            abstract: "Connect eBay seller accounts, so that lmb fetch can download their eBay payouts.",
            discussion: """
            Payouts come from eBay's Sell Finances API with an app of your own from the eBay developer portal (Application \
            Keys: its App ID is the client id, its Cert ID the client secret; User Tokens: its RuName). The seller signs in \
            once and agrees to the sell.finances scope; the refresh token lasts 18 months. EU and UK sellers' calls are \
            signed with an Ed25519 key from eBay's Key Management API, created when connecting and kept.

            Each SUCCEEDED payout becomes one settlement EBAY-<payout id> (contact "eBay <site>") whose total is the payout.
            """,
            subcommands: [EbayConnect.self, EbayStatus.self, EbayDisconnect.self])
    }

    struct EbayConnect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "connect",
            abstract: "Connect an eBay seller account (authorization-code grant with the sell.finances scope).",
            discussion: """
            The client secret (Cert ID) is read from \(EbayConnectFlow.clientSecretVariable), or asked for without echo on a \
            terminal, never taken from the command line. lmb prints eBay's consent address: sign in as the seller, agree, \
            and paste the address eBay then sends your browser to (the RuName's accept URL, carrying code=…). For EU and UK \
            sites (or with --sign) lmb creates an Ed25519 signing key through the Key Management API and keeps it; \
            --new-key replaces it (after eBay refused a signature). One getPayouts call proves it all; then the \
            credentials are stored (mode 0600). Connecting again under the same --name renews them and keeps what was fetched.

            Every payout fetched through the account goes to one Xero organisation: --tenant, else the default one.

            LMB_EBAY_BASE_URL points every eBay call at one base URL (the sandbox: `lmb sandbox`).

            Exit codes: 0 connected; 64 usage; 75 eBay's daily limit, unavailable or unreachable; 77 a person must act \
            (consent refused, the scope missing, a signature refused); 78 configuration (the client id or secret is \
            refused, the code or pasted address is wrong, --tenant names no organisation).
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The app's client id (App ID).", valueName: "id"))
        var clientID: String

        @Option(help: ArgumentHelp("The app's RuName (eBay Redirect URL name), the consent's redirect_uri.", valueName: "runame"))
        var ruName: String

        @Option(help: ArgumentHelp("The seller's eBay site: EBAY_GB, EBAY_US, EBAY_DE, …", valueName: "site"))
        var site = "EBAY_US"

        @Option(help: ArgumentHelp("A label for the account, for --account (default: ebay-<site>).", valueName: "label"))
        var name: String?

        @OptionGroup var tenantOption: TenantOption

        @Flag(help: "Do not open a browser: open the printed address anywhere, then paste the address it redirects to.")
        var noBrowser = false

        @Flag(help: "Create a new signing key even though one is stored (eBay refused a signature, errors 215120/215122).")
        var newKey = false

        @Flag(help: "Sign the Finances calls even though the site is not EU/UK (a seller domiciled in the EU or UK).")
        var sign = false

        @Option(help: .hidden) var clientSecret: String?

        func validate() throws {
            if clientSecret != nil {
                throw ValidationError("lmb never takes secrets as arguments (the shell's history and ps keep them): set \(EbayConnectFlow.clientSecretVariable), or let lmb ask on a terminal. Rotate a secret that was typed on a command line")
            }
            if let name, name.isEmpty || name.contains(where: { $0.isWhitespace }) {
                throw ValidationError("--name must be a label without spaces, such as ebay-uk")
            }
            if EbaySites.normalise(site) == nil {
                throw ValidationError("--site must be one of \(EbaySites.known.joined(separator: ", "))")
            }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let c = try await EbayConnectFlow(ctx: ctx).connect(.init(clientID: clientID, ruName: ruName, site: site, name: name,
                                                                          tenant: tenantOption.tenant, noBrowser: noBrowser, newKey: newKey,
                                                                          sign: sign ? true : nil))
                let boundTo = c.organisation.map { "\($0.tenantName) (tenant \($0.tenantID))" } ?? "the default Xero organisation (none is connected yet: run lmb connect)"
                let key = c.account.settings["signingKeyId"]
                if ctx.json {
                    Terminal.out(JSON.object([
                        ("account", .string(c.account.label)), ("created", .bool(c.created)), ("site", .optional(c.account.settings["site"])),
                        ("signing", .bool(c.signing)), ("signingKeyId", .optional(key)), ("signingKeyCreated", .bool(c.keyCreated)),
                        ("refreshExpiresAt", .optional(c.account.settings["refreshExpiresAt"])),
                        ("tenantId", .optional(c.organisation?.tenantID)), ("tenantName", .optional(c.organisation?.tenantName)),
                    ]).rendered())
                } else if !ctx.quiet {
                    let signing = c.signing
                        ? "Finances calls are signed with Ed25519 key \(key ?? "?")\(c.keyCreated ? " (created now through the Key Management API)" : " (kept)")."
                        : "Finances calls are not signed (\(c.account.settings["site"] ?? "?") sellers need no signature)."
                    Terminal.out("""
                        \(c.created ? "Connected" : "Renewed the authorisation of") eBay account \(c.account.label) (\(c.account.settings["site"] ?? "?")).
                        eBay granted sell.finances; the refresh token lasts 18 months (until \(c.account.settings["refreshExpiresAt"].map { String($0.prefix(10)) } ?? "?")).
                        \(signing)
                        getPayouts answered: \(c.payoutsListed) succeeded payouts in the last 90 days.
                        Payouts fetched through it go to \(boundTo).
                        Next: lmb fetch --account \(c.account.label) (or lmb sync, from cron).
                        """)
                }
                return .ok
            }
        }
    }

    struct EbayStatus: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the connected eBay accounts: site, refresh token age, signing key, organisation, last fetch, payouts.",
            discussion: "Reads the store only (`lmb diagnose` talks to eBay).\n\nExit codes: 0; 78 no eBay account is connected.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: EbayAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let accounts = try accountOption.account.map { [try EbayAccounts.account(store, label: $0)] } ?? store.channelAccounts(kind: .ebay)
                let view = try ChannelStatusView(store: store, kind: .ebay, now: ctx.clock.now)
                var texts: [String] = []
                var objects: [JSON] = []
                for a in accounts {
                    let common = try view.common(a)
                    let age = EbayAccounts.refreshAge(a, now: view.now)
                    let ageText = age.map { $0.daysLeft > 0 ? "\($0.days) days old of 18 months; \($0.daysLeft) days left" : "\($0.days) days old: EXPIRED, run lmb ebay connect" } ?? "?"
                    let keyText = a.settings["signingKeyId"].map { id in
                        "Ed25519 key \(id) stored\(a.settings["signingKeyExpiresAt"].map { ", valid until \($0.prefix(10))" } ?? "")"
                    } ?? (EbaySites.mustSign(a.settings["site"] ?? "") ? "none — \(a.settings["site"] ?? "") calls must be signed: run lmb ebay connect --new-key" : "none (not needed)")
                    let lines = ["\(a.label)", "  site            \(a.settings["site"] ?? "?")", "  client id       \(a.settings["clientId"] ?? "?")",
                                 "  refresh token   \(ageText)", "  signing key     \(keyText)"] + common.lines
                    texts.append(lines.joined(separator: "\n"))
                    objects.append(.object([
                        ("account", .string(a.label)), ("site", .optional(a.settings["site"])), ("clientId", .optional(a.settings["clientId"])),
                        ("refreshTokenAgeDays", age.map { .int($0.days) } ?? .null), ("refreshTokenDaysLeft", age.map { .int($0.daysLeft) } ?? .null),
                        ("signingKeyId", .optional(a.settings["signingKeyId"])), ("signingKeyExpiresAt", .optional(a.settings["signingKeyExpiresAt"])),
                    ] + common.fields))
                }
                return ChannelStatusView.show(ctx, texts: texts, objects: objects,
                                              none: "No eBay account is connected. Run: lmb ebay connect --client-id ID --ru-name RUNAME --site EBAY_GB")
            }
        }
    }

    struct EbayDisconnect: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "disconnect",
            abstract: "Forget an eBay account's credentials and signing key.",
            discussion: """
            The client secret, refresh token and signing key are deleted from the store; the payouts fetched stay, and still \
            go to the organisation they were fetched for. To withdraw the consent at eBay too, the seller removes the app \
            in eBay's account settings (Account → Permissions / Third-party app access).

            Exit codes: 0 disconnected; 64 several accounts and no --account; 78 no such account.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: EbayAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let account = try EbayAccounts.account(store, label: accountOption.account)
                try store.removeChannelAccount(account)
                if ctx.json {
                    Terminal.out(JSON.object([("disconnected", .string(account.label)), ("site", .optional(account.settings["site"]))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Disconnected eBay account \(account.label). To withdraw the consent at eBay too, remove the app in eBay's account settings (third-party app access).")
                }
                return .ok
            }
        }
    }
}
