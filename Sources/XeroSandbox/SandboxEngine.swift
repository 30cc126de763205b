import Foundation

/// A Xero emulator: identity (authorize, token, revocation), /connections, and the accounting endpoints lmb
/// uses, with Xero's validation messages, rate limits and fault scenarios. Shapes follow Xero's OpenAPI
/// descriptions and the documented error bodies. It shares no code with lmb's client, so it can catch its mistakes.
/// This file holds the state and routes each request; the identity server is in SandboxIdentity.swift, the
/// accounting API in SandboxAccounting.swift (tax, chart, tracking, payments, journals and currencies in Xero/), the
/// control API in SandboxControl.swift, several organisations (each its own books, limits and scenario) in
/// SandboxOrganisations.swift, Amazon's side in Amazon/,
/// Shopify Payments' in Shopify/.
public actor SandboxEngine {
    public struct Options: Sendable {
        public var baseCurrency = "USD"
        public var minuteLimit = 60
        public var dayLimit = 5000
        public var concurrentLimit = 5
        public var appMinuteLimit = 10_000
        /// nil: any non-empty client secret is accepted for client-credentials and web-app grants.
        public var clientSecret: String?
        /// How long the `slow` scenario waits before answering (real seconds).
        public var slowSeconds: Double = 90
        /// Xero refuses a request body over 3.5 MB with 413, however few elements it holds.
        public var maxBodyBytes = 3_500_000
        /// Retry-After of the `rate-limit-minute` scenario (sandbox seconds).
        public var minuteRetryAfter = 60
        public init() {}
    }

    public internal(set) var options: Options
    var clockOffset: TimeInterval = 0
    /// Set by `POST /_sandbox/clock {"freeze": true}`: time stands still (but for advance_seconds) until unfrozen.
    var frozenAt: Date?
    var now: Date { (frozenAt ?? Date()).addingTimeInterval(clockOffset) }

    var scenario: SandboxScenario = .healthy
    var scenarioSetAt = Date.distantPast
    var minuteLimitedUntil: Date?

    // Organisation: the one a request addresses is in these fields while it is handled (SandboxOrganisations.swift);
    // between requests, the default one.
    static let defaultTenantID = "6f2a9c1e-3b7d-4e8a-9f10-5c2b7d4e8a91"
    var tenantID = SandboxEngine.defaultTenantID
    var organisationName = "Demo Seller Ltd"
    var organisationStatus = "ACTIVE"
    var organisationClass = "DEMO"
    var currencies: Set<String> = []
    var periodLockDate: String?   // YYYY-MM-DD
    var accounts: [SandboxAccount] = []
    var taxRates: [SandboxTaxRate] = []
    var users: [SandboxUser] = []
    var contacts: [SandboxContact] = []
    var invoices: [[String: Any]] = []
    /// The organisation version, tracking, payments, journals and currency rates set up beyond the demo: see Xero/.
    var books = XeroBooksState()
    var baseCurrency: String { books.version?.baseCurrency ?? options.baseCurrency }

    // Identity (authorize, tokens, connections): see SandboxIdentity.swift
    var identity = IdentityState()
    /// Set by `POST /_sandbox/config {"deny_consent": true}`: the consent screen answers access_denied.
    public var denyConsent: Bool { identity.denyConsent }

    // Limits, idempotency, log
    var minuteWindow = 0, minuteCount = 0
    var dayWindow = 0, dayCount = 0
    var inFlight = 0
    var idempotency: [String: (bodyHash: String, response: SandboxResponse)] = [:]
    var organisationLimits = SandboxOrganisationLimits()
    var ownScenario = SandboxOwnScenario()

    // Several organisations: the others than the one in the fields above, by tenant id; all in creation order; the
    // custom connections' client ids (client id → tenant id); what a PKCE consent grants (nil: the default one).
    var otherOrganisations: [String: SandboxOrganisation] = [:]
    var organisationOrder = [SandboxEngine.defaultTenantID]
    var customClients: [String: String] = [:]
    var consentTenants: [String]?
    /// Xero's app-wide minute window, across every organisation.
    var appMinuteWindow = 0, appMinuteCount = 0
    /// `POST /_sandbox/config {"latency_ms": N}`: every Xero and Amazon answer waits N ms, outside the actor.
    var latencyMs = 0
    /// The seller (refresh token) whose SP-API call is being answered: set around one synchronous call.
    var amazonSeller: String?
    var requests: [LoggedRequest] = []
    /// What lmb's failure notifications posted to /_sandbox/notifications.
    var notifications: [[String: Any]] = []

    // Amazon (Login with Amazon, Reports API, S3 downloads): see Amazon/
    var amazon = AmazonState()
    // Shopify Payments (Admin GraphQL): see Shopify/
    var shopify = ShopifyState()
    // eBay (OAuth, Sell Finances, Key Management, message signatures): see Ebay/
    var ebay = EbayState()

    public init(options: Options = Options(), scenario: SandboxScenario = .healthy) {
        self.options = options
        self.scenario = scenario
        self.scenarioSetAt = Date()
        self.currencies = [options.baseCurrency.uppercased(), "USD", "EUR", "GBP", "CAD"]
        (accounts, taxRates, users) = Self.demoData()
    }

    static func demoData() -> ([SandboxAccount], [SandboxTaxRate], [SandboxUser]) {
        let accounts = [
            SandboxAccount(code: "200", name: "Sales", type: "REVENUE", taxType: "OUTPUT"),
            SandboxAccount(code: "260", name: "Other Revenue", type: "REVENUE", taxType: "OUTPUT"),
            SandboxAccount(code: "400", name: "Advertising", type: "EXPENSE", taxType: "INPUT"),
            SandboxAccount(code: "404", name: "Bank Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "820", name: "Sales Tax", type: "CURRLIAB", taxType: "NONE", systemAccount: "GST"),
            SandboxAccount(code: "LMB1", name: "Amazon Sales", type: "REVENUE", taxType: "NONE"),
            SandboxAccount(code: "LMB2", name: "Amazon Refunds", type: "REVENUE", taxType: "NONE"),
            SandboxAccount(code: "LMB3", name: "FBA Inventory Reimbursements", type: "OTHERINCOME", taxType: "NONE"),
            SandboxAccount(code: "LMB4", name: "Amazon Seller Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB5", name: "Amazon FBA Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB6", name: "Amazon Storage Fees", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB7", name: "Amazon Advertising Costs", type: "EXPENSE", taxType: "NONE"),
            SandboxAccount(code: "LMB8", name: "Amazon Sales Tax", type: "CURRLIAB", taxType: "NONE"),
            SandboxAccount(code: "LMB9", name: "Amazon Loans", type: "CURRLIAB", taxType: "NONE"),
            SandboxAccount(code: "LMB10", name: "Amazon Reserved Balances", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB11", name: "Amazon Other Transactions", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB12", name: "Amazon Split Month Rollovers", type: "CURRENT", taxType: "NONE"),
            SandboxAccount(code: "LMB13", name: "Shipping Labels", type: "EXPENSE", taxType: "NONE"),
        ]
        let all: Set<String> = ["REVENUE", "EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]
        let taxRates = [
            SandboxTaxRate(name: "Tax Exempt", taxType: "NONE", rate: 0, appliesTo: all),
            SandboxTaxRate(name: "Tax on Sales", taxType: "OUTPUT", rate: 85_000, appliesTo: ["REVENUE", "LIABILITIES", "ASSETS", "EQUITY"]),
            SandboxTaxRate(name: "Tax on Purchases", taxType: "INPUT", rate: 85_000, appliesTo: ["EXPENSES", "LIABILITIES", "ASSETS", "EQUITY"]),
        ]
        let users = [
            SandboxUser(userID: "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14", email: "sam@example.com", firstName: "Sam", lastName: "Standard", role: "STANDARD"),
            SandboxUser(userID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", email: "ada@example.com", firstName: "Ada", lastName: "Adviser", role: "FINANCIALADVISER"),
            SandboxUser(userID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", email: "rita@example.com", firstName: "Rita", lastName: "Readonly", role: "READONLY"),
        ]
        return (accounts, taxRates, users)
    }

    // MARK: Dispatch

    /// What the server does with one request: the action, the organisation whose in-flight count it holds (release
    /// it with `finished(tenant:)` once the answer has gone out or been dropped), and how long to wait first.
    public struct Ticket: Sendable {
        public var action: SandboxAction
        public var tenant: String?
        public var latencySeconds: Double
    }

    /// Handles one request (see `accept` for the in-flight count it may take).
    public func handle(_ request: SandboxRequest) -> SandboxAction { accept(request).action }

    /// Handles one request. An accounting call counts in flight for its organisation until `finished(tenant:)`.
    public func accept(_ request: SandboxRequest) -> Ticket {
        if request.path.hasPrefix("/_sandbox/") {
            let response = control(request)
            return Ticket(action: .respond(response), tenant: nil, latencySeconds: 0)
        }
        let latency = Double(latencyMs) / 1000
        if Self.isAmazonPath(request.path) { return Ticket(action: .respond(answerAmazon(request)), tenant: nil, latencySeconds: latency) }
        if Self.isShopifyPath(request.path) { return Ticket(action: .respond(answerShopify(request)), tenant: nil, latencySeconds: 0) }
        if Self.isEbayPath(request.path) { return Ticket(action: .respond(answerEbay(request)), tenant: nil, latencySeconds: 0) }
        return withOrganisation(addressedTenant(request)) {
            // Xero's per-organisation concurrency counts the accounting calls of that organisation, not identity's.
            let counted = request.path.hasPrefix("/api.xro/")
            if counted {
                inFlight += 1
                organisationLimits.peakConcurrent = max(organisationLimits.peakConcurrent, inFlight)
            }
            return Ticket(action: handleXero(request), tenant: counted ? tenantID : nil, latencySeconds: latency)
        }
    }

    func handleXero(_ request: SandboxRequest) -> SandboxAction {
        if scenario == .dropConnection {
            // Closed before anything was processed: unlike lose-response, nothing is committed.
            requests.append(LoggedRequest(method: request.method, path: request.path, status: 0, time: now))
            return .drop
        }
        var action = route(request)
        // `slow` answers late what it has already processed, as a struggling server does.
        switch scenario {
        case .slow:
            if case .respond(let r) = action { action = .delayed(seconds: options.slowSeconds, r) }
        default: break
        }
        let status: Int
        switch action {
        case .respond(let r), .delayed(_, let r): status = r.status
        case .drop: status = 0
        }
        requests.append(LoggedRequest(method: request.method, path: request.path, status: status, time: now))
        return action
    }

    /// Releases one in-flight call of the default organisation (`finished(tenant:)` releases any organisation's).
    public func finished() { finished(tenant: Self.defaultTenantID) }

    /// Xero's concurrent-call limit counts only an organisation's accounting calls: not the control API, not
    /// identity's or the connections', not Amazon's, Shopify's or eBay's.
    public nonisolated static func countsInFlight(_ path: String) -> Bool {
        path.hasPrefix("/api.xro/")
    }

    func route(_ r: SandboxRequest) -> SandboxAction {
        let correlation = [("Xero-Correlation-Id", UUID().uuidString.lowercased())]
        // Every answer carries a correlation id and the remaining-limit headers, as Xero's do.
        func stamp(_ r: SandboxResponse) -> SandboxResponse {
            var r = r
            r.headers += correlation
            if !r.headers.contains(where: { $0.0 == "X-MinLimit-Remaining" }) { r.headers += limitHeaders() }
            return r
        }
        func withCorrelation(_ a: SandboxAction) -> SandboxAction {
            switch a {
            case .respond(let resp): return .respond(stamp(resp))
            case .delayed(let s, let resp): return .delayed(seconds: s, stamp(resp))
            case .drop: return .drop
            }
        }
        switch (r.method, r.path) {
        case ("GET", "/identity/connect/authorize"): return withCorrelation(.respond(authorize(r)))
        case ("POST", "/connect/token"): return withCorrelation(.respond(token(r)))
        case ("POST", "/connect/revocation"): return withCorrelation(.respond(revoke(r)))
        case ("GET", "/connections"): return withCorrelation(.respond(listConnections(r)))
        case ("DELETE", _) where r.path.hasPrefix("/connections/"): return withCorrelation(.respond(deleteConnection(r)))
        default:
            if r.path.hasPrefix("/api.xro/2.0/") { return withCorrelation(accounting(r)) }
            return withCorrelation(.respond(.text(404, "The resource you're looking for cannot be found")))
        }
    }

    static func xeroDate(_ d: Date) -> String { "/Date(\(Int64(d.timeIntervalSince1970 * 1000))+0000)/" }
    static func isoUTC(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}
