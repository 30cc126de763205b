import Foundation
import GRDB

/// One SKU's unit cost from a day on (nil: from the beginning), in the currency's minor units.
public struct UnitCost: Sendable, Equatable {
    public var sku: String
    public var unitCostMinor: Int64
    public var currency: Currency
    public var fromDate: CalendarDate?

    public init(sku: String, unitCostMinor: Int64, currency: Currency, fromDate: CalendarDate?) {
        self.sku = sku
        self.unitCostMinor = unitCostMinor
        self.currency = currency
        self.fromDate = fromDate
    }
}

/// A SKU sold in a stored settlement that has no cost.
public struct MissingCost: Sendable, Equatable {
    public var sku: String
    public var rows: Int
    public var settlements: Int
}

/// Unit costs for cost of goods sold (`lmb costs import`): a later from_date starts a new cost for the SKU.
extension Store {
    static func createCostTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE unit_cost (
                sku TEXT NOT NULL,
                from_date TEXT NOT NULL DEFAULT '',
                unit_cost_minor INTEGER NOT NULL,
                currency TEXT NOT NULL,
                imported_at TEXT NOT NULL,
                PRIMARY KEY (sku, from_date)
            );
            """)
    }

    /// Stores every cost in one transaction (a cost for the same SKU and day replaces the earlier one).
    public func saveCosts(_ costs: [UnitCost]) throws {
        try dbQueue.write { db in
            let at = self.now()
            for c in costs {
                try db.execute(sql: """
                    INSERT INTO unit_cost (sku, from_date, unit_cost_minor, currency, imported_at) VALUES (?,?,?,?,?)
                    ON CONFLICT(sku, from_date) DO UPDATE SET unit_cost_minor = excluded.unit_cost_minor, currency = excluded.currency,
                        imported_at = excluded.imported_at
                    """, arguments: [c.sku, c.fromDate?.description ?? "", c.unitCostMinor, c.currency.code, at])
            }
        }
    }

    /// Every cost (or one SKU's), by SKU then day.
    public func costs(sku: String? = nil) throws -> [UnitCost] {
        try dbQueue.read { db in
            let rows = sku == nil
                ? try Row.fetchAll(db, sql: "SELECT * FROM unit_cost ORDER BY sku, from_date")
                : try Row.fetchAll(db, sql: "SELECT * FROM unit_cost WHERE sku = ? ORDER BY from_date", arguments: [sku])
            return rows.map { row in
                let from: String = row["from_date"]
                return UnitCost(sku: row["sku"], unitCostMinor: row["unit_cost_minor"], currency: Currency(code: row["currency"]),
                                fromDate: from.isEmpty ? nil : CalendarDate(iso: from))
            }
        }
    }

    /// The cost of a SKU on a day: the one with the latest from_date on or before it.
    public func cost(sku: String, on day: CalendarDate) throws -> UnitCost? {
        try costs(sku: sku).last { ($0.fromDate.map { $0 <= day }) ?? true }
    }

    /// SKUs sold (an Order's Principal row) in stored settlements with no cost at all.
    public func missingCosts() throws -> [MissingCost] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT sku, COUNT(*) AS n, COUNT(DISTINCT settlement_id) AS s FROM transaction_row
                WHERE sku IS NOT NULL AND sku <> '' AND transaction_type = 'Order' AND amount_type = 'ItemPrice' AND amount_description = 'Principal'
                  AND sku NOT IN (SELECT sku FROM unit_cost)
                GROUP BY sku ORDER BY sku
                """).map { MissingCost(sku: $0["sku"], rows: $0["n"], settlements: $0["s"]) }
        }
    }
}

/// The units a settlement moved, as the cost-of-goods journal reads them from the stored rows.
public struct SettlementUnits: Sendable, Equatable {
    public var movements: [UnitMovement]
    /// Sale or refund rows with a SKU imported before lmb stored quantities (NULL): their units are unknown, and the
    /// settlement gets no journal until its file is imported again (`lmb import --replace FILE`, before it is sent).
    public var unknownRows: Int
}

extension Store {
    static func addUnitColumns(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE transaction_row ADD COLUMN quantity INTEGER;
            ALTER TABLE transaction_row ADD COLUMN fulfilment TEXT;
            """)
    }

    /// Units per SKU, channel and day that left stock (sales) or came back (refunds), from a settlement's stored rows.
    ///
    /// The rule (Amazon's V1 and V2 settlement reports): a sale is an `Order` row of `ItemPrice`/`Principal` with a
    /// SKU, its units its `quantity-purchased` (1 when the row states none); a refund is a `Refund` row of
    /// `ItemPrice`/`Principal` with a SKU, whose units go back to stock — `quantity-purchased` when stated, else one
    /// unit per row (Amazon's refund rows usually leave the quantity empty, and a refund row is one order item).
    /// The channel is `fulfillment-id` (AFN: FBA, MFN: merchant-fulfilled, empty: not stated). Rows imported before
    /// lmb stored quantities are counted as unknown, never guessed.
    public func settlementUnits(settlementID: String) throws -> SettlementUnits {
        try dbQueue.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT transaction_type, sku, quantity, fulfilment, posted_date FROM transaction_row
                WHERE settlement_id = ? AND sku IS NOT NULL AND sku <> '' AND amount_type = 'ItemPrice' AND amount_description = 'Principal'
                  AND transaction_type IN ('Order', 'Refund')
                ORDER BY line, seq
                """, arguments: [settlementID])
            let end = try String.fetchOne(db, sql: "SELECT end_date FROM settlement WHERE id = ?", arguments: [settlementID]).flatMap(CalendarDate.init(iso:))
            var out = SettlementUnits(movements: [], unknownRows: 0)
            var index: [String: Int] = [:]
            for row in rows {
                let fulfilment: String? = row["fulfilment"]
                guard let fulfilment else { out.unknownRows += 1; continue }
                let quantity: Int64? = row["quantity"]
                let sale = (row["transaction_type"] as String) == "Order"
                let units = Int(max(0, min(quantity ?? 1, 1_000_000)))
                guard units > 0 else { continue }
                guard let date = (row["posted_date"] as String?).flatMap(CalendarDate.init(iso:)) ?? end else { continue }
                let channel = UnitMovement.Fulfilment(rawValue: fulfilment.trimmingCharacters(in: .whitespaces).uppercased()) ?? .unstated
                let sku: String = row["sku"]
                let key = "\(sku)\u{1}\(channel.rawValue)\u{1}\(date)\u{1}\(sale)"
                if let i = index[key] {
                    out.movements[i].quantity += sale ? units : -units
                } else {
                    index[key] = out.movements.count
                    out.movements.append(UnitMovement(sku: sku, quantity: sale ? units : -units, fulfilment: channel, date: date))
                }
            }
            return out
        }
    }

    /// Whether any unit cost is stored (setup then creates the cost-of-goods accounts).
    public func hasCosts() throws -> Bool {
        try dbQueue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM unit_cost") ?? 0 > 0 }
    }
}
