/// eBay's words for each cause, and what to do about an eBay failure as numbered steps.
public enum EbayVoice: ProviderVoice {
    public static let requestIDName = "rlogid"

    public static func plainWords(_ classification: Classification) -> String {
        switch classification {
        case .ok: return "ok"
        case .busy: return Runbook.busyWords
        case .staleConnection: return "eBay no longer accepts lmb's authorisation (refresh token) for this account: it expired (18 months) or was revoked"
        case .tokenExpired: return "eBay refused the access token as expired even after lmb renewed it"
        case .permissionDenied: return "eBay refused the request's digital signature (EU/UK sellers' Finances calls must be signed)"
        case .insufficientScope: return "lmb's eBay authorisation lacks the sell.finances scope"
        case .rateLimited: return "eBay's daily call limit for the Finances API was reached"
        case .organisationOffline, .unavailable: return "eBay is unavailable or answered with a server error"
        case .network: return "eBay could not be reached"
        case .notConnected: return "no eBay account is connected to lmb"
        case .config: return "eBay does not accept lmb's app credentials or settings"
        case .requestRejected, .validationFailed, .tooLarge: return "eBay refused lmb's request as invalid"
        case .notFound: return "eBay has no such payout"
        case .documentUnreadable: return "an eBay payout could not be read"
        case .unexpectedAnswer: return "eBay answered in a way lmb does not understand"
        }
    }

    public static func runbook(for failure: RemoteFailure, _ context: Runbook.Context) -> Runbook {
        let fix: String?
        switch failure.classification {
        case .permissionDenied where failure.service == .ebayIdentity: fix = "lmb ebay connect"
        case .permissionDenied: fix = "lmb ebay connect --new-key"
        case .staleConnection, .tokenExpired, .insufficientScope, .notConnected: fix = "lmb ebay connect"
        // The daily quota starts again at midnight, Pacific time: the next day's sync, not a retry now.
        case .rateLimited where failure.code == "2001": fix = "lmb sync"
        case .rateLimited, .unavailable, .organisationOffline, .network: fix = "lmb fetch"
        default: fix = nil
        }
        return Runbook(steps: steps(for: failure), fix: fix)
    }

    static let again = "Run `lmb fetch` again."
    static let connect = "Run `lmb ebay connect --client-id ID --ru-name RUNAME` with LMB_EBAY_CLIENT_SECRET set, sign in as the seller and accept, then paste the address eBay sends you to."

    static func steps(for failure: RemoteFailure) -> [String] {
        switch failure.classification {
        case .busy:
            return Runbook.busySteps(failure)
        case .ok: return []
        case .staleConnection, .tokenExpired:
            return ["eBay refused the refresh token (invalid_grant): it lasts 18 months from consent, and the seller can revoke it.", connect, again]
        case .insufficientScope:
            return ["eBay denied access (error 1100): the authorisation lacks https://api.ebay.com/oauth/api_scope/sell.finances.",
                    "In the eBay developer portal (Application Keys → User Tokens), make sure the app's keyset may ask for sell.finances.", connect, again]
        case .permissionDenied where failure.service == .ebayIdentity:
            return ["The seller did not agree on eBay's consent page (\(failure.code ?? "access_denied")): lmb may not read the account's payouts.",
                    connect]
        case .permissionDenied:
            return ["eBay refused the request's digital signature (error \(failure.code ?? "215120")): EU and UK sellers' Finances calls must be signed with a key from eBay's Key Management API, and eBay did not accept lmb's (missing, unknown to eBay, or expired after its 3 years).",
                    "Run `lmb ebay connect --client-id ID --ru-name RUNAME --site SITE --new-key` with LMB_EBAY_CLIENT_SECRET set: lmb creates a new Ed25519 signing key through the Key Management API and stores it (the seller signs in again).",
                    again]
        case .rateLimited:
            let reset = failure.details.map { " (\($0))" } ?? ""
            return ["eBay's daily call limit for the Finances API was reached (error 2001)\(reset): retrying soon does not help.",
                    "Let tomorrow's `lmb sync` from cron carry on (exit code 75), or ask eBay for a higher limit (Application Growth Check)."]
        case .unavailable, .organisationOffline:
            return ["eBay answered with a server error or is briefly unavailable.", "Run `lmb fetch` again later, or let cron retry (exit code 75)."]
        case .network:
            return ["eBay could not be reached: check this machine's internet connection, DNS and proxy.", again]
        case .notConnected:
            return [connect, again]
        case .config:
            return ["Fix the eBay setting named above (the client id, LMB_EBAY_CLIENT_SECRET, the RuName; `lmb ebay status` shows them).", again]
        case .notFound, .documentUnreadable:
            return ["eBay's payout could not be read: \(failure.message).",
                    "Download the transaction report from Seller Hub (Payments → Reports) and run `lmb import FILE`."]
        case .requestRejected, .validationFailed, .tooLarge, .unexpectedAnswer:
            return ["eBay refused or answered a request in a way lmb does not understand: \(failure.message).",
                    "Run `lmb diagnose --bundle FILE` and send that file to lmb's maintainers."]
        }
    }
}
