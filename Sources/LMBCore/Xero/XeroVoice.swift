/// Xero's words for each cause, and what to do about a Xero failure as numbered steps a bookkeeper can follow.
public enum XeroVoice: ProviderVoice {
    public static let requestIDName = "Xero-Correlation-Id"

    public static func plainWords(_ classification: Classification) -> String {
        switch classification {
        case .ok: return "ok"
        case .busy: return Runbook.busyWords
        case .permissionDenied: return "the connected Xero user is not permitted to do this"
        case .staleConnection: return "the connection to Xero is stale and must be made again"
        case .tokenExpired: return "the access token expired and could not be renewed"
        case .insufficientScope: return "the connection lacks a permission (scope) lmb needs"
        case .rateLimited: return "Xero's rate limit was reached"
        case .organisationOffline: return "the Xero organisation is offline"
        case .unavailable: return "Xero is unavailable"
        case .validationFailed: return "Xero refused the document"
        case .network: return "Xero could not be reached"
        case .notConnected: return "lmb is not connected to Xero"
        case .config: return "lmb's configuration is incomplete"
        case .notFound: return "Xero has no such resource"
        case .tooLarge: return "the request is larger than Xero accepts"
        case .requestRejected: return "Xero rejected the form of lmb's request"
        case .documentUnreadable: return "a document from Xero could not be read"
        case .unexpectedAnswer: return "Xero answered in a way lmb does not understand"
        }
    }

    public static func endsWithSupportLine(_ classification: Classification) -> Bool {
        [.permissionDenied, .staleConnection, .tokenExpired, .insufficientScope].contains(classification)
    }

    public static func runbook(for failure: RemoteFailure, _ context: Runbook.Context) -> Runbook {
        let steps = steps(for: failure, settlementID: context.settlementID, mapping: context.mapping)
        switch failure.classification {
        case .permissionDenied, .staleConnection, .tokenExpired, .notConnected:
            return Runbook(steps: steps, fix: failure.classification == .notConnected ? "lmb connect" : "lmb reconnect")
        case .insufficientScope where failure.code == SetupFlow.scopeFailureCode: return Runbook(steps: steps, fix: "lmb reconnect --setup")
        case .insufficientScope: return Runbook(steps: steps, fix: "lmb reconnect --scopes granular")
        case .config where failure.code == AccountProblem.failureCode: return Runbook(steps: steps, fix: "lmb setup", check: "lmb setup --dry-run")
        case .ok: return Runbook(steps: [], check: nil)
        default: return Runbook(steps: steps, fix: nil)
        }
    }

    static func steps(for failure: RemoteFailure, settlementID: String? = nil, mapping: Mapping? = nil) -> [String] {
        // Rollback's own refusals (a payment allocated, a rollback left unfinished) have their own steps.
        if let steps = RollbackFlow.steps(for: failure, settlementID: settlementID) { return steps }
        let again = "Run `lmb send \(settlementID ?? "<settlement-id>")` again."
        switch failure.classification {
        case .busy:
            return Runbook.busySteps(failure)
        case .ok:
            return []
        case .permissionDenied, .staleConnection, .tokenExpired:
            return reconnect(settlementID: settlementID)
        case .insufficientScope where failure.code == SetupFlow.scopeFailureCode:
            return ["Creating accounts, contacts and tracking categories needs the accounting.settings scope (not accounting.settings.read), which this connection was not granted.",
                    "Run `lmb reconnect --setup` (add `--scopes granular` for an app created since March 2026) and accept every permission Xero asks for.",
                    "Run `lmb setup` again: what it created before is kept, and nothing is created twice."]
        case .insufficientScope:
            return ["The connection lacks a scope lmb needs (invoices and settings). Apps created since March 2026 must use granular scopes.",
                    "Run `lmb reconnect --scopes granular` (or `--scopes broad` for an older app) and accept every permission Xero asks for.",
                    again]
        case .rateLimited:
            let wait = failure.retryAfter.map { "\(Int($0.rounded(.up))) seconds" } ?? "a minute"
            return ["Xero's limit was reached (60 calls a minute, 5,000 a day per organisation; fewer on some plans). Wait \(wait) (Retry-After).",
                    "Nothing was half-sent: run `lmb send --all` again later, or let cron retry (exit code 75 means: retry later)."]
        case .organisationOffline:
            return ["Xero has taken the organisation offline for maintenance or a migration; it usually lasts a minute to an hour.",
                    "Run `lmb send --all` again later, or let cron retry (exit code 75)."]
        case .unavailable:
            return [failure.message.contains("maintenance") ? "Xero's API is offline for scheduled maintenance." : "Xero is unavailable or answered with a server error (sometimes caused by a bad tracking id). Check https://status.developer.xero.com.",
                    "Run `lmb send --all` again later, or let cron retry (exit code 75). Quote the correlation id if you contact Xero."]
        case .network:
            return ["Xero could not be reached: check this machine's internet connection, DNS and proxy.",
                    "Run `lmb send --all` again; anything whose answer was lost is looked up in Xero before it is sent again."]
        case .notConnected:
            return ["Run `lmb connect --client-id <your app's client id>` and sign in as a Xero user with the Standard or Adviser role.", again]
        case .config where failure.status == 404:
            return ["Xero answered 404 without its own error body: there is no Xero API at the address lmb used. Unless you point lmb at the sandbox, unset LMB_XERO_BASE_URL and remove xero_base_url from config.json.",
                    "Run `lmb diagnose`; if it passes and this persists, Xero has changed its API: update lmb.", again]
        case .config where failure.code == AccountProblem.failureCode:
            return ["The accounts named above cannot take the settlement's lines. Run `lmb setup` to create every account the mapping needs with the right type (`lmb setup --dry-run` lists them first; it needs `lmb reconnect --setup` once for the accounting.settings scope).",
                    "Or point a category at an account you already have: `lmb setup --map CATEGORY=CODE` (it checks the account exists, is ACTIVE and has a sensible type). An archived account is restored in Xero → Accounting → Chart of accounts → Archived.",
                    again]
        case .config where failure.code == TaxProblem.failureCode:
            return ["Map each treatment named above to an active tax rate of this organisation that may be used on the line's account: `lmb tax map TREATMENT=TAXTYPE` (`lmb tax show` lists the organisation's rates and what each treatment uses now).",
                    "Or add or restore the rate in Xero → Settings → Tax rates (an archived or deleted rate cannot be used), then run `lmb diagnose` to read the rates again.",
                    again]
        case .config:
            return ["Fix the configuration named above (lmb's config.json, LMB_XERO_* environment variables, or the client_secret file).", again]
        case .unexpectedAnswer, .documentUnreadable:
            return ["Xero answered with something lmb does not understand: \(failure.message). Anything whose answer was unreadable is looked up in Xero before it is sent again.",
                    "If LMB_XERO_BASE_URL is set, check that it points at lmb's sandbox; otherwise run `lmb diagnose --bundle FILE` and send the file to lmb's maintainers.",
                    again]
        case .notFound:
            return ["Xero holds no such resource (it answered 404 with its own error body): a document or contact lmb looked for was deleted in Xero, or belongs to another organisation.",
                    "Run `lmb diagnose --settlement <settlement-id>` to see what lmb asked for, and check the organisation it is connected to (`lmb status`).", again]
        case .tooLarge:
            return ["The document is larger than Xero accepts in one request (3.5 MB). Group lines by category (remove \"grouping\": \"sku\" from mapping.json), which keeps a settlement to a few dozen lines.",
                    again]
        case .requestRejected:
            return ["Xero rejected the form of the request (\(failure.status.map { "HTTP \($0)" } ?? "an unexpected answer")); sending it again unchanged will not help, so cron should not retry it.",
                    "Check that nothing between lmb and Xero (a proxy) rewrites requests, and that lmb is up to date.",
                    "Run `lmb diagnose --bundle FILE` and send the file to support; it holds Xero's exact answer and the correlation id."]
        case .validationFailed:
            var steps = failure.validationErrors.flatMap { validationFix($0, mapping: mapping) }
            if steps.isEmpty { steps = ["Fix what Xero names above, in the mapping (`lmb mapping init`, then edit mapping.json) or in Xero."] }
            return steps + [again]
        }
    }

    public static func reconnect(settlementID: String?) -> [String] {
        [
            "In Xero, go to Settings → Connected apps (or Linked apps).",
            "Find the app lmb is connected as and click Disconnect / Remove — this forces a clean re-authorisation, which matters after a billing reactivation, a paused subscription or a long inactivity.",
            "Run `lmb reconnect` and authorise as a Xero user with the Standard or Adviser role.",
            "Run `lmb send \(settlementID ?? "<settlement-id>")` again.",
        ]
    }

    /// The catalogue's validation failures, each with its cause and fix in lmb's words.
    static func validationFix(_ message: String, mapping: Mapping?) -> [String] {
        func category(forAccount code: String) -> String {
            guard let mapping else { return "" }
            let names = Category.allCases.filter { mapping.account(for: $0).account == code }.map(\.rawValue)
            return names.isEmpty ? "" : " (the mapping's \(names.joined(separator: ", ")) line)"
        }
        func quoted(_ s: String, after marker: String) -> String? {
            guard let r = s.range(of: marker) else { return nil }
            let rest = s[r.upperBound...]
            let trimmed = rest.drop { $0 == "'" || $0 == " " }
            return String(trimmed.prefix { $0 != "'" && $0 != " " })
        }
        if message.contains("is not a valid code for this document"), let code = quoted(message, after: "Account code") {
            return ["Account \(code)\(category(forAccount: code)) does not exist in this organisation, or is of the wrong type for this document. Remap that category to an active account in mapping.json (categories.<name>.account; `lmb diagnose` lists the organisation's accounts), or add account \(code) under Accounting → Chart of accounts."]
        }
        if message.contains("has been archived"), let code = quoted(message, after: "Account code") {
            return ["Account \(code)\(category(forAccount: code)) is archived in Xero. Restore it (Accounting → Chart of accounts → Archived → Restore) or remap that category in mapping.json."]
        }
        if message.contains("cannot be used with account code") {
            let code = message.components(separatedBy: "account code '").last?.prefix { $0 != "'" } ?? ""
            return ["That tax rate is not allowed on account \(code)\(category(forAccount: String(code))). Choose a rate Xero allows for that account type (Settings → Tax rates) and set it as the category's taxType in mapping.json."]
        }
        if message.contains("does not exist or cannot be used") || message.contains("Tax rate must be active") {
            return ["A tax type in the mapping does not exist or is not active in this organisation. Re-add the tax rate in Xero, or change the category's taxType in mapping.json."]
        }
        if message.contains("not subscribed to currency") {
            let currency = message.split(separator: " ").last.map(String.init) ?? "the currency"
            return ["The organisation does not have \(currency) enabled. In Xero, go to Settings → Currencies → Add Currency (multi-currency needs the Premium/Ultimate plan)."]
        }
        if message.contains("period lock date") || message.contains("end of year lock date") {
            return ["The document is dated in a locked period. Send it as a draft (lmb's default: leave out --status authorised), or ask your adviser to move the lock date (Settings → Advanced → Financial settings)."]
        }
        if message.contains("must be unique") {
            return ["Xero already holds a sales invoice with this number: the settlement was most likely sent before. Search Xero for the invoice number; lmb checks for it and records it as sent when it is there. If it was deleted in Xero, void it there first."]
        }
        if message.contains("contact") && message.contains("archived") {
            return ["The marketplace contact is archived in Xero. Restore it (Contacts → Archived → Restore), or merge it into the active contact."]
        }
        if message.contains("description field is mandatory") || message.contains("Account code or ID must be specified") {
            return ["A line has no description or account: every category in mapping.json needs an account code."]
        }
        if message.lowercased().contains("negative") || message.contains("Quantity must not be less than zero") {
            return ["Xero refuses a negative sales invoice; lmb sends negative settlements as bills, so check the mapping's signs and report this as a bug with `lmb diagnose --bundle FILE`."]
        }
        if message.contains("needs mapping") {
            return ["Some rows match no mapping rule. `lmb preview <settlement-id>` lists them with the exact rule to add to mapping.json."]
        }
        if message.contains("not of valid status for modification") || message.contains("payment or credit note allocated") {
            return ["The document exists in Xero and is approved, paid or voided, so it cannot change. Remove the payment or void it in Xero, then send again."]
        }
        if message.contains("tracking category") {
            return ["A tracking category or option named in the mapping does not exist (or is archived) in Xero. Add it under Settings → Tracking categories, or fix the mapping."]
        }
        if message.contains("limit of invoices you can approve") {
            return ["The Xero plan's monthly limit of approved invoices and bills is reached (every app's documents count). Send as DRAFT (lmb's default) or move to a larger Xero plan."]
        }
        if message.contains("subscription") {
            return ["The Xero subscription is not active, or the plan has no invoicing. Reactivate it (or move to a plan with invoicing), then run `lmb reconnect`."]
        }
        if message.contains("complete certification") || message.contains("connect to more Xero organisations") {
            return ["The app has reached its connection limit for an uncertified or free-tier app. Remove stale connections under Connected apps, or move the app to a paid tier at developer.xero.com."]
        }
        if message.contains("Account must be valid") || message.lowercased().contains("rounding") {
            return ["Xero rounds tax per line; lmb sends exact two-decimal line amounts (NoTax/Inclusive). If totals still differ by a cent, add a rounding line to account 860 in the mapping."]
        }
        if message.contains("does not add up") {
            return ["The settlement's rows do not add up to its deposit. Download the report again from Seller Central and import it with --replace."]
        }
        return ["Xero says: \(message). Fix it in the mapping or in Xero."]
    }
}
