/// What to do about a failure: numbered steps a bookkeeper can follow, the command that fixes it where one does, and
/// the command that proves it fixed. One shape for every service; `send`, `fetch`, `sync`, `diagnose` and the
/// notifications all print the same runbook for the same failure.
public struct Runbook: Sendable, Equatable {
    public var steps: [String]
    /// The lmb command that repairs the cause (`lmb reconnect`, `lmb amazon secret`, …), when one does.
    public var fix: String?
    /// The command that shows the repair worked.
    public var check: String?

    public init(steps: [String], fix: String? = nil, check: String? = "lmb diagnose") {
        self.steps = steps
        self.fix = fix
        self.check = check
    }

    /// What a runbook may name: the settlement the failure belongs to, and the mapping (to name the category behind
    /// an account Xero refused).
    public struct Context: Sendable {
        public var settlementID: String?
        public var mapping: Mapping?

        public init(settlementID: String? = nil, mapping: Mapping? = nil) {
            self.settlementID = settlementID
            self.mapping = mapping
        }
    }

    /// The runbook for any failure, in its provider's words.
    public static func of(_ failure: RemoteFailure, _ context: Context = Context()) -> Runbook {
        failure.provider.voice.runbook(for: failure, context)
    }

    /// The steps alone (most callers print only these).
    public static func steps(for failure: RemoteFailure, settlementID: String? = nil, mapping: Mapping? = nil) -> [String] {
        of(failure, Context(settlementID: settlementID, mapping: mapping)).steps
    }

    /// Every provider's words for `busy`: the lock is lmb's own, not the service's.
    public static let busyWords = "another lmb run is working on this account or organisation"
    public static func busySteps(_ failure: RemoteFailure) -> [String] {
        ["Another lmb run holds the lock (\(failure.message.components(separatedBy: ";").first ?? failure.message)): nothing was done here, so nothing is half-done.",
         "Let that run finish; the next `lmb sync` (or cron's next run: exit 75 means retry later) does what this one could not."]
    }

    public static let stillFailing = "When it still fails: run `lmb diagnose --bundle FILE` and send that file to support (it holds the settlement id, the exact error and the events that led to it)."
}

/// A provider's own words: what each cause means at that provider, what its request ids are called, and its runbooks.
/// A new provider adds one voice in its own folder and one line in `Provider.voice`.
public protocol ProviderVoice {
    static func plainWords(_ classification: Classification) -> String
    /// How the provider names the id of an exchange (`Xero-Correlation-Id`, `request id`).
    static var requestIDName: String { get }
    static func runbook(for failure: RemoteFailure, _ context: Runbook.Context) -> Runbook
    /// Failures a person fixes whose runbook ends with the "still failing" line.
    static func endsWithSupportLine(_ classification: Classification) -> Bool
    /// What the provider calls one payout's document ("report" at Amazon).
    static var payoutNoun: String { get }
}

extension ProviderVoice {
    public static var payoutNoun: String { "payout" }
    public static func endsWithSupportLine(_ classification: Classification) -> Bool { false }
}

extension Provider {
    public var voice: any ProviderVoice.Type {
        switch self {
        case .xero: return XeroVoice.self
        case .amazon: return AmazonVoice.self
        case .shopify: return ShopifyVoice.self
        case .ebay: return EbayVoice.self
        }
    }
}

extension RemoteFailure {
    public func runbook(_ context: Runbook.Context = Runbook.Context()) -> Runbook { Runbook.of(self, context) }
}
