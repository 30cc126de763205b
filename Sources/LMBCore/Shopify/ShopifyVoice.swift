/// Shopify's words for each cause, and what to do about a Shopify failure as numbered steps.
public enum ShopifyVoice: ProviderVoice {
    public static let requestIDName = "X-Request-Id"

    static let appPath = "In the Shopify admin, open Settings → Apps and sales channels → Develop apps, and open the app lmb uses"

    public static func plainWords(_ classification: Classification) -> String {
        switch classification {
        case .ok: return "ok"
        case .busy: return Runbook.busyWords
        case .staleConnection: return "Shopify no longer accepts lmb's access token for this shop (the token was revoked or the app uninstalled)"
        case .tokenExpired: return "Shopify refused the access token as expired even after lmb renewed it"
        case .permissionDenied: return "the shop cannot be read: Shopify has frozen or locked it"
        case .insufficientScope: return "the Shopify app lacks an access scope lmb needs (read_shopify_payments_payouts, read_shopify_payments_accounts)"
        case .rateLimited: return "Shopify's query cost limit for this app and shop was reached (THROTTLED)"
        case .organisationOffline, .unavailable: return "Shopify is unavailable or answered with a server error"
        case .network: return "Shopify could not be reached"
        case .notConnected: return "no Shopify shop is connected to lmb"
        case .config: return "Shopify does not accept lmb's app credentials or settings"
        case .requestRejected, .validationFailed, .tooLarge: return "Shopify refused lmb's query as invalid"
        case .notFound: return "Shopify has no such shop, API version or payout"
        case .documentUnreadable: return "a Shopify payout could not be read"
        case .unexpectedAnswer: return "Shopify answered in a way lmb does not understand"
        }
    }

    public static func runbook(for failure: RemoteFailure, _ context: Runbook.Context) -> Runbook {
        let fix: String?
        switch failure.classification {
        case .staleConnection, .tokenExpired, .insufficientScope, .notConnected: fix = "lmb shopify connect"
        case .config where failure.code == "invalid_client": fix = "lmb shopify secret"
        case .rateLimited, .unavailable, .organisationOffline, .network: fix = "lmb fetch"
        // A frozen or locked shop is the owner's to lift at Shopify; the next fetch proves it lifted.
        case .permissionDenied: fix = "lmb fetch"
        default: fix = nil
        }
        return Runbook(steps: steps(for: failure), fix: fix)
    }

    static let again = "Run `lmb fetch` again."

    static func steps(for failure: RemoteFailure) -> [String] {
        switch failure.classification {
        case .busy:
            return Runbook.busySteps(failure)
        case .ok:
            return []
        case .staleConnection, .tokenExpired:
            return ["Shopify refused the access token: the app was uninstalled, its token revoked or rotated, or (client credentials) its client secret rotated.",
                    appPath + " → API credentials. Install the app again if it was uninstalled; with an Admin API access token, reveal or create it there; with a Dev Dashboard app, copy its client id and client secret.",
                    "Run `lmb shopify connect --shop STORE.myshopify.com` with LMB_SHOPIFY_ACCESS_TOKEN (or --client-id and LMB_SHOPIFY_CLIENT_SECRET) set.",
                    again]
        case .insufficientScope:
            return ["Shopify denied access (ACCESS_DENIED): the app needs both read_shopify_payments_payouts and read_shopify_payments_accounts.",
                    appPath + " → Configuration (Admin API integration) → access scopes; tick read_shopify_payments_payouts and read_shopify_payments_accounts; save.",
                    "Install (or update) the app so the new scopes take effect, then run `lmb shopify connect` again (the token may change).",
                    again]
        case .permissionDenied:
            if failure.status == 402 {
                return ["Shopify answered 402 Payment Required: the shop is frozen, usually for an unpaid Shopify bill.",
                        "The shop owner pays the outstanding bill in the Shopify admin → Settings → Billing; the shop unfreezes once it is paid.",
                        again]
            }
            return ["Shopify answered 423 Locked: the shop is locked (by Shopify, e.g. for a review or a breach of its terms).",
                    "The shop owner contacts Shopify Support about the lock; lmb cannot read payouts until it is lifted.",
                    again]
        case .config:
            if failure.code == "invalid_client" {
                return ["Shopify does not accept the app's client id or client secret (the secret was rotated, or the id is of another app).",
                        appPath + " → API credentials (or the Dev Dashboard → the app → Settings) and copy the client id and the current client secret.",
                        "Run `lmb shopify secret` with the new secret in LMB_SHOPIFY_CLIENT_SECRET.",
                        again]
            }
            return ["Fix the Shopify setting named above (`lmb shopify status` shows them; \(ShopifyEndpoints.baseURLVariable) overrides where lmb sends).",
                    again]
        case .rateLimited:
            let wait = failure.retryAfter.map { "\(Int($0.rounded(.up))) seconds" } ?? "a minute"
            return ["Shopify's query-cost bucket for this app and shop is empty (other apps on the shop may be using it). Wait \(wait).",
                    "Nothing was half-imported: run `lmb fetch` again later, or let cron retry (exit code 75 means: retry later)."]
        case .unavailable, .organisationOffline:
            return ["Shopify answered with a server error or is briefly unavailable.",
                    "Run `lmb fetch` again later, or let cron retry (exit code 75). Quote the X-Request-Id if you contact Shopify."]
        case .network:
            return ["Shopify could not be reached: check this machine's internet connection, DNS and proxy, and the shop's domain.", again]
        case .notConnected:
            return [appPath + " (create one with the Admin API scopes read_shopify_payments_payouts and read_shopify_payments_accounts), and install it.",
                    "Run `lmb shopify connect --shop STORE.myshopify.com` with the Admin API access token in LMB_SHOPIFY_ACCESS_TOKEN (or --client-id and LMB_SHOPIFY_CLIENT_SECRET).",
                    again]
        case .notFound:
            return ["Shopify has no such shop or API version: check the shop's myshopify.com domain (`lmb shopify status`).",
                    "Connect it again with the right --shop if it changed, then run `lmb fetch`."]
        case .documentUnreadable:
            return ["A Shopify payout could not be read: \(failure.message).",
                    "Export the payout's transactions from the Shopify admin (Finances → Payouts → the payout → Export) and run `lmb import FILE` to see the row at fault."]
        case .requestRejected, .validationFailed, .tooLarge:
            return ["Shopify refused a query lmb made: \(failure.message). This is most likely a bug in lmb.",
                    "Run `lmb diagnose --bundle FILE` and send that file to lmb's maintainers with the X-Request-Id \(failure.requestID ?? "shown above")."]
        case .unexpectedAnswer:
            return ["Shopify answered with something lmb does not understand: \(failure.message).",
                    "If \(ShopifyEndpoints.baseURLVariable) is set, check that it points at lmb's sandbox; otherwise Shopify may have changed its answers.",
                    "Run `lmb diagnose --bundle FILE` and send that file to lmb's maintainers."]
        }
    }
}
