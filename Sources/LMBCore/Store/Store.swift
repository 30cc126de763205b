import Foundation
import GRDB
import GRDBSQLite

/// The SQLite store: settlements, every transaction row, the groups the ledger books from, postings and events.
// @unchecked: GRDB's DatabasePool serialises writes and isolates each read itself, and `factsCache` is read and written only under
// `factsLock`; everything else is immutable.
public final class Store: @unchecked Sendable {
    /// Only Store/ runs SQL: everything else asks through named methods. A pool: one writer at a time, and reads (each
    /// a snapshot) that run beside the writer and beside each other, so fifty organisations' sends do not queue their
    /// reads behind one another's writes.
    let dbQueue: DatabasePool
    public let path: String
    /// Every timestamp the store writes comes from here.
    public let clock: any LMBClock
    /// The organisation's lock date and currencies by tenant, read once per process (commands book many
    /// settlements in a loop); saving new facts replaces them.
    let factsLock = NSLock()
    var factsCache: [String: OrganisationFacts?] = [:]

    public init(path: String, clock: any LMBClock) throws {
        self.path = path
        self.clock = clock
        if !FileManager.default.fileExists(atPath: path) {
            // Create it 0600 before SQLite does, so it is never readable by others, not even for a moment.
            let fd = Platform.openFile(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw LMBError.io("cannot create the store at \(path): \(Platform.errnoText)") }
            close(fd)
        }
        try LMBHome.checkPrivate(path)
        var config = Configuration()
        // Another process's write waits at most this long; transactions are short (a token renewal no longer
        // holds one across its call: see Store.withCredentialLocked).
        config.busyMode = .timeout(90)
        config.prepareDatabase { db in
            // Write-ahead log, every commit synced: as durable as a rollback journal, with one sync a commit instead of
            // three (about 2 ms here against 7.6), which is what a run over fifty organisations, each recording intent
            // before its PUT, waited on. Readers never wait for the writer. SQLite gives -wal and -shm the store's 0600.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -16000")  // 16 MB: fast bulk imports; a million-row import peaks near 60 MB RSS
        }
        dbQueue = try DatabasePool(path: path, configuration: config)
        try dbQueue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try Store.migrator.migrate(dbQueue)
    }

    public static func open(home: LMBHome, clock: any LMBClock) throws -> Store {
        try home.ensureExists()
        return try Store(path: home.storePath, clock: clock)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE settlement (
                    id TEXT PRIMARY KEY NOT NULL,
                    format TEXT NOT NULL,
                    marketplace TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    start_date TEXT NOT NULL,
                    end_date TEXT NOT NULL,
                    deposit_date TEXT NOT NULL,
                    total_minor INTEGER NOT NULL,
                    row_count INTEGER NOT NULL,
                    content_hash TEXT NOT NULL,
                    source_file TEXT NOT NULL,
                    encoding TEXT NOT NULL,
                    decimal_mark TEXT NOT NULL,
                    date_order TEXT,
                    imported_at TEXT NOT NULL
                );
                CREATE TABLE settlement_group (
                    settlement_id TEXT NOT NULL REFERENCES settlement(id) ON DELETE CASCADE,
                    transaction_type TEXT NOT NULL,
                    amount_type TEXT NOT NULL,
                    amount_description TEXT NOT NULL,
                    month TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    row_count INTEGER NOT NULL
                );
                CREATE INDEX settlement_group_by_settlement ON settlement_group(settlement_id);
                CREATE TABLE transaction_row (
                    settlement_id TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    transaction_type TEXT NOT NULL,
                    amount_type TEXT NOT NULL,
                    amount_description TEXT NOT NULL,
                    amount_minor INTEGER NOT NULL,
                    posted_date TEXT,
                    order_id TEXT,
                    sku TEXT,
                    marketplace TEXT,
                    PRIMARY KEY (settlement_id, line, seq)
                ) WITHOUT ROWID;
                CREATE TABLE posting (
                    settlement_id TEXT NOT NULL REFERENCES settlement(id) ON DELETE CASCADE,
                    part INTEGER NOT NULL,
                    invoice_number TEXT NOT NULL,
                    type TEXT NOT NULL,
                    total_minor INTEGER NOT NULL,
                    body TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    idempotency_key TEXT,
                    xero_invoice_id TEXT,
                    xero_status TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (settlement_id, part)
                );
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    settlement_id TEXT,
                    message TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX event_by_settlement ON event(settlement_id, id);
                """)
        }
        m.registerMigration("v2-connections") { db in
            try db.execute(sql: """
                CREATE TABLE credential (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    xero_user_id TEXT,
                    auth_event_id TEXT,
                    scopes TEXT NOT NULL,
                    access_token TEXT,
                    access_expires_at REAL,
                    refresh_token TEXT,
                    refresh_issued_at REAL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                );
                CREATE TABLE xero_connection (
                    tenant_id TEXT PRIMARY KEY NOT NULL,
                    tenant_name TEXT NOT NULL,
                    tenant_type TEXT,
                    connection_id TEXT,
                    credential_id INTEGER NOT NULL REFERENCES credential(id),
                    is_default INTEGER NOT NULL DEFAULT 0,
                    connected_at TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v3-organisation-facts") { db in
            try db.execute(sql: """
                ALTER TABLE xero_connection ADD COLUMN period_lock_date TEXT;
                ALTER TABLE xero_connection ADD COLUMN base_currency TEXT;
                ALTER TABLE xero_connection ADD COLUMN currencies TEXT;
                """)
        }
        m.registerMigration("v4-postings-at-send") { db in
            // Postings are written when a send records them, never at import: a pending row only went stale
            // when the mapping changed, and its total was never read.
            try db.execute(sql: """
                DELETE FROM posting WHERE state = 'pending';
                ALTER TABLE posting DROP COLUMN total_minor;
                """)
        }
        m.registerMigration("v5-amazon") { db in
            // A selling account's SP-API credentials, bound to one Xero organisation (tenant_id NULL: the default one).
            // Every report lmb downloaded, with the organisation its settlement goes to as it was when fetched, so a
            // later disconnect or rebinding never moves a settlement already fetched.
            try db.execute(sql: """
                CREATE TABLE amazon_account (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    label TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    client_secret TEXT NOT NULL,
                    refresh_token TEXT NOT NULL,
                    tenant_id TEXT,
                    secret_set_at TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    last_fetch_at TEXT
                );
                CREATE TABLE amazon_report (
                    report_id TEXT PRIMARY KEY NOT NULL,
                    document_id TEXT NOT NULL,
                    account_id INTEGER NOT NULL,
                    account_label TEXT NOT NULL,
                    tenant_id TEXT,
                    settlement_id TEXT,
                    outcome TEXT NOT NULL,
                    message TEXT,
                    created_time TEXT,
                    fetched_at TEXT NOT NULL
                );
                CREATE INDEX amazon_report_by_document ON amazon_report(document_id);
                CREATE INDEX amazon_report_by_settlement ON amazon_report(settlement_id);
                """)
        }
        m.registerMigration("v6-tax-facts") { db in
            // What lmb last read of an organisation's tax set-up: its version, tax rates and accounts (JSON).
            try db.execute(sql: """
                ALTER TABLE xero_connection ADD COLUMN org_version TEXT;
                ALTER TABLE xero_connection ADD COLUMN tax_rates_json TEXT;
                ALTER TABLE xero_connection ADD COLUMN accounts_json TEXT;
                """)
        }
        m.registerMigration("v-vat-report") { db in
            // Amazon's VAT Transactions Reports (Store/VATReportStore.swift).
            try Store.createVATReportTables(db)
        }
        registerChannelMigrations(&m)
        m.registerMigration("v-rollback") { db in
            // Rollback (Store/RollbackStore.swift): each settlement's generation (its documents' revision; absent: 1),
            // kept apart from the settlement row so a re-import never resets it, and the documents of every generation
            // taken back in Xero.
            try Store.createRollbackTables(db)
        }
        m.registerMigration("v-unit-costs") { db in
            // Unit costs by SKU for cost of goods sold (Store/CostStore.swift).
            try Store.createCostTables(db)
        }
        m.registerMigration("v-cogs-units") { db in
            // Units and fulfilment channel per row for the cost-of-goods journal (Store/CostStore.swift): rows imported
            // before this migration keep NULL, which means unknown (never guessed as one unit).
            try Store.addUnitColumns(db)
        }
        m.registerMigration("v-cogs-pending-references") { db in
            // Foreign-currency Reference updates recorded before the PUT, so a kill before the update is completed
            // by the next send (Store/ReferenceStore.swift).
            try Store.createPendingReferenceTable(db)
        }
        m.registerMigration("v-pending-payout-rows") { db in
            // Rows of channel payouts not yet paid, kept and never sent (Store/PendingRowStore.swift).
            try Store.createPendingPayoutRowTable(db)
        }
        return m
    }
}
