import Foundation

/// One thing `lmb setup` found, created (or would create), or could not make.
public struct SetupItem: Sendable, Equatable {
    /// account, contact, tracking-category, tracking-option, currency.
    public var kind: String
    /// The account code, contact name, category or option name, currency code.
    public var name: String
    public var detail: String

    public init(kind: String, name: String, detail: String) {
        self.kind = kind
        self.name = name
        self.detail = detail
    }
}

/// What `lmb setup` did (or, with --dry-run, would do) to the organisation.
public struct SetupResult: Sendable {
    public var tenantID: String
    public var organisation: String?
    public var dryRun: Bool
    public var created: [SetupItem] = []
    public var existing: [SetupItem] = []
    /// What is there but not as the mapping needs it (same code, another type; archived): reported, never changed.
    public var conflicts: [SetupItem] = []
    /// What Xero refused to create, with its words.
    public var failures: [SetupItem] = []
    /// Settlement currencies the organisation lacks (Settings → Currencies): send refuses those settlements.
    public var missingCurrencies: [String] = []
    /// Every request made, in order ("GET Accounts", "PUT Accounts LMB1").
    public var requests: [String] = []
    /// The mapping file written (the tracking category), when one was.
    public var mappingWritten: String?

    public var exitStatus: ExitStatus { conflicts.isEmpty && failures.isEmpty && missingCurrencies.isEmpty ? .ok : .config }
}

/// What `lmb setup --map CATEGORY=CODE` changed.
public struct SetupMapResult: Sendable {
    public var assignments: [(category: String, code: String, name: String, type: String)]
    public var file: String
    public var requests: [String]
}

/// `lmb setup`: makes the organisation ready to receive settlements. It reads the accounts, tax rates, currencies,
/// contacts and tracking categories, and creates what the mapping needs and is missing: each category's account
/// (code and name from the mapping, the Type `AccountRoles.createType` gives the category, and a tax type), the
/// marketplace contacts of the stored settlements, and with `tracking` one tracking category "Sales channel" with an
/// option per marketplace, which every invoice line then carries (`"tracking"` in mapping.json). It never changes
/// what exists: an account with the mapping's code but another type is a conflict to resolve by hand or with
/// `lmb setup --map`. A second run finds everything and creates nothing.
public struct SetupFlow: Sendable {
    public let ctx: RunContext
    public var tenant: String?
    public var dryRun = false
    public var tracking = false

    public static let trackingCategoryName = "Sales channel"
    /// RemoteFailure.code of an insufficient scope met by setup: the runbook says `lmb reconnect --setup`.
    public static let scopeFailureCode = "setup_scope"

    public init(ctx: RunContext, tenant: String?) {
        self.ctx = ctx
        self.tenant = tenant
    }

    /// The scopes of a connect asked to allow setup: accounting.settings in place of accounting.settings.read.
    public static func withSettingsScope(_ scopes: [String]) -> [String] {
        var list = scopes.map { $0 == "accounting.settings.read" ? "accounting.settings" : $0 }
        if !list.contains("accounting.settings") { list.append("accounting.settings") }
        return list
    }

    /// An account the mapping needs: a category's (or the carried-forward account, `category` nil).
    public struct AccountNeed: Sendable, Equatable {
        public var key: String
        public var category: Category?
        public var code: String
        public var name: String
        public var type: String
        /// Types an existing account may have; nil: the category's (`AccountRoles.allowedTypes`).
        public var allowed: [String]? = nil
    }

    /// Every account the mapping books to, once per code (the first category naming a code decides its type).
    public static func accountNeeds(_ mapping: Mapping) -> [AccountNeed] {
        var needs: [AccountNeed] = []
        for c in Category.allCases {
            let a = mapping.account(for: c)
            guard !needs.contains(where: { $0.code.caseInsensitiveCompare(a.account) == .orderedSame }) else { continue }
            needs.append(AccountNeed(key: c.rawValue, category: c, code: a.account, name: a.name, type: AccountRoles.createType(c)))
        }
        let cf = mapping.carriedForwardAccount
        if !needs.contains(where: { $0.code.caseInsensitiveCompare(cf.account) == .orderedSame }) {
            needs.append(AccountNeed(key: AccountRoles.carriedForwardKey, category: nil, code: cf.account, name: cf.name, type: AccountRoles.carriedForwardType))
        }
        return needs
    }

    /// The TaxType a new account gets: with a tax profile, what the profile's treatment for such an account resolves
    /// to (standard for revenue, standard-input for costs, out of scope for the rest); without one, the category's
    /// tax type from the mapping. nil (Xero's default for the type) when the organisation has no such active rate.
    public static func taxType(for need: AccountNeed, mapping: Mapping, version: String?, rates: [XeroTaxRate]) -> String? {
        let active = Set(rates.filter { ($0.Status ?? "ACTIVE") == "ACTIVE" }.compactMap(\.TaxType))
        if let profile = mapping.tax {
            let resolver = TaxResolver(profile: profile, version: version, rates: rates)
            let home = profile.country
            let key: TaxKey
            switch need.type {
            case "REVENUE" where profile.isRegisteredAtHome:
                key = TaxKey(.standard, country: home, rate: TaxCountries.standardRate(home, on: nil))
            case "DIRECTCOSTS", "EXPENSE" where profile.isRegisteredAtHome:
                key = TaxKey(.standardInput, country: home, rate: TaxCountries.standardRate(home, on: nil))
            default:
                key = TaxKey(.outsideScope)
            }
            if case .success(let code) = resolver.resolve(key), active.contains(code) { return code }
            return nil
        }
        let own = need.category.map { mapping.account(for: $0).taxType } ?? mapping.carriedForwardAccount.taxType
        return active.contains(own) ? own : nil
    }

    // MARK: The run

    public func perform() async throws -> SetupResult {
        let session = try ctx.xeroSession()
        let connection = try session.store.connection(tenant: tenant)
        let client = session.client(for: connection)
        let mapping = try ctx.mapping()
        var result = SetupResult(tenantID: connection.tenantID, organisation: connection.tenantName, dryRun: dryRun)

        // 1. Read what the organisation holds.
        let facts = try await client.organisationFacts()
        result.requests += ["GET Organisation", "GET Currencies"]
        let accounts = try await client.accounts()
        result.requests.append("GET Accounts")
        let rates = try await client.taxRates()
        result.requests.append("GET TaxRates")
        let contacts = try await client.setupContacts()
        result.requests.append("GET Contacts")
        var categories: [XeroTrackingCategory] = try await client.trackingCategories()
        result.requests.append("GET TrackingCategories")

        // 2. Accounts.
        // With unit costs stored (or "cogs" set in config.json) the cost-of-goods accounts too (CostOfGoodsSending.swift).
        for need in Self.accountNeeds(mapping) + (try Self.costOfGoodsNeeds(store: session.store, config: session.config, mapping: mapping)) {
            let label = "\(need.key): \(need.name)"
            if let a = accounts.first(where: { ($0.Code ?? "").caseInsensitiveCompare(need.code) == .orderedSame }) {
                let allowed = need.allowed ?? AccountRoles.allowedTypes(need.category)
                if let type = a.`Type`, !allowed.contains(type) {
                    result.conflicts.append(SetupItem(kind: "account", name: need.code,
                        detail: "\(label): account \(need.code) exists as \(a.Name ?? "?") with Type \(type); lmb books \(need.key) to \(allowed.joined(separator: "/")). It is not changed: point \(need.key) at another account with lmb setup --map \(need.key)=CODE, or change the account in Xero"))
                } else if let status = a.Status, status != "ACTIVE" {
                    result.conflicts.append(SetupItem(kind: "account", name: need.code,
                        detail: "\(label): account \(need.code) is \(status); restore it in Xero → Accounting → Chart of accounts → Archived, or lmb setup --map \(need.key)=CODE"))
                } else {
                    result.existing.append(SetupItem(kind: "account", name: need.code, detail: "\(label) (\(a.`Type` ?? "?"))"))
                }
                continue
            }
            if let same = accounts.first(where: { ($0.Name ?? "").caseInsensitiveCompare(need.name) == .orderedSame && $0.Status != "DELETED" }) {
                result.conflicts.append(SetupItem(kind: "account", name: need.code,
                    detail: "\(label): no account \(need.code), but account \(same.Code ?? "?") already has the name \(need.name) (Xero wants unique names); use it with lmb setup --map \(need.key)=\(same.Code ?? "CODE"), or rename it in Xero"))
                continue
            }
            let taxType = Self.taxType(for: need, mapping: mapping, version: facts.version, rates: rates)
            let detail = "\(label) (\(need.type)\(taxType.map { ", \($0)" } ?? ""))"
            if dryRun {
                result.created.append(SetupItem(kind: "account", name: need.code, detail: detail))
                continue
            }
            var fields: [(String, JSON)] = [("Code", .string(need.code)), ("Name", .string(need.name)), ("Type", .string(need.type))]
            if let taxType { fields.append(("TaxType", .string(taxType))) }
            result.requests.append("PUT Accounts \(need.code)")
            let refused = try await Self.creating {
                try await client.putSetup("Accounts", body: JSON.object(fields), key: "lmb-setup-account-\(connection.tenantID)-\(need.code)")
            }
            if let refused {
                result.failures.append(SetupItem(kind: "account", name: need.code, detail: "\(label): Xero refused it: \(refused)"))
            } else {
                result.created.append(SetupItem(kind: "account", name: need.code, detail: detail))
            }
        }

        // 3. The marketplace contacts and currencies of the stored settlements.
        let store = session.store
        var marketplaces: [String] = []
        var currencies: [String] = []
        for s in try store.allSettlements() {
            let name = AmazonMarketplace.name(format: s.header.format, currency: s.header.currency, reported: s.marketplace)
            if !marketplaces.contains(name) { marketplaces.append(name) }
            if !currencies.contains(s.header.currency) { currencies.append(s.header.currency) }
        }
        var newContacts: [String] = []
        for name in marketplaces {
            if let c = contacts.first(where: { $0.Name.caseInsensitiveCompare(name) == .orderedSame }) {
                if (c.ContactStatus ?? "ACTIVE") == "ACTIVE" {
                    result.existing.append(SetupItem(kind: "contact", name: name, detail: "marketplace contact"))
                } else {
                    result.conflicts.append(SetupItem(kind: "contact", name: name,
                        detail: "the contact \(name) is \(c.ContactStatus ?? "?"); restore it in Xero (Contacts → Archived → Restore)"))
                }
            } else {
                newContacts.append(name)
            }
        }
        if !newContacts.isEmpty {
            if dryRun {
                result.created += newContacts.map { SetupItem(kind: "contact", name: $0, detail: "marketplace contact") }
            } else {
                result.requests.append("PUT Contacts \(newContacts.joined(separator: ", "))")
                let body = JSON.object([("Contacts", .array(newContacts.map { .object([("Name", .string($0))]) }))])
                let refused = try await Self.creating {
                    try await client.putSetup("Contacts", body: body,
                                              key: "lmb-setup-contacts-" + String(SHA256.hex("\(connection.tenantID)|\(newContacts.joined(separator: "|"))").prefix(32)))
                }
                for name in newContacts {
                    if let refused {
                        result.failures.append(SetupItem(kind: "contact", name: name, detail: "Xero refused it: \(refused)"))
                    } else {
                        result.created.append(SetupItem(kind: "contact", name: name, detail: "marketplace contact"))
                    }
                }
            }
        }
        for c in currencies where !facts.currencies.contains(c) {
            result.missingCurrencies.append(c)
        }

        // 4. Tracking: one category "Sales channel", an option per marketplace.
        if tracking {
            var category: XeroTrackingCategory? = categories.first { $0.Name.caseInsensitiveCompare(Self.trackingCategoryName) == .orderedSame }
            if let category {
                result.existing.append(SetupItem(kind: "tracking-category", name: category.Name, detail: "\(category.Options?.count ?? 0) option(s)"))
            } else if categories.filter({ ($0.Status ?? "ACTIVE") == "ACTIVE" }).count >= 2 {
                result.conflicts.append(SetupItem(kind: "tracking-category", name: Self.trackingCategoryName,
                    detail: "the organisation already has two active tracking categories (\(categories.map { $0.Name }.joined(separator: ", "))), Xero's limit: archive one in Xero → Settings → Tracking categories"))
            } else if dryRun {
                result.created.append(SetupItem(kind: "tracking-category", name: Self.trackingCategoryName, detail: "one option per marketplace"))
                category = XeroTrackingCategory(TrackingCategoryID: nil, Name: Self.trackingCategoryName, Status: "ACTIVE", Options: [])
            } else {
                result.requests.append("PUT TrackingCategories \(Self.trackingCategoryName)")
                var made: XeroTrackingCategory?
                let refused = try await Self.creating {
                    made = try await client.putTrackingCategory(Self.trackingCategoryName, key: "lmb-setup-tracking-\(connection.tenantID)")
                }
                if let refused {
                    result.failures.append(SetupItem(kind: "tracking-category", name: Self.trackingCategoryName, detail: "Xero refused it: \(refused)"))
                } else if let made {
                    result.created.append(SetupItem(kind: "tracking-category", name: made.Name, detail: "one option per marketplace"))
                    categories.append(made)
                    category = made
                }
            }
            if let category {
                for name in marketplaces {
                    if (category.Options ?? []).contains(where: { $0.Name.caseInsensitiveCompare(name) == .orderedSame }) {
                        result.existing.append(SetupItem(kind: "tracking-option", name: name, detail: "\(category.Name) option"))
                    } else if dryRun || category.TrackingCategoryID == nil {
                        result.created.append(SetupItem(kind: "tracking-option", name: name, detail: "\(category.Name) option"))
                    } else if let id = category.TrackingCategoryID {
                        result.requests.append("PUT TrackingCategories/\(id)/Options \(name)")
                        let refused = try await Self.creating {
                            try await client.putSetup("TrackingCategories/\(id)/Options", body: JSON.object([("Name", JSON.string(name))]),
                                                      key: "lmb-setup-option-" + String(SHA256.hex("\(connection.tenantID)|\(id)|\(name)").prefix(32)))
                        }
                        if let refused {
                            result.failures.append(SetupItem(kind: "tracking-option", name: name, detail: "Xero refused it: \(refused)"))
                        } else {
                            result.created.append(SetupItem(kind: "tracking-option", name: name, detail: "\(category.Name) option"))
                        }
                    }
                }
                // The invoices carry it from now on.
                var file = try Mapping.homeFile(ctx.home)
                if !dryRun, file.tracking != category.Name {
                    file.tracking = category.Name
                    try ctx.home.ensureExists()
                    try file.write(to: ctx.home.mappingPath)
                    result.mappingWritten = ctx.home.mappingPath
                }
            }
        }
        return result
    }

    /// Runs one create: nil when it was made, Xero's validation words when refused. A missing scope stops the run
    /// with the `lmb reconnect --setup` runbook; anything else that is not a refusal of this one item stops it too.
    static func creating(_ make: () async throws -> Void) async throws -> String? {
        do {
            try await make()
            return nil
        } catch var failure as RemoteFailure {
            switch failure.classification {
            case .validationFailed:
                return failure.validationErrors.isEmpty ? failure.message : failure.validationErrors.joined(separator: "; ")
            case .insufficientScope, .permissionDenied where failure.status == 401 || failure.message.contains("scope"):
                failure.classification = .insufficientScope
                failure.code = scopeFailureCode
                failure.message = "creating accounts needs the accounting.settings scope, which this connection lacks (\(failure.message))"
                throw failure
            default:
                throw failure
            }
        }
    }

    // MARK: --map

    /// `lmb setup --map CATEGORY=CODE…`: points categories at accounts the organisation already has, after checking
    /// each exists, is ACTIVE and has a type that makes sense for the category; writes mapping.json's `categories`.
    public func map(_ assignments: [String]) async throws -> SetupMapResult {
        var parsed: [(key: String, category: Category?, code: String)] = []
        for a in assignments {
            let parts = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else { throw LMBError.usage("'\(a)' is not CATEGORY=CODE (e.g. sales=200)") }
            guard let category = AccountRoles.category(named: parts[0]) else {
                throw LMBError.usage("unknown category '\(parts[0])' (known: \((Category.allCases.map(\.rawValue) + [AccountRoles.carriedForwardKey]).joined(separator: ", ")))")
            }
            parsed.append((parts[0], category, parts[1]))
        }
        let session = try ctx.xeroSession()
        let client = session.client(for: try session.store.connection(tenant: tenant))
        let accounts = try await client.accounts()
        var out: [(category: String, code: String, name: String, type: String)] = []
        var file = try Mapping.homeFile(ctx.home)
        let current = try ctx.mapping()
        for p in parsed {
            guard let a = accounts.first(where: { ($0.Code ?? "").caseInsensitiveCompare(p.code) == .orderedSame }), let code = a.Code else {
                throw LMBError.config("the organisation has no account \(p.code) (lmb setup creates the mapping's accounts; the chart is under Xero → Accounting → Chart of accounts)")
            }
            if let problem = AccountRoles.unusable(a) { throw LMBError.config("account \(code) \(problem); choose another") }
            let allowed = AccountRoles.allowedTypes(p.category)
            guard let type = a.`Type`, allowed.contains(type) else {
                throw LMBError.config("account \(code) (\(a.Name ?? "?")) is of Type \(a.`Type` ?? "?"); \(p.key) needs one of \(allowed.joined(separator: ", "))")
            }
            let name = a.Name ?? code
            if let category = p.category {
                file.categories[category.rawValue] = CategoryAccount(account: code, taxType: current.account(for: category).taxType, name: name)
            } else {
                file.carriedForward = CategoryAccount(account: code, taxType: current.carriedForwardAccount.taxType, name: name)
            }
            out.append((p.key, code, name, type))
        }
        file.version = Mapping.currentVersion
        try file.validate()
        try ctx.home.ensureExists()
        try file.write(to: ctx.home.mappingPath)
        return SetupMapResult(assignments: out, file: ctx.home.mappingPath, requests: ["GET Accounts"])
    }
}

// MARK: The calls setup makes

public struct XeroContactSummary: Codable, Sendable {
    public var ContactID: String?
    public var Name: String
    public var ContactStatus: String?
}

struct XeroContactsEnvelope: Codable { var Contacts: [XeroContactSummary] }

public struct XeroTrackingOption: Codable, Sendable {
    public var TrackingOptionID: String?
    public var Name: String
    public var Status: String?
}

public struct XeroTrackingCategory: Codable, Sendable {
    public var TrackingCategoryID: String?
    public var Name: String
    public var Status: String?
    public var Options: [XeroTrackingOption]?
}

struct XeroTrackingCategoriesEnvelope: Codable { var TrackingCategories: [XeroTrackingCategory] }

extension XeroClient {
    public func setupContacts() async throws -> [XeroContactSummary] {
        try decode(XeroContactsEnvelope.self, try await send("GET", "Contacts", query: [("includeArchived", "true")]), "GET Contacts").Contacts
    }

    public func trackingCategories() async throws -> [XeroTrackingCategory] {
        try decode(XeroTrackingCategoriesEnvelope.self, try await send("GET", "TrackingCategories"), "GET TrackingCategories").TrackingCategories
    }

    /// PUT of one settings resource; a 2xx answer is all setup needs.
    func putSetup(_ resource: String, body: JSON, key: String) async throws {
        _ = try await send("PUT", resource, body: Data(body.rendered(pretty: false).utf8), idempotencyKey: key, paced: true)
    }

    func putTrackingCategory(_ name: String, key: String) async throws -> XeroTrackingCategory? {
        let r = try await send("PUT", "TrackingCategories", body: Data(JSON.object([("Name", .string(name))]).rendered(pretty: false).utf8),
                               idempotencyKey: key, paced: true)
        return try decode(XeroTrackingCategoriesEnvelope.self, r, "PUT TrackingCategories").TrackingCategories.first
    }
}
