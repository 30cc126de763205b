import Foundation
import GRDB

/// One finding of `lmb diagnose`.
public struct DiagnosticCheck: Sendable {
    public enum Status: String, Sendable { case pass, warn, fail }
    public var id: String
    public var status: Status
    public var detail: String
    public var fix: String
    public var failure: XeroFailure?

    static func pass(_ id: String, _ detail: String) -> DiagnosticCheck { DiagnosticCheck(id: id, status: .pass, detail: detail, fix: "", failure: nil) }
    static func warn(_ id: String, _ detail: String, fix: String = "") -> DiagnosticCheck { DiagnosticCheck(id: id, status: .warn, detail: detail, fix: fix, failure: nil) }
    static func fail(_ id: String, _ failure: XeroFailure, detail: String? = nil, fix: String? = nil) -> DiagnosticCheck {
        DiagnosticCheck(id: id, status: .fail, detail: detail ?? failure.description, fix: fix ?? Runbook.steps(for: failure).first ?? "", failure: failure)
    }
}

public struct DiagnosisReport: Sendable {
    public var checks: [DiagnosticCheck]
    public var firstFailure: DiagnosticCheck? { checks.first { $0.status == .fail } }
    public var verdict: XeroClassification { firstFailure?.failure?.classification ?? .ok }
    public var runbook: [String] { firstFailure?.failure.map { Runbook.steps(for: $0) } ?? [] }
    public var exitCode: Int32 {
        let codes = checks.compactMap { $0.failure?.exitCode }
        for code in [Int32(77), 78, 65, 75] where codes.contains(code) { return code }
        return 0
    }
}

/// The checks behind `lmb diagnose`, in the order a failure would show up in a send.
public struct Diagnoser: Sendable {
    public let home: LMBHome
    public var tenant: String?
    public var offline = false
    public var transport: (any HTTPTransport)?

    public init(home: LMBHome, tenant: String? = nil, offline: Bool = false, transport: (any HTTPTransport)? = nil) {
        self.home = home
        self.tenant = tenant
        self.offline = offline
        self.transport = transport
    }

    static let roleNames = ["STANDARD": "Standard", "FINANCIALADVISER": "Adviser", "ADMIN": "Admin", "READONLY": "Read only",
                            "INVOICEONLY": "Invoice only", "MANAGEDCLIENT": "Managed client", "CASHBOOKCLIENT": "Cashbook client"]

    public func run() async -> DiagnosisReport {
        var checks: [DiagnosticCheck] = []
        // 1. Configuration
        let session: XeroSession
        do {
            session = try XeroSession(home: home, transport: transport)
        } catch let f as XeroFailure {
            return DiagnosisReport(checks: [.fail("configuration", f)])
        } catch let e as LMBError {
            let id = e.description.contains("lmb.sqlite") ? "store" : "configuration"
            return DiagnosisReport(checks: [.fail(id, XeroFailure(.config, e.description), fix: e.description.contains("chmod") ? "chmod 600 the file named above" : "Fix the configuration named above.")])
        } catch {
            return DiagnosisReport(checks: [.fail("configuration", XeroFailure(.config, "\(error)"))])
        }
        let connection: StoredConnection
        do {
            connection = try session.store.connection(tenant: tenant)
        } catch let f as XeroFailure {
            checks.append(.fail("configuration", f, fix: "Run `lmb connect --client-id <your app's client id>` and sign in as a Standard or Adviser user."))
            return DiagnosisReport(checks: checks + storeCheck(session))
        } catch {
            return DiagnosisReport(checks: [.fail("configuration", XeroFailure(.config, "\(error)"))])
        }
        let base = session.config.xeroBaseURL ?? "Xero (api.xero.com, identity.xero.com, login.xero.com)"
        checks.append(.pass("configuration", "client id \(connection.credential.clientID); base URL \(base); connected to \(connection.tenantName) (\(connection.tenantID))"))
        // 2. Store
        checks += storeCheck(session)
        // 3. Tokens
        let k = connection.credential
        let now = Date()
        var tokenNotes: [String] = []
        if let exp = k.accessExpiresAt {
            let s = Int(exp.timeIntervalSince(now))
            tokenNotes.append(s > 0 ? "access token valid \(s / 60) more minutes" : "access token expired \(-s / 60) minutes ago (renewed on use)")
        }
        let tokenScopes = k.accessToken.map(JWTClaims.scopes) ?? k.scopes
        tokenNotes.append("scopes: \(tokenScopes.joined(separator: " "))")
        if k.kind != .clientCredentials {
            if let issued = k.refreshIssuedAt {
                let days = Int(now.timeIntervalSince(issued) / 86400)
                tokenNotes.append("refresh token \(days) of 60 days old")
                if days >= 60 {
                    checks.append(.fail("tokens", XeroFailure(.staleConnection, "the refresh token is \(days) days old; Xero expires refresh tokens unused for 60 days", evidence: tokenNotes)))
                } else if days >= 50 {
                    checks.append(.warn("tokens", tokenNotes.joined(separator: "; "), fix: "Run any lmb command that talks to Xero (lmb diagnose does) before day 60 to renew it."))
                } else {
                    checks.append(.pass("tokens", tokenNotes.joined(separator: "; ")))
                }
            } else {
                checks.append(.fail("tokens", XeroFailure(.staleConnection, "no refresh token is stored (offline_access was not granted)")))
            }
        } else {
            checks.append(.pass("tokens", tokenNotes.joined(separator: "; ") + "; custom connection (client credentials, no refresh token)"))
        }
        if offline {
            checks.append(.warn("fresh_token", "skipped (--offline)"))
            return DiagnosisReport(checks: checks + lastFailures(session))
        }
        // 4. A fresh token: a dead refresh token is the usual stale connection.
        let tokens = session.tokens
        let freshToken: String
        do {
            freshToken = try await Self.offPool { try tokens.accessToken(credentialID: k.id, rejected: k.accessToken) }
            checks.append(.pass("fresh_token", k.kind == .clientCredentials ? "a new access token was granted (client credentials)" : "the refresh token was accepted and rotated; a new access token was had"))
        } catch let f as XeroFailure {
            checks.append(.fail("fresh_token", f, fix: f.classification == .staleConnection ? "The authorisation was withdrawn or expired: follow the reconnect steps below." : (Runbook.steps(for: f).first ?? "")))
            return DiagnosisReport(checks: checks + lastFailures(session))
        } catch {
            checks.append(.fail("fresh_token", XeroFailure(.network, "\(error)")))
            return DiagnosisReport(checks: checks + lastFailures(session))
        }
        let freshScopes = JWTClaims.scopes(freshToken)
        let client = session.client(for: connection)
        var deferred: [String: XeroFailure] = [:]   // failures that belong to the scopes or rate-limit check
        func api<T: Sendable>(_ id: String, _ call: () async throws -> T) async -> T? {
            do { return try await call() } catch let f as XeroFailure {
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
                checks.append(.fail(id, XeroFailure(.network, "\(error)")))
                return nil
            }
        }
        // 5. The connection
        if let list = await api("connection", { try await client.connections() }) {
            if list.contains(where: { $0.tenantId == connection.tenantID }) {
                checks.append(.pass("connection", "GET /connections lists \(connection.tenantName)"))
            } else {
                checks.append(.fail("connection", XeroFailure(.staleConnection, "GET /connections no longer lists \(connection.tenantName) (\(connection.tenantID)): the app was removed under Xero → Settings → Connected apps",
                                                              evidence: ["connections listed: \(list.map { $0.tenantName ?? $0.tenantId })"])))
            }
        }
        // 6. The organisation
        if checks.last?.status != .fail, let org = await api("organisation", { try await client.organisation() }) {
            let note = [org.Class.map { "class \($0)" }, org.IsDemoCompany == true ? "a demo company" : nil].compactMap { $0 }.joined(separator: ", ")
            if org.OrganisationStatus == "ACTIVE" {
                checks.append(.pass("organisation", "\(org.Name ?? "?") is ACTIVE\(note.isEmpty ? "" : " (\(note))"); base currency \(org.BaseCurrency ?? "?")"))
            } else {
                checks.append(.fail("organisation", XeroFailure(.staleConnection, "the organisation is \(org.OrganisationStatus ?? "not active")")))
            }
        }
        // 7. The user
        if checks.last?.status != .fail, let users = await api("user", { try await client.users() }) {
            let userID = JWTClaims.decode(freshToken)["xero_userid"] as? String ?? k.xeroUserID
            if let me = users.first(where: { $0.UserID.lowercased() == userID?.lowercased() }) {
                let role = me.OrganisationRole ?? "UNKNOWN"
                let name = Self.roleNames[role] ?? role
                if XeroUser.rolesThatCanPost.contains(role) {
                    checks.append(.pass("user", "\(me.displayName) has the \(name) role"))
                } else {
                    checks.append(.fail("user", XeroFailure(.permissionDenied, "the connected user \(me.displayName) has the \(name) role (\(role)), which cannot create invoices and bills",
                                                            evidence: ["GET /Users: OrganisationRole \(role) for xero_userid \(me.UserID)"])))
                }
            } else {
                checks.append(.warn("user", "the token's user (\(userID ?? "unknown")) is not among the organisation's users", fix: "Reconnect as a user of this organisation with the Standard or Adviser role."))
            }
        }
        // 8. Scopes
        let canInvoice = freshScopes.contains { $0 == "accounting.transactions" || $0 == "accounting.invoices" }
        let canSettings = freshScopes.contains { $0.hasPrefix("accounting.settings") }
        if let f = deferred["scopes"] {
            checks.append(.fail("scopes", f.adding(evidence: "token scopes: \(freshScopes.joined(separator: " "))")))
        } else if !canInvoice || !canSettings {
            checks.append(.fail("scopes", XeroFailure(.insufficientScope, "the token lacks \(canInvoice ? "" : "accounting.transactions (or accounting.invoices) ")\(canSettings ? "" : "accounting.settings.read")",
                                                      evidence: ["token scopes: \(freshScopes.joined(separator: " "))"])))
        } else {
            checks.append(.pass("scopes", "invoices and settings are covered (\(freshScopes.contains("accounting.invoices") ? "granular" : "broad") scopes)"))
        }
        // 9. Currencies and the lock date: what send will refuse or re-date
        if checks.allSatisfy({ $0.status != .fail }), let facts = await api("currencies", { try await client.refreshOrganisationFacts(store: session.store) }) {
            let mapping = (try? Mapping.load(home: home.url)) ?? .defaults
            let unsent = ((try? session.store.allSettlements()) ?? []).filter { s in
                ((try? session.store.book(s, mapping: mapping, tenant: connection.tenantID)).map { s.status(ledger: $0) } ?? .ready) != .sent
            }
            let missing = Dictionary(grouping: unsent.filter { !facts.currencies.contains($0.header.currency) }, by: { $0.header.currency })
            let lock = facts.lockDate.map { "; period lock date \($0): documents dated before it go on the first open day" } ?? ""
            if missing.isEmpty {
                checks.append(.pass("currencies", "enabled: \(facts.currencies.joined(separator: ", "))\(lock)"))
            } else {
                let list = missing.keys.sorted().map { "\($0) (settlements \(missing[$0]!.map(\.header.id).joined(separator: ", ")))" }
                checks.append(.fail("currencies", XeroFailure(.validationFailed, "the organisation has no \(list.joined(separator: "; ")) enabled",
                                                              validationErrors: missing.keys.sorted().map { "Organisation is not subscribed to currency \($0)" })))
            }
        }
        // 10. The mapping against this organisation's accounts and tax rates
        if checks.allSatisfy({ $0.status != .fail }) {
            do {
                let mapping = try Mapping.load(home: home.url)
                if let accounts = await api("mapping", { try await client.accounts() }), let rates = await api("mapping", { try await client.taxRates() }) {
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
                    let booked = bookedToOther(session.store, mapping)
                    if problems.isEmpty && !booked.isEmpty {
                        checks.append(.warn("mapping", "every mapped account is ACTIVE and every tax type exists, but \"unmapped\": \"other\" books combinations no rule covers to Other in settlements \(booked.joined(separator: ", "))",
                                            fix: "See them with lmb mapping explain ID and map each with lmb mapping add."))
                    } else if problems.isEmpty {
                        checks.append(.pass("mapping", "every mapped account is ACTIVE and every tax type exists (\(Category.allCases.count) categories)"))
                    } else {
                        checks.append(.fail("mapping", XeroFailure(.config, problems.joined(separator: "; ")),
                                            fix: "Edit mapping.json (lmb mapping init writes one) so every category names an active account and tax type of this organisation, or add them in Xero."))
                    }
                }
            } catch {
                checks.append(.fail("mapping", XeroFailure(.config, "\(error)")))
            }
        }
        // 11. Rate-limit headroom
        if let f = deferred["rate_limit"] {
            checks.append(.fail("rate_limit", f))
        } else {
            let minute = await client.minuteRemaining
            let day = await client.dayRemaining
            if let day, day < 100 {
                checks.append(.warn("rate_limit", "only \(day) calls left today", fix: "Send fewer settlements today; the daily limit resets at midnight UTC."))
            } else {
                checks.append(.pass("rate_limit", "\(minute.map(String.init) ?? "?") calls left this minute, \(day.map(String.init) ?? "?") today"))
            }
        }
        return DiagnosisReport(checks: checks + lastFailures(session))
    }

    /// Unsent settlements in which `"unmapped": "other"` books combinations no rule covers, with how many.
    func bookedToOther(_ store: Store, _ mapping: Mapping) -> [String] {
        guard mapping.unmappedPolicy == .other else { return [] }
        return ((try? store.allSettlements()) ?? []).compactMap { s in
            guard let r = try? store.book(s, mapping: mapping), !r.bookedToOther.isEmpty, s.status(ledger: r) != .sent else { return nil }
            return "\(s.header.id) (\(r.bookedToOther.count))"
        }
    }

    func storeCheck(_ session: XeroSession) -> [DiagnosticCheck] {
        var st = stat()
        let mode = stat(session.store.path, &st) == 0 ? st.st_mode & 0o777 : 0
        let integrity = (try? session.store.dbQueue.read { try String.fetchOne($0, sql: "PRAGMA quick_check") }) ?? nil
        guard integrity == "ok" else {
            return [.fail("store", XeroFailure(.config, "the store failed SQLite's integrity check: \(integrity ?? "unreadable")"),
                          fix: "Restore \(session.store.path) from a backup.")]
        }
        return [.pass("store", "\(session.store.path), mode \(String(mode, radix: 8)), integrity ok")]
    }

    /// The last failed send of each settlement, with its classification and Xero's exact message.
    func lastFailures(_ session: XeroSession) -> [DiagnosticCheck] {
        let rows = (try? session.store.dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.settlement_id, e.message, e.detail, e.at FROM event e
                WHERE e.kind = 'send_attempt' AND e.id = (SELECT MAX(id) FROM event WHERE kind = 'send_attempt' AND settlement_id = e.settlement_id)
                ORDER BY e.settlement_id
                """)
        }) ?? []
        let failed = rows.compactMap { row -> String? in
            let detail = (row["detail"] as String?).flatMap { try? JSON.parse($0) }
            guard let c = detail?["classification"]?.stringValue, c != "ok" else { return nil }
            return "\(row["settlement_id"] as String): \(c) — \"\(row["message"] as String)\" at \(row["at"] as String)"
        }
        if failed.isEmpty { return [.pass("last_failures", "no settlement's last send failed")] }
        return [.warn("last_failures", failed.joined(separator: "; "), fix: "Fix what the first failing check names, then run `lmb send --all`; `lmb diagnose --settlement ID` shows one settlement's history.")]
    }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try work() }) } }
    }
}
