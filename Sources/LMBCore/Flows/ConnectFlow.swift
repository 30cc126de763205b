import Foundation

/// What `lmb connect` / `reconnect` was asked to do.
public struct XeroConnectRequest: Sendable {
    public enum Flow: Sendable { case pkce, webApp, clientCredentials }
    public var clientID: String?
    public var flow: Flow
    public var tenant: String?
    public var port: UInt16?
    public var noBrowser: Bool
    /// broad, granular, or a space-separated list.
    public var scopes: String?
    public var timeout: TimeInterval
    /// `--setup`: ask for accounting.settings (not .read), which `lmb setup` needs to create accounts and tracking.
    public var setup = false

    public init(clientID: String?, flow: Flow, tenant: String?, port: UInt16?, noBrowser: Bool, scopes: String?, timeout: TimeInterval) {
        self.clientID = clientID
        self.flow = flow
        self.tenant = tenant
        self.port = port
        self.noBrowser = noBrowser
        self.scopes = scopes
        self.timeout = timeout
    }

    public func scopeList(config: LMBConfig) -> [String] {
        let chosen = scopes ?? config.scopes ?? "broad"
        var list: [String]
        if let set = ScopeSet(rawValue: chosen) {
            list = set.scopes
        } else {
            list = chosen.split(separator: " ").map(String.init)
            if !list.contains("offline_access") && flow != .clientCredentials { list.insert("offline_access", at: 0) }
        }
        return setup ? SetupFlow.withSettingsScope(list) : list
    }
}

/// The organisation a connect ended with.
public struct XeroConnected: Sendable {
    public var tenantID: String
    public var tenantName: String?
    public var connectionID: String
    public var scopes: String
}

/// What a disconnect did, and what it could not.
public struct XeroDisconnected: Sendable {
    public var tenantID: String
    public var tenantName: String
    public var notes: [String]
}

/// Connecting to Xero, disconnecting, reconnecting: OAuth with PKCE over a loopback redirect (or a pasted address),
/// the web-app flow, or client credentials. Questions go through the context's prompter.
public struct ConnectFlow: Sendable {
    public let ctx: RunContext

    public init(ctx: RunContext) { self.ctx = ctx }

    public func connect(_ request: XeroConnectRequest) async throws -> XeroConnected {
        var session = try ctx.xeroSession()
        var config = session.config
        if let id = request.clientID, id != config.clientID {
            config.clientID = id
            try config.save(home: ctx.home)
            session = try ctx.xeroSession()
        }
        guard let clientID = request.clientID ?? config.clientID else {
            throw RemoteFailure.xero(.config, "no client id: pass --client-id (from your app at developer.xero.com) or set LMB_XERO_CLIENT_ID")
        }
        let scopes = request.scopeList(config: config)
        let oauth = session.oauth
        let tokens: TokenSet
        let kind: StoredCredential.Kind
        switch request.flow {
        case .clientCredentials:
            guard let secret = session.clientSecret else {
                throw RemoteFailure.xero(.config, "a custom connection needs the client secret: set LMB_XERO_CLIENT_SECRET or write it to \(ctx.home.url.path)/client_secret (mode 0600)")
            }
            tokens = try await oauth.clientCredentials(clientID: clientID, secret: secret,
                                                       scopes: scopes.filter { !["offline_access", "openid", "profile", "email"].contains($0) })
            kind = .clientCredentials
        case .pkce, .webApp:
            tokens = try await signIn(request, session: session, clientID: clientID, scopes: scopes, config: config)
            kind = request.flow == .webApp ? .webApp : .pkce
        }
        let available = try await oauth.connections(accessToken: tokens.accessToken)
        guard !available.isEmpty else {
            throw RemoteFailure.xero(.permissionDenied, "the sign-in granted no organisation; choose one on Xero's consent page (the user needs the Standard or Adviser role)")
        }
        let chosen = try chooseTenant(available, requested: request.tenant)
        try session.store.saveConnection(kind: kind, clientID: clientID, tokens: tokens, user: .from(tokens), now: ctx.clock.now,
                                         tenants: [(chosen.tenantId, chosen.tenantName ?? chosen.tenantId, chosen.tenantType, chosen.id)])
        return XeroConnected(tenantID: chosen.tenantId, tenantName: chosen.tenantName, connectionID: chosen.id,
                             scopes: tokens.scope ?? scopes.joined(separator: " "))
    }

    /// The authorization-code flow: the sign-in address, the redirect (caught on 127.0.0.1, or pasted), the code.
    func signIn(_ request: XeroConnectRequest, session: XeroSession, clientID: String, scopes: [String], config: LMBConfig) async throws -> TokenSet {
        let secret = request.flow == .webApp ? session.clientSecret : nil
        if request.flow == .webApp && secret == nil {
            throw RemoteFailure.xero(.config, "the web-app flow needs the client secret: set LMB_XERO_CLIENT_SECRET or write it to \(ctx.home.url.path)/client_secret (mode 0600)")
        }
        let pkce = request.flow == .webApp ? nil : OAuthClient.pkce()
        let state = OAuthClient.randomState()
        let port = request.port ?? config.redirectPort.map { UInt16($0) } ?? 5555
        let listener = request.noBrowser ? nil : try RedirectListener(port: port)
        let redirectURI = "http://127.0.0.1:\(listener?.port ?? port)/callback"
        let url = session.oauth.authorizeURL(clientID: clientID, redirectURI: redirectURI, scopes: scopes, state: state, challenge: pkce?.challenge)
        ctx.output.err("Sign in to Xero as a user with the Standard or Adviser role, and allow access:\n  \(url.absoluteString)")
        let redirected: URL
        if let listener {
            ctx.prompter.openBrowser(url)
            ctx.output.err("Waiting for Xero's redirect on \(redirectURI) (up to \(Int(request.timeout)) s)…")
            redirected = try await listener.waitForRedirect(path: "/callback", timeout: request.timeout, clock: ctx.clock)
        } else {
            guard let line = ctx.prompter.line("Then paste the address your browser was sent to (it starts with \(redirectURI)):"),
                  let pasted = URL(string: line.trimmingCharacters(in: .whitespaces)) else {
                throw RemoteFailure.xero(.config, "no redirected address was pasted")
            }
            redirected = pasted
        }
        let code = try OAuthClient.code(fromRedirect: redirected, expectedState: state)
        return try await session.oauth.exchange(code: code, verifier: pkce?.verifier, redirectURI: redirectURI, clientID: clientID, secret: secret)
    }

    /// The organisation to connect: the one asked for, the only one granted, or the one a person picks.
    func chooseTenant(_ available: [XeroConnectionInfo], requested: String?) throws -> XeroConnectionInfo {
        let listing = available.map { "\($0.tenantName ?? "?") (\($0.tenantId))" }.joined(separator: ", ")
        if let requested {
            if let match = available.first(where: { $0.tenantId == requested || ($0.tenantName ?? "").caseInsensitiveCompare(requested) == .orderedSame }) {
                return match
            }
            throw RemoteFailure.xero(.config, "the sign-in did not grant '\(requested)'; it granted: \(listing)")
        }
        if available.count == 1 { return available[0] }
        guard ctx.prompter.interactive else {
            throw LMBError.usage("the sign-in granted several organisations; choose one with --tenant NAME|ID: \(listing)")
        }
        let menu = available.enumerated().map { "  \($0.offset + 1). \($0.element.tenantName ?? "?") (\($0.element.tenantId))" }.joined(separator: "\n")
        guard let line = ctx.prompter.line(menu + "\nConnect which organisation? [1-\(available.count)]"),
              let n = Int(line.trimmingCharacters(in: .whitespaces)), (1...available.count).contains(n) else {
            throw LMBError.usage("no organisation chosen")
        }
        return available[n - 1]
    }

    /// DELETE /connections/{id}, the refresh token revoked when no other organisation uses it, the tokens forgotten.
    public func disconnect(tenant: String?) async throws -> XeroDisconnected {
        let session = try ctx.xeroSession()
        let connection = try session.store.connection(tenant: tenant)
        let client = session.client(for: connection)
        var notes: [String] = []
        if let id = connection.connectionID {
            do { try await client.deleteConnection(id) } catch let f as RemoteFailure {
                notes.append("Xero did not delete the connection (\(f.message)); remove the app under Xero → Settings → Connected apps if it is still listed")
            }
        }
        let sharing = try session.store.connections().filter { $0.credentialID == connection.credentialID && $0.tenantID != connection.tenantID }
        // Deleting may have renewed the tokens: revoke the refresh token as it is now, not as it was read.
        let current = try session.store.connections().first { $0.tenantID == connection.tenantID }?.credential ?? connection.credential
        if sharing.isEmpty, let refresh = current.refreshToken {
            do {
                try await session.oauth.revoke(refreshToken: refresh, clientID: connection.credential.clientID,
                                               secret: connection.credential.kind == .webApp ? session.clientSecret : nil)
            } catch let f as RemoteFailure { notes.append("the refresh token could not be revoked (\(f.message))") }
        }
        try session.store.removeConnection(tenantID: connection.tenantID)
        try session.store.recordEvent(kind: .disconnect, message: "disconnected from \(connection.tenantName)",
                                      detail: .object([("tenant", .string(connection.tenantID)), ("notes", .array(notes.map(JSON.string)))]))
        return XeroDisconnected(tenantID: connection.tenantID, tenantName: connection.tenantName, notes: notes)
    }

    /// Disconnect (as cleanly as Xero allows), then connect again.
    public func reconnect(_ request: XeroConnectRequest) async throws -> XeroConnected {
        let store = try ctx.store()
        if (try? store.connection(tenant: request.tenant)) != nil {
            do { _ = try await disconnect(tenant: request.tenant) } catch let f as RemoteFailure {
                ctx.output.err("note: the old connection could not be removed cleanly (\(f.message)); continuing")
                if let c = try? store.connection(tenant: request.tenant) { try store.removeConnection(tenantID: c.tenantID) }
            }
        }
        let connected = try await connect(request)
        try store.recordEvent(kind: .reconnect, message: "reconnected")
        return connected
    }
}
