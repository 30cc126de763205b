import Foundation
import GRDB

/// What lmb last learned of an organisation: lock date, base currency, enabled currencies.
public struct OrganisationFacts: Sendable, Equatable {
    public var lockDate: CalendarDate?
    public var baseCurrency: String?
    public var currencies: [String]
    /// Organisation.Version (UK, AU, NZ, US, GLOBAL…), its tax rates and its accounts: read when a tax profile is set.
    public var version: String?
    public var taxRates: [XeroTaxRate]?
    public var accounts: [XeroAccount]?

    public init(lockDate: CalendarDate?, baseCurrency: String?, currencies: [String], version: String? = nil,
                taxRates: [XeroTaxRate]? = nil, accounts: [XeroAccount]? = nil) {
        self.lockDate = lockDate
        self.baseCurrency = baseCurrency
        self.currencies = currencies
        self.version = version
        self.taxRates = taxRates
        self.accounts = accounts
    }
}

extension Store {
    /// Read once per process (commands book many settlements in a loop); saving new facts replaces them.
    public func organisationFacts(tenant: String?) throws -> OrganisationFacts? {
        let key = tenant ?? ""
        factsLock.lock()
        if let cached = factsCache[key] { factsLock.unlock(); return cached }
        factsLock.unlock()
        let facts = try readOrganisationFacts(tenant: tenant)
        factsLock.lock()
        factsCache[key] = facts
        factsLock.unlock()
        return facts
    }

    func readOrganisationFacts(tenant: String?) throws -> OrganisationFacts? {
        // The organisation `storedConnection(tenant:)` would pick — by id, else by name, else the default (else the first
        // by name) — in one query, without reading every connection and its credential.
        return try dbQueue.read { db in
            let columns = "period_lock_date, base_currency, currencies, org_version, tax_rates_json, accounts_json"
            let found: Row?
            if let tenant {
                found = try Row.fetchOne(db, sql: "SELECT \(columns) FROM xero_connection WHERE tenant_id = ?", arguments: [tenant])
                    ?? Row.fetchOne(db, sql: "SELECT \(columns) FROM xero_connection WHERE tenant_name = ? COLLATE NOCASE ORDER BY is_default DESC, tenant_name LIMIT 1",
                                    arguments: [tenant])
            } else {
                found = try Row.fetchOne(db, sql: "SELECT \(columns) FROM xero_connection ORDER BY is_default DESC, tenant_name LIMIT 1")
            }
            guard let row = found else { return nil }
            func decoded<T: Decodable>(_ column: String, _ type: T.Type) -> T? {
                (row[column] as String?).flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
            }
            return OrganisationFacts(lockDate: (row["period_lock_date"] as String?).flatMap(CalendarDate.init(iso:)), baseCurrency: row["base_currency"],
                                     currencies: (row["currencies"] as String?)?.split(separator: ",").map(String.init) ?? [],
                                     version: row["org_version"], taxRates: decoded("tax_rates_json", [XeroTaxRate].self),
                                     accounts: decoded("accounts_json", [XeroAccount].self))
        }
    }

    public func saveOrganisationFacts(tenantID: String, _ facts: OrganisationFacts) throws {
        let name = try dbQueue.write { db -> String? in
            func encoded<T: Encodable>(_ value: T?) -> String? { value.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) } }
            try db.execute(sql: "UPDATE xero_connection SET period_lock_date = ?, base_currency = ?, currencies = ?, org_version = ?, tax_rates_json = ?, accounts_json = ? WHERE tenant_id = ?",
                           arguments: [facts.lockDate?.description, facts.baseCurrency, facts.currencies.joined(separator: ","), facts.version,
                                       encoded(facts.taxRates), encoded(facts.accounts), tenantID])
            return try String.fetchOne(db, sql: "SELECT tenant_name FROM xero_connection WHERE tenant_id = ?", arguments: [tenantID])
        }
        // Only what may name this organisation is forgotten (its id, its name, the default), once the new facts are
        // stored: fifty organisations each saving theirs must not make every other one's be read and decoded again.
        factsLock.lock()
        factsCache = factsCache.filter { key, _ in
            !(key.isEmpty || key == tenantID || (name.map { key.caseInsensitiveCompare($0) == .orderedSame } ?? true))
        }
        factsLock.unlock()
    }
}
