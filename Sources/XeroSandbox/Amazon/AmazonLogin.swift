import Foundation

extension SandboxEngine {
    /// `POST /auth/o2/token`: Login with Amazon's refresh-token grant. Refresh tokens never rotate: the answer
    /// carries the one sent. Any client id and secret are accepted, and any refresh token beginning `Atzr|`,
    /// unless the `amazon-refresh-revoked` or `amazon-client-secret-expired` scenario says otherwise.
    func loginWithAmazon(_ r: SandboxRequest) -> SandboxResponse {
        guard r.method == "POST", r.path == "/auth/o2/token" else {
            return lwaError(404, "invalid_request", "The requested resource was not found")
        }
        guard let fields = Self.lwaFields(r) else {
            return lwaError(400, "invalid_request", "The request body could not be parsed")
        }
        guard let grantType = fields["grant_type"], !grantType.isEmpty else { return missingParameter("grant_type") }
        guard grantType == "refresh_token" else {
            return lwaError(400, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server")
        }
        for name in ["refresh_token", "client_id", "client_secret"] where (fields[name] ?? "").isEmpty {
            return missingParameter(name)
        }
        // The client is authenticated before its grant is looked at, as OAuth servers do.
        if scenario == .amazonClientSecretExpired {
            return lwaError(401, "invalid_client", "Client authentication failed")
        }
        let refreshToken = fields["refresh_token"]!
        guard scenario != .amazonRefreshRevoked, !amazon.revokedRefreshTokens.contains(refreshToken), refreshToken.hasPrefix("Atzr|") else {
            return lwaError(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
        }
        let token = issueAmazonAccessToken(clientID: fields["client_id"]!, refreshToken: refreshToken)
        return .json(200, ["access_token": token.value, "token_type": "bearer",
                           "expires_in": Int(amazon.options.accessTokenSeconds), "refresh_token": refreshToken],
                     headers: [("Cache-Control", "no-cache, no-store, must-revalidate")])
    }

    func issueAmazonAccessToken(clientID: String, refreshToken: String) -> AmazonAccessToken {
        let token = AmazonAccessToken(value: "Atza|" + Self.randomToken(96), clientID: clientID, refreshToken: refreshToken,
                                      issuedAt: now, expiresAt: now.addingTimeInterval(amazon.options.accessTokenSeconds))
        amazon.accessTokens[token.value] = token
        amazon.issuedAccessTokens.append(token.value)
        return token
    }

    /// The form fields of the body, or its JSON object's (Amazon's Java client sends JSON).
    static func lwaFields(_ r: SandboxRequest) -> [String: String]? {
        let contentType = r.header("content-type")?.lowercased() ?? ""
        let looksLikeJSON = contentType.contains("json") || r.body.first == UInt8(ascii: "{")
        guard looksLikeJSON else { return r.form }
        guard let object = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else { return nil }
        return object.compactMapValues { $0 as? String }
    }

    func missingParameter(_ name: String) -> SandboxResponse {
        lwaError(400, "invalid_request", "The request is missing a required parameter : \(name)")
    }

    func lwaError(_ status: Int, _ error: String, _ description: String) -> SandboxResponse {
        .json(status, ["error": error, "error_description": description])
    }
}
