import Foundation
import Testing
@testable import XeroSandbox

@Suite("Login with Amazon: the refresh-token grant")
struct AmazonLoginTests {
    @Test("a form body is answered with a bearer access token and the same refresh token back", arguments: [false, true])
    func grant(json: Bool) async throws {
        let f = try await SandboxFixture()
        let r = json ? try await f.lwaJSON(SandboxFixture.grant()) : try await f.lwaForm(SandboxFixture.grant())
        #expect(r.status == 200, "\(r.text)")
        #expect((r.object["access_token"] as? String)?.hasPrefix("Atza|") == true)
        #expect(r.object["token_type"] as? String == "bearer")
        #expect(r.object["expires_in"] as? Int == 3600)
        #expect(r.object["refresh_token"] as? String == SandboxFixture.refreshToken)
        let token = try #require(r.object["access_token"] as? String)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200)
    }

    @Test("refresh tokens do not rotate: two grants give two access tokens, both usable")
    func noRotation() async throws {
        let f = try await SandboxFixture()
        let first = try await f.amazonToken()
        let second = try await f.amazonToken()
        #expect(first != second)
        for token in [first, second] { #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200) }
    }

    @Test("a refresh token that does not begin Atzr| is an invalid grant")
    func invalidGrant() async throws {
        let f = try await SandboxFixture()
        let r = try await f.lwaForm(SandboxFixture.grant("not-a-refresh-token"))
        #expect(r.status == 400)
        #expect(r.object["error"] as? String == "invalid_grant")
        #expect(r.object["error_description"] as? String == "The request has an invalid grant parameter : refresh_token")
    }

    @Test("a missing field is invalid_request naming it; another grant type is unsupported", arguments: [
        "grant_type", "refresh_token", "client_id", "client_secret",
    ])
    func missingField(name: String) async throws {
        let f = try await SandboxFixture()
        var fields = SandboxFixture.grant()
        fields[name] = nil
        let r = try await f.lwaForm(fields)
        #expect(r.status == 400)
        #expect(r.object["error"] as? String == "invalid_request")
        #expect((r.object["error_description"] as? String)?.hasSuffix(": \(name)") == true, "\(r.text)")
        fields = SandboxFixture.grant()
        fields["grant_type"] = "authorization_code"
        #expect(try await f.lwaForm(fields).object["error"] as? String == "unsupported_grant_type")
    }

    @Test("scenarios: amazon-refresh-revoked is 400 invalid_grant, amazon-client-secret-expired 401 invalid_client")
    func scenarios() async throws {
        let f = try await SandboxFixture()
        try await f.scenario(.amazonRefreshRevoked)
        let revoked = try await f.lwaForm(SandboxFixture.grant())
        #expect(revoked.status == 400)
        #expect(revoked.text == #"{"error":"invalid_grant","error_description":"The request has an invalid grant parameter : refresh_token"}"#)
        try await f.scenario(.amazonClientSecretExpired)
        let expired = try await f.lwaJSON(SandboxFixture.grant())
        #expect(expired.status == 401)
        #expect(expired.text == #"{"error":"invalid_client","error_description":"Client authentication failed"}"#)
        try await f.scenario(.healthy)
        #expect(try await f.lwaForm(SandboxFixture.grant()).status == 200)
    }

    @Test("an access token expires after 3600 s of sandbox clock")
    func expiry() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let token = try await f.amazonToken()
        try await f.advance(3599)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200)
        try await f.advance(1)
        let r = try await f.getReports(SandboxFixture.settlementsQuery, token: token)
        #expect(r.status == 403)
        #expect(r.text == #"{"errors":[{"code":"Unauthorized","details":"The access token you provided has expired.","message":"Access to requested resource is denied."}]}"#)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: try await f.amazonToken()).status == 200)
    }
}
