import Foundation
import Testing
@testable import LMBCore

/// Two connected organisations, A (the default) and B, and settlements some of which were fetched through an
/// Amazon account bound to B: the sandbox has one organisation, so routing between two is pinned here.
struct TwoOrganisations {
    static let a = "aaaaaaaa-0000-4000-8000-00000000000a"
    static let b = "bbbbbbbb-0000-4000-8000-00000000000b"
    let store: Store

    init() throws {
        store = try Store.open(home: try temporaryHome())
        try store.saveConnection(kind: .pkce, clientID: "app", tokens: TokenSet(accessToken: "x", expiresIn: 1800, refreshToken: "r", scope: "s", idToken: nil), user: Store.AuthorisingUser(userID: nil, authEventID: nil, scopes: ["s"]),
                                 now: Date(), tenants: [(Self.a, "Alpha Ltd", "ORGANISATION", "c-a"), (Self.b, "Beta Ltd", "ORGANISATION", "c-b")])
    }

    /// Imports settlement `id` (v2-us.txt renamed); when `tenant` is given, as fetched through an account bound to it.
    func settlement(_ id: String, fetchedFor tenant: String?? = nil) throws {
        let text = try String(contentsOfFile: Paths.fixture("v2-us.txt"), encoding: .utf8).replacingOccurrences(of: "10000000001", with: id)
        _ = try Importer(store: store).importFile(path: try writeTemp(text), conflict: .refuse, recording: { writer, outcome in
            guard let tenant else { return }
            try writer.recordAmazonReport(AmazonReportRecord(reportID: "r-\(id)", documentID: "d-\(id)", accountID: 1, accountLabel: "eu",
                                                             tenantID: tenant, settlementID: outcome.settlement.header.id, outcome: .imported,
                                                             message: nil, createdTime: nil, fetchedAt: Date()))
        })
    }
}

@Suite("Each settlement to its organisation")
struct SendRoutingTests {
    @Test("fetched through B's account goes to B; imported by hand to the default, or to --tenant; results keep the order asked")
    func routes() throws {
        let o = try TwoOrganisations()
        try o.settlement("1")
        try o.settlement("2", fetchedFor: TwoOrganisations.b)
        try o.settlement("3")
        try o.settlement("4", fetchedFor: .some(nil))   // an account bound to "the default"
        let routes = try SendRouting.routes(["1", "2", "3", "4"], store: o.store, tenant: nil, explicit: false)
        #expect(routes.map(\.tenantID) == [TwoOrganisations.a, TwoOrganisations.b])
        #expect(routes.map(\.settlementIDs) == [["1", "3", "4"], ["2"]])
        // --tenant B with --all: the unbound ones follow it; the bound one was going to B anyway.
        let toB = try SendRouting.routes(["1", "2"], store: o.store, tenant: "Beta Ltd", explicit: false)
        #expect(toB.map(\.tenantID) == [TwoOrganisations.b] && toB[0].settlementIDs == ["1", "2"])
        // --tenant A with --all does not pull B's settlement into A…
        let allA = try SendRouting.routes(["1", "2"], store: o.store, tenant: "Alpha Ltd", explicit: false)
        #expect(allA.map(\.tenantID) == [TwoOrganisations.a, TwoOrganisations.b])
        // …but `lmb send 2 --tenant Alpha` names both, and a person decides.
        let explicit = try SendRouting.routes(["2"], store: o.store, tenant: "Alpha Ltd", explicit: true)
        #expect(explicit.map(\.tenantID) == [TwoOrganisations.a])
    }

    @Test("a binding to an organisation no longer connected is a config failure for that settlement only")
    func unconnected() throws {
        let o = try TwoOrganisations()
        try o.settlement("1")
        try o.settlement("2", fetchedFor: "cccccccc-0000-4000-8000-00000000000c")
        let routes = try SendRouting.routes(["1", "2"], store: o.store, tenant: nil, explicit: false)
        #expect(routes.count == 2)
        #expect(routes[0].tenantID == TwoOrganisations.a && routes[0].settlementIDs == ["1"])
        guard case .failure(let f) = routes[1].connection else { Issue.record("the unconnected binding was routed"); return }
        #expect(f.classification == .config && f.classification.exitStatus == .config)
        #expect(f.message.contains("Amazon account 'eu'") && f.message.contains("not connected"))
    }

    @Test("a document left `sending` for B is looked up in B only, even when only A's settlements were asked for")
    func recoveryScope() throws {
        let o = try TwoOrganisations()
        try o.settlement("1")
        try o.settlement("2", fetchedFor: TwoOrganisations.b)
        try o.store.recordSending([StoredPosting(settlementID: "2", part: 1, invoiceNumber: "AMZ-2", type: "ACCREC", state: .sending,
                                                 body: "{}", idempotencyKey: "k", xeroInvoiceID: nil, xeroStatus: nil)])
        let routes = try SendRouting.routes(["1"], store: o.store, tenant: nil, explicit: true)
        #expect(routes.map(\.tenantID) == [TwoOrganisations.a, TwoOrganisations.b])
        #expect(routes[0].recoveryScope == ["1"] && routes[0].settlementIDs == ["1"])
        #expect(routes[1].recoveryScope == ["2"] && routes[1].settlementIDs.isEmpty)
    }
}

@Suite("Amazon accounts and reports in the store")
struct AmazonAccountStoreTests {
    static func credentials(_ region: AmazonRegion = .eu, secret: String = "amzn1.oa2-cs.v1.one", client: String = "amzn1.application-oa2-client.a") -> AmazonCredentials {
        AmazonCredentials(clientID: client, clientSecret: secret, refreshToken: "Atzr|refresh-\(region.rawValue)", region: region)
    }

    @Test("connecting again under a label renews its credentials and keeps its id and history; another region needs another label")
    func upsert() throws {
        let store = try Store.open(home: try temporaryHome())
        let (first, created) = try store.saveAmazonAccount(label: "eu", credentials: Self.credentials(), tenantID: nil, tenantName: nil, now: Date(timeIntervalSince1970: 0))
        #expect(created)
        try store.setLastFetch(accountID: first.id, at: Date(timeIntervalSince1970: 86_400))
        let (again, createdAgain) = try store.saveAmazonAccount(label: "EU", credentials: Self.credentials(secret: "amzn1.oa2-cs.v1.two"), tenantID: "t",
                                                                tenantName: "T", now: Date(timeIntervalSince1970: 2 * 86_400))
        #expect(!createdAgain && again.id == first.id && again.label == "eu")
        #expect(again.credentials.clientSecret == "amzn1.oa2-cs.v1.two" && again.tenantID == "t")
        #expect(again.secretSetAt == Date(timeIntervalSince1970: 2 * 86_400))
        #expect(again.lastFetchAt == Date(timeIntervalSince1970: 86_400))
        #expect(throws: LMBError.self) { try store.saveAmazonAccount(label: "eu", credentials: Self.credentials(.fe), tenantID: nil, tenantName: nil, now: Date()) }
        #expect(!"\(again)".contains("amzn1.oa2-cs") && !"\(again)".contains("Atzr|"))
    }

    @Test("a new client secret goes to every account of the app and restarts its 180 days; the refresh tokens stay")
    func secretRotation() throws {
        let store = try Store.open(home: try temporaryHome())
        try store.saveAmazonAccount(label: "eu", credentials: Self.credentials(.eu), tenantID: nil, tenantName: nil, now: Date(timeIntervalSince1970: 0))
        try store.saveAmazonAccount(label: "na", credentials: Self.credentials(.na), tenantID: nil, tenantName: nil, now: Date(timeIntervalSince1970: 0))
        try store.saveAmazonAccount(label: "other", credentials: Self.credentials(.fe, client: "amzn1.application-oa2-client.b"), tenantID: nil,
                                    tenantName: nil, now: Date(timeIntervalSince1970: 0))
        let labels = try store.replaceAmazonClientSecret(clientID: "amzn1.application-oa2-client.a", secret: "amzn1.oa2-cs.v1.new", now: Date(timeIntervalSince1970: 100))
        #expect(labels == ["eu", "na"])
        let accounts = try store.amazonAccounts()
        #expect(accounts.map(\.credentials.clientSecret) == ["amzn1.oa2-cs.v1.new", "amzn1.oa2-cs.v1.new", "amzn1.oa2-cs.v1.one"])
        #expect(accounts.map(\.credentials.refreshToken) == ["Atzr|refresh-eu", "Atzr|refresh-na", "Atzr|refresh-fe"])
        #expect(accounts.map(\.secretSetAt) == [Date(timeIntervalSince1970: 100), Date(timeIntervalSince1970: 100), Date(timeIntervalSince1970: 0)])
        #expect(Set(try store.amazonSecrets()).isSuperset(of: ["amzn1.oa2-cs.v1.new", "Atzr|refresh-eu"]))
        // No event holds a secret.
        for e in try store.events() { #expect(!(e.message + (e.detail ?? "")).contains("amzn1.oa2-cs") && !(e.message + (e.detail ?? "")).contains("Atzr|")) }
    }

    @Test("without --account, the only account; with several, a usage error naming them; an unknown label is configuration")
    func choosing() throws {
        let store = try Store.open(home: try temporaryHome())
        #expect(throws: AmazonAccounts.notConnected()) { try store.amazonAccount(label: nil) }
        try store.saveAmazonAccount(label: "eu", credentials: Self.credentials(.eu), tenantID: nil, tenantName: nil, now: Date())
        #expect(try store.amazonAccount(label: nil).label == "eu")
        try store.saveAmazonAccount(label: "na", credentials: Self.credentials(.na), tenantID: nil, tenantName: nil, now: Date())
        do {
            _ = try store.amazonAccount(label: nil)
            Issue.record("two accounts and no label was accepted")
        } catch let e as LMBError {
            #expect(e.exitStatus == .usage && e.description.contains("eu, na"))
        }
        do {
            _ = try store.amazonAccount(label: "jp")
            Issue.record("an unknown label was accepted")
        } catch let f as RemoteFailure {
            #expect(f.exitStatus == .config)
        }
    }

    @Test("an import that fails records no report: the report row and the settlement commit together or not at all")
    func atomicRecord() throws {
        let store = try Store.open(home: try temporaryHome())
        let record = AmazonReportRecord(reportID: "r1", documentID: "d1", accountID: 1, accountLabel: "eu", tenantID: nil, settlementID: nil,
                                        outcome: .imported, message: nil, createdTime: nil, fetchedAt: Date())
        do {
            _ = try Importer(store: store).importFile(path: Paths.fixture("bad-does-not-add-up.txt"), conflict: .keepStored,
                                                      recording: { writer, _ in try writer.recordAmazonReport(record) })
            Issue.record("a settlement that does not add up was imported")
        } catch {}
        #expect(try store.downloadedDocumentIDs().isEmpty)
        #expect(try store.allSettlements().isEmpty)
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt"), conflict: .keepStored,
                                                  recording: { writer, _ in try writer.recordAmazonReport(record) })
        #expect(try store.downloadedDocumentIDs() == ["d1"])
    }
}
