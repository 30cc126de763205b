import Foundation
import GRDB
import Testing
@testable import LMBCore

@Suite("The store and import")
struct StoreTests {
    @Test("an import stores the settlement, every row and the groups; postings wait for a send")
    func imports() throws {
        let store = try Store.open(home: try temporaryHome())
        let outcome = try Importer(store: store).importFile(path: Paths.fixture("v1-ca.txt")).first!
        guard case .imported(let parsed) = outcome else { Issue.record("not imported: \(outcome)"); return }
        let s = try #require(try store.settlement(id: parsed.header.id))
        #expect(s.header == parsed.header)
        #expect(s.groups == parsed.groups)
        // V1 spreads a row's amounts over columns: the ServiceFee row holds two.
        #expect(try store.transactionCount(settlementID: parsed.header.id) == 8)
        #expect(s.postingStates.isEmpty)
        #expect(try store.events(settlementID: parsed.header.id).map(\.kind) == ["import"])
    }

    @Test("the same file twice is a no-op that says so")
    func idempotent() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        let again = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        guard case .unchanged = again else { Issue.record("expected unchanged, got \(again)"); return }
        #expect(try store.transactionCount(settlementID: "10000000001") == 14)
        #expect(try store.events().count == 1)
    }

    @Test("the same settlement id with other content is refused unless --replace")
    func replace() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        let other = try String(contentsOfFile: Paths.fixture("v2-short-rows.txt"), encoding: .utf8).replacingOccurrences(of: "50000000005", with: "10000000001")
        let path = try writeTemp(other)
        #expect(throws: LMBError.self) { _ = try Importer(store: store).importFile(path: path).first! }
        let replaced = try Importer(store: store).importFile(path: path, replace: true).first!
        guard case .replaced = replaced else { Issue.record("expected replaced"); return }
        #expect(try store.settlement(id: "10000000001")?.contentHash == (try SettlementParser(path: path).parse().contentHash))
        #expect(try store.transactionCount(settlementID: "10000000001") == 14)
    }

    @Test("a sent settlement is never replaced")
    func sentIsFinal() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        try store.recordSending([StoredPosting(settlementID: "10000000001", part: 1, invoiceNumber: "AMZ-10000000001", type: "ACCREC",
                                               state: .sending, body: "{}", idempotencyKey: "k", xeroInvoiceID: nil, xeroStatus: nil)])
        try store.markSent(settlementID: "10000000001", part: 1, invoiceNumber: "AMZ-10000000001", invoiceID: "inv-1", xeroStatus: "DRAFT", recovered: false)
        let other = try String(contentsOfFile: Paths.fixture("v2-short-rows.txt"), encoding: .utf8).replacingOccurrences(of: "50000000005", with: "10000000001")
        #expect(throws: LMBError.self) { _ = try Importer(store: store).importFile(path: try writeTemp(other), replace: true).first! }
        #expect(try store.settlement(id: "10000000001")?.postingStates == [PartState(part: 1, state: .sent)])
    }

    @Test("a refused file leaves nothing behind, even after rows were written", arguments: Expected.refused)
    func atomic(name: String) throws {
        let store = try Store.open(home: try temporaryHome())
        #expect(throws: (any Error).self) { _ = try Importer(store: store).importFile(path: Paths.fixture(name)).first! }
        let counts = try store.dbQueue.read { db in
            try ["settlement", "transaction_row", "settlement_group", "posting", "event"].map {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)")!
            }
        }
        #expect(counts == [0, 0, 0, 0, 0])
    }

    @Test("the store is created 0600, and a store others can read is refused with the chmod that fixes it")
    func privateFile() throws {
        let home = try temporaryHome()
        _ = try Store.open(home: home)
        var st = stat()
        #expect(stat(home.storePath, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        chmod(home.storePath, 0o644)
        do {
            _ = try Store.open(home: home)
            Issue.record("a world-readable store was opened")
        } catch let error as LMBError {
            #expect(error.exitCode == 78)
            #expect(error.description.contains("chmod 600"))
        }
    }

    @Test("status: ready, needs-mapping, sent")
    func statuses() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt")).first!
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-unmapped.txt")).first!
        let ledger = Ledger(mapping: .defaults)
        let statuses = try store.allSettlements().map { s in
            s.status(ledger: ledger.book(header: s.header, marketplace: s.marketplace, groups: s.groups))
        }
        #expect(Set(statuses) == [.ready, .needsMapping])
    }
}

@Suite("Several connected organisations")
struct TenantTests {
    static func tokens(_ user: String) -> TokenSet {
        // An unsigned JWT-shaped token is enough for the store: it reads the user and scopes from it.
        let claims = try! JSONSerialization.data(withJSONObject: ["xero_userid": user, "scope": ["accounting.transactions"]])
        let payload = claims.base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return TokenSet(accessToken: "e30.\(payload).sig", expiresIn: 1800, refreshToken: "r-\(user)", scope: nil, idToken: nil)
    }

    @Test("the first organisation is the default; --tenant picks another by name or id; removing the default moves it")
    func tenants() throws {
        let store = try Store.open(home: try temporaryHome())
        #expect(throws: RemoteFailure.self) { _ = try store.connection(tenant: nil) }
        try store.saveConnection(kind: .pkce, clientID: "c", tokens: Self.tokens("u1"), user: .from(Self.tokens("u1")), now: Date(), tenants: [("t1", "Client One", "ORGANISATION", "c1")])
        try store.saveConnection(kind: .pkce, clientID: "c", tokens: Self.tokens("u1"), user: .from(Self.tokens("u1")), now: Date(), tenants: [("t2", "Client Two", "ORGANISATION", "c2")])
        #expect(try store.connection(tenant: nil).tenantID == "t1")
        #expect(try store.connection(tenant: "client two").tenantID == "t2")
        #expect(try store.connection(tenant: "t2").credential.xeroUserID == "u1")
        #expect(throws: RemoteFailure.self) { _ = try store.connection(tenant: "Client Three") }
        try store.removeConnection(tenantID: "t1")
        #expect(try store.connection(tenant: nil).tenantID == "t2")
        let credentials = try store.dbQueue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM credential") }
        #expect(credentials == 1)
    }
}
