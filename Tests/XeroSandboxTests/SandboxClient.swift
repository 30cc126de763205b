import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import XeroSandbox

/// A small HTTP client over URLSession that never follows redirects, for talking to the sandbox as lmb would.
final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

struct Reply {
    var status: Int
    var headers: [String: String]
    var body: Data
    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
}

struct Tokens {
    var access: String
    var refresh: String?
    var idToken: String?
}

final class SandboxFixture: @unchecked Sendable {
    let server: SandboxServer
    let session: URLSession
    let tenant = "6f2a9c1e-3b7d-4e8a-9f10-5c2b7d4e8a91"
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"   // S256 of the verifier (RFC 7636, appendix B)
    let redirect = "http://127.0.0.1:5555/callback"

    init(timeout: TimeInterval = 30) async throws {
        server = try await SandboxServer()
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil)
    }

    deinit {
        let server = self.server
        Task { await server.stop() }
    }

    var base: String { server.baseURL }

    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        if let timeout { request.timeoutInterval = timeout }
        request.httpMethod = method
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = body
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h["\(k)"] = "\(v)" }
        return Reply(status: http.statusCode, headers: h, body: data)
    }

    func form(_ path: String, _ fields: [String: String], basic: (String, String)? = nil) async throws -> Reply {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        var headers = ["Content-Type": "application/x-www-form-urlencoded"]
        if let (id, secret) = basic { headers["Authorization"] = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString() }
        return try await send("POST", path, headers: headers, body: Data(body.utf8))
    }

    func control(_ path: String, _ object: [String: Any]) async throws -> Reply {
        try await send("POST", "/_sandbox/" + path, body: try JSONSerialization.data(withJSONObject: object))
    }

    func scenario(_ s: SandboxScenario, _ extra: [String: Any] = [:]) async throws {
        var body: [String: Any] = ["scenario": s.rawValue]
        body.merge(extra) { $1 }
        let r = try await control("scenario", body)
        #expect(r.status == 200)
    }

    func state() async throws -> [String: Any] { try await send("GET", "/_sandbox/state").object }

    /// The authorization-code flow with PKCE, as `lmb connect` runs it.
    func connect(scopes: String = "openid profile email offline_access accounting.transactions accounting.settings.read accounting.contacts",
                 clientID: String = "lmb-test-client") async throws -> Tokens {
        let q = "response_type=code&client_id=\(clientID)&redirect_uri=\(redirect)&scope=\(scopes.replacingOccurrences(of: " ", with: "%20"))&state=s1&code_challenge=\(challenge)&code_challenge_method=S256"
        let authorize = try await send("GET", "/identity/connect/authorize?" + q)
        #expect(authorize.status == 302)
        let location = try #require(authorize.header("Location"))
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(items.first { $0.name == "state" }?.value == "s1")
        let code = try #require(items.first { $0.name == "code" }?.value)
        let token = try await form("/connect/token", ["grant_type": "authorization_code", "client_id": clientID, "code": code,
                                                      "redirect_uri": redirect, "code_verifier": verifier])
        #expect(token.status == 200, "\(token.text)")
        return Tokens(access: token.object["access_token"] as! String, refresh: token.object["refresh_token"] as? String,
                      idToken: token.object["id_token"] as? String)
    }

    func refresh(_ token: String, clientID: String = "lmb-test-client") async throws -> Reply {
        try await form("/connect/token", ["grant_type": "refresh_token", "refresh_token": token, "client_id": clientID])
    }

    func api(_ method: String, _ resource: String, token: String, body: Any? = nil, headers: [String: String] = [:], timeout: TimeInterval? = nil) async throws -> Reply {
        var h = ["Authorization": "Bearer \(token)", "xero-tenant-id": tenant, "Accept": "application/json"]
        h.merge(headers) { $1 }
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        if data != nil { h["Content-Type"] = "application/json" }
        return try await send(method, "/api.xro/2.0/" + resource, headers: h, body: data, timeout: timeout)
    }

    static func invoice(number: String = "AMZ-1", type: String = "ACCREC", account: String = "LMB1", taxType: String = "NONE",
                        amount: Double = 10, currency: String = "USD", date: String = "2024-10-25", status: String = "DRAFT",
                        contact: String = "Amazon.com", description: String = "Amazon.com sales — Principal") -> [String: Any] {
        ["Type": type, "Contact": ["Name": contact], "Date": date, "DueDate": date, "InvoiceNumber": number,
         "Reference": "settlement \(number)", "CurrencyCode": currency, "Status": status, "LineAmountTypes": "NoTax",
         "LineItems": [["Description": description, "Quantity": 1, "UnitAmount": amount, "AccountCode": account,
                        "TaxType": taxType, "LineAmount": amount]]]
    }

    static func claims(_ jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var b64 = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: b64) ?? Data())) as? [String: Any] ?? [:]
    }
}
