import Foundation
import Testing
@testable import LMBCore

/// One of Amazon's answers, as the facts document and the Reports API model show it, and what lmb must make of it.
struct AmazonAnswerCase: Sendable, CustomTestStringConvertible {
    var name: String
    var service: RemoteService
    var status: Int
    var body: String
    var headers: [String: String] = [:]
    var expected: Classification
    var code: String?
    var message: String?

    var testDescription: String { name }

    var response: HTTPResponse {
        var h = ["x-amzn-requestid": "b5d4c5d1-0000-4000-8000-\(status)"]
        for (k, v) in headers { h[k.lowercased()] = v }
        return HTTPResponse(status: status, headers: h, body: Data(body.utf8))
    }

    static let all: [AmazonAnswerCase] = [
        .init(name: "LWA invalid_grant", service: .loginWithAmazon, status: 400,
              body: #"{"error_description":"The request has an invalid grant parameter : refresh_token","error":"invalid_grant"}"#,
              expected: .staleConnection, code: "invalid_grant", message: "The request has an invalid grant parameter : refresh_token"),
        .init(name: "LWA invalid_grant, revoked variant", service: .loginWithAmazon, status: 400,
              body: #"{"error_description":"The request has an invalid grant parameter : refresh_token. User may have revoked or didn't grant the permission.","error":"invalid_grant","error_index":"aBc","request_id":"lwa-req-1"}"#,
              expected: .staleConnection, code: "invalid_grant"),
        .init(name: "LWA invalid_client (secret expired)", service: .loginWithAmazon, status: 401,
              body: #"{"error_description":"Client authentication failed","error":"invalid_client"}"#,
              expected: .config, code: "invalid_client", message: "Client authentication failed"),
        .init(name: "LWA unauthorized_client", service: .loginWithAmazon, status: 400,
              body: #"{"error_description":"Not authorized for requested operation","error":"unauthorized_client"}"#, expected: .config),
        .init(name: "LWA invalid_request", service: .loginWithAmazon, status: 400,
              body: #"{"error_description":"The request is missing a required parameter : client_secret","error":"invalid_request"}"#,
              expected: .requestRejected),
        .init(name: "LWA server_error", service: .loginWithAmazon, status: 500,
              body: #"{"error_description":"Internal server error","error":"server_error"}"#, expected: .unavailable),
        .init(name: "LWA temporarily_unavailable", service: .loginWithAmazon, status: 503,
              body: #"{"error_description":"Service unavailable","error":"temporarily_unavailable"}"#, expected: .unavailable),
        .init(name: "LWA 404 from a wrong base URL", service: .loginWithAmazon, status: 404, body: "<html>Not Found</html>", expected: .config),
        .init(name: "LWA 429", service: .loginWithAmazon, status: 429, body: "", expected: .rateLimited),
        .init(name: "SP-API 403 Unauthorized without details (missing role)", service: .sellingPartnerAPI, status: 403,
              body: #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}"#,
              expected: .permissionDenied, code: "Unauthorized", message: "Access to requested resource is denied."),
        .init(name: "SP-API 403 Unauthorized with details absent", service: .sellingPartnerAPI, status: 403,
              body: #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}"#, expected: .permissionDenied),
        .init(name: "SP-API 403 access token expired", service: .sellingPartnerAPI, status: 403,
              body: AmazonFixture.tokenExpired, expected: .tokenExpired, code: "Unauthorized"),
        .init(name: "SP-API 403 access token revoked, malformed or invalid", service: .sellingPartnerAPI, status: 403,
              body: #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided is revoked, malformed or invalid."}]}"#,
              expected: .staleConnection),
        .init(name: "SP-API 403 MissingAuthenticationToken", service: .sellingPartnerAPI, status: 403,
              body: #"{"errors":[{"message":"Access to requested resource is denied.","code":"MissingAuthenticationToken"}]}"#,
              headers: ["x-amzn-ErrorType": "MissingAuthenticationTokenException"], expected: .config, code: "MissingAuthenticationToken"),
        .init(name: "SP-API 403 with only the MissingAuthenticationTokenException header", service: .sellingPartnerAPI, status: 403,
              body: #"{"message":"Missing Authentication Token"}"#,
              headers: ["x-amzn-ErrorType": "MissingAuthenticationTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/"],
              expected: .config),
        .init(name: "SP-API 401", service: .sellingPartnerAPI, status: 401,
              body: #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied."}]}"#, expected: .staleConnection),
        .init(name: "SP-API 429 QuotaExceeded", service: .sellingPartnerAPI, status: 429, body: AmazonFixture.quotaExceeded,
              expected: .rateLimited, code: "QuotaExceeded", message: "You exceeded your quota for the requested resource."),
        .init(name: "SP-API 400 InvalidInput (settlement reports cannot be requested)", service: .sellingPartnerAPI, status: 400,
              body: #"{"errors":[{"code":"InvalidInput","message":"Request for report type 1118 is not allowed at this time","details":""}]}"#,
              expected: .requestRejected, code: "InvalidInput", message: "Request for report type 1118 is not allowed at this time"),
        .init(name: "SP-API 400 from the model's sandbox", service: .sellingPartnerAPI, status: 400,
              body: #"{"errors":[{"code":"400","message":"Invalid input","details":"Invalid input in processing status"}]}"#, expected: .requestRejected),
        .init(name: "SP-API 404 NotFound", service: .sellingPartnerAPI, status: 404,
              body: #"{"errors":[{"code":"NotFound","message":"Report not found","details":""}]}"#, expected: .notFound, code: "NotFound"),
        .init(name: "SP-API 404 without Amazon's error list", service: .sellingPartnerAPI, status: 404, body: "Not Found", expected: .config),
        .init(name: "SP-API 413", service: .sellingPartnerAPI, status: 413,
              body: #"{"errors":[{"code":"RequestEntityTooLarge","message":"The request size exceeded the maximum accepted size."}]}"#, expected: .requestRejected),
        .init(name: "SP-API 415", service: .sellingPartnerAPI, status: 415,
              body: #"{"errors":[{"code":"UnsupportedMediaType","message":"The request's Content-Type header is invalid."}]}"#, expected: .requestRejected),
        .init(name: "SP-API 500", service: .sellingPartnerAPI, status: 500,
              body: #"{"errors":[{"code":"InternalFailure","message":"We encountered an internal error. Please try again."}]}"#, expected: .unavailable),
        .init(name: "SP-API 503", service: .sellingPartnerAPI, status: 503,
              body: #"{"errors":[{"code":"ServiceUnavailable","message":"Service is temporarily unavailable."}]}"#, expected: .unavailable),
        .init(name: "SP-API 502 HTML", service: .sellingPartnerAPI, status: 502, body: "<html>Bad Gateway</html>", expected: .unavailable),
        .init(name: "SP-API 302 (redirects are not followed)", service: .sellingPartnerAPI, status: 302, body: "", expected: .unexpectedAnswer),
        .init(name: "SP-API 408", service: .sellingPartnerAPI, status: 408, body: "", expected: .network),
        .init(name: "S3 403 Request has expired", service: .documentDownload, status: 403,
              body: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>S3R</RequestId></Error>",
              expected: .unavailable, code: "AccessDenied", message: "Request has expired"),
        .init(name: "S3 400 ExpiredToken", service: .documentDownload, status: 400,
              body: "<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>", expected: .unavailable),
        .init(name: "S3 403 SignatureDoesNotMatch", service: .documentDownload, status: 403,
              body: "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message><StringToSign>AWS4-HMAC-SHA256 secretstuff</StringToSign></Error>",
              expected: .requestRejected, code: "SignatureDoesNotMatch"),
        .init(name: "S3 403 AccessDenied (not expired)", service: .documentDownload, status: 403,
              body: "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", expected: .requestRejected),
        .init(name: "S3 404 NoSuchKey", service: .documentDownload, status: 404,
              body: "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>", expected: .notFound),
        .init(name: "S3 503 SlowDown", service: .documentDownload, status: 503,
              body: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>", expected: .rateLimited),
        .init(name: "S3 500 InternalError", service: .documentDownload, status: 500,
              body: "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>", expected: .unavailable),
    ]
}

@Suite("Amazon error classifier")
struct AmazonClassifierTests {
    @Test("each of Amazon's answers is classified on purpose", arguments: AmazonAnswerCase.all)
    func classify(_ c: AmazonAnswerCase) throws {
        let failure = try #require(AmazonErrorClassifier.classify(c.response, from: c.service))
        #expect(failure.classification == c.expected)
        #expect(failure.status == c.status)
        #expect(failure.service == c.service)
        #expect(!failure.evidence.isEmpty)
        if let code = c.code { #expect(failure.code == code) }
        if let message = c.message { #expect(failure.message == message) }
        if c.service == .sellingPartnerAPI { #expect(failure.requestID == "b5d4c5d1-0000-4000-8000-\(c.status)") }
        #expect(!failure.description.contains("secretstuff"))
    }

    @Test("a 2xx answer is no failure")
    func success() {
        for service in [RemoteService.loginWithAmazon, .sellingPartnerAPI, .documentDownload] {
            #expect(AmazonErrorClassifier.classify(HTTPResponse(status: 200, headers: [:], body: Data()), from: service) == nil)
        }
    }

    @Test("only the answers that can succeed later exit 75; the token ones are marked for one renewal")
    func exitStatuses() throws {
        for c in AmazonAnswerCase.all {
            let failure = try #require(AmazonErrorClassifier.classify(c.response, from: c.service))
            let temporary: Set<Classification> = [.rateLimited, .unavailable, .network]
            #expect((failure.exitStatus == .temporary) == temporary.contains(failure.classification), "\(c.name)")
        }
        let expired = try #require(AmazonErrorClassifier.classify(AmazonFixture.json(403, AmazonFixture.tokenExpired), from: .sellingPartnerAPI))
        #expect(expired.accessTokenRejected)
        let role = try #require(AmazonErrorClassifier.classify(AmazonFixture.json(403, #"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}"#), from: .sellingPartnerAPI))
        #expect(!role.accessTokenRejected)
        let quota = try #require(AmazonErrorClassifier.classify(AmazonFixture.json(429, AmazonFixture.quotaExceeded, ["Retry-After": "3"]), from: .sellingPartnerAPI))
        #expect(quota.retryAfter == 3)
        #expect(!quota.accessTokenRejected)
    }

    @Test("the exit policy per classification", arguments: Classification.allCases)
    func policy(_ c: Classification) {
        let expected: LMBCore.ExitStatus
        switch c {
        case .ok: expected = .ok
        case .staleConnection, .permissionDenied, .tokenExpired, .insufficientScope: expected = .mustAct
        case .config, .notConnected: expected = .config
        case .rateLimited, .unavailable, .network, .organisationOffline, .busy: expected = .temporary
        case .requestRejected, .notFound, .documentUnreadable, .unexpectedAnswer, .validationFailed, .tooLarge: expected = .dataError
        }
        #expect(c.exitStatus == expected)
        let failure = RemoteFailure.amazon(c, "m")
        #expect(failure.exitCode == expected.rawValue)
        // One sentence of plain words each, for Amazon and for Xero alike.
        for words in [failure.plainWords, XeroVoice.plainWords(c)] {
            #expect(!words.isEmpty && !words.contains(". "))
        }
    }

    @Test("transport errors are network (75), an insecure URL configuration (78)")
    func transport() {
        #expect(RemoteFailure.transport(.timeout("x"), service: .documentDownload).classification == .network)
        #expect(RemoteFailure.transport(.nameResolution("x"), service: .loginWithAmazon).classification == .network)
        #expect(RemoteFailure.transport(.connectionRefused("x"), service: .sellingPartnerAPI).exitStatus == .temporary)
        #expect(RemoteFailure.transport(.insecureURL("http://x"), service: .sellingPartnerAPI).classification == .config)
        #expect(AmazonAccounts.notConnected(.eu).classification == .notConnected)
        #expect(AmazonAccounts.notConnected(.eu).exitStatus == .config)
    }
}

@Suite("Amazon runbooks")
struct AmazonRunbookTests {
    @Test("every classification has numbered steps to follow", arguments: Classification.allCases.filter { $0 != .ok })
    func everyClassHasSteps(_ c: Classification) {
        let steps = Runbook.steps(for: RemoteFailure.amazon(c, "Amazon's words"))
        #expect(steps.count >= 2)
        #expect(steps.allSatisfy { !$0.isEmpty })
    }

    @Test("a stale connection is fixed by Authorize app and lmb amazon connect")
    func stale() throws {
        let failure = try #require(AmazonErrorClassifier.classify(AmazonAnswerCase.all[0].response, from: .loginWithAmazon))
        let text = Runbook.steps(for: failure).joined(separator: "\n")
        #expect(text.contains("Apps and Services → Develop Apps"))
        #expect(text.contains("Authorize app"))
        #expect(text.contains("lmb amazon connect"))
    }

    @Test("an expired or rotated client secret is fixed by lmb amazon secret, keeping the refresh token")
    func secret() throws {
        let failure = try #require(AmazonErrorClassifier.classify(AmazonAnswerCase.all[2].response, from: .loginWithAmazon))
        let text = Runbook.steps(for: failure).joined(separator: "\n")
        #expect(text.contains("lmb amazon secret"))
        #expect(text.contains("180 days"))
        #expect(!text.contains("lmb amazon connect"))
    }

    @Test("a missing role names Finance and Accounting and the re-authorisation")
    func role() {
        let text = Runbook.steps(for: RemoteFailure.amazon(.permissionDenied, "Access to requested resource is denied.")).joined(separator: "\n")
        #expect(text.contains("Finance and Accounting"))
        #expect(text.contains("Authorize app"))
    }

    @Test("a wrong path or host points at the region and LMB_AMAZON_BASE_URL")
    func missingAuthenticationToken() throws {
        let c = AmazonAnswerCase.all.first { $0.code == "MissingAuthenticationToken" }!
        let failure = try #require(AmazonErrorClassifier.classify(c.response, from: .sellingPartnerAPI))
        let text = Runbook.steps(for: failure).joined(separator: "\n")
        #expect(text.contains("LMB_AMAZON_BASE_URL"))
        #expect(text.contains("region"))
    }
}

@Suite("Amazon secrets stay secret")
struct AmazonSecretTests {
    @Test("the credentials' description, debug description and dump show neither the secret nor the refresh token")
    func credentialDescriptions() {
        let c = AmazonFixture.credentials
        var dumped = ""
        dump(c, to: &dumped)
        for text in ["\(c)", String(reflecting: c), dumped, "\([c])", "\(Optional(c) as Any)"] {
            #expect(!text.contains(AmazonFixture.clientSecret), "\(text)")
            #expect(!text.contains(AmazonFixture.refreshToken), "\(text)")
            #expect(!text.contains("c0ffee"), "\(text)")
        }
        #expect("\(c)".contains(AmazonFixture.clientID))
        #expect("\(c)".contains("<redacted>"))
    }

    @Test("dumping a client that holds an access token shows no token or secret")
    func clientDump() async throws {
        let transport = AmazonFakeTransport()
        transport.on("/auth/o2/token", AmazonFixture.token("Atza|HELD-IN-MEMORY"))
        transport.on("/reports/", AmazonFixture.json(200, #"{"reports":[]}"#))
        let client = AmazonFixture.client(transport)
        _ = try await client.getReports(createdSince: AmazonFixture.createdSince)
        var dumped = ""
        dump(client, to: &dumped)
        dump(client.tokens, to: &dumped)
        #expect(dumped.contains("api.amazon.com"))
        for secret in [AmazonFixture.clientSecret, AmazonFixture.refreshToken, "Atza|HELD-IN-MEMORY"] {
            #expect(!dumped.contains(secret))
        }
    }

    @Test("a failure is scrubbed of the exact secrets it is given, whatever their shape")
    func explicitRedaction() {
        let f = RemoteFailure.amazon(.config, "echo hunter2-secret and tok-123", code: "hunter2-secret", details: "tok-123", requestID: "r",
                              evidence: ["sent hunter2-secret"]).redacting(["hunter2-secret", "tok-123", "abc"])
        #expect(f.message == "echo <redacted> and <redacted>")
        #expect(f.code == "<redacted>")
        #expect(f.details == "<redacted>")
        #expect(f.evidence == ["sent <redacted>"])
        #expect(f.requestID == "r")   // a secret shorter than four characters is not hunted for
    }

    /// Scripts a failure in which Amazon echoes every secret, and returns what lmb threw.
    static func failures() async -> [RemoteFailure] {
        let secrets = "\(AmazonFixture.clientSecret) \(AmazonFixture.refreshToken) Atza|LEAKED-ACCESS"
        var out: [RemoteFailure] = []
        func run(_ script: (AmazonFakeTransport) -> Void, _ call: (AmazonReportsClient) async throws -> Void) async {
            let t = AmazonFakeTransport()
            script(t)
            if let f = await amazonFailure({ try await call(AmazonFixture.client(t)) }) { out.append(f) }
        }
        let lwaEcho = #"{"error":"invalid_grant","error_description":"bad grant \#(secrets)"}"#
        await run({ $0.on("/auth/o2/token", AmazonFixture.json(400, lwaEcho)) }) { _ = try await $0.getReports(createdSince: AmazonFixture.createdSince) }
        await run({ $0.on("/auth/o2/token", AmazonFixture.json(401, #"{"error":"invalid_client","error_description":"\#(secrets)"}"#)) }) {
            _ = try await $0.getReport(id: "1")
        }
        await run({ $0.on("/auth/o2/token", AmazonFixture.json(502, "gateway says \(secrets)")) }) { _ = try await $0.getReport(id: "1") }
        await run({ $0.fail("/auth/o2/token", .other("curl: \(secrets)")) }) { _ = try await $0.getReport(id: "1") }
        for (status, code, details) in [(403, "Unauthorized", "The access token you provided has expired. \(secrets)"), (403, "Unauthorized", ""),
                                        (400, "InvalidInput", secrets), (429, "QuotaExceeded", secrets), (404, "NotFound", secrets), (500, "InternalFailure", secrets)] {
            await run({
                $0.on("/auth/o2/token", AmazonFixture.token("Atza|LEAKED-ACCESS"))
                $0.on("/reports/", AmazonFixture.json(status, #"{"errors":[{"code":"\#(code)","message":"echo \#(secrets)","details":"\#(details)"}]}"#))
            }) { _ = try await $0.getReports(createdSince: AmazonFixture.createdSince) }
        }
        await run({
            $0.on("/auth/o2/token", AmazonFixture.token("Atza|LEAKED-ACCESS"))
            $0.on("/documents/", AmazonDownloadFixture.document())
            $0.on("/NinetyDays/", AmazonDownloadFixture.expired)
        }) { _ = try await $0.downloadDocument(reportDocumentId: "d1") }
        await run({
            $0.on("/auth/o2/token", AmazonFixture.token("Atza|LEAKED-ACCESS"))
            $0.on("/documents/", AmazonDownloadFixture.document())
            $0.fail("/NinetyDays/", .insecureURL(AmazonDownloadFixture.s3 + "?" + AmazonDownloadFixture.signature))
        }) { _ = try await $0.downloadDocument(reportDocumentId: "d1") }
        return out
    }

    @Test("no failure's description, message, details or evidence holds a secret, a token or a signature")
    func failuresAreClean() async {
        let failures = await Self.failures()
        #expect(failures.count == 12)
        #expect(Set(failures.map(\.classification)).count >= 8)
        for f in failures {
            var dumped = ""
            dump(f, to: &dumped)
            let everything = [f.description, f.message, f.details ?? "", f.code ?? "", f.evidence.joined(separator: "\n"), String(reflecting: f), dumped]
                .joined(separator: "\n")
            for secret in [AmazonFixture.clientSecret, AmazonFixture.refreshToken, "Atza|LEAKED-ACCESS", "SIGNATURE"] {
                #expect(!everything.contains(secret), "\(f.classification): \(everything)")
            }
        }
    }
}
