import Foundation

/// The three Selling Partner API regions; one refresh token belongs to one selling account in one region.
public enum AmazonRegion: String, Sendable, CaseIterable, Codable {
    case na, eu, fe

    /// `https://sellingpartnerapi-<region>.amazon.com`
    public var sellingPartnerAPI: URL { URL(string: "https://sellingpartnerapi-\(rawValue).amazon.com")! }

    public var name: String {
        switch self {
        case .na: return "North America"
        case .eu: return "Europe"
        case .fe: return "Far East"
        }
    }
}

/// Where Amazon is: Login with Amazon's token endpoint and a region's Selling Partner API, or one base URL serving
/// both (the sandbox).
public struct AmazonEndpoints: Sendable, Equatable {
    public var token: URL
    public var sellingPartnerAPI: URL

    public static let loginWithAmazonToken = URL(string: "https://api.amazon.com/auth/o2/token")!
    /// The environment variable that points every Amazon call at one base URL.
    public static let baseURLVariable = "LMB_AMAZON_BASE_URL"

    public init(token: URL, sellingPartnerAPI: URL) {
        self.token = token
        self.sellingPartnerAPI = sellingPartnerAPI
    }

    public static func amazon(_ region: AmazonRegion) -> AmazonEndpoints {
        AmazonEndpoints(token: loginWithAmazonToken, sellingPartnerAPI: region.sellingPartnerAPI)
    }

    /// LWA at `<base>/auth/o2/token` and every region's Reports API at `<base>/reports/2021-06-30/…`.
    public static func single(base: URL) -> AmazonEndpoints {
        let root = base.absoluteString.hasSuffix("/") ? String(base.absoluteString.dropLast()) : base.absoluteString
        return AmazonEndpoints(token: URL(string: root + "/auth/o2/token")!, sellingPartnerAPI: URL(string: root)!)
    }

    /// Amazon's hosts for the region, unless `LMB_AMAZON_BASE_URL` names an https URL or an http loopback one.
    public static func resolve(region: AmazonRegion, environment: [String: String]) throws -> AmazonEndpoints {
        guard let base = environment[baseURLVariable], !base.isEmpty else { return .amazon(region) }
        guard let url = URL(string: base), url.host != nil, url.isHTTPSOrLoopback, url.query == nil else {
            throw RemoteFailure.amazon(.config, "\(baseURLVariable) '\(base)' is not usable: it must be an https URL, or http on a loopback address, without a query",
                                evidence: ["\(baseURLVariable) is set"])
        }
        return .single(base: url)
    }
}

/// A selling account's SP-API credentials. The client secret and the refresh token are secrets: no description,
/// debug description or mirror of this value shows them.
public struct AmazonCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The LWA client identifier (`amzn1.application-oa2-client.…`); not a secret.
    public var clientID: String
    public var clientSecret: String
    /// `Atzr|…`; it does not rotate.
    public var refreshToken: String
    public var region: AmazonRegion

    public init(clientID: String, clientSecret: String, refreshToken: String, region: AmazonRegion) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.refreshToken = refreshToken
        self.region = region
    }

    /// Refuses an empty field or one with spaces or line breaks (a paste that went wrong), naming the field, never its value.
    public func validated() throws -> AmazonCredentials {
        for (name, value) in [("client id", clientID), ("client secret", clientSecret), ("refresh token", refreshToken)] {
            if value.isEmpty {
                throw RemoteFailure.amazon(.config, "the Amazon \(name) is empty", evidence: ["\(name): empty"])
            }
            if value.unicodeScalars.contains(where: { CharacterSet.whitespacesAndNewlines.contains($0) }) {
                throw RemoteFailure.amazon(.config, "the Amazon \(name) contains a space or a line break; paste it again",
                                    evidence: ["\(name): \(value.count) characters, with white space"])
            }
        }
        return self
    }

    /// The values no message may contain.
    var secrets: [String] { [clientSecret, refreshToken] }

    public var description: String {
        "AmazonCredentials(clientID: \(clientID), clientSecret: \(Self.redacted), refreshToken: \(Self.redacted), region: \(region.rawValue))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["clientID": clientID, "clientSecret": Self.redacted, "refreshToken": Self.redacted, "region": region],
               displayStyle: .struct)
    }

    static let redacted = "<redacted>"
}

extension Store {
    /// The account `--account LABEL` names; without a label, the only one there is. In Amazon's and lmb's words.
    public func amazonAccount(label: String?) throws -> StoredAmazonAccount {
        do {
            return try storedAmazonAccount(label: label)
        } catch StoreError.empty {
            throw AmazonAccounts.notConnected()
        } catch StoreError.unknown(_, let key, let known) {
            throw RemoteFailure.amazon(.config, "no Amazon selling account is labelled '\(key)'; connected: \(known.joined(separator: ", "))",
                                       evidence: ["--account \(key)"])
        } catch StoreError.ambiguous(_, let known) {
            throw LMBError.usage("several Amazon selling accounts are connected (\(known.joined(separator: ", "))); name one with --account LABEL")
        }
    }
}

public enum AmazonAccounts {
    /// The failure `lmb fetch` reports when no selling account is configured.
    public static func notConnected(_ region: AmazonRegion? = nil) -> RemoteFailure {
        RemoteFailure.amazon(.notConnected, region.map { "no Amazon selling account is connected for the \($0.name) region" }
                                ?? "no Amazon selling account is connected",
                             evidence: ["no stored Amazon credentials"])
    }
}
