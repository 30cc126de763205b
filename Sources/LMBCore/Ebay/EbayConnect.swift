import Foundation

/// Connecting an eBay seller: the app's client id and RuName on the command line, its client secret from
/// `LMB_EBAY_CLIENT_SECRET` (or asked without echo), the authorization-code grant with the sell.finances scope (the
/// seller signs in at eBay's consent address and pastes the address eBay sends the browser to), a signing key for
/// EU/UK sites from the Key Management API, one listing call to prove it all, then stored (0600) and bound to one
/// organisation.
public struct EbayConnectFlow: Sendable {
    public static let clientSecretVariable = "LMB_EBAY_CLIENT_SECRET"
    /// eBay's refresh tokens last 18 months (47,304,000 s) from the consent.
    public static let refreshLifetime: TimeInterval = 47_304_000

    public let ctx: RunContext

    public init(ctx: RunContext) { self.ctx = ctx }

    public struct Request: Sendable {
        public var clientID: String
        public var ruName: String
        public var site: String
        public var name: String?
        public var tenant: String?
        public var noBrowser: Bool
        public var newKey: Bool
        public var sign: Bool?

        public init(clientID: String, ruName: String, site: String, name: String?, tenant: String?, noBrowser: Bool, newKey: Bool, sign: Bool? = nil) {
            self.clientID = clientID
            self.ruName = ruName
            self.site = site
            self.name = name
            self.tenant = tenant
            self.noBrowser = noBrowser
            self.newKey = newKey
            self.sign = sign
        }
    }

    public struct Connected: Sendable {
        public var account: StoredChannelAccount
        public var created: Bool
        public var organisation: StoredConnection?
        public var keyCreated: Bool
        public var signing: Bool
        public var payoutsListed: Int
    }

    public func connect(_ request: Request) async throws -> Connected {
        guard let site = EbaySites.normalise(request.site) else {
            throw LMBError.usage("--site must be one of eBay's sites: \(EbaySites.known.joined(separator: ", "))")
        }
        let store = try ctx.store()
        let organisation: StoredConnection?
        if let tenant = request.tenant { organisation = try store.connection(tenant: tenant) } else { organisation = try? store.connection(tenant: nil) }
        let label = request.name ?? "ebay-\(site.dropFirst(5).lowercased())"
        let existing = try store.channelAccounts(kind: .ebay).first { $0.label.caseInsensitiveCompare(label) == .orderedSame }
        let secret = try clientSecret()
        let endpoints = try EbayEndpoints.resolve(environment: ctx.environment)
        let transport = try ctx.transport()

        // The consent: the seller signs in and agrees; eBay sends the browser to the RuName's accept URL with the code.
        let state = OAuthClient.randomState()
        let consent = endpoints.consentURL(clientID: request.clientID, ruName: request.ruName, state: state)
        ctx.output.err("Sign in to eBay as the seller and agree to lmb reading your payouts (sell.finances):\n  \(consent.absoluteString)")
        if !request.noBrowser { ctx.prompter.openBrowser(consent) }
        guard let line = ctx.prompter.line("Then paste the address eBay sent your browser to (it carries code=…):"),
              let pasted = URL(string: line.trimmingCharacters(in: .whitespaces)), !line.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RemoteFailure(.config, "no redirected address was pasted", service: .ebayIdentity)
        }
        let code = try Self.code(fromRedirect: pasted, expectedState: state)
        let grant = try await EbayClient.exchangeCode(code, ruName: request.ruName, clientID: request.clientID, clientSecret: secret,
                                                      endpoints: endpoints, transport: transport)
        let now = ctx.clock.now

        // The signing key: EU and UK sellers' Finances calls are signed; the key is created once and kept.
        let signing = request.sign ?? (EbaySites.mustSign(site) || existing?.secrets["signingPrivateKey"] != nil)
        var key = existing.flatMap(EbayAccounts.signingKey)
        var keyCreated = false
        if signing && (key == nil || request.newKey || (key?.expiresAt.map { $0 <= now } ?? false)) {
            key = try await EbayClient.createSigningKey(clientID: request.clientID, clientSecret: secret, endpoints: endpoints,
                                                        transport: transport, clock: ctx.clock)
            keyCreated = true
        }
        if !signing { key = nil }

        // Proved with one listing call, signed as every fetch will be.
        let credentials = EbayClient.Credentials(clientID: request.clientID, clientSecret: secret, refreshToken: grant.refreshToken)
        let client = try EbayClient(credentials: credentials, site: site, signingKey: key,
                                    accessToken: HeldTokens(accessToken: grant.accessToken, accessExpiresAt: now.addingTimeInterval(Double(grant.expiresIn))),
                                    environment: ctx.environment, transport: transport, clock: ctx.clock)
        let listed = try await client.probe()

        var settings = ["clientId": request.clientID, "ruName": request.ruName, "site": site, "scope": EbayEndpoints.financesScope,
                        "refreshIssuedAt": Store.isoText(now),
                        "refreshExpiresAt": Store.isoText(now.addingTimeInterval(Double(grant.refreshExpiresIn ?? Int(Self.refreshLifetime))))]
        var secrets = ["clientSecret": secret, "refreshToken": grant.refreshToken]
        if let key {
            settings["signingKeyId"] = key.id
            settings["signingKeyCipher"] = key.cipher
            if let expires = key.expiresAt { settings["signingKeyExpiresAt"] = Store.isoText(expires) }
            secrets["signingPrivateKey"] = key.privateKeyDER.base64EncodedString()
            secrets["signingJWE"] = key.jwe
        }
        let (account, created) = try store.saveChannelAccount(kind: .ebay, label: label, settings: settings, secrets: secrets,
                                                              tenantID: organisation?.tenantID, tenantName: organisation?.tenantName, now: now)
        return Connected(account: account, created: created, organisation: organisation, keyCreated: keyCreated, signing: key != nil,
                         payoutsListed: listed)
    }

    /// The code from the address eBay redirected to, after checking `state`.
    public static func code(fromRedirect url: URL, expectedState: String) throws -> String {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard value("state") == expectedState else {
            throw RemoteFailure(.config, "the pasted address's state does not match the one lmb sent: that consent was not lmb's (or was replayed) and is refused",
                                service: .ebayIdentity)
        }
        if let error = value("error") {
            throw RemoteFailure(.permissionDenied, "eBay answered \(error): consent was not given", service: .ebayIdentity, code: error,
                                evidence: ["the consent redirect carried error=\(error)"])
        }
        guard let code = value("code"), !code.isEmpty else {
            throw RemoteFailure(.config, "the pasted address carries no code", service: .ebayIdentity)
        }
        return code
    }

    func clientSecret() throws -> String {
        if let value = ctx.environment[Self.clientSecretVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        guard ctx.prompter.interactive else {
            throw RemoteFailure(.config, "no client secret: set \(Self.clientSecretVariable), or run lmb on a terminal to be asked for it (lmb never takes secrets as arguments)",
                                service: .ebayIdentity, evidence: ["\(Self.clientSecretVariable) is not set and standard input is not a terminal"])
        }
        guard let value = ctx.prompter.secret("the eBay app's client secret (Cert ID; not shown as you type):")?.trimmingCharacters(in: .whitespacesAndNewlines),
              !value.isEmpty else {
            throw RemoteFailure(.config, "no client secret was entered", service: .ebayIdentity)
        }
        return value
    }
}

public enum EbayAccounts {
    /// The account `--account LABEL` names; without a label, the only one there is.
    public static func account(_ store: Store, label: String?) throws -> StoredChannelAccount {
        do {
            return try store.channelAccount(kind: .ebay, label: label)
        } catch StoreError.empty {
            throw RemoteFailure(.notConnected, "no eBay account is connected", service: .ebayFinances, evidence: ["no stored eBay credentials"])
        } catch StoreError.unknown(_, let key, let known) {
            throw RemoteFailure(.config, "no eBay account is labelled '\(key)'; connected: \(known.joined(separator: ", "))", service: .ebayFinances,
                                evidence: ["--account \(key)"])
        } catch StoreError.ambiguous(_, let known) {
            throw LMBError.usage("several eBay accounts are connected (\(known.joined(separator: ", "))); name one with --account LABEL")
        }
    }

    static func signingKey(_ account: StoredChannelAccount) -> EbaySigningKey? {
        guard let text = account.secrets["signingPrivateKey"], let der = Data(base64Encoded: text), let jwe = account.secrets["signingJWE"] else { return nil }
        return EbaySigningKey(id: account.settings["signingKeyId"] ?? "?", cipher: account.settings["signingKeyCipher"] ?? "ED25519",
                              privateKeyDER: der, jwe: jwe, expiresAt: Store.date(account.settings["signingKeyExpiresAt"]))
    }

    static func credentials(_ account: StoredChannelAccount) throws -> EbayClient.Credentials {
        guard let id = account.settings["clientId"], let secret = account.secrets["clientSecret"], !secret.isEmpty,
              let refresh = account.secrets["refreshToken"], !refresh.isEmpty else {
            throw RemoteFailure(.config, "the stored credentials of eBay account \(account.label) are incomplete: run lmb ebay connect again",
                                service: .ebayFinances)
        }
        return EbayClient.Credentials(clientID: id, clientSecret: secret, refreshToken: refresh)
    }

    /// The refresh token's age against its 18 months: (days old, days left).
    public static func refreshAge(_ account: StoredChannelAccount, now: Date) -> (days: Int, daysLeft: Int)? {
        guard let issued = Store.date(account.settings["refreshIssuedAt"]) else { return nil }
        let expires = Store.date(account.settings["refreshExpiresAt"]) ?? issued.addingTimeInterval(EbayConnectFlow.refreshLifetime)
        return (max(0, Int(now.timeIntervalSince(issued) / 86_400)), Int(expires.timeIntervalSince(now) / 86_400))
    }
}
