import Foundation
import GRDB

/// What storing one VAT Transactions Report did.
public struct VATReportImport: Sendable, Equatable {
    public var sha256: String
    public var source: String
    /// Rows stored now: 0 when the file was stored before.
    public var rowsAdded: Int
    /// The months (`YYYY-MM`) the report covers.
    public var months: [String]
    public var firstDate: CalendarDate?
    public var lastDate: CalendarDate?
    /// The same file (by SHA-256) was stored before: nothing changed.
    public var duplicate: Bool
    /// Months an earlier stored report covered, which this one now answers for (the newest report of a month wins).
    public var supersededMonths: [String]
    /// Lines whose VAT-inclusive total is not net + VAT (stored as written).
    public var unbalancedLines: [Int] = []
}

/// A stored report, for listings.
public struct StoredVATReport: Sendable, Equatable {
    public var sha256: String
    public var source: String
    public var rowCount: Int
    public var months: [String]
    public var firstDate: CalendarDate?
    public var lastDate: CalendarDate?
    public var importedAt: String
}

/// Amazon's VAT Transactions Reports, stored whole. Each month is answered for by the newest report that covers it:
/// a regenerated or corrected report replaces the earlier one's rows for its months, without deleting them.
extension Store {
    /// Stores a report in one transaction; the same file (by SHA-256) again stores nothing and says so.
    public func storeVATReport(_ report: VATTransactionsReport, source: String, sha256: String) throws -> VATReportImport {
        try dbQueue.write { db in
            var result = VATReportImport(sha256: sha256, source: source, rowsAdded: 0, months: report.months, firstDate: report.firstDate,
                                         lastDate: report.lastDate, duplicate: false, supersededMonths: [],
                                         unbalancedLines: report.unbalancedLines)
            if try Int.fetchOne(db, sql: "SELECT 1 FROM vat_report WHERE sha256 = ?", arguments: [sha256]) != nil {
                result.duplicate = true
                return result
            }
            guard report.months.allSatisfy(Self.isMonthKey) else { throw LMBError.data("\(source): a covered month that is not YYYY-MM") }
            if !report.months.isEmpty {
                let marks = Array(repeating: "?", count: report.months.count).joined(separator: ",")
                result.supersededMonths = try String.fetchAll(db, sql: "SELECT DISTINCT month FROM vat_report_month WHERE month IN (\(marks)) ORDER BY month",
                                                              arguments: StatementArguments(report.months))
            }
            try db.execute(sql: """
                INSERT INTO vat_report (sha256, source, row_count, first_date, last_date, imported_at) VALUES (?,?,?,?,?,?)
                """, arguments: [sha256, source, report.rows.count, report.firstDate?.description, report.lastDate?.description, now()])
            let seq = db.lastInsertedRowID
            for month in report.months {
                try db.execute(sql: "INSERT INTO vat_report_month (month, report_seq) VALUES (?, ?)", arguments: [month, seq])
            }
            let insert = try db.makeStatement(sql: """
                INSERT INTO vat_row (report_seq, line, month, transaction_type, event_id, activity_transaction_id, marketplace, activity_period,
                    complete_date, sku, quantity, currency, gross_minor, vat_minor, net_minor, rate_bp, taxable_jurisdiction,
                    jurisdiction_country, departure_country, arrival_country, scheme, responsibility, export_outside_eu,
                    buyer_vat_number, item_description)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                """)
            for (i, r) in report.rows.enumerated() {
                try insert.execute(arguments: [
                    seq, i, r.month, r.transactionType, r.eventID, r.activityTransactionID, r.marketplace, r.activityPeriod,
                    r.completeDate?.description, r.sku, r.quantity, r.currency, r.grossMinor, r.vatMinor, r.netMinor, r.rateBasisPoints,
                    r.taxableJurisdiction, r.jurisdictionCountry, r.departureCountry, r.arrivalCountry, r.scheme, r.responsibility,
                    r.exportOutsideEU, r.buyerVATNumber, r.itemDescription,
                ])
            }
            result.rowsAdded = report.rows.count
            let months = report.months.isEmpty ? "no month" : report.months.joined(separator: ", ")
            try recordEvent(db, kind: .import, settlementID: nil,
                            message: "imported a VAT Transactions Report (\(report.rows.count) rows, \(months)) from \(URL(fileURLWithPath: source).lastPathComponent)",
                            detail: .object([("sha256", .string(sha256)), ("rows", .int(report.rows.count)),
                                             ("months", .array(report.months.map(JSON.string)))]))
            return result
        }
    }

    /// Every row of the answering reports for these order ids (TRANSACTION_EVENT_ID), in report order.
    public func vatRows(eventIDs: some Collection<String>) throws -> [VATReportRow] {
        let ids = Array(Set(eventIDs))
        guard !ids.isEmpty else { return [] }
        return try dbQueue.read { db in
            var rows: [VATReportRow] = []
            // SQLite allows a bounded number of parameters: ask in batches.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let batch = Array(ids[start..<min(start + 500, ids.count)])
                let marks = Array(repeating: "?", count: batch.count).joined(separator: ",")
                rows += try Self.vatRows(db, where: "r.event_id IN (\(marks))", arguments: StatementArguments(batch))
            }
            return rows
        }
    }

    /// The answering rows completed within the period (rows with no completion date by their ACTIVITY_PERIOD month).
    public func vatRows(period: ClosedRange<CalendarDate>) throws -> [VATReportRow] {
        let months = Self.months(from: period.lowerBound, through: period.upperBound)
        let marks = Array(repeating: "?", count: months.count).joined(separator: ",")
        return try dbQueue.read { db in
            try Self.vatRows(db, where: "(r.complete_date BETWEEN ? AND ? OR (r.complete_date IS NULL AND r.month IN (\(marks))))",
                             arguments: StatementArguments([period.lowerBound.description, period.upperBound.description] + months))
        }
    }

    /// Whether every month from `from` through `through` is covered by a stored report.
    public func vatReportCovers(from: CalendarDate, through: CalendarDate) throws -> Bool {
        try vatReportMissingMonths(from: from, through: through).isEmpty
    }

    /// The months from `from` through `through` that no stored report covers.
    public func vatReportMissingMonths(from: CalendarDate, through: CalendarDate) throws -> [String] {
        let wanted = Self.months(from: from, through: through)
        let covered = Set(try dbQueue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT month FROM vat_report_month") })
        return wanted.filter { !covered.contains($0) }
    }

    /// Every stored report, oldest import first.
    public func vatReports() throws -> [StoredVATReport] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM vat_report ORDER BY seq").map { row in
                let seq: Int64 = row["seq"]
                let months = try String.fetchAll(db, sql: "SELECT month FROM vat_report_month WHERE report_seq = ? ORDER BY month", arguments: [seq])
                return StoredVATReport(sha256: row["sha256"], source: row["source"], rowCount: row["row_count"], months: months,
                                       firstDate: (row["first_date"] as String?).flatMap(CalendarDate.init(iso:)),
                                       lastDate: (row["last_date"] as String?).flatMap(CalendarDate.init(iso:)), importedAt: row["imported_at"])
            }
        }
    }

    // MARK: Fetching (lmb fetch asks Amazon for a month's report, and collects it at a later fetch)

    /// The report id lmb asked Amazon for, for this account and month, when one is waiting.
    func vatReportRequest(accountID: Int64, month: String) throws -> String? {
        try dbQueue.read { db in
            try String.fetchOne(db, sql: "SELECT report_id FROM vat_report_request WHERE account_id = ? AND month = ?", arguments: [accountID, month])
        }
    }

    func recordVATReportRequest(accountID: Int64, month: String, reportID: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO vat_report_request (account_id, month, report_id, requested_at) VALUES (?, ?, ?, ?)",
                           arguments: [accountID, month, reportID, now()])
        }
    }

    func removeVATReportRequest(accountID: Int64, month: String) throws {
        try dbQueue.write { db in
            try db.execute(sql: "DELETE FROM vat_report_request WHERE account_id = ? AND month = ?", arguments: [accountID, month])
        }
    }

    /// The marketplaces of the settlements fetched from a selling account, as the settlements name them.
    func settlementMarketplaces(amazonAccountID: Int64) throws -> [String] {
        try dbQueue.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT s.marketplace FROM settlement s JOIN amazon_report r ON r.settlement_id = s.id WHERE r.account_id = ?
                """, arguments: [amazonAccountID])
        }
    }

    // MARK: Reading rows

    /// Rows that satisfy `condition`, keeping only those of the report answering for each row's month (the newest
    /// stored report covering it; a row with no covered month is its own report's).
    static func vatRows(_ db: Database, where condition: String, arguments: StatementArguments) throws -> [VATReportRow] {
        try Row.fetchAll(db, sql: """
            SELECT r.* FROM vat_row r
            WHERE \(condition)
              AND r.report_seq = COALESCE((SELECT MAX(m.report_seq) FROM vat_report_month m WHERE m.month = r.month), r.report_seq)
            ORDER BY r.report_seq, r.line
            """, arguments: arguments).map(vatRow)
    }

    static func vatRow(_ row: Row) -> VATReportRow {
        VATReportRow(transactionType: row["transaction_type"], eventID: row["event_id"], activityTransactionID: row["activity_transaction_id"],
                     marketplace: row["marketplace"], activityPeriod: row["activity_period"],
                     completeDate: (row["complete_date"] as String?).flatMap(CalendarDate.init(iso:)), sku: row["sku"],
                     quantity: row["quantity"], currency: row["currency"], grossMinor: row["gross_minor"], vatMinor: row["vat_minor"],
                     netMinor: row["net_minor"], rateBasisPoints: row["rate_bp"], taxableJurisdiction: row["taxable_jurisdiction"],
                     jurisdictionCountry: row["jurisdiction_country"], departureCountry: row["departure_country"],
                     arrivalCountry: row["arrival_country"], scheme: row["scheme"], responsibility: row["responsibility"],
                     exportOutsideEU: row["export_outside_eu"], buyerVATNumber: row["buyer_vat_number"], itemDescription: row["item_description"])
    }

    /// Every `YYYY-MM` from `from`'s month through `through`'s, ascending; empty when `through` is earlier.
    static func months(from: CalendarDate, through: CalendarDate) -> [String] {
        var out: [String] = []
        var (y, m) = (from.year, from.month)
        while (y, m) <= (through.year, through.month) {
            out.append("\(y)-\(m < 10 ? "0" : "")\(m)")
            (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
        }
        return out
    }

    static func isMonthKey(_ s: String) -> Bool {
        s.utf8.count == 7 && s.utf8.enumerated().allSatisfy { i, b in i == 4 ? b == 45 : (b >= 48 && b <= 57) }
    }

    /// The "v-vat-report" migration: reports, the months each covers, their rows, and the reports lmb fetch asked
    /// Amazon for and has not collected yet.
    static func createVATReportTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE vat_report (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                sha256 TEXT NOT NULL UNIQUE,
                source TEXT NOT NULL,
                row_count INTEGER NOT NULL,
                first_date TEXT,
                last_date TEXT,
                imported_at TEXT NOT NULL
            );
            CREATE TABLE vat_report_month (
                month TEXT NOT NULL,
                report_seq INTEGER NOT NULL REFERENCES vat_report(seq) ON DELETE CASCADE,
                PRIMARY KEY (month, report_seq)
            ) WITHOUT ROWID;
            CREATE TABLE vat_row (
                report_seq INTEGER NOT NULL REFERENCES vat_report(seq) ON DELETE CASCADE,
                line INTEGER NOT NULL,
                month TEXT,
                transaction_type TEXT NOT NULL,
                event_id TEXT NOT NULL,
                activity_transaction_id TEXT NOT NULL,
                marketplace TEXT NOT NULL,
                activity_period TEXT NOT NULL,
                complete_date TEXT,
                sku TEXT NOT NULL,
                quantity INTEGER NOT NULL,
                currency TEXT NOT NULL,
                gross_minor INTEGER NOT NULL,
                vat_minor INTEGER NOT NULL,
                net_minor INTEGER NOT NULL,
                rate_bp INTEGER NOT NULL,
                taxable_jurisdiction TEXT NOT NULL,
                jurisdiction_country TEXT,
                departure_country TEXT NOT NULL,
                arrival_country TEXT NOT NULL,
                scheme TEXT,
                responsibility TEXT,
                export_outside_eu INTEGER NOT NULL,
                buyer_vat_number TEXT,
                item_description TEXT NOT NULL,
                PRIMARY KEY (report_seq, line)
            ) WITHOUT ROWID;
            CREATE INDEX vat_row_by_event ON vat_row(event_id);
            CREATE INDEX vat_row_by_date ON vat_row(complete_date);
            CREATE INDEX vat_row_by_month ON vat_row(month);
            CREATE TABLE vat_report_request (
                account_id INTEGER NOT NULL,
                month TEXT NOT NULL,
                report_id TEXT NOT NULL,
                requested_at TEXT NOT NULL,
                PRIMARY KEY (account_id, month)
            );
            """)
    }
}
