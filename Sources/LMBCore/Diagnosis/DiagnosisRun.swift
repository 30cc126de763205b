import Foundation

/// One `lmb diagnose` run: the checks found so far, and one method per check, in the order a send meets them.
final class DiagnosisRun {
    let session: XeroSession
    let connection: StoredConnection
    var checks: [DiagnosticCheck] = []
    /// Failures that belong to the scopes or rate-limit check, met while reading something else.
    var deferred: [String: RemoteFailure] = [:]

    init(session: XeroSession, connection: StoredConnection) {
        self.session = session
        self.connection = connection
    }

    var lastPassed: Bool { checks.last?.status != .fail }
    var allPassed: Bool { checks.allSatisfy { $0.status != .fail } }
    var credential: StoredCredential { connection.credential }

    func report(withLastFailures: Bool) -> DiagnosisReport {
        DiagnosisReport(checks: checks + (withLastFailures ? lastFailures() : []))
    }

    /// Calls Xero for a check; a missing scope or a rate limit is noted for its own check, anything else fails this one.
    func api<T: Sendable>(_ id: String, _ call: () async throws -> T) async -> T? {
        do { return try await call() } catch let f as RemoteFailure {
            switch f.classification {
            case .insufficientScope:
                deferred["scopes"] = deferred["scopes"] ?? f
                checks.append(.warn(id, "not readable: Xero refused for a missing scope (see scopes)"))
            case .rateLimited:
                deferred["rate_limit"] = deferred["rate_limit"] ?? f
                checks.append(.warn(id, "not readable: rate limited (see rate_limit)"))
            default:
                checks.append(.fail(id, f))
            }
            return nil
        } catch {
            checks.append(.fail(id, RemoteFailure.xero(.network, "\(error)")))
            return nil
        }
    }

    // MARK: Local checks

    static func storeCheck(_ session: XeroSession) -> [DiagnosticCheck] {
        var st = stat()
        let mode = stat(session.store.path, &st) == 0 ? st.st_mode & 0o777 : 0
        let integrity = (try? session.store.integrityCheck()) ?? "unreadable"
        guard integrity == "ok" else {
            return [.fail("store", RemoteFailure.xero(.config, "the store failed SQLite's integrity check: \(integrity)"),
                          fix: "Restore \(session.store.path) from a backup.")]
        }
        return [.pass("store", "\(session.store.path), mode \(String(mode, radix: 8)), integrity ok")]
    }

    /// Step 3: the stored tokens — expiry, scopes, and the refresh token's age against Xero's 60 days.
    func checkTokens() {
        let k = credential
        let now = session.clock.now
        var notes: [String] = []
        if let exp = k.accessExpiresAt {
            let s = Int(exp.timeIntervalSince(now))
            notes.append(s > 0 ? "access token valid \(s / 60) more minutes" : "access token expired \(-s / 60) minutes ago (renewed on use)")
        }
        let tokenScopes = k.accessToken.map(JWTClaims.scopes) ?? k.scopes
        notes.append("scopes: \(tokenScopes.joined(separator: " "))")
        guard k.kind != .clientCredentials else {
            checks.append(.pass("tokens", notes.joined(separator: "; ") + "; custom connection (client credentials, no refresh token)"))
            return
        }
        guard let issued = k.refreshIssuedAt else {
            checks.append(.fail("tokens", RemoteFailure.xero(.staleConnection, "no refresh token is stored (offline_access was not granted)")))
            return
        }
        let days = Int(now.timeIntervalSince(issued) / 86400)
        notes.append("refresh token \(days) of 60 days old")
        if days >= 60 {
            checks.append(.fail("tokens", RemoteFailure.xero(.staleConnection, "the refresh token is \(days) days old; Xero expires refresh tokens unused for 60 days", evidence: notes)))
        } else if days >= 50 {
            checks.append(.warn("tokens", notes.joined(separator: "; "), fix: "Run any lmb command that talks to Xero (lmb diagnose does) before day 60 to renew it."))
        } else {
            checks.append(.pass("tokens", notes.joined(separator: "; ")))
        }
    }

    /// The last failed send of each settlement, with its classification and Xero's exact message.
    func lastFailures() -> [DiagnosticCheck] {
        let attempts = (try? session.store.lastSendAttempts()) ?? []
        let failed = attempts.compactMap { e -> String? in
            guard let c = e.detail.flatMap({ try? JSON.parse($0) })?["classification"]?.stringValue, c != "ok" else { return nil }
            return "\(e.settlementID ?? "?"): \(c) — \"\(e.message)\" at \(e.at)"
        }
        if failed.isEmpty { return [.pass("last_failures", "no settlement's last send failed")] }
        return [.warn("last_failures", failed.joined(separator: "; "), fix: "Fix what the first failing check names, then run `lmb send --all`; `lmb diagnose --settlement ID` shows one settlement's history.")]
    }

    // MARK: Checks that ask Xero

    /// Step 4: a fresh token — a dead refresh token is the usual stale connection.
    func checkFreshToken() async -> String? {
        let k = credential
        do {
            let fresh = try await session.tokens(for: k).renew(rejected: k.accessToken ?? "")
            checks.append(.pass("fresh_token", k.kind == .clientCredentials ? "a new access token was granted (client credentials)" : "the refresh token was accepted and rotated; a new access token was had"))
            return fresh
        } catch let f as RemoteFailure {
            checks.append(.fail("fresh_token", f, fix: f.classification == .staleConnection ? "The authorisation was withdrawn or expired: follow the reconnect steps below." : (Runbook.steps(for: f).first ?? "")))
        } catch {
            checks.append(.fail("fresh_token", RemoteFailure.xero(.network, "\(error)")))
        }
        return nil
    }

    /// Step 5: is the organisation still among the app's connections?
    func checkConnection(_ client: XeroClient) async {
        guard let list = await api("connection", { try await client.connections() }) else { return }
        if list.contains(where: { $0.tenantId == connection.tenantID }) {
            checks.append(.pass("connection", "GET /connections lists \(connection.tenantName)"))
        } else {
            checks.append(.fail("connection", RemoteFailure.xero(.staleConnection, "GET /connections no longer lists \(connection.tenantName) (\(connection.tenantID)): the app was removed under Xero → Settings → Connected apps",
                                                          evidence: ["connections listed: \(list.map { $0.tenantName ?? $0.tenantId })"])))
        }
    }

    /// Step 6: the organisation is ACTIVE.
    func checkOrganisation(_ client: XeroClient) async {
        guard let org = await api("organisation", { try await client.organisation() }) else { return }
        let note = [org.Class.map { "class \($0)" }, org.IsDemoCompany == true ? "a demo company" : nil].compactMap { $0 }.joined(separator: ", ")
        if org.OrganisationStatus == "ACTIVE" {
            checks.append(.pass("organisation", "\(org.Name ?? "?") is ACTIVE\(note.isEmpty ? "" : " (\(note))"); base currency \(org.BaseCurrency ?? "?")"))
        } else {
            checks.append(.fail("organisation", RemoteFailure.xero(.staleConnection, "the organisation is \(org.OrganisationStatus ?? "not active")")))
        }
    }

    /// Step 7: the connected user's role can create invoices and bills.
    func checkUser(_ client: XeroClient, freshToken: String) async {
        guard let users = await api("user", { try await client.users() }) else { return }
        let userID = JWTClaims.decode(freshToken)["xero_userid"] as? String ?? credential.xeroUserID
        guard let me = users.first(where: { $0.UserID.lowercased() == userID?.lowercased() }) else {
            checks.append(.warn("user", "the token's user (\(userID ?? "unknown")) is not among the organisation's users", fix: "Reconnect as a user of this organisation with the Standard or Adviser role."))
            return
        }
        let role = me.OrganisationRole ?? "UNKNOWN"
        let name = Diagnoser.roleNames[role] ?? role
        if XeroUser.rolesThatCanPost.contains(role) {
            checks.append(.pass("user", "\(me.displayName) has the \(name) role"))
        } else {
            checks.append(.fail("user", RemoteFailure.xero(.permissionDenied, "the connected user \(me.displayName) has the \(name) role (\(role)), which cannot create invoices and bills",
                                                    evidence: ["GET /Users: OrganisationRole \(role) for xero_userid \(me.UserID)"])))
        }
    }

    /// Step 8: the fresh token's scopes cover invoices and settings.
    func checkScopes(freshToken: String) {
        let scopes = JWTClaims.scopes(freshToken)
        let canInvoice = scopes.contains { $0 == "accounting.transactions" || $0 == "accounting.invoices" }
        let canSettings = scopes.contains { $0.hasPrefix("accounting.settings") }
        if let f = deferred["scopes"] {
            checks.append(.fail("scopes", f.adding(evidence: "token scopes: \(scopes.joined(separator: " "))")))
        } else if !canInvoice || !canSettings {
            checks.append(.fail("scopes", RemoteFailure.xero(.insufficientScope, "the token lacks \(canInvoice ? "" : "accounting.transactions (or accounting.invoices) ")\(canSettings ? "" : "accounting.settings.read")",
                                                      evidence: ["token scopes: \(scopes.joined(separator: " "))"])))
        } else {
            checks.append(.pass("scopes", "invoices and settings are covered (\(scopes.contains("accounting.invoices") ? "granular" : "broad") scopes)"))
        }
    }

    /// Step 9: currencies and the lock date — what send will refuse or re-date. Kept in the store for preview.
    func checkCurrencies(_ client: XeroClient, home: LMBHome) async {
        let withTax = ((try? Mapping.load(home: home.url))?.tax) != nil
        guard let facts = await api("currencies", { try await client.organisationFacts(withTax: withTax) }) else { return }
        try? session.store.saveOrganisationFacts(tenantID: connection.tenantID, facts)
        let booking = Booking(store: session.store, mapping: (try? Mapping.load(home: home.url)) ?? .defaults)
        let unsent = ((try? session.store.allSettlements()) ?? []).filter { s in
            ((try? booking.status(s, tenant: connection.tenantID)) ?? .ready) != .sent
        }
        let missing = Dictionary(grouping: unsent.filter { !facts.currencies.contains($0.header.currency) }, by: { $0.header.currency })
        let lock = facts.lockDate.map { "; period lock date \($0): documents dated before it go on the first open day" } ?? ""
        if missing.isEmpty {
            checks.append(.pass("currencies", "enabled: \(facts.currencies.joined(separator: ", "))\(lock)"))
        } else {
            let list = missing.keys.sorted().map { "\($0) (settlements \((missing[$0] ?? []).map(\.header.id).joined(separator: ", ")))" }
            checks.append(.fail("currencies", RemoteFailure.xero(.validationFailed, "the organisation has no \(list.joined(separator: "; ")) enabled",
                                                          validationErrors: missing.keys.sorted().map { "Organisation is not subscribed to currency \($0)" })))
        }
    }

    /// Step 10: every mapped account is active and every tax type exists in this organisation.
    func checkMapping(_ client: XeroClient, home: LMBHome) async {
        let mapping: Mapping
        do { mapping = try Mapping.load(home: home.url) } catch {
            checks.append(.fail("mapping", RemoteFailure.xero(.config, "\(error)")))
            return
        }
        guard let accounts = await api("mapping", { try await client.accounts() }),
              let rates = await api("mapping", { try await client.taxRates() }) else { return }
        var problems: [String] = []
        for c in Category.allCases {
            let a = mapping.account(for: c)
            if let acct = accounts.first(where: { $0.Code == a.account }) {
                if acct.Status != "ACTIVE" { problems.append("\(c.rawValue): account \(a.account) is \(acct.Status ?? "not active")") }
            } else {
                problems.append("\(c.rawValue): account \(a.account) does not exist")
            }
            if let r = rates.first(where: { $0.TaxType == a.taxType }) {
                if r.Status != "ACTIVE" { problems.append("\(c.rawValue): tax type \(a.taxType) is \(r.Status ?? "not active")") }
            } else {
                problems.append("\(c.rawValue): tax type \(a.taxType) does not exist")
            }
        }
        let booked = bookedToOther(mapping)
        if problems.isEmpty && !booked.isEmpty {
            checks.append(.warn("mapping", "every mapped account is ACTIVE and every tax type exists, but \"unmapped\": \"other\" books combinations no rule covers to Other in settlements \(booked.joined(separator: ", "))",
                                fix: "See them with lmb mapping explain ID and map each with lmb mapping add."))
        } else if problems.isEmpty {
            checks.append(.pass("mapping", "every mapped account is ACTIVE and every tax type exists (\(Category.allCases.count) categories)"))
        } else {
            // Accounts that are missing are what `lmb setup` creates; the rest is fixed in Xero or the mapping.
            let missing = problems.contains { $0.contains("does not exist") && $0.contains("account") }
            checks.append(.fail("mapping", RemoteFailure.xero(.config, problems.joined(separator: "; ")),
                                fix: missing
                                    ? "Run lmb setup to create the accounts the mapping needs (lmb setup --dry-run lists them; lmb reconnect --setup grants the accounting.settings scope it needs), or point a category at an account you have with lmb setup --map CATEGORY=CODE."
                                    : "Restore the account or tax rate in Xero, or point the category at another account with lmb setup --map CATEGORY=CODE (tax types: edit mapping.json)."))
        }
    }

    /// Step 10b: with a tax profile, every treatment the unsent settlements use resolves to a tax type of this
    /// organisation that is ACTIVE and may be used on the line's account — what send checks before its PUT.
    func checkTax(home: LMBHome) async {
        guard let mapping = try? Mapping.load(home: home.url) else { return }   // the mapping check said why
        guard mapping.tax != nil else {
            checks.append(.pass("tax", "no tax profile: every document is NoTax, right for a seller registered for VAT/GST nowhere; a registered seller should run lmb tax init --country CC"))
            return
        }
        let booking = Booking(store: session.store, mapping: mapping)
        var problems: [TaxProblem] = []
        var used: Set<String> = []
        for s in (try? session.store.allSettlements()) ?? [] {
            guard let r = try? booking.book(s, tenant: connection.tenantID), s.status(ledger: r) != .sent else { continue }
            for p in r.taxProblems where !problems.contains(p) { problems.append(p) }
            for line in r.postings.flatMap(\.lines) where !line.taxType.isEmpty { used.insert(line.taxType) }
        }
        if problems.isEmpty {
            checks.append(.pass("tax", used.isEmpty ? "the tax profile resolves (no unsent settlement)" : "every tax type the next send uses is ACTIVE and allowed on its account: \(used.sorted().joined(separator: ", "))"))
        } else {
            checks.append(.fail("tax", TaxProblem.failure(problems, settlementID: nil)))
        }
    }

    /// Unsent settlements in which `"unmapped": "other"` books combinations no rule covers, with how many.
    func bookedToOther(_ mapping: Mapping) -> [String] {
        guard mapping.unmappedPolicy == .other else { return [] }
        let booking = Booking(store: session.store, mapping: mapping)
        return ((try? session.store.allSettlements()) ?? []).compactMap { s in
            guard let r = try? booking.book(s), !r.bookedToOther.isEmpty, s.status(ledger: r) != .sent else { return nil }
            return "\(s.header.id) (\(r.bookedToOther.count))"
        }
    }

    /// Step 11: rate-limit headroom.
    func checkRateLimit(_ client: XeroClient) async {
        if let f = deferred["rate_limit"] {
            checks.append(.fail("rate_limit", f))
            return
        }
        let minute = await client.minuteRemaining
        let day = await client.dayRemaining
        if let day, day < 100 {
            checks.append(.warn("rate_limit", "only \(day) calls left today", fix: "Send fewer settlements today; the daily limit resets at midnight UTC."))
        } else {
            checks.append(.pass("rate_limit", "\(minute.map(String.init) ?? "?") calls left this minute, \(day.map(String.init) ?? "?") today"))
        }
    }
}
