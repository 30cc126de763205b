import Foundation

extension SandboxEngine {
    /// The control API under /_sandbox/: for tests and the demo. lmb itself never calls it.
    /// `POST /_sandbox/organisation` also takes {"version": "UK"|"AU"|"NZ"|"US"|"GLOBAL"}, {"chart": "empty"|"demo"},
    /// {"tax_rates": [{"TaxType": "INPUT2", "Status": "ARCHIVED"}]} and {"compute_tax": true} (Xero/XeroOrganisation.swift);
    /// `POST /_sandbox/currencies {"EUR": "0.8432"}` sets the organisation's currency rates.
    /// Several organisations (SandboxOrganisations.swift): `POST /_sandbox/organisations {"name", "base_currency"}`;
    /// `?tenant=ID` on `GET /_sandbox/state`, `POST /_sandbox/organisation` and `POST /_sandbox/currencies` acts on that
    /// organisation (without it: the default one); `"tenant"` in `POST /_sandbox/scenario` sets that organisation's own.
    func control(_ r: SandboxRequest) -> SandboxResponse {
        if r.path.hasPrefix("/_sandbox/amazon/") { return amazonControl(r) }
        if r.path.hasPrefix("/_sandbox/shopify/") { return shopifyControl(r) }
        if r.path.hasPrefix("/_sandbox/ebay/") { return ebayControl(r) }
        let body = (try? JSONSerialization.jsonObject(with: r.body.isEmpty ? Data("{}".utf8) : r.body)) as? [String: Any]
        // `?tenant=` names the organisation a state read or a change is for.
        if let tenant = r.query["tenant"], ["/_sandbox/state", "/_sandbox/organisation", "/_sandbox/currencies"].contains(r.path) {
            guard organisationExists(tenant) else { return .json(404, ["error": "no such organisation", "tenant": tenant]) }
            var plain = r
            plain.query["tenant"] = nil
            return withOrganisation(tenant) { control(plain) }
        }
        switch (r.method, r.path) {
        case ("GET", "/_sandbox/state"):
            return .json(200, stateJSON())
        case ("POST", "/_sandbox/organisations"):
            return createOrganisation(body ?? [:])
        case ("POST", "/_sandbox/scenario"):
            guard let name = body?["scenario"] as? String, let s = SandboxScenario(rawValue: name) else {
                return .json(400, ["error": "unknown scenario", "scenarios": SandboxScenario.allCases.map(\.rawValue)])
            }
            if let seconds = body?["delay_seconds"] as? NSNumber { options.slowSeconds = seconds.doubleValue }
            if let seconds = body?["retry_after"] as? NSNumber { options.minuteRetryAfter = seconds.intValue }
            if s == .amazonRefreshRevoked, let refreshToken = body?["refresh_token"] as? String, !refreshToken.isEmpty {
                // One seller's refresh token revoked; the others and the sandbox-wide scenario stay as they are.
                amazon.revokedRefreshTokens.insert(refreshToken)
                return .json(200, ["scenario": s.rawValue, "sellers_revoked": amazon.revokedRefreshTokens.count])
            }
            if let tenant = body?["tenant"] as? String {
                return setOrganisationScenario(s, tenant: tenant)
            }
            setScenario(s)
            return .json(200, ["scenario": s.rawValue])
        case ("POST", "/_sandbox/clock"):
            if let freeze = body?["freeze"] as? Bool { frozenAt = freeze ? Date() : nil }
            let seconds = (body?["advance_seconds"] as? NSNumber)?.doubleValue ?? 0
            guard seconds >= 0, body?["advance_seconds"] != nil || body?["freeze"] != nil else {
                return .json(400, ["error": "advance_seconds (≥ 0) or freeze (true/false) is required"])
            }
            clockOffset += seconds
            return .json(200, ["now": Self.isoUTC(now), "offset_seconds": clockOffset])
        case ("POST", "/_sandbox/reset"):
            reset()
            return .json(200, ["reset": true])
        case ("POST", "/_sandbox/organisation"):
            return changeOrganisation(body ?? [:])
        case ("POST", "/_sandbox/currencies"):
            return setCurrencyRates(body ?? [:])
        case ("POST", "/_sandbox/notifications"):
            // A webhook receiver, so failure notifications can be tried (and tested) with no chat service.
            guard let message = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
                return .json(400, ["error": "a notification is a JSON object"])
            }
            notifications.append(message)
            return .json(200, ["ok": true])
        case ("POST", "/_sandbox/config"):
            if let secret = body?["client_secret"] as? String { options.clientSecret = secret.isEmpty ? nil : secret }
            if let n = body?["minute_limit"] as? NSNumber { options.minuteLimit = n.intValue }
            if let n = body?["day_limit"] as? NSNumber { options.dayLimit = n.intValue }
            if let n = body?["concurrent_limit"] as? NSNumber { options.concurrentLimit = n.intValue }
            if let n = body?["app_minute_limit"] as? NSNumber { options.appMinuteLimit = n.intValue }
            if let n = body?["max_body_bytes"] as? NSNumber { options.maxBodyBytes = n.intValue }
            if let deny = body?["deny_consent"] as? Bool { identity.denyConsent = deny }
            if let n = body?["latency_ms"] as? NSNumber {
                guard n.intValue >= 0 else { return .json(400, ["error": "latency_ms must be ≥ 0"]) }
                latencyMs = n.intValue
            }
            if let value = body?["consent_tenants"] {
                // The organisations a PKCE consent grants from now on; [] or null: the default one again.
                if value is NSNull { consentTenants = nil } else {
                    guard let list = value as? [String] else { return .json(400, ["error": "consent_tenants must be a list of tenant ids"]) }
                    if let unknown = list.first(where: { !organisationExists($0) }) {
                        return .json(404, ["error": "no such organisation", "tenant": unknown])
                    }
                    consentTenants = list.isEmpty ? nil : list
                }
            }
            return .json(200, ["ok": true])
        default:
            return .json(404, ["error": "no such control endpoint", "endpoints": ["GET /_sandbox/state", "POST /_sandbox/scenario",
                                                                                 "POST /_sandbox/clock", "POST /_sandbox/reset",
                                                                                 "POST /_sandbox/organisation", "POST /_sandbox/organisations", "POST /_sandbox/currencies", "POST /_sandbox/config", "POST /_sandbox/notifications",
                                                                                 "POST /_sandbox/amazon/reports", "POST /_sandbox/amazon/config",
                                                                                 "POST /_sandbox/shopify/payouts", "POST /_sandbox/shopify/config"]])
        }
    }

    /// A scenario for the whole sandbox: every organisation (their own scenarios end), every seller.
    public func setScenario(_ s: SandboxScenario) {
        // Undo what the previous scenario changed, so every scenario starts from the same connection and tokens.
        identity.connectedUserRole = "STANDARD"
        clearOrganisationScenarios()
        identity.connections += identity.scenarioRemovedConnections
        identity.scenarioRemovedConnections = []
        minuteLimitedUntil = nil
        amazon.documentsRefusedAsExpired = []
        amazon.revokedRefreshTokens = []
        scenario = s
        scenarioSetAt = now
        switch s {
        case .userRoleReadonly: identity.connectedUserRole = "READONLY"
        case .userRoleInvoiceOnly: identity.connectedUserRole = "INVOICEONLY"
        case .appDisconnected:
            // Every organisation's connection.
            identity.scenarioRemovedConnections = identity.connections
            identity.connections.removeAll()
        default: break
        }
    }

    public var currentScenario: SandboxScenario { scenario }

    /// Back to one organisation, the default, as the sandbox started (the created ones and their client ids go).
    func reset() {
        if tenantID != Self.defaultTenantID, let home = otherOrganisations[Self.defaultTenantID] { install(home) }
        otherOrganisations = [:]
        organisationOrder = [Self.defaultTenantID]
        customClients = [:]
        consentTenants = nil
        organisationLimits = SandboxOrganisationLimits()
        ownScenario = SandboxOwnScenario()
        appMinuteCount = 0
        let opts = options
        clockOffset = 0
        frozenAt = nil
        scenario = .healthy
        scenarioSetAt = now
        minuteLimitedUntil = nil
        organisationStatus = "ACTIVE"
        currencies = [opts.baseCurrency.uppercased(), "USD", "EUR", "GBP", "CAD"]
        periodLockDate = nil
        (accounts, taxRates, users) = Self.demoData()
        contacts = []
        invoices = []
        books = XeroBooksState()
        identity = IdentityState()
        minuteCount = 0
        dayCount = 0
        idempotency = [:]
        requests = []
        notifications = []
        amazon = amazon.cleared()
        shopify = ShopifyState()
        ebay = ebay.cleared()
    }

    func changeOrganisation(_ b: [String: Any]) -> SandboxResponse {
        // The organisation's version, chart and tax rates (Xero/XeroOrganisation.swift) come first, so the account and
        // rate switches below act on the chart they set up.
        if let refused = changeBooks(b) { return refused }
        func setAccount(_ code: Any?, _ status: String) -> Bool {
            guard let code = code as? String else { return true }
            guard let i = accounts.firstIndex(where: { $0.code == code }) else { return false }
            accounts[i].status = status
            return true
        }
        guard setAccount(b["archive_account"], "ARCHIVED"), setAccount(b["unarchive_account"], "ACTIVE") else {
            return .json(400, ["error": "no such account code"])
        }
        if b.keys.contains("period_lock_date") { periodLockDate = b["period_lock_date"] as? String }
        if let list = b["currencies"] as? [String] { currencies = Set(list.map { $0.uppercased() }) }
        if let name = b["archive_contact"] as? String {
            if let i = contacts.firstIndex(where: { $0.name == name }) { contacts[i].status = "ARCHIVED" } else {
                contacts.append(SandboxContact(name: name, status: "ARCHIVED"))
            }
        }
        if let taxType = b["archive_tax_rate"] as? String, let i = taxRates.firstIndex(where: { $0.taxType == taxType }) {
            taxRates[i].status = "DELETED"
        }
        if let status = b["status"] as? String { organisationStatus = status }
        if let cls = b["class"] as? String { organisationClass = cls }
        return .json(200, organisationJSON())
    }

    func stateJSON() -> [String: Any] {
        [
            "scenario": scenario.rawValue,
            "clock": ["now": Self.isoUTC(now), "offset_seconds": clockOffset],
            "organisation": organisationJSON(),
            "invoices": invoices.map { inv -> [String: Any] in
                var out: [String: Any] = [:]
                for key in ["InvoiceID", "InvoiceNumber", "Reference", "Type", "Status", "Total", "CurrencyCode", "LineItems", "Date",
                            "DueDate", "LineAmountTypes", "Contact", "SubTotal", "TotalTax", "AmountDue", "AmountPaid", "CurrencyRate"] {
                    if let v = inv[key] { out[key] = v }
                }
                return out
            },
            "requests": requests.map { ["method": $0.method, "path": $0.path, "status": $0.status, "time": Self.isoUTC($0.time)] },
            "notifications": notifications,
            "connections": identity.connections.map { ["id": $0.id, "tenantId": $0.tenantID, "tenantName": $0.tenantName, "authEventId": $0.authEventID] },
            "users": usersJSON(),
            "tokens": [
                "access_tokens": identity.issuedOrder.filter { identity.accessTokens[$0] != nil },
                "refresh_tokens": identity.issuedOrder.filter { identity.refreshTokens[$0] != nil },
                "id_tokens": identity.idTokens,
                "all": identity.issuedOrder,
            ],
            "xero": booksStateJSON(),
            "organisations": organisationsStateJSON(),
            "latency_ms": latencyMs,
            "amazon": amazonStateJSON(),
            "shopify": shopifyStateJSON(),
            "ebay": ebayStateJSON(),
        ]
    }
}
