import Foundation

/// eBay's OAuth side: the consent page (`GET /oauth2/authorize`) and the token service
/// (`POST /identity/v1/oauth2/token`). Codes and tokens look like eBay's (`v^1.1#i^1#…`), so a client that does not
/// URL-encode them in a form body or a query fails here as it would against eBay.
extension SandboxEngine {
    /// `v^1.1#i^1#…`: eBay's token alphabet, whose `^`, `#`, `+`, `/` and `=` all need encoding in a form or a URL.
    static func ebayOpaque(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return prefix + bytes.base64EncodedString()
    }

    static func ebayScopes(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "+" }).map(String.init)
    }

    static func isEbayScope(_ scope: String) -> Bool {
        scope == ebayPublicScope || scope.hasPrefix(ebayPublicScope + "/")
    }

    // MARK: Consent

    /// The consent page, already agreed to (or declined with `deny_consent`): a 302 to the RuName's accept URL.
    func ebayAuthorize(_ r: SandboxRequest) -> SandboxResponse {
        guard r.method == "GET" else { return Self.ebayMethodNotAllowed }
        let q = r.query
        let o = ebay.options
        func page(_ description: String) -> SandboxResponse {
            .json(400, ["error": "invalid_request", "error_description": description])
        }
        guard let clientID = q["client_id"], clientID == o.clientID else {
            return .json(400, ["error": "invalid_client", "error_description": "unknown client_id"])
        }
        guard let redirect = q["redirect_uri"], !redirect.isEmpty else { return page("redirect_uri is required") }
        guard redirect == o.ruName else {
            return page("Input redirect URI is not matching with the RuName configured for the application")
        }
        func back(_ base: String, _ items: [(String, String)]) -> SandboxResponse {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            var all = items
            if let state = q["state"] { all.insert(("state", state), at: 0) }
            let query = all.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
            return SandboxResponse(status: 302, headers: [("Location", base + (base.contains("?") ? "&" : "?") + query)])
        }
        guard q["response_type"] == "code" else { return back(o.declineURL, [("error", "unsupported_response_type")]) }
        let scopes = Self.ebayScopes(q["scope"])
        guard !scopes.isEmpty, scopes.allSatisfy(Self.isEbayScope) else { return back(o.declineURL, [("error", "invalid_scope")]) }
        if o.denyConsent { return back(o.declineURL, [("error", "access_denied")]) }
        let code = issueEbayAuthCode(scopes: scopes, redirectURI: redirect)
        return back(o.acceptURL, [("code", code), ("expires_in", String(Int(o.authCodeSeconds)))])
    }

    /// A consent code for the configured app and RuName (also what `POST /_sandbox/ebay/authorize` hands tests).
    func issueEbayAuthCode(scopes: [String], redirectURI: String) -> String {
        let code = Self.ebayOpaque("v^1.1#i^1#f^0#p^3#r^1#I^3#t^")
        ebay.authCodes[code] = EbayAuthCode(clientID: ebay.options.clientID, redirectURI: redirectURI, scopes: scopes,
                                            issuedAt: now, expiresAt: now.addingTimeInterval(ebay.options.authCodeSeconds))
        return code
    }

    // MARK: Token service

    func ebayToken(_ r: SandboxRequest) -> EbayOutcome {
        func oauth(_ status: Int, _ error: String, _ description: String) -> EbayOutcome {
            EbayOutcome(response: .json(status, ["error": error, "error_description": description]), error: error)
        }
        guard r.path == Self.ebayTokenPath else { return Self.ebayOutcome(Self.ebayNotFound) }
        guard r.method == "POST" else { return Self.ebayOutcome(Self.ebayMethodNotAllowed) }
        guard let (id, secret) = Self.basicCredentials(r), id == ebay.options.clientID, secret == ebay.options.clientSecret else {
            return oauth(401, "invalid_client", "client authentication failed")
        }
        let contentType = r.header("content-type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            return oauth(400, "invalid_request", "request is missing a required parameter or malformed.")
        }
        let form = r.form
        guard let grant = form["grant_type"], !grant.isEmpty else {
            return oauth(400, "invalid_request", "request is missing a required parameter or malformed.")
        }
        switch grant {
        case "authorization_code":
            guard let code = form["code"], !code.isEmpty, let redirect = form["redirect_uri"], !redirect.isEmpty else {
                return oauth(400, "invalid_request", "request is missing a required parameter or malformed.")
            }
            guard var stored = ebay.authCodes[code], !stored.used, now < stored.expiresAt, stored.clientID == id else {
                return oauth(400, "invalid_grant", "the provided authorization grant code is invalid or was issued to another client")
            }
            guard redirect == stored.redirectURI else {
                return oauth(400, "invalid_grant", "the redirect_uri does not match the one the authorization grant code was issued to")
            }
            stored.used = true
            ebay.authCodes[code] = stored
            let refresh = Self.ebayOpaque("v^1.1#i^1#r^1#I^3#f^0#p^3#t^Ul4xMF8")
            let consented = now
            ebay.refreshTokens[refresh] = EbayRefreshToken(
                clientID: id, scopes: stored.scopes, consentedAt: consented,
                expiresAt: consented.addingTimeInterval(ebay.options.refreshTokenSeconds), fingerprint: EbayCrypto.fingerprint(refresh))
            ebay.issued.append(EbayIssuedToken(kind: "refresh", grant: grant, fingerprint: EbayCrypto.fingerprint(refresh),
                                               issuedAt: consented, expiresAt: consented.addingTimeInterval(ebay.options.refreshTokenSeconds),
                                               scopes: stored.scopes))
            var body = issueEbayAccessToken(kind: .user, clientID: id, scopes: stored.scopes, grant: grant)
            body["refresh_token"] = refresh
            body["refresh_token_expires_in"] = Int(ebay.options.refreshTokenSeconds)
            return EbayOutcome(response: .json(200, body))
        case "refresh_token":
            guard let refresh = form["refresh_token"], !refresh.isEmpty else {
                return oauth(400, "invalid_request", "request is missing a required parameter or malformed.")
            }
            guard scenario != .ebayRefreshExpired, let stored = ebay.refreshTokens[refresh], stored.clientID == id,
                  now < stored.expiresAt else {
                return oauth(400, "invalid_grant", "the provided authorization refresh token is invalid or was issued to another client")
            }
            // The scope asked for must be the consented one or narrower; none asked means the consented one.
            let asked = Self.ebayScopes(form["scope"])
            guard asked.allSatisfy({ stored.scopes.contains($0) }) else {
                return oauth(400, "invalid_scope", "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
            }
            // No new refresh token: the one from the consent stays valid until 18 months after it.
            let body = issueEbayAccessToken(kind: .user, clientID: id, scopes: asked.isEmpty ? stored.scopes : asked, grant: grant)
            return EbayOutcome(response: .json(200, body))
        case "client_credentials":
            let asked = Self.ebayScopes(form["scope"])
            guard !asked.isEmpty, asked.allSatisfy({ Self.isEbayScope($0) && !$0.contains("/sell.") }) else {
                return oauth(400, "invalid_scope", "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client")
            }
            return EbayOutcome(response: .json(200, issueEbayAccessToken(kind: .application, clientID: id, scopes: asked, grant: grant)))
        default:
            return oauth(400, "unsupported_grant_type", "grant type in request is not supported by the authorization server")
        }
    }

    func issueEbayAccessToken(kind: EbayAccessToken.Kind, clientID: String, scopes: [String], grant: String) -> [String: Any] {
        let token = Self.ebayOpaque("v^1.1#i^1#p^3#r^1#I^3#f^0#t^H4sIAAAAAAAA")
        let expires = now.addingTimeInterval(ebay.options.accessTokenSeconds)
        ebay.accessTokens[token] = EbayAccessToken(kind: kind, clientID: clientID, scopes: scopes, expiresAt: expires)
        ebay.issued.append(EbayIssuedToken(kind: kind == .user ? "access (user)" : "access (application)", grant: grant,
                                           fingerprint: EbayCrypto.fingerprint(token), issuedAt: now, expiresAt: expires, scopes: scopes))
        return ["access_token": token, "expires_in": Int(ebay.options.accessTokenSeconds), "token_type": kind.rawValue]
    }

    /// `Authorization: Basic base64(client_id:client_secret)`.
    static func basicCredentials(_ r: SandboxRequest) -> (String, String)? {
        guard let auth = r.header("authorization"), auth.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(auth.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
