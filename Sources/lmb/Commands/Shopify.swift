import ArgumentParser
import Foundation
import LMBCore

/// Which connected shop a command works with.
struct ShopifyAccountOption: ParsableArguments {
    @Option(help: ArgumentHelp("The Shopify shop, by the label `lmb shopify connect` gave it (default: the only one).", valueName: "label"))
    var account: String?
}

extension LMB {
    struct ShopifyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "shopify",
            abstract: "Connect Shopify shops, so that lmb fetch can download their Shopify Payments payouts.",
            discussion: """
            Payouts come from the Admin GraphQL API (version \(ShopifyEndpoints.apiVersion)) with an app of the shop's own: in \
            the Shopify admin open Settings → Apps and sales channels → Develop apps, create an app with the Admin API \
            scopes read_shopify_payments_payouts and read_shopify_payments_accounts, install it, and either copy its Admin \
            API access token (shpat_…) or, for a Dev Dashboard app, its client id and client secret.

            Each PAID payout becomes one settlement SHP-<payout id> (contact "Shopify Payments") whose total is the deposit.
            """,
            subcommands: [ShopifyConnect.self, ShopifyStatus.self, ShopifyPending.self, ShopifySecret.self, ShopifyDisconnect.self])
    }

    struct ShopifyConnect: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "connect",
            abstract: "Connect a Shopify shop (an Admin API access token, or a custom app's client id and secret).",
            discussion: """
            The access token is read from \(ShopifyConnectFlow.accessTokenVariable); with --client-id, the client secret from \
            \(ShopifyConnectFlow.clientSecretVariable) (the client-credentials grant gives a 24-hour token, asked for again as \
            needed). Either is asked for without echo on a terminal, never taken from the command line. lmb proves them at \
            once with a query that needs both payments scopes, then stores them (mode 0600). Connecting again under the \
            same --name replaces the shop's credentials and keeps what it fetched.

            Every payout fetched through the shop goes to one Xero organisation: --tenant, else the default one.

            LMB_SHOPIFY_BASE_URL points every Shopify call at one base URL (the sandbox: `lmb sandbox`).

            Exit codes: 0 connected; 64 usage; 75 Shopify throttled, unavailable or unreachable; 77 a person must act \
            (the token is revoked or the app uninstalled; a scope is missing; the shop is frozen or locked); 78 \
            configuration (the client id or secret is refused, a secret is missing, --tenant names no organisation).
            """)

        @OptionGroup var global: GlobalOptions

        @Option(help: ArgumentHelp("The shop's myshopify.com domain.", valueName: "store.myshopify.com"))
        var shop: String

        @Option(help: ArgumentHelp("A Dev Dashboard app's client id: use the client-credentials grant (secret in \(ShopifyConnectFlow.clientSecretVariable)).", valueName: "id"))
        var clientID: String?

        @Option(help: ArgumentHelp("A label for the shop, for --account (default: the shop's name).", valueName: "label"))
        var name: String?

        @OptionGroup var tenantOption: TenantOption

        @Option(help: .hidden) var accessToken: String?
        @Option(help: .hidden) var clientSecret: String?

        func validate() throws {
            if accessToken != nil || clientSecret != nil {
                throw ValidationError("lmb never takes secrets as arguments (the shell's history and ps keep them): set \(ShopifyConnectFlow.accessTokenVariable) or \(ShopifyConnectFlow.clientSecretVariable), or let lmb ask on a terminal. Rotate a secret that was typed on a command line")
            }
            if let name, name.isEmpty || name.contains(where: { $0.isWhitespace }) {
                throw ValidationError("--name must be a label without spaces, such as uk-shop")
            }
        }

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let c = try await ShopifyConnectFlow(ctx: ctx).connect(shop: shop, clientID: clientID, name: name, tenant: tenantOption.tenant)
                let boundTo = c.organisation.map { "\($0.tenantName) (tenant \($0.tenantID))" } ?? "the default Xero organisation (none is connected yet: run lmb connect)"
                if ctx.json {
                    Terminal.out(JSON.object([
                        ("account", .string(c.account.label)), ("created", .bool(c.created)), ("shop", .optional(c.account.settings["shop"])),
                        ("auth", .optional(c.account.settings["auth"])), ("currency", .optional(c.currency)),
                        ("tenantId", .optional(c.organisation?.tenantID)), ("tenantName", .optional(c.organisation?.tenantName)),
                    ]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("""
                        \(c.created ? "Connected" : "Renewed the credentials of") Shopify shop \(c.account.label) (\(c.account.settings["shop"] ?? "?"), \(c.auth)).
                        Shopify answered a query needing read_shopify_payments_accounts and read_shopify_payments_payouts: both scopes are granted.
                        Payouts fetched through it go to \(boundTo).
                        Next: lmb fetch --account \(c.account.label) (or lmb sync, from cron).
                        """)
                }
                return .ok
            }
        }
    }

    struct ShopifyStatus: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the connected Shopify shops: shop, how lmb authenticates, organisation, last fetch, payouts.",
            discussion: "Reads the store only (`lmb diagnose` talks to Shopify).\n\nExit codes: 0; 78 no Shopify shop is connected.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: ShopifyAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let accounts = try accountOption.account.map { [try ShopifyAccounts.account(store, label: $0)] } ?? store.channelAccounts(kind: .shopify)
                let view = try ChannelStatusView(store: store, kind: .shopify, now: ctx.clock.now)
                var texts: [String] = []
                var objects: [JSON] = []
                for a in accounts {
                    let common = try view.common(a)
                    let auth = a.settings["auth"] == "client_credentials" ? "client credentials (client id \(a.settings["clientId"] ?? "?"); 24-hour tokens)" : "Admin API access token"
                    let lines = ["\(a.label)", "  shop            \(a.settings["shop"] ?? "?")", "  auth            \(auth)"] + common.lines
                    texts.append(lines.joined(separator: "\n"))
                    objects.append(.object([("account", .string(a.label)), ("shop", .optional(a.settings["shop"])), ("auth", .optional(a.settings["auth"]))]
                                           + common.fields))
                }
                return ChannelStatusView.show(ctx, texts: texts, objects: objects, none: "No Shopify shop is connected. Run: lmb shopify connect --shop STORE.myshopify.com")
            }
        }
    }

    struct ShopifyPending: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "pending",
            abstract: "List the rows of Shopify payouts not yet paid that `lmb import` kept (never sent).",
            discussion: """
            A Shopify Payments transactions export can hold rows whose payout is still pending, scheduled or in transit. \
            lmb keeps them here, in no settlement, so nothing of them reaches Xero; when a later export (or `lmb fetch`) \
            brings them in a paid payout, that payout's settlement replaces them. Reads the store only.

            Exit codes: 0 (also when nothing is pending).
            """)

        @OptionGroup var global: GlobalOptions

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let rows = try ctx.store().pendingPayoutRows(format: .shopify)
                func money(_ minor: Int64, _ currency: String) -> String { Money(minorUnits: minor, currency: Currency(code: currency)).decimalString }
                if ctx.json {
                    Terminal.out(JSON.array(rows.map { r in
                        let e = Currency(code: r.currency).exponent
                        return .object([
                            ("transactionDate", .string(r.transactionDate)), ("type", .string(r.transactionType)), ("order", .optional(r.orderID)),
                            ("currency", .string(r.currency)), ("amount", .money(r.amountMinor, exponent: e)), ("fee", .money(r.feeMinor, exponent: e)),
                            ("net", .money(r.netMinor, exponent: e)), ("payoutStatus", .string(r.payoutStatus)),
                            ("payoutDate", .optional(r.payoutDate?.description)), ("payoutId", .optional(r.payoutID)),
                        ])
                    }).rendered())
                } else if rows.isEmpty {
                    Terminal.out("No Shopify row is waiting for its payout.")
                } else {
                    var table = [["date", "type", "order", "net", "currency", "payout status", "payout date"]]
                    for r in rows {
                        table.append([r.date.description, r.transactionType.lowercased(), r.orderID ?? "", money(r.netMinor, r.currency), r.currency,
                                      r.payoutStatus, r.payoutDate?.description ?? ""])
                    }
                    var sums: [String: Int64] = [:]
                    for r in rows { sums[r.currency, default: 0] += r.netMinor }
                    Terminal.out(Terminal.table(table, rightAlign: [3]))
                    Terminal.out("\(rows.count) row\(rows.count == 1 ? "" : "s") not yet paid out (net \(sums.keys.sorted().map { "\(money(sums[$0]!, $0)) \($0)" }.joined(separator: ", "))): never sent")
                }
                return .ok
            }
        }
    }

    struct ShopifySecret: AsyncContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "secret",
            abstract: "Replace the client secret of a shop connected with client credentials.",
            discussion: """
            Rotate the secret in the app's settings, then run this with it in \(ShopifyConnectFlow.clientSecretVariable) (or type \
            it when asked, no echo). lmb proves it with the client-credentials grant and a query, then stores it.

            Exit codes: 0 replaced; 64 the shop uses an access token, or several shops and no --account; 75 Shopify \
            unreachable; 77 a scope is missing; 78 Shopify refuses the new secret, or none was given.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: ShopifyAccountOption

        func run(_ ctx: RunContext) async throws {
            try await runReportingAsync {
                let account = try await ShopifyConnectFlow(ctx: ctx).replaceSecret(label: accountOption.account)
                if ctx.json {
                    Terminal.out(JSON.object([("account", .string(account.label)), ("replaced", .bool(true))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Replaced the client secret of Shopify shop \(account.label); Shopify accepted it.")
                }
                return .ok
            }
        }
    }

    struct ShopifyDisconnect: ContextCommand {
        static let configuration = CommandConfiguration(
            commandName: "disconnect",
            abstract: "Forget a Shopify shop's credentials.",
            discussion: """
            The credentials are deleted from the store; the payouts fetched stay, and still go to the organisation they \
            were fetched for. To withdraw access at Shopify too, uninstall the app (Settings → Apps and sales channels).

            Exit codes: 0 disconnected; 64 several shops and no --account; 78 no such shop.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accountOption: ShopifyAccountOption

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let account = try ShopifyAccounts.account(store, label: accountOption.account)
                try store.removeChannelAccount(account)
                if ctx.json {
                    Terminal.out(JSON.object([("disconnected", .string(account.label)), ("shop", .optional(account.settings["shop"]))]).rendered())
                } else if !ctx.quiet {
                    Terminal.out("Disconnected Shopify shop \(account.label). To withdraw access at Shopify too, uninstall the app in the Shopify admin.")
                }
                return .ok
            }
        }
    }
}
