import Foundation
import GRDB

/// What lmb last learned of an organisation: lock date, base currency, enabled currencies.
public struct OrganisationFacts: Sendable, Equatable {
    public var lockDate: CalendarDate?
    public var baseCurrency: String?
    public var currencies: [String]

    public init(lockDate: CalendarDate?, baseCurrency: String?, currencies: [String]) {
        self.lockDate = lockDate
        self.baseCurrency = baseCurrency
        self.currencies = currencies
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
        guard let c = try? connection(tenant: tenant) else { return nil }
        return try dbQueue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT period_lock_date, base_currency, currencies FROM xero_connection WHERE tenant_id = ?", arguments: [c.tenantID]) else { return nil }
            return OrganisationFacts(lockDate: (row["period_lock_date"] as String?).flatMap(CalendarDate.init(iso:)), baseCurrency: row["base_currency"],
                                     currencies: (row["currencies"] as String?)?.split(separator: ",").map(String.init) ?? [])
        }
    }

    public func saveOrganisationFacts(tenantID: String, _ facts: OrganisationFacts) throws {
        factsLock.lock()
        factsCache = [:]
        factsLock.unlock()
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE xero_connection SET period_lock_date = ?, base_currency = ?, currencies = ? WHERE tenant_id = ?",
                           arguments: [facts.lockDate?.description, facts.baseCurrency, facts.currencies.joined(separator: ","), tenantID])
        }
    }
}
