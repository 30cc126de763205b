import Foundation
import GRDB

/// The one way a stored settlement is booked: its groups (by marketplace or SKU when the mapping asks), the
/// mapping, and the organisation's lock date as last read from Xero.
extension Store {
    public func book(_ s: StoredSettlement, mapping: Mapping, tenant: String? = nil) throws -> LedgerResult {
        let groups = mapping.lineGrouping == .category ? s.groups : try detailedGroups(s.header.id, by: mapping.lineGrouping)
        return Ledger(mapping: mapping, lockDate: try organisationFacts(tenant: tenant)?.lockDate)
            .book(header: s.header, marketplace: s.marketplace, groups: groups)
    }

    /// Groups that also carry the marketplace or SKU, summed from the stored rows.
    public func detailedGroups(_ settlementID: String, by grouping: Mapping.Grouping) throws -> [SettlementGroup] {
        let column = grouping == .sku ? "sku" : "marketplace"
        return try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT transaction_type, amount_type, amount_description, COALESCE(substr(posted_date, 1, 7), '') AS month,
                       COALESCE(\(column), '') AS detail, SUM(amount_minor) AS amount, COUNT(*) AS n
                FROM transaction_row WHERE settlement_id = ?
                GROUP BY transaction_type, amount_type, amount_description, month, detail
                ORDER BY month, transaction_type, amount_type, amount_description, detail
                """, arguments: [settlementID]).map {
                SettlementGroup(transactionType: $0["transaction_type"], amountType: $0["amount_type"], amountDescription: $0["amount_description"],
                                month: $0["month"], amountMinor: $0["amount"], count: $0["n"], detail: $0["detail"])
            }
        }
    }

    /// What lmb last learned of the organisation: lock date, base currency, enabled currencies.
    public struct OrganisationFacts: Sendable {
        public var lockDate: CalendarDate?
        public var baseCurrency: String?
        public var currencies: [String]
    }

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

    public func saveOrganisationFacts(tenantID: String, lockDate: CalendarDate?, baseCurrency: String?, currencies: [String]) throws {
        factsLock.lock()
        factsCache = [:]
        factsLock.unlock()
        try dbQueue.write { db in
            try db.execute(sql: "UPDATE xero_connection SET period_lock_date = ?, base_currency = ?, currencies = ? WHERE tenant_id = ?",
                           arguments: [lockDate?.description, baseCurrency, currencies.joined(separator: ","), tenantID])
        }
    }
}

extension SettlementParser {
    /// Parses a file for previewing: with groups per marketplace or SKU when the mapping wants lines split so.
    public func parseForBooking(_ mapping: Mapping) throws -> ParsedSettlement {
        guard mapping.lineGrouping != .category else { return try parse(hashContent: false) }
        var detailed: [String: SettlementGroup] = [:]
        var parsed = try parse(hashContent: false, onEntry: { e, text in
            let detail = try text.string(mapping.lineGrouping == .sku ? e.sku : e.marketplace)
            let g = SettlementGroup(transactionType: try text.string(e.transactionType), amountType: try text.string(e.amountType),
                                    amountDescription: try text.string(e.amountDescription), month: e.postedDate?.monthKey ?? "",
                                    amountMinor: 0, count: 0, detail: detail)
            let key = "\(g.transactionType)\u{1F}\(g.amountType)\u{1F}\(g.amountDescription)\u{1F}\(g.month)\u{1F}\(detail)"
            var current = detailed[key] ?? g
            current.amountMinor += e.amountMinor
            current.count += 1
            detailed[key] = current
        })
        parsed.groups = detailed.values.sorted { ($0.month, $0.transactionType, $0.amountType, $0.amountDescription, $0.detail) < ($1.month, $1.transactionType, $1.amountType, $1.amountDescription, $1.detail) }
        return parsed
    }
}
