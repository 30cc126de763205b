import Foundation
import Testing
@testable import XeroSandbox

@Suite("Sandbox scenarios on the wire")
struct ScenarioTests {
    @Test("role scenarios change the user's role and refuse writes with Xero's message", arguments: [
        (SandboxScenario.userRoleReadonly, "READONLY"), (.userRoleInvoiceOnly, "INVOICEONLY"),
    ])
    func roles(scenario: SandboxScenario, role: String) async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(scenario)
        let users = try await f.api("GET", "Users", token: t.access)
        let me = (users.object["Users"] as! [[String: Any]]).first { $0["UserID"] as? String == "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14" }
        #expect(me?["OrganisationRole"] as? String == role)
        let put = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice()]])
        #expect(put.status == 403)
        #expect(put.object["Detail"] as? String == "You are not permitted to access this resource")
        #expect(put.header("Xero-Correlation-Id") != nil)
        try await f.scenario(.healthy)
        #expect(try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice()]]).status == 200)
    }

    @Test("app-disconnected: the tenant leaves /connections, calls get 403, refresh still works; healthy restores it")
    func disconnected() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.appDisconnected)
        let list = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(t.access)"])
        #expect((list.json as? [Any])?.isEmpty == true)
        let org = try await f.api("GET", "Organisation", token: t.access)
        #expect(org.status == 403)
        #expect(org.object["Title"] as? String == "Forbidden")
        #expect(org.object["Detail"] as? String == "AuthenticationUnsuccessful")
        #expect(try await f.refresh(t.refresh!).status == 200)
        try await f.scenario(.healthy)
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
    }

    @Test("organisation-inactive: 403 AuthenticationUnsuccessful while the tenant is still listed")
    func inactive() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.organisationInactive)
        let org = try await f.api("GET", "Organisation", token: t.access)
        #expect(org.status == 403)
        #expect(org.object["Detail"] as? String == "AuthenticationUnsuccessful")
        let list = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(t.access)"])
        #expect((list.json as? [Any])?.count == 1)
    }

    @Test("refresh-token-revoked: invalid_grant on refresh, invalid_client on client credentials")
    func revoked() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.refreshTokenRevoked)
        let r = try await f.refresh(t.refresh!)
        #expect(r.status == 400)
        #expect(r.text == #"{"error":"invalid_grant"}"#)
        let c = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: ("custom", "s"))
        #expect(c.object["error"] as? String == "invalid_client")
    }

    @Test("access-token-expired: the current token gets 401 TokenExpired until refreshed")
    func expired() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.accessTokenExpired)
        let r = try await f.api("GET", "Organisation", token: t.access)
        #expect(r.status == 401)
        #expect((r.object["Detail"] as? String)?.hasPrefix("TokenExpired") == true)
        let fresh = try await f.refresh(t.refresh!).object["access_token"] as! String
        #expect(try await f.api("GET", "Organisation", token: fresh).status == 200)
    }

    @Test("missing-scope: 401 with WWW-Authenticate insufficient_scope")
    func missingScope() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.missingScope)
        let r = try await f.api("GET", "Invoices", token: t.access)
        #expect(r.status == 401)
        #expect(r.header("WWW-Authenticate") == "insufficient_scope")
        #expect(r.object["Detail"] as? String == "AuthorizationUnsuccessful")
    }

    @Test("rate-limit-minute clears after Retry-After; rate-limit-day does not")
    func rateLimits() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.rateLimitMinute, ["retry_after": 30])
        let r = try await f.api("GET", "Organisation", token: t.access)
        #expect(r.status == 429)
        #expect(r.header("X-Rate-Limit-Problem") == "minute")
        #expect(Int(r.header("Retry-After") ?? "") == 30)
        try await f.control("clock", ["advance_seconds": 31])
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
        try await f.scenario(.rateLimitDay)
        let d = try await f.api("GET", "Organisation", token: t.access)
        #expect(d.status == 429)
        #expect(d.header("X-Rate-Limit-Problem") == "day")
        #expect(d.header("X-DayLimit-Remaining") == "0")
        #expect((Int(d.header("Retry-After") ?? "") ?? 0) > 0)
    }

    @Test("the minute limit is enforced with the remaining-calls headers")
    func minuteLimit() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.control("config", ["minute_limit": 3])
        try await f.control("clock", ["freeze": true])   // the window is fixed: keep it from rolling over mid-test
        var remaining: [String] = []
        for _ in 0..<3 { remaining.append(try await f.api("GET", "Organisation", token: t.access).header("X-MinLimit-Remaining") ?? "") }
        #expect(remaining == ["2", "1", "0"])
        let r = try await f.api("GET", "Organisation", token: t.access)
        #expect(r.status == 429)
        #expect(r.header("X-Rate-Limit-Problem") == "minute")
    }

    @Test("organisation-offline: 503 in plain text")
    func offline() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.organisationOffline)
        let r = try await f.api("GET", "Organisation", token: t.access)
        #expect(r.status == 503)
        #expect(r.text == "The Organisation is Offline")
    }

    @Test("slow answers after the client has given up")
    func slow() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.slow, ["delay_seconds": 600])   // far past the client's 1 s: no race
        // Whole seconds: FoundationNetworking rounds a request timeout down.
        await #expect(throws: (any Error).self) { _ = try await f.api("GET", "Organisation", token: t.access, timeout: 1) }
    }

    @Test("drop-connection closes without an answer")
    func drop() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.dropConnection)
        await #expect(throws: (any Error).self) { _ = try await f.api("GET", "Organisation", token: t.access) }
        try await f.scenario(.healthy)
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
    }

    @Test("lose-response commits the invoice, then closes without an answer")
    func loseResponse() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        try await f.scenario(.loseResponse)
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
        // URLSession here reports the unanswered PUT only when its timeout ends (the default 30 s made this test 31 s
        // long): 5 s is as good a proof that no answer came, and keeps `make check` under a minute.
        await #expect(throws: (any Error).self) {
            _ = try await f.api("PUT", "Invoices", token: t.access, body: ["Invoices": [SandboxFixture.invoice(number: "AMZ-LOST")]], timeout: 5)
        }
        let invoices = try await f.state()["invoices"] as! [[String: Any]]
        #expect(invoices.map { $0["InvoiceNumber"] as? String } == ["AMZ-LOST"])
    }
}
