import ArgumentParser
import Foundation
import LMBCore

/// How to connect: shared by `lmb connect` and `lmb reconnect`.
struct ConnectOptions: ParsableArguments {
    @Option(help: "The Xero app's client id (saved to the configuration for next time).")
    var clientID: String?

    @Flag(help: "Connect a Xero custom connection with the client-credentials grant (needs the client secret).")
    var clientCredentials = false

    @Flag(help: "Use the web-app flow: authorization code with the client secret instead of PKCE.")
    var webApp = false

    /// The organisation to connect, when the sign-in grants several.
    @OptionGroup var tenantOption: TenantOption
    var tenant: String? { tenantOption.tenant }

    @Option(help: ArgumentHelp("Port of the redirect listener on 127.0.0.1; must match the redirect URI registered with Xero (http://127.0.0.1:PORT/callback). Default 5555.", valueName: "port"))
    var port: UInt16?

    @Flag(help: "Do not open a browser: open the printed URL anywhere, then paste the address it redirects to.")
    var noBrowser = false

    @Option(help: ArgumentHelp("broad (accounting.transactions …), granular (required of apps created since March 2026), or a space-separated list.", valueName: "set"))
    var scopes: String?

    @Option(help: "Seconds to wait for the sign-in to come back.")
    var timeout: Int = 300

    func validate() throws {
        if clientCredentials && webApp {
            throw ValidationError("--client-credentials and --web-app are two different flows; choose one")
        }
        if clientCredentials && noBrowser {
            throw ValidationError("--no-browser has no meaning with --client-credentials (no one signs in)")
        }
        if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func scopeList(config: LMBConfig) -> [String] {
        let chosen = scopes ?? config.scopes ?? "broad"
        if let set = ScopeSet(rawValue: chosen) { return set.scopes }
        var list = chosen.split(separator: " ").map(String.init)
        if !list.contains("offline_access") && !clientCredentials { list.insert("offline_access", at: 0) }
        return list
    }
}

extension LMB {
    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect lmb to a Xero organisation.",
            discussion: """
            By default: the authorization-code flow with PKCE. lmb prints the sign-in URL (and opens a browser when \
            it can), listens on 127.0.0.1 for Xero's redirect, checks state, exchanges the code, and stores the tokens \
            in the store (0600). Sign in as a user with the Standard or Adviser role. The client secret (web app, \
            custom connection) is read only from LMB_XERO_CLIENT_SECRET or the home's client_secret file (0600), \
            never from the command line. Run again with --tenant to connect further organisations.
            """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ConnectOptions

        func run() async throws {
            try await runReportingAsync {
                try await performConnect(global: global, options: options)
                return .ok
            }
        }
    }

    struct Disconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disconnect lmb from a Xero organisation.",
            discussion: "Deletes the connection in Xero (DELETE /connections/{id}), revokes the refresh token when no other organisation uses it, and forgets the tokens.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var tenantOption: TenantOption
        var tenant: String? { tenantOption.tenant }

        func run() async throws {
            try await runReportingAsync {
                try await performDisconnect(global: global, tenant: tenant)
                return .ok
            }
        }
    }

    struct Reconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disconnect, then connect again: the fix for a stale connection or a user without permission.",
            discussion: "Step 3 of the reconnect runbook. Authorise as a Xero user with the Standard or Adviser role.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var options: ConnectOptions

        func run() async throws {
            try await runReportingAsync {
                let session = try global.context.session()
                if (try? session.store.connection(tenant: options.tenant)) != nil {
                    do { try await performDisconnect(global: global, tenant: options.tenant) } catch let f as XeroFailure {
                        Terminal.err("note: the old connection could not be removed cleanly (\(f.message)); continuing")
                        if let c = try? session.store.connection(tenant: options.tenant) { try session.store.removeConnection(tenantID: c.tenantID) }
                    }
                }
                try await performConnect(global: global, options: options)
                try session.store.recordEvent(kind: "reconnect", message: "reconnected")
                return .ok
            }
        }
    }
}

func performConnect(global: GlobalOptions, options: ConnectOptions) async throws {
    let ctx = global.context
    let home = ctx.home
    var session = try ctx.session()
    var config = session.config
    if let id = options.clientID, id != config.clientID {
        config.clientID = id
        try config.save(home: home)
        session = try ctx.session()
    }
    guard let clientID = options.clientID ?? config.clientID else {
        throw XeroFailure(.config, "no client id: pass --client-id (from your app at developer.xero.com) or set LMB_XERO_CLIENT_ID")
    }
    let scopes = options.scopeList(config: config)
    let oauth = session.oauth
    let tokens: TokenSet
    let kind: StoredCredential.Kind
    if options.clientCredentials {
        guard let secret = session.clientSecret else {
            throw XeroFailure(.config, "a custom connection needs the client secret: set LMB_XERO_CLIENT_SECRET or write it to \(home.url.path)/client_secret (mode 0600)")
        }
        tokens = try await oauth.clientCredentials(clientID: clientID, secret: secret, scopes: scopes.filter { $0 != "offline_access" && $0 != "openid" && $0 != "profile" && $0 != "email" })
        kind = .clientCredentials
    } else {
        let secret = options.webApp ? session.clientSecret : nil
        if options.webApp && secret == nil {
            throw XeroFailure(.config, "the web-app flow needs the client secret: set LMB_XERO_CLIENT_SECRET or write it to \(home.url.path)/client_secret (mode 0600)")
        }
        let pkce = options.webApp ? nil : OAuthClient.pkce()
        let state = OAuthClient.randomState()
        let port = options.port ?? config.redirectPort.map { UInt16($0) } ?? 5555
        let listener = options.noBrowser ? nil : try RedirectListener(port: port)
        let redirectURI = "http://127.0.0.1:\(listener?.port ?? port)/callback"
        let url = oauth.authorizeURL(clientID: clientID, redirectURI: redirectURI, scopes: scopes, state: state, challenge: pkce?.challenge)
        Terminal.err("Sign in to Xero as a user with the Standard or Adviser role, and allow access:\n  \(url.absoluteString)")
        let redirected: URL
        if let listener {
            Browser.open(url, context: ctx)
            Terminal.err("Waiting for Xero's redirect on \(redirectURI) (up to \(options.timeout) s)…")
            redirected = try await listener.waitForRedirect(path: "/callback", timeout: TimeInterval(options.timeout))
        } else {
            Terminal.err("Then paste the address your browser was sent to (it starts with \(redirectURI)):")
            guard let line = readLine(strippingNewline: true), let pasted = URL(string: line.trimmingCharacters(in: .whitespaces)) else {
                throw XeroFailure(.config, "no redirected address was pasted")
            }
            redirected = pasted
        }
        let code = try OAuthClient.code(fromRedirect: redirected, expectedState: state)
        tokens = try await oauth.exchange(code: code, verifier: pkce?.verifier, redirectURI: redirectURI, clientID: clientID, secret: secret)
        kind = options.webApp ? .webApp : .pkce
    }
    let available = try await oauth.connections(accessToken: tokens.accessToken)
    guard !available.isEmpty else {
        throw XeroFailure(.permissionDenied, "the sign-in granted no organisation; choose one on Xero's consent page (the user needs the Standard or Adviser role)")
    }
    let chosen = try chooseTenant(available, requested: options.tenant)
    let session2 = session
    try session2.store.saveConnection(kind: kind, clientID: clientID, tokens: tokens, now: Date(),
                                      tenants: [(chosen.tenantId, chosen.tenantName ?? chosen.tenantId, chosen.tenantType, chosen.id)])
    if global.json {
        Terminal.out(JSON.object([("tenantId", .string(chosen.tenantId)), ("tenantName", .optional(chosen.tenantName)),
                                  ("connectionId", .string(chosen.id)), ("scopes", .string(tokens.scope ?? scopes.joined(separator: " ")))]).rendered())
    } else if !global.quiet {
        Terminal.out("Connected to \(chosen.tenantName ?? chosen.tenantId) (tenant \(chosen.tenantId)).")
    }
}

func chooseTenant(_ available: [XeroConnectionInfo], requested: String?) throws -> XeroConnectionInfo {
    if let requested {
        if let match = available.first(where: { $0.tenantId == requested || ($0.tenantName ?? "").caseInsensitiveCompare(requested) == .orderedSame }) {
            return match
        }
        throw XeroFailure(.config, "the sign-in did not grant '\(requested)'; it granted: \(available.map { "\($0.tenantName ?? "?") (\($0.tenantId))" }.joined(separator: ", "))")
    }
    if available.count == 1 { return available[0] }
    guard isatty(0) == 1 && isatty(2) == 1 else {
        throw LMBError.usage("the sign-in granted several organisations; choose one with --tenant NAME|ID: \(available.map { "\($0.tenantName ?? "?") (\($0.tenantId))" }.joined(separator: ", "))")
    }
    for (i, c) in available.enumerated() { Terminal.err("  \(i + 1). \(c.tenantName ?? "?") (\(c.tenantId))") }
    Terminal.err("Connect which organisation? [1-\(available.count)] ", newline: false)
    guard let line = readLine(), let n = Int(line.trimmingCharacters(in: .whitespaces)), (1...available.count).contains(n) else {
        throw LMBError.usage("no organisation chosen")
    }
    return available[n - 1]
}

func performDisconnect(global: GlobalOptions, tenant: String?) async throws {
    let session = try global.context.session()
    let connection = try session.store.connection(tenant: tenant)
    let client = session.client(for: connection)
    var notes: [String] = []
    if let id = connection.connectionID {
        do { try await client.deleteConnection(id) } catch let f as XeroFailure {
            notes.append("Xero did not delete the connection (\(f.message)); remove the app under Xero → Settings → Connected apps if it is still listed")
        }
    }
    let sharing = try session.store.connections().filter { $0.credentialID == connection.credentialID && $0.tenantID != connection.tenantID }
    if sharing.isEmpty, let refresh = connection.credential.refreshToken {
        do {
            try await session.oauth.revoke(refreshToken: refresh, clientID: connection.credential.clientID,
                                           secret: connection.credential.kind == .webApp ? session.clientSecret : nil)
        } catch let f as XeroFailure { notes.append("the refresh token could not be revoked (\(f.message))") }
    }
    try session.store.removeConnection(tenantID: connection.tenantID)
    try session.store.recordEvent(kind: "disconnect", message: "disconnected from \(connection.tenantName)",
                                  detail: .object([("tenant", .string(connection.tenantID)), ("notes", .array(notes.map(JSON.string)))]))
    for n in notes { Terminal.err("note: \(n)") }
    if global.json {
        Terminal.out(JSON.object([("disconnected", .string(connection.tenantID)), ("tenantName", .string(connection.tenantName)),
                                  ("notes", .array(notes.map(JSON.string)))]).rendered())
    } else if !global.quiet {
        Terminal.out("Disconnected from \(connection.tenantName).")
    }
}

enum Browser {
    /// Opens a URL where a desktop is available; silently does nothing elsewhere (the URL is printed anyway).
    static func open(_ url: URL, context: CommandContext) {
        guard context.canOpenBrowser else { return }
        for opener in ["/usr/bin/xdg-open", "/usr/bin/open"] where FileManager.default.isExecutableFile(atPath: opener) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: opener)
            p.arguments = [url.absoluteString]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try? p.run()
            return
        }
    }
}
