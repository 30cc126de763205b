import Foundation

/// One row of `lmb tax show`: a treatment and what it resolves to in the organisation.
public struct TaxTreatmentUse: Sendable {
    public var key: TaxKey
    public var taxType: String?
    public var problem: String?
    /// How it was chosen: `lmb tax map`, the organisation version's system code, or a rate search.
    public var source: String
}

/// What `lmb tax show` prints.
public struct TaxShowResult: Sendable {
    public var profile: TaxProfile
    public var organisation: String?
    public var version: String
    /// The rates were read from Xero in this run (else from what lmb stored, or none).
    public var ratesSource: String
    public var uses: [TaxTreatmentUse]
    public var rates: [XeroTaxRate]
}

/// `lmb tax init`, `show` and `map`: the seller's tax profile in config.json, and what it resolves to in Xero.
public struct TaxFlow {
    public let ctx: RunContext

    public init(_ ctx: RunContext) { self.ctx = ctx }

    public func profile() throws -> TaxProfile? { try LMBConfig.taxProfile(home: ctx.home) }

    /// Writes (or replaces) the profile, keeping any `lmb tax map` choices already made.
    public func initialise(country: String, registered: [String]?, oss: Bool, notRegistered: Bool, awaitVATReport: Bool?) throws -> TaxProfile {
        var config = try LMBConfig.load(home: ctx.home, environment: [:])
        let regs: [String]
        if notRegistered {
            guard registered?.isEmpty ?? true else { throw LMBError.usage("--not-registered and --registered contradict each other") }
            regs = []
        } else {
            regs = registered ?? [country]
        }
        var profile = TaxProfile(country: country, registered: regs, oss: oss, awaitVATReport: awaitVATReport, map: config.tax?.map ?? [:])
        if notRegistered && oss { throw LMBError.usage("--oss needs a VAT registration; drop --not-registered") }
        try profile.validate()
        profile.registered = Array(NSOrderedSet(array: profile.registered)).compactMap { $0 as? String }
        config.tax = profile
        try config.save(home: ctx.home)
        return profile
    }

    /// `lmb tax map KEY=TAXTYPE…` (an empty TAXTYPE removes the choice).
    public func map(_ assignments: [String]) throws -> TaxProfile {
        var config = try LMBConfig.load(home: ctx.home, environment: [:])
        guard var profile = config.tax else { throw LMBError.usage("no tax profile yet: run lmb tax init --country CC first") }
        for a in assignments {
            let parts = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw LMBError.usage("'\(a)' is not TREATMENT=TAXTYPE (e.g. standard-input=INPUT2, standard@DE=TAX002)") }
            let key = try TaxMapKey(parsing: parts[0])
            let code = parts[1].trimmingCharacters(in: .whitespaces).uppercased()
            if code.isEmpty { profile.map[key.description] = nil; continue }
            guard code.count <= 50, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw LMBError.usage("'\(parts[1])' is not a Xero TaxType code (e.g. OUTPUT2, INPUT2, TAX001)")
            }
            profile.map[key.description] = code
        }
        config.tax = profile
        try config.save(home: ctx.home)
        return profile
    }

    /// The profile and, for the organisation, each treatment's TaxType — read from Xero now unless `offline`.
    public func show(tenant: String?, offline: Bool) async throws -> TaxShowResult {
        guard let profile = try profile() else { throw LMBError.usage("no tax profile yet: run lmb tax init --country CC [--registered CC,…] [--oss]") }
        var facts: OrganisationFacts?
        var organisation: String?
        var source = "none read yet (run without --offline, or lmb diagnose)"
        if let store = try ctx.existingStore(), let connection = try? store.connection(tenant: tenant) {
            organisation = connection.tenantName
            if !offline {
                let session = try ctx.xeroSession()
                let client = session.client(for: connection)
                let read = try await client.organisationFacts(withTax: true)
                try store.saveOrganisationFacts(tenantID: connection.tenantID, read)
                facts = read
                source = "read from Xero now"
            } else if let stored = try store.organisationFacts(tenant: tenant), stored.taxRates != nil {
                facts = stored
                source = "as lmb last read them"
            }
        }
        let resolver = TaxResolver(profile: profile, version: facts?.version, rates: facts?.taxRates, accounts: facts?.accounts)
        let uses = Self.keys(profile).map { key -> TaxTreatmentUse in
            let mapped = profile.map[TaxMapKey(treatment: key.treatment, country: key.country).description] ?? profile.map[key.treatment.rawValue]
            let how = mapped != nil ? "lmb tax map" : (resolver.systemCode(key) != nil ? "\(resolver.version) system code" : "rate search")
            switch resolver.resolve(key) {
            case .success(let code): return TaxTreatmentUse(key: key, taxType: code, problem: nil, source: how)
            case .failure(let p): return TaxTreatmentUse(key: key, taxType: p.taxType, problem: p.reason, source: how)
            }
        }
        return TaxShowResult(profile: profile, organisation: organisation, version: resolver.version, ratesSource: source, uses: uses,
                             rates: facts?.taxRates ?? [])
    }

    /// The treatments a profile's settlements use: home sales and fees, registered countries, exports, the rest.
    static func keys(_ p: TaxProfile) -> [TaxKey] {
        let home = p.country
        var keys: [TaxKey] = []
        if p.isRegisteredAtHome { keys.append(TaxKey(.standard, country: home, rate: TaxCountries.standardRate(home, on: nil))) }
        for c in p.registered where c != home { keys.append(TaxKey(.standard, country: c, rate: TaxCountries.standardRate(c, on: nil))) }
        keys += [TaxKey(.zeroRated), TaxKey(.export), TaxKey(.marketplaceCollected), TaxKey(.outsideScope), TaxKey(.reverseCharge)]
        if TaxCountries.eu.contains(home) { keys.append(TaxKey(.ecGoods)) }
        if let rate = TaxCountries.standardRate(home, on: nil) { keys.append(TaxKey(.standardInput, country: home, rate: rate)) }
        return keys
    }
}
