import Foundation

/// One Xero organisation's own state: its books, its idempotency keys, its limits' windows and in-flight count, and
/// the scenario set for it alone. The engine keeps the organisation a request addresses in its own fields (the
/// default one between requests) and the others here, by tenant id.
struct SandboxOrganisation {
    var tenantID: String
    var name: String
    var status = "ACTIVE"
    var organisationClass = "DEMO"
    /// The base currency of a demo organisation (the version's, once one is chosen: see `XeroBooksState`).
    var baseCurrency: String
    var currencies: Set<String>
    var periodLockDate: String?
    var accounts: [SandboxAccount]
    var taxRates: [SandboxTaxRate]
    var users: [SandboxUser]
    var contacts: [SandboxContact] = []
    var invoices: [[String: Any]] = []
    var books = XeroBooksState()
    var minuteWindow = 0, minuteCount = 0
    var dayWindow = 0, dayCount = 0
    var inFlight = 0
    var idempotency: [String: (bodyHash: String, response: SandboxResponse)] = [:]
    var minuteLimitedUntil: Date?
    var limits = SandboxOrganisationLimits()
    var own = SandboxOwnScenario()

    /// A new organisation with `demo` (the demo chart, tax rates and users, as the default one starts).
    init(tenantID: String, name: String, baseCurrency: String,
         demo: ([SandboxAccount], [SandboxTaxRate], [SandboxUser]) = SandboxEngine.demoData()) {
        self.tenantID = tenantID
        self.name = name
        self.baseCurrency = baseCurrency
        self.currencies = [baseCurrency, "USD", "EUR", "GBP", "CAD"]
        (accounts, taxRates, users) = demo
    }
}

/// What `/_sandbox/state` reports of an organisation's load.
struct SandboxOrganisationLimits {
    /// The most calls one minute window counted (as the minute limit counts them: answered, not refused with 429).
    var peakCallsPerMinute = 0
    /// The most accounting calls in flight at once (from arrival until the answer, latency included).
    var peakConcurrent = 0
}

/// A scenario set for one organisation by `POST /_sandbox/scenario {"scenario": …, "tenant": …}`: it replaces the
/// sandbox-wide scenario for that organisation's accounting calls.
struct SandboxOwnScenario {
    var scenario: SandboxScenario?
    var setAt = Date.distantPast
    /// The connections `app-disconnected` took away from this organisation alone.
    var removedConnections: [SandboxConnection] = []
}

extension SandboxEngine {
    /// The scenarios that can be set for one organisation: Xero's accounting-side ones.
    static let perOrganisationScenarios: Set<SandboxScenario> = [
        .healthy, .userRoleReadonly, .userRoleInvoiceOnly, .appDisconnected, .organisationInactive, .accessTokenExpired,
        .missingScope, .rateLimitMinute, .rateLimitDay, .organisationOffline, .slow, .dropConnection, .loseResponse,
    ]

    // MARK: Which organisation is in the engine's fields

    /// The organisation now in the engine's fields, taken out of them (the fields keep their values until replaced).
    func currentOrganisation() -> SandboxOrganisation {
        var o = SandboxOrganisation(tenantID: tenantID, name: organisationName, baseCurrency: options.baseCurrency,
                                    demo: (accounts, taxRates, users))
        o.status = organisationStatus
        o.organisationClass = organisationClass
        o.currencies = currencies
        o.periodLockDate = periodLockDate
        o.contacts = contacts
        o.invoices = invoices
        o.books = books
        o.minuteWindow = minuteWindow
        o.minuteCount = minuteCount
        o.dayWindow = dayWindow
        o.dayCount = dayCount
        o.inFlight = inFlight
        o.idempotency = idempotency
        o.minuteLimitedUntil = minuteLimitedUntil
        o.limits = organisationLimits
        o.own = ownScenario
        return o
    }

    func install(_ o: SandboxOrganisation) {
        tenantID = o.tenantID
        organisationName = o.name
        options.baseCurrency = o.baseCurrency
        organisationStatus = o.status
        organisationClass = o.organisationClass
        currencies = o.currencies
        periodLockDate = o.periodLockDate
        accounts = o.accounts
        taxRates = o.taxRates
        users = o.users
        contacts = o.contacts
        invoices = o.invoices
        books = o.books
        minuteWindow = o.minuteWindow
        minuteCount = o.minuteCount
        dayWindow = o.dayWindow
        dayCount = o.dayCount
        inFlight = o.inFlight
        idempotency = o.idempotency
        minuteLimitedUntil = o.minuteLimitedUntil
        organisationLimits = o.limits
        ownScenario = o.own
    }

    /// Runs `body` with the organisation `tenant` in the engine's fields and its own scenario (if any) in force, then
    /// puts back the one that was there. Synchronous: no other request can run in between, so none sees the swap.
    /// An unknown or nil tenant runs with the default organisation, as a single-organisation sandbox did.
    func withOrganisation<T>(_ tenant: String?, _ body: () -> T) -> T {
        var home: String?
        if let tenant, tenant != tenantID, let visiting = otherOrganisations.removeValue(forKey: tenant) {
            let current = currentOrganisation()
            home = current.tenantID
            otherOrganisations[current.tenantID] = current
            install(visiting)
        }
        let saved = (scenario, scenarioSetAt, identity.connectedUserRole)
        // An organisation's own scenario acts on the calls addressed to it, not on identity's.
        if tenant != nil, let own = ownScenario.scenario {
            scenario = own
            scenarioSetAt = ownScenario.setAt
            identity.connectedUserRole = Self.connectedRole(own)
        }
        let result = body()
        (scenario, scenarioSetAt, identity.connectedUserRole) = saved
        if let home, let back = otherOrganisations.removeValue(forKey: home) {
            let visited = currentOrganisation()
            otherOrganisations[visited.tenantID] = visited
            install(back)
        }
        return result
    }

    static func connectedRole(_ s: SandboxScenario) -> String {
        switch s {
        case .userRoleReadonly: return "READONLY"
        case .userRoleInvoiceOnly: return "INVOICEONLY"
        default: return "STANDARD"
        }
    }

    func organisationExists(_ tenant: String) -> Bool { tenant == tenantID || otherOrganisations[tenant] != nil }

    /// The organisation an accounting request addresses: its `Xero-tenant-id`, or a custom connection's one.
    func addressedTenant(_ r: SandboxRequest) -> String? {
        guard r.path.hasPrefix("/api.xro/2.0/") else { return nil }
        if let tenant = r.header("xero-tenant-id") { return tenant }
        guard let auth = r.header("authorization"), auth.hasPrefix("Bearer "),
              let token = identity.accessTokens[String(auth.dropFirst(7))], let grant = identity.grants[token.grant],
              grant.customConnection else { return nil }
        return grant.tenants.first
    }

    /// Releases one in-flight accounting call of `tenant` (the answer has gone out, or was dropped).
    public func finished(tenant: String) {
        if tenant == tenantID {
            inFlight = max(0, inFlight - 1)
        } else if var o = otherOrganisations[tenant] {
            o.inFlight = max(0, o.inFlight - 1)
            otherOrganisations[tenant] = o
        }
    }

    // MARK: Control: organisations, per-organisation scenarios

    /// `POST /_sandbox/organisations {"name": "Client 7 Ltd", "base_currency": "GBP"}` →
    /// `{"tenantId": …, "client_id": …, "name": …, "base_currency": …}`: a new demo organisation and a custom
    /// connection's client id for it alone.
    func createOrganisation(_ b: [String: Any]) -> SandboxResponse {
        let currency = ((b["base_currency"] as? String) ?? "USD").uppercased()
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return .json(400, ["error": "base_currency must be a three-letter currency code"])
        }
        let name = (b["name"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "Organisation \(organisationOrder.count + 1)"
        let tenant = UUID().uuidString.lowercased()
        let clientID = UUID().uuidString.replacingOccurrences(of: "-", with: "").uppercased()
        otherOrganisations[tenant] = SandboxOrganisation(tenantID: tenant, name: name, baseCurrency: currency)
        organisationOrder.append(tenant)
        customClients[clientID] = tenant
        return .json(200, ["tenantId": tenant, "client_id": clientID, "name": name, "base_currency": currency])
    }

    /// `POST /_sandbox/scenario {"scenario": …, "tenant": …}`: that organisation's own scenario (healthy included:
    /// it then stays healthy whatever the sandbox-wide scenario). A later scenario without "tenant" clears them all.
    func setOrganisationScenario(_ s: SandboxScenario, tenant: String) -> SandboxResponse {
        guard organisationExists(tenant) else { return .json(404, ["error": "no such organisation", "tenant": tenant]) }
        guard Self.perOrganisationScenarios.contains(s) else {
            return .json(400, ["error": "\(s.rawValue) cannot be set for one organisation",
                               "scenarios": Self.perOrganisationScenarios.map(\.rawValue).sorted()])
        }
        withOrganisation(tenant) {
            identity.connections += ownScenario.removedConnections
            ownScenario = SandboxOwnScenario(scenario: s, setAt: now)
            minuteLimitedUntil = nil
            if s == .appDisconnected {
                ownScenario.removedConnections = identity.connections.filter { $0.tenantID == tenant }
                identity.connections.removeAll { $0.tenantID == tenant }
            }
        }
        return .json(200, ["scenario": s.rawValue, "tenant": tenant])
    }

    /// A scenario for the whole sandbox ends every organisation's own one, and what it took away.
    func clearOrganisationScenarios() {
        identity.connections += ownScenario.removedConnections
        ownScenario = SandboxOwnScenario()
        for key in Array(otherOrganisations.keys) {
            guard var o = otherOrganisations[key] else { continue }
            identity.connections += o.own.removedConnections
            o.own = SandboxOwnScenario()
            o.minuteLimitedUntil = nil
            otherOrganisations[key] = o
        }
    }

    /// `organisations` in `GET /_sandbox/state`, in creation order (the default first).
    func organisationsStateJSON() -> [[String: Any]] {
        organisationOrder.compactMap { tenant -> [String: Any]? in
            let o = tenant == tenantID ? currentOrganisation() : otherOrganisations[tenant]
            guard let o else { return nil }
            var out: [String: Any] = [
                "tenantId": o.tenantID, "name": o.name, "invoices": o.invoices.count,
                "peak_calls_per_minute": o.limits.peakCallsPerMinute, "peak_concurrent": o.limits.peakConcurrent,
                "in_flight": o.inFlight, "calls_today": o.dayCount, "base_currency": o.books.version?.baseCurrency ?? o.baseCurrency,
                "scenario": o.own.scenario?.rawValue ?? scenario.rawValue,
            ]
            if let client = customClients.first(where: { $0.value == o.tenantID })?.key { out["client_id"] = client }
            return out
        }
    }
}
