import Foundation
import Testing
@testable import LMBCore

// MARK: - Login with Amazon

@Suite("Amazon LWA tokens")
struct AmazonLWATests {
    /// Login with Amazon through the one token manager, its tokens in memory.
    static func manager(_ transport: AmazonFakeTransport, clock: AmazonFakeClock) -> (OAuthTokenManager, MemoryTokenVault) {
        let manager = LWAGrant.manager(credentials: AmazonFixture.credentials, endpoints: .amazon(.eu), transport: transport, clock: clock,
                                       margin: AmazonPacing.default.accessTokenMargin)
        return (manager, manager.vault as! MemoryTokenVault)
    }

    @Test("the token request is a form POST of grant_type, refresh_token, client_id and client_secret to api.amazon.com")
    func formBody() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        let (manager, vault) = Self.manager(transport, clock: AmazonFakeClock())
        #expect(try await manager.accessToken() == "Atza|one")
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "https://api.amazon.com/auth/o2/token")
        #expect(AmazonFixture.header(request, "content-type")?.hasPrefix("application/x-www-form-urlencoded") == true)
        #expect(AmazonFixture.form(request) == [
            "grant_type": "refresh_token", "refresh_token": AmazonFixture.refreshToken,
            "client_id": AmazonFixture.clientID, "client_secret": AmazonFixture.clientSecret,
        ])
        // The | of the refresh token is percent-encoded, not sent raw.
        #expect(String(decoding: request.body!, as: UTF8.self).contains("refresh_token=Atzr%7CIwEBI"))
    }

    @Test("the access token is cached and counted as expired 60 s early")
    func cachingAndEarlyExpiry() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"), AmazonFixture.token("Atza|two"))
        let clock = AmazonFakeClock()
        let (manager, vault) = Self.manager(transport, clock: clock)
        #expect(try await manager.accessToken() == "Atza|one")
        clock.advance(3600 - 61)
        #expect(try await manager.accessToken() == "Atza|one")
        #expect(vault.renewals == 1)
        clock.advance(2)   // 59 s before Amazon's expiry: inside the margin
        #expect(try await manager.accessToken() == "Atza|two")
        #expect(vault.renewals == 2)
    }

    @Test("callers arriving together share one refresh")
    func oneRefreshForConcurrentCallers() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"), AmazonFixture.token("Atza|two"))
        let (manager, vault) = Self.manager(transport, clock: AmazonFakeClock())
        async let a = manager.accessToken()
        async let b = manager.accessToken()
        async let c = manager.accessToken()
        let tokens = try await [a, b, c]
        #expect(Set(tokens) == ["Atza|one"])
        #expect(transport.requests.count == 1)
    }

    @Test("renewing replaces only the token Amazon rejected")
    func renewOnlyTheRejectedToken() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"), AmazonFixture.token("Atza|two"))
        let (manager, vault) = Self.manager(transport, clock: AmazonFakeClock())
        _ = try await manager.accessToken()
        #expect(try await manager.renew(rejected: "Atza|older") == "Atza|one")
        #expect(vault.renewals == 1)
        #expect(try await manager.renew(rejected: "Atza|one") == "Atza|two")
        #expect(vault.renewals == 2)
    }

    @Test("a 200 without an access_token is an unexpected answer, not a token")
    func answerWithoutToken() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.json(200, #"{"token_type":"bearer"}"#))
        let (manager, vault) = Self.manager(transport, clock: AmazonFakeClock())
        let failure = await amazonFailure { try await manager.accessToken() }
        #expect(failure?.classification == .unexpectedAnswer)
        #expect(failure?.exitStatus == .dataError)
    }
}

// MARK: - Endpoints and credentials

@Suite("Amazon endpoints and credentials")
struct AmazonEndpointTests {
    @Test("each region has its own SP-API host; LWA is one host for all")
    func regions() {
        #expect(AmazonEndpoints.amazon(.na).sellingPartnerAPI.absoluteString == "https://sellingpartnerapi-na.amazon.com")
        #expect(AmazonEndpoints.amazon(.eu).sellingPartnerAPI.absoluteString == "https://sellingpartnerapi-eu.amazon.com")
        #expect(AmazonEndpoints.amazon(.fe).sellingPartnerAPI.absoluteString == "https://sellingpartnerapi-fe.amazon.com")
        #expect(Set(AmazonRegion.allCases.map { AmazonEndpoints.amazon($0).token.absoluteString }) == ["https://api.amazon.com/auth/o2/token"])
    }

    @Test("LMB_AMAZON_BASE_URL points LWA and every region at one loopback sandbox")
    func override() async throws {
        for region in AmazonRegion.allCases {
            let e = try AmazonEndpoints.resolve(region: region, environment: ["LMB_AMAZON_BASE_URL": "http://127.0.0.1:8123/"])
            #expect(e.token.absoluteString == "http://127.0.0.1:8123/auth/o2/token")
            #expect(e.sellingPartnerAPI.absoluteString == "http://127.0.0.1:8123")
        }
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        transport.on("/reports/2021-06-30/reports", AmazonFixture.json(200, #"{"reports":[]}"#))
        let endpoints = try AmazonEndpoints.resolve(region: .fe, environment: ["LMB_AMAZON_BASE_URL": "http://127.0.0.1:8123"])
        let client = AmazonReportsClient(credentials: AmazonFixture.credentials, endpoints: endpoints, transport: transport,
                                         clock: AmazonFakeClock(), pacing: AmazonFixture.pacing())
        _ = try await client.getReports(createdSince: AmazonFixture.createdSince)
        #expect(transport.requests.map { "\($0.url.host!):\($0.url.port!)\($0.url.path)" } ==
                ["127.0.0.1:8123/auth/o2/token", "127.0.0.1:8123/reports/2021-06-30/reports"])
    }

    @Test("an http base URL off loopback is refused as configuration, as is an unset one ignored")
    func insecureOverride() throws {
        for bad in ["http://sandbox.example.com", "ftp://127.0.0.1", "not a url", "https://x.example.com/?a=b"] {
            let failure = amazonFailure { _ = try AmazonEndpoints.resolve(region: .na, environment: ["LMB_AMAZON_BASE_URL": bad]) }
            #expect(failure?.classification == .config, "\(bad)")
            #expect(failure?.exitStatus == .config)
        }
        #expect(try AmazonEndpoints.resolve(region: .na, environment: [:]) == .amazon(.na))
        #expect(try AmazonEndpoints.resolve(region: .na, environment: ["LMB_AMAZON_BASE_URL": "https://sandbox.example.com"]).token.absoluteString
                == "https://sandbox.example.com/auth/o2/token")
    }

    @Test("a pasted credential with a line break or an empty field is refused, naming the field but not the value")
    func validation() throws {
        var c = AmazonFixture.credentials
        #expect(try c.validated() == c)
        c.refreshToken = AmazonFixture.refreshToken + "\n"
        do {
            _ = try c.validated()
            Issue.record("accepted a refresh token with a line break")
        } catch let f as RemoteFailure {
            #expect(f.classification == .config)
            #expect(f.message.contains("refresh token"))
            #expect(!f.description.contains(AmazonFixture.refreshToken))
            #expect(!f.evidence.joined().contains(AmazonFixture.refreshToken))
        }
        c = AmazonFixture.credentials
        c.clientSecret = ""
        #expect(throws: RemoteFailure.self) { try c.validated() }
    }
}
