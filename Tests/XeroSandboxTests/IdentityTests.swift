import Foundation
import Testing
@testable import XeroSandbox

@Suite("Sandbox identity: authorize, tokens, connections")
struct IdentityTests {
    @Test("the PKCE flow issues JWT-shaped tokens with Xero's claims, and an id_token for openid")
    func pkce() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let claims = SandboxFixture.claims(t.access)
        #expect(t.access.split(separator: ".").count == 3)
        #expect((claims["exp"] as! Int) - (claims["nbf"] as! Int) == 1800)
        #expect(claims["client_id"] as? String == "lmb-test-client")
        #expect(claims["xero_userid"] as? String == "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14")
        #expect(claims["authentication_event_id"] is String)
        #expect((claims["scope"] as? [String])?.contains("accounting.transactions") == true)
        #expect(t.refresh != nil)
        let id = try #require(t.idToken)
        #expect(SandboxFixture.claims(id)["email"] as? String == "sam@example.com")
        let state = try await f.state()
        let all = (state["tokens"] as! [String: Any])["all"] as! [String]
        #expect(all.contains(t.access) && all.contains(t.refresh!) && all.contains(id))
    }

    @Test("a wrong PKCE verifier, a reused code and a wrong redirect are invalid_grant")
    func pkceMismatch() async throws {
        let f = try await SandboxFixture()
        func code() async throws -> String {
            let r = try await f.send("GET", "/identity/connect/authorize?response_type=code&client_id=c&redirect_uri=\(f.redirect)&scope=offline_access&state=x&code_challenge=\(f.challenge)&code_challenge_method=S256")
            return URLComponents(string: r.header("Location")!)!.queryItems!.first { $0.name == "code" }!.value!
        }
        let wrong = try await f.form("/connect/token", ["grant_type": "authorization_code", "client_id": "c", "code": try await code(),
                                                        "redirect_uri": f.redirect, "code_verifier": String(repeating: "a", count: 43)])
        #expect(wrong.status == 400)
        #expect(wrong.object["error"] as? String == "invalid_grant")
        let c = try await code()
        let ok = try await f.form("/connect/token", ["grant_type": "authorization_code", "client_id": "c", "code": c, "redirect_uri": f.redirect, "code_verifier": f.verifier])
        #expect(ok.status == 200)
        let reused = try await f.form("/connect/token", ["grant_type": "authorization_code", "client_id": "c", "code": c, "redirect_uri": f.redirect, "code_verifier": f.verifier])
        #expect(reused.object["error"] as? String == "invalid_grant")
        #expect(try await f.form("/connect/token", ["grant_type": "password"]).object["error"] as? String == "unsupported_grant_type")
    }

    @Test("authorize can be made to deny consent")
    func deny() async throws {
        let f = try await SandboxFixture()
        let r = try await f.send("GET", "/identity/connect/authorize?response_type=code&client_id=c&redirect_uri=\(f.redirect)&scope=offline_access&state=x&deny=1")
        #expect(r.status == 302)
        #expect(r.header("Location")?.contains("error=access_denied") == true)
        #expect(r.header("Location")?.contains("code=") == false)
    }

    @Test("refresh rotates; the previous token works for 30 minutes; an unused one dies after 60 days")
    func rotation() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let first = try await f.refresh(t.refresh!)
        #expect(first.status == 200)
        let rotated = first.object["refresh_token"] as! String
        #expect(rotated != t.refresh)
        try await f.control("clock", ["advance_seconds": 29 * 60])
        #expect(try await f.refresh(t.refresh!).status == 200)   // within the grace: a lost response can be retried
        try await f.control("clock", ["advance_seconds": 2 * 60])
        let late = try await f.refresh(t.refresh!)
        #expect(late.status == 400)
        #expect(late.object["error"] as? String == "invalid_grant")
        #expect(try await f.refresh(rotated).status == 200)
        let fresh = try await f.refresh(rotated)
        let newest = fresh.object["refresh_token"] as! String
        try await f.control("clock", ["advance_seconds": 61 * 86400])
        #expect(try await f.refresh(newest).object["error"] as? String == "invalid_grant")
    }

    @Test("access tokens expire after 30 minutes")
    func accessExpiry() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        #expect(try await f.api("GET", "Organisation", token: t.access).status == 200)
        try await f.control("clock", ["advance_seconds": 1801])
        let r = try await f.api("GET", "Organisation", token: t.access)
        #expect(r.status == 401)
        #expect((r.object["Detail"] as? String)?.hasPrefix("TokenExpired: token expired at ") == true)
    }

    @Test("client credentials need a non-empty secret and carry the authorising user")
    func clientCredentials() async throws {
        let f = try await SandboxFixture()
        let bad = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: ("custom", ""))
        #expect(bad.status == 400)
        #expect(bad.object["error"] as? String == "invalid_client")
        let ok = try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: ("custom", "s3cret"))
        #expect(ok.status == 200)
        #expect(ok.object["refresh_token"] == nil)
        let access = ok.object["access_token"] as! String
        #expect(SandboxFixture.claims(access)["xero_userid"] as? String == "b6a5e1d2-7c3f-4a89-8e21-0f9d3c7b5a14")
        // A custom connection needs no xero-tenant-id.
        let org = try await f.send("GET", "/api.xro/2.0/Organisation", headers: ["Authorization": "Bearer \(access)"])
        #expect(org.status == 200)
        try await f.control("config", ["client_secret": "only-this"])
        #expect(try await f.form("/connect/token", ["grant_type": "client_credentials"], basic: ("custom", "s3cret")).status == 400)
    }

    @Test("DELETE /connections/{id} takes the connection id: 204, then 404, and the tenant is gone")
    func deleteConnection() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        let list = try await f.send("GET", "/connections", headers: ["Authorization": "Bearer \(t.access)"])
        let connection = try #require((list.json as? [[String: Any]])?.first)
        #expect(connection["tenantId"] as? String == f.tenant)
        #expect(connection["tenantType"] as? String == "ORGANISATION")
        let id = connection["id"] as! String
        #expect(try await f.send("DELETE", "/connections/\(f.tenant)", headers: ["Authorization": "Bearer \(t.access)"]).status == 404)
        #expect(try await f.send("DELETE", "/connections/\(id)", headers: ["Authorization": "Bearer \(t.access)"]).status == 204)
        #expect(try await f.send("DELETE", "/connections/\(id)", headers: ["Authorization": "Bearer \(t.access)"]).status == 404)
        let after = try await f.api("GET", "Organisation", token: t.access)
        #expect(after.status == 403)
        #expect(after.object["Detail"] as? String == "AuthenticationUnsuccessful")
    }

    @Test("revocation kills a refresh token")
    func revocation() async throws {
        let f = try await SandboxFixture()
        let t = try await f.connect()
        #expect(try await f.form("/connect/revocation", ["token": t.refresh!, "client_id": "lmb-test-client"]).status == 200)
        #expect(try await f.refresh(t.refresh!).object["error"] as? String == "invalid_grant")
    }
}
