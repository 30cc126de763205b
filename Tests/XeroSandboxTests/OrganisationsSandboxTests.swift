import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import XeroSandbox

/// A bookkeeper's many clients: several organisations, each with its own custom connection, books, scenario and
/// limits; several Amazon sellers, each with its own reports, refresh token and buckets; latency outside the actor.
@Suite("Sandbox: several organisations and sellers")
struct OrganisationsSandboxTests {
    struct Org {
        var tenant: String
        var clientID: String
        var token: String
    }

    /// A fixture whose client may hold many connections at once, so concurrency reaches the server.
    static func fixture() async throws -> (SandboxFixture, URLSession) {
        let f = try await SandboxFixture()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 30
        config.httpMaximumConnectionsPerHost = 64
        return (f, URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil))
    }

    /// Creates an organisation and connects its custom connection (client credentials, any secret).
    static func organisation(_ f: SandboxFixture, _ name: String, currency: String = "USD") async throws -> Org {
        let created = try await f.control("organisations", ["name": name, "base_currency": currency])
        #expect(created.status == 200, "\(created.text)")
        let tenant = try #require(created.object["tenantId"] as? String)
        let clientID = try #require(created.object["client_id"] as? String)
        #expect(tenant != f.tenant)
        let token = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: (clientID, "any-secret"))
        #expect(token.status == 200, "\(token.text)")
        return Org(tenant: tenant, clientID: clientID, token: try #require(token.object["access_token"] as? String))
    }

    static func call(_ session: URLSession, _ f: SandboxFixture, _ method: String, _ resource: String, token: String,
                     tenant: String?, body: Any? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: f.base + "/api.xro/2.0/" + resource)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let tenant { request.setValue(tenant, forHTTPHeaderField: "xero-tenant-id") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h["\(k)"] = "\(v)" }
        return Reply(status: http.statusCode, headers: h, body: data)
    }

    static func put(_ session: URLSession, _ f: SandboxFixture, _ org: Org, number: String, tenant: String? = nil) async throws -> Reply {
        try await call(session, f, "PUT", "Invoices", token: org.token, tenant: tenant ?? org.tenant,
                       body: ["Invoices": [SandboxFixture.invoice(number: number)]])
    }

    static func organisations(_ f: SandboxFixture) async throws -> [String: [String: Any]] {
        let list = try await f.state()["organisations"] as? [[String: Any]] ?? []
        return Dictionary(list.compactMap { o in (o["tenantId"] as? String).map { ($0, o) } }, uniquingKeysWith: { a, _ in a })
    }

    @Test("three organisations: each client id's token reaches its own tenant only, and invoices land there")
    func threeOrganisations() async throws {
        let (f, session) = try await Self.fixture()
        var orgs: [Org] = []
        for (i, currency) in ["USD", "GBP", "EUR"].enumerated() { orgs.append(try await Self.organisation(f, "Client \(i + 1) Ltd", currency: currency)) }
        #expect(Set(orgs.map(\.tenant)).count == 3)

        for (i, org) in orgs.enumerated() {
            let connections = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(org.token)"])
            let tenants = (connections.json as? [[String: Any]] ?? []).compactMap { $0["tenantId"] as? String }
            #expect(tenants == [org.tenant])
            let name = (connections.json as? [[String: Any]])?.first?["tenantName"] as? String
            #expect(name == "Client \(i + 1) Ltd")
            let organisation = try await Self.call(session, f, "GET", "Organisation", token: org.token, tenant: org.tenant)
            let o = (organisation.object["Organisations"] as? [[String: Any]])?.first
            #expect(o?["OrganisationID"] as? String == org.tenant)
            #expect(o?["BaseCurrency"] as? String == ["USD", "GBP", "EUR"][i])
            // The demo chart, as the default organisation has.
            let accounts = try await Self.call(session, f, "GET", "Accounts", token: org.token, tenant: org.tenant)
            #expect((accounts.object["Accounts"] as? [[String: Any]])?.contains { $0["Code"] as? String == "LMB1" } == true)
        }
        // Two invoices in the first, one in the second, none in the third; the same number in two organisations is fine.
        #expect(try await Self.put(session, f, orgs[0], number: "INV-1").status == 200)
        #expect(try await Self.put(session, f, orgs[0], number: "INV-2").status == 200)
        let second = try await Self.put(session, f, orgs[1], number: "INV-1")
        #expect(second.status == 200, "\(second.text)")
        // A custom connection's token without xero-tenant-id reaches its own organisation.
        let untagged = try await Self.call(session, f, "GET", "Invoices", token: orgs[1].token, tenant: nil)
        #expect((untagged.object["Invoices"] as? [[String: Any]])?.count == 1)

        // A token used with another organisation's tenant id is refused as Xero refuses it.
        let foreign = try await Self.put(session, f, orgs[0], number: "INV-9", tenant: orgs[2].tenant)
        #expect(foreign.status == 403)
        #expect(foreign.object["Detail"] as? String == "AuthenticationUnsuccessful")
        let defaultTenant = try await Self.call(session, f, "GET", "Invoices", token: orgs[0].token, tenant: f.tenant)
        #expect(defaultTenant.status == 403)

        let byTenant = try await Self.organisations(f)
        #expect(byTenant[orgs[0].tenant]?["invoices"] as? Int == 2)
        #expect(byTenant[orgs[1].tenant]?["invoices"] as? Int == 1)
        #expect(byTenant[orgs[2].tenant]?["invoices"] as? Int == 0)
        #expect(byTenant[f.tenant]?["invoices"] as? Int == 0)
        #expect(byTenant[orgs[0].tenant]?["name"] as? String == "Client 1 Ltd")
        #expect((try await f.state()["organisations"] as? [[String: Any]])?.first?["tenantId"] as? String == f.tenant)
        // The default organisation's view of state is as before; ?tenant= shows another's.
        #expect((try await f.state()["invoices"] as? [[String: Any]])?.isEmpty == true)
        let first = try await f.send("GET", "/_sandbox/state?tenant=" + orgs[0].tenant).object
        let numbers = (first["invoices"] as? [[String: Any]] ?? []).compactMap { $0["InvoiceNumber"] as? String }
        #expect(numbers == ["INV-1", "INV-2"])
        #expect(try await f.send("GET", "/_sandbox/state?tenant=nope").status == 404)
    }

    @Test("an unknown client id still gets the default organisation; a PKCE consent may grant several")
    func defaultAndConsent() async throws {
        let (f, session) = try await Self.fixture()
        let a = try await Self.organisation(f, "A")
        let b = try await Self.organisation(f, "B")
        let c = try await Self.organisation(f, "C")
        let custom = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: ("someone-else", "s3cret"))
        let customToken = try #require(custom.object["access_token"] as? String)
        let listed = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(customToken)"])
        #expect((listed.json as? [[String: Any]] ?? []).compactMap { $0["tenantId"] as? String } == [f.tenant])
        #expect(try await Self.call(session, f, "GET", "Organisation", token: customToken, tenant: f.tenant).status == 200)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: customToken, tenant: a.tenant).status == 403)

        #expect(try await f.control("config", ["consent_tenants": [a.tenant, b.tenant]]).status == 200)
        #expect(try await f.control("config", ["consent_tenants": ["no-such-tenant"]]).status == 404)
        let tokens = try await f.connect()
        let connections = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(tokens.access)"])
        #expect(Set((connections.json as? [[String: Any]] ?? []).compactMap { $0["tenantId"] as? String }) == [a.tenant, b.tenant])
        #expect(try await Self.call(session, f, "GET", "Organisation", token: tokens.access, tenant: a.tenant).status == 200)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: tokens.access, tenant: b.tenant).status == 200)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: tokens.access, tenant: c.tenant).status == 403)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: tokens.access, tenant: f.tenant).status == 403)
    }

    @Test("a scenario set for one organisation leaves the others healthy", arguments: [
        ("app-disconnected", 403), ("organisation-inactive", 403), ("user-role-readonly", 403),
        ("rate-limit-day", 429), ("organisation-offline", 503),
    ])
    func perTenantScenario(_ name: String, _ status: Int) async throws {
        let (f, session) = try await Self.fixture()
        let a = try await Self.organisation(f, "A")
        let b = try await Self.organisation(f, "B")
        let set = try await f.control("scenario", ["scenario": name, "tenant": a.tenant])
        #expect(set.status == 200, "\(set.text)")
        // A write: the read-only role refuses writes only.
        let hit = try await Self.put(session, f, a, number: "S-1")
        #expect(hit.status == status, "\(name): \(hit.text)")
        if name == "rate-limit-day" { #expect(hit.header("X-Rate-Limit-Problem") == "day") }
        if name == "user-role-readonly" { #expect(hit.text.contains("not permitted")) }
        let spared = try await Self.put(session, f, b, number: "S-1")
        #expect(spared.status == 200, "\(name): \(spared.text)")
        let defaultOrg = try await f.api("GET", "Organisation", token: try await f.connect().access)
        #expect(defaultOrg.status == 200)
        if name == "app-disconnected" {
            let listed = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(a.token)"])
            #expect((listed.json as? [Any])?.isEmpty == true)
        }
        // A sandbox-wide scenario ends the organisation's own.
        try await f.scenario(.healthy)
        #expect(try await Self.put(session, f, a, number: "S-2").status == 200)
        #expect(try await f.control("scenario", ["scenario": "amazon-quota", "tenant": a.tenant]).status == 400)
        #expect(try await f.control("scenario", ["scenario": name, "tenant": "nope"]).status == 404)
    }

    @Test("limits per organisation: six at once to one is one 429 concurrent; five each to three at once is none")
    func concurrentLimitPerOrganisation() async throws {
        let (f, session) = try await Self.fixture()
        let orgs = [try await Self.organisation(f, "A"), try await Self.organisation(f, "B"), try await Self.organisation(f, "C")]
        // Long enough that all of them overlap even on a busy machine.
        #expect(try await f.control("config", ["latency_ms": 2000]).status == 200)
        let six = try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<6 { group.addTask { try await Self.call(session, f, "GET", "Organisation", token: orgs[0].token, tenant: orgs[0].tenant) } }
            var out: [Reply] = []
            for try await r in group { out.append(r) }
            return out
        }
        let refused = six.filter { $0.status == 429 }
        #expect(refused.count == 1, "\(six.map(\.status))")
        #expect(refused.first?.header("X-Rate-Limit-Problem") == "concurrent")
        #expect(six.filter { $0.status == 200 }.count == 5)

        let fifteen = try await withThrowingTaskGroup(of: Reply.self) { group in
            for org in orgs {
                for _ in 0..<5 { group.addTask { try await Self.call(session, f, "GET", "Organisation", token: org.token, tenant: org.tenant) } }
            }
            var out: [Reply] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(fifteen.count == 15)
        #expect(fifteen.allSatisfy { $0.status == 200 }, "\(fifteen.map(\.status))")
        let byTenant = try await Self.organisations(f)
        #expect(byTenant[orgs[0].tenant]?["peak_concurrent"] as? Int == 6)
        #expect(byTenant[orgs[1].tenant]?["peak_concurrent"] as? Int == 5)
        #expect(byTenant[orgs[2].tenant]?["peak_concurrent"] as? Int == 5)
        #expect(byTenant[f.tenant]?["peak_concurrent"] as? Int == 0)
        // Nothing stays in flight once the answers are out.
        #expect(byTenant.values.allSatisfy { $0["in_flight"] as? Int == 0 })
    }

    @Test("minute and app-wide limits: per organisation, and across all of them")
    func minuteLimits() async throws {
        let (f, session) = try await Self.fixture()
        let a = try await Self.organisation(f, "A")
        let b = try await Self.organisation(f, "B")
        let c = try await Self.organisation(f, "C")
        _ = try await f.freeze()
        #expect(try await f.control("config", ["minute_limit": 3]).status == 200)
        for i in 0..<3 {
            let r = try await Self.call(session, f, "GET", "Organisation", token: a.token, tenant: a.tenant)
            #expect(r.status == 200)
            #expect(r.header("X-MinLimit-Remaining") == String(2 - i))
        }
        let limited = try await Self.call(session, f, "GET", "Organisation", token: a.token, tenant: a.tenant)
        #expect(limited.status == 429)
        #expect(limited.header("X-Rate-Limit-Problem") == "minute")
        let other = try await Self.call(session, f, "GET", "Organisation", token: b.token, tenant: b.tenant)
        #expect(other.status == 200)
        #expect(other.header("X-MinLimit-Remaining") == "2")
        #expect(other.header("X-AppMinLimit-Remaining") == "9996")
        let byTenant = try await Self.organisations(f)
        #expect(byTenant[a.tenant]?["peak_calls_per_minute"] as? Int == 3)
        #expect(byTenant[b.tenant]?["peak_calls_per_minute"] as? Int == 1)

        // The app's minute across organisations: 4 counted so far (3 + 1).
        #expect(try await f.control("config", ["app_minute_limit": 5, "minute_limit": 60]).status == 200)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: b.token, tenant: b.tenant).status == 200)
        let app = try await Self.call(session, f, "GET", "Organisation", token: c.token, tenant: c.tenant)
        #expect(app.status == 429)
        #expect(app.header("X-Rate-Limit-Problem") == "appminute")
        _ = try await f.advance(60)
        #expect(try await Self.call(session, f, "GET", "Organisation", token: c.token, tenant: c.tenant).status == 200)
    }

    @Test("latency is waited outside the engine: ten calls to ten organisations take about one latency")
    func latencyOverlaps() async throws {
        let (f, session) = try await Self.fixture()
        var orgs: [Org] = []
        for i in 0..<10 { orgs.append(try await Self.organisation(f, "Org \(i)")) }
        let latency = 1.0
        #expect(try await f.control("config", ["latency_ms": Int(latency * 1000)]).status == 200)
        let started = Date()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for org in orgs { group.addTask { try await Self.call(session, f, "GET", "Organisation", token: org.token, tenant: org.tenant).status } }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(statuses == Array(repeating: 200, count: 10))
        #expect(elapsed >= latency)
        #expect(elapsed < latency * 3, "10 calls took \(elapsed) s with \(latency) s latency")
        // Amazon's answers wait too.
        let amazonStarted = Date()
        #expect(try await f.lwaForm(SandboxFixture.grant()).status == 200)
        #expect(Date().timeIntervalSince(amazonStarted) >= latency)
        let state = try await f.state()
        #expect(state["latency_ms"] as? Int == 1000)
        let byTenant = try await Self.organisations(f)
        for org in orgs {
            #expect(byTenant[org.tenant]?["peak_concurrent"] as? Int == 1)
            #expect(byTenant[org.tenant]?["peak_calls_per_minute"] as? Int == 1)
        }
    }

    @Test("an Amazon report posted for one refresh token is invisible to another seller")
    func amazonReportPerSeller() async throws {
        let (f, _) = try await Self.fixture()
        let sellerA = "Atzr|IwEBIseller-a", sellerB = "Atzr|IwEBIseller-b"
        let own = try await f.postSettlement(query: "refresh_token=" + sellerA.replacingOccurrences(of: "|", with: "%7C"))
        let shared = try await f.postSettlement(SandboxFixture.japaneseSettlement)
        let tokenA = try await f.amazonToken(sellerA)
        let tokenB = try await f.amazonToken(sellerB)
        func listed(_ token: String) async throws -> Set<String> {
            let r = try await f.getReports(SandboxFixture.settlementsQuery, token: token)
            #expect(r.status == 200, "\(r.text)")
            return Set((r.object["reports"] as? [[String: Any]] ?? []).compactMap { $0["reportId"] as? String })
        }
        #expect(try await listed(tokenA) == [own.report, shared.report])
        #expect(try await listed(tokenB) == [shared.report])
        #expect(try await f.spapi("GET", "/reports/2021-06-30/reports/" + own.report, token: tokenB).status == 404)
        #expect(try await f.reportDocument(own.document, token: tokenB).status == 404)
        #expect(try await f.spapi("GET", "/reports/2021-06-30/reports/" + own.report, token: tokenA).status == 200)
        #expect(try await f.reportDocument(own.document, token: tokenA).status == 200)
    }

    @Test("amazon-refresh-revoked with a refresh token revokes that seller only")
    func amazonRevokedPerSeller() async throws {
        let (f, _) = try await Self.fixture()
        let sellerA = "Atzr|IwEBIseller-a", sellerB = "Atzr|IwEBIseller-b"
        let revoked = try await f.control("scenario", ["scenario": "amazon-refresh-revoked", "refresh_token": sellerA])
        #expect(revoked.status == 200)
        #expect(!revoked.text.contains(sellerA))
        let a = try await f.lwaForm(SandboxFixture.grant(sellerA))
        #expect(a.status == 400)
        #expect(a.object["error"] as? String == "invalid_grant")
        #expect(try await f.lwaForm(SandboxFixture.grant(sellerB)).status == 200)
        #expect((try await f.state()["scenario"] as? String) == "healthy")
        // The buckets are per seller: one seller's empty bucket leaves the other's full.
        try await f.amazonBuckets(["getReports": ["rate": 0.0222, "burst": 1]])
        let tokenB = try await f.amazonToken(sellerB)
        let tokenC = try await f.amazonToken("Atzr|IwEBIseller-c")
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: tokenB).status == 200)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: tokenB).status == 429)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: tokenC).status == 200)
        // A sandbox-wide scenario clears the revocation.
        try await f.scenario(.healthy)
        #expect(try await f.lwaForm(SandboxFixture.grant(sellerA)).status == 200)
    }

    @Test("reset goes back to the default organisation alone")
    func resetDropsOrganisations() async throws {
        let (f, _) = try await Self.fixture()
        let a = try await Self.organisation(f, "A")
        #expect(try await Self.organisations(f).count == 2)
        #expect(try await f.control("reset", [:]).status == 200)
        #expect(try await Self.organisations(f).keys.sorted() == [f.tenant])
        // Its client id is now an unknown one: the default organisation's.
        let token = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: (a.clientID, "s"))
        let access = try #require(token.object["access_token"] as? String)
        let listed = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(access)"])
        #expect((listed.json as? [[String: Any]] ?? []).compactMap { $0["tenantId"] as? String } == [f.tenant])
    }
}
