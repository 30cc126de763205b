/// Amazon's words for each cause, and what to do about an Amazon failure as numbered steps a seller or bookkeeper can
/// follow; the same steps for `lmb fetch`, `lmb sync` and `lmb diagnose`.
public enum AmazonVoice: ProviderVoice {
    public static let requestIDName = "request id"
    public static let payoutNoun = "report"

    public static func plainWords(_ classification: Classification) -> String {
        switch classification {
        case .ok: return "ok"
        case .busy: return Runbook.busyWords
        case .staleConnection: return "Amazon no longer accepts lmb's authorisation (refresh token) for this selling account"
        case .config: return "Amazon does not accept lmb's app credentials or settings"
        case .permissionDenied: return "the Amazon app or user lacks the Finance and Accounting role that settlement reports need"
        case .tokenExpired: return "Amazon refused the access token as expired even after lmb renewed it"
        case .insufficientScope: return "the Amazon app lacks a role lmb needs"
        case .rateLimited: return "Amazon's request limit for this operation was reached"
        case .organisationOffline, .unavailable: return "Amazon is unavailable or answered with a server error"
        case .network: return "Amazon could not be reached"
        case .notConnected: return "no Amazon selling account is connected to lmb"
        case .requestRejected, .validationFailed, .tooLarge: return "Amazon refused lmb's request as invalid"
        case .notFound: return "Amazon has no such report or document (reports are kept for 90 days)"
        case .documentUnreadable: return "the downloaded report document could not be decompressed or decoded"
        case .unexpectedAnswer: return "Amazon answered in a way lmb does not understand"
        }
    }

    public static func runbook(for failure: RemoteFailure, _ context: Runbook.Context) -> Runbook {
        let fix: String?
        switch failure.classification {
        case .staleConnection, .tokenExpired, .permissionDenied, .insufficientScope, .notConnected: fix = "lmb amazon connect"
        case .config where failure.code == "invalid_client": fix = "lmb amazon secret"
        case .rateLimited, .unavailable, .organisationOffline, .network, .documentUnreadable: fix = "lmb fetch"
        default: fix = nil
        }
        return Runbook(steps: steps(for: failure), fix: fix)
    }

    static let again = "Run `lmb fetch` again."
    static let developApps = "In Seller Central (signed in as the account's primary user), open Apps and Services → Develop Apps."

    static func steps(for failure: RemoteFailure) -> [String] {
        switch failure.classification {
        case .busy:
            return Runbook.busySteps(failure)
        case .ok:
            return []
        case .staleConnection:
            return reauthorise(reason: "Amazon no longer accepts the refresh token lmb holds: the app's authorisation was revoked, was never granted for this region, or belongs to another app.")
        case .tokenExpired:
            return ["Amazon refused a freshly renewed access token as expired; that is usually momentary on Amazon's side.",
                    again,
                    "If it fails the same way, authorise the app again:"] + reauthorise(reason: nil)
        case .permissionDenied:
            return ["Settlement reports need the Finance and Accounting role; the app or the selling account user lacks it.",
                    developApps + " Edit the app (its registration) and tick the Finance and Accounting role; save.",
                    "If you are not the primary user, ask the primary user to give you the Finance and Accounting permission under Settings → User Permissions.",
                    "A role only reaches a new authorisation: click Authorize app on the app and copy the new refresh token.",
                    "Run `lmb amazon connect` with the new refresh token (the old one stays valid until then).",
                    again]
        case .config:
            return configSteps(failure)
        case .rateLimited:
            let wait = failure.retryAfter.map { "\(Int($0.rounded(.up))) seconds" } ?? "a few minutes"
            return ["Amazon's limit for this call was reached (getReportDocument allows about one call a minute after a burst of 15; getReports one every 45 seconds after 10). Wait \(wait).",
                    "Nothing was half-imported: run `lmb fetch` again later, or let cron retry (exit code 75 means: retry later)."]
        case .unavailable, .organisationOffline:
            return ["Amazon answered with a server error or is briefly unavailable.",
                    "Run `lmb fetch` again later, or let cron retry (exit code 75). Quote the request id if you contact Amazon."]
        case .network:
            return ["Amazon could not be reached: check this machine's internet connection, DNS and proxy.", again]
        case .notConnected:
            return [developApps + " Create an app (it may stay in Draft) with the Finance and Accounting role, or open your existing one.",
                    "Click Authorize app and copy the refresh token it shows; note the app's LWA client id and client secret (View under LWA credentials).",
                    "Run `lmb amazon connect` with the client id, client secret, refresh token and region (na, eu or fe).",
                    again]
        case .requestRejected, .validationFailed, .tooLarge, .insufficientScope:
            return ["Amazon refused a request lmb made: \(failure.message). This is most likely a bug in lmb, or a setting lmb passed on unchanged.",
                    "Run `lmb diagnose --bundle FILE` and send that file to lmb's maintainers with the request id \(failure.requestID ?? "shown above")."]
        case .notFound:
            return ["Amazon no longer has this report or document: reports are kept for 90 days, and a report belongs to one selling account and region.",
                    "Download the settlement from Seller Central (Reports → Payments → All Statements) and import it with `lmb import FILE`.",
                    "Run `lmb fetch` at least weekly from cron so no settlement ages out before it is fetched."]
        case .documentUnreadable:
            return ["The downloaded report could not be read: \(failure.message).",
                    "Run `lmb fetch` again (the document is downloaded afresh); if it fails the same way, download the settlement from Seller Central (Reports → Payments → All Statements) and import it with `lmb import FILE`.",
                    "Send `lmb diagnose --bundle FILE` to lmb's maintainers so the format can be supported."]
        case .unexpectedAnswer:
            return ["Amazon answered with something lmb does not understand: \(failure.message).",
                    "If \(AmazonEndpoints.baseURLVariable) is set, check that it points at lmb's sandbox; otherwise Amazon may have changed its answers.",
                    "Run `lmb diagnose --bundle FILE` and send that file to lmb's maintainers."]
        }
    }

    /// A new refresh token from Seller Central's Authorize app, then `lmb amazon connect`.
    public static func reauthorise(reason: String?) -> [String] {
        (reason.map { [$0] } ?? []) + [
            developApps,
            "Find the app lmb uses and click Authorize app (choose the selling account and region lmb fetches), then copy the new refresh token.",
            "Run `lmb amazon connect` and give it the new refresh token (the client id and secret stay the same).",
            again,
        ]
    }

    static func configSteps(_ failure: RemoteFailure) -> [String] {
        switch failure.code {
        case "invalid_client":
            return ["Amazon does not accept the app's client secret: it expires 180 days after it was made (Amazon warns 90 days ahead), or someone rotated it.",
                    developApps + " Next to the app, open LWA credentials → View, and generate a new client secret if the current one expired.",
                    "Run `lmb amazon secret` and paste the new secret; the refresh token stays valid.",
                    again]
        case "unauthorized_client":
            return ["Amazon does not let this client id exchange refresh tokens: it is not the LWA client id of a Selling Partner API app.",
                    developApps + " Copy the app's LWA client id and secret (LWA credentials → View).",
                    "Run `lmb amazon connect` with them and a refresh token from that same app's Authorize app.",
                    again]
        case "MissingAuthenticationToken":
            return ["Amazon saw no access token, or lmb called a path or host Amazon does not serve.",
                    "Check the region lmb uses for this selling account (`lmb amazon status`) and, if set, \(AmazonEndpoints.baseURLVariable).",
                    again]
        default:
            return ["Fix the Amazon setting named above (`lmb amazon status` shows them; \(AmazonEndpoints.baseURLVariable) overrides where lmb sends).",
                    again]
        }
    }
}
