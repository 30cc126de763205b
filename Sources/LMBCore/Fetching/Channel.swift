import Foundation

/// What a channel may use of the world during one fetch or diagnosis: the store, the home, the one transport and
/// clock, the configuration, and where to say what it is doing.
public struct ChannelEnvironment: Sendable, CustomReflectable {
    /// The environment may hold secrets: a dump shows its names only.
    public var customMirror: Mirror { Mirror(self, children: ["home": home.url.path, "environment": environment.keys.sorted()]) }

    public var store: Store
    public var home: LMBHome
    public var transport: any HTTPTransport
    public var clock: any LMBClock
    public var environment: [String: String]
    public var config: LMBConfig
    /// Lines a person may want while a fetch runs (waits, a window that may have missed payouts).
    public var log: @Sendable (String) -> Void

    public init(store: Store, home: LMBHome, transport: any HTTPTransport, clock: any LMBClock, environment: [String: String],
                config: LMBConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.home = home
        self.transport = transport
        self.clock = clock
        self.environment = environment
        self.config = config
        self.log = log
    }
}

/// One payout a channel listed: an Amazon settlement report, a Shopify payout, an eBay payout.
public struct ChannelPayout: Sendable, Equatable {
    /// The channel's id of it (Amazon: the report id).
    public var id: String
    /// The id of what is downloaded (Amazon: the report document id), when there is one.
    public var documentID: String?
    public var createdAt: Date?
    /// A line for `--dry-run`: what the payout covers.
    public var summary: String

    public init(id: String, documentID: String?, createdAt: Date?, summary: String) {
        self.id = id
        self.documentID = documentID
        self.createdAt = createdAt
        self.summary = summary
    }
}

/// What a channel's listing found since the last fetch.
public struct ChannelListing: Sendable {
    /// Payouts lmb has not downloaded yet, oldest first.
    public var new: [ChannelPayout]
    /// How many the channel listed in all.
    public var listed: Int
    public var since: Date?
    public var mayHaveMissedPayouts: Bool
    /// When the listing was made: the next fetch starts from here when every payout got an outcome.
    public var listedAt: Date

    public init(new: [ChannelPayout], listed: Int, since: Date?, mayHaveMissedPayouts: Bool, listedAt: Date) {
        self.new = new
        self.listed = listed
        self.since = since
        self.mayHaveMissedPayouts = mayHaveMissedPayouts
        self.listedAt = listedAt
    }
}

/// A downloaded payout, as UTF-8 text in a format `Importer` reads, with notes on how it came (gzip, charset, …).
public struct ChannelDocument: Sendable {
    public var utf8: Data
    public var notes: [String]

    public init(utf8: Data, notes: [String]) {
        self.utf8 = utf8
        self.notes = notes
    }
}

/// A place settlements come from, connected once and bound to one Xero organisation: an Amazon selling account
/// (the first), a Shopify shop, an eBay account. `lmb fetch`, `sync` and `diagnose` iterate channels; the `Fetcher`
/// drives each through the same steps, so a new channel is one folder that implements these two protocols.
public protocol SettlementChannel: Sendable {
    var provider: Provider { get }
    /// The connection's label (`--account`, `--name`).
    var label: String { get }
    /// The organisation its settlements go to; nil: the default one.
    var tenantID: String? { get }
    /// The channel for one run: credentials checked, a client with its own pacing and token cache. Throws
    /// `RemoteFailure` when the stored credentials cannot be used.
    func open(_ env: ChannelEnvironment) throws -> any ChannelSession
    /// The channel's own checks for `lmb diagnose`: credentials, a token, one listing call, roles or scopes, age.
    func diagnose(_ env: ChannelEnvironment, offline: Bool) async -> [DiagnosticCheck]
}

/// One run's connection to a channel, through the fetch's steps.
public protocol ChannelSession: Sendable {
    /// Step 1: the payouts made since the last fetch that lmb has not downloaded.
    func listNew() async throws -> ChannelListing
    /// Step 2: one payout, downloaded and decoded. Throws `RemoteFailure`.
    func download(_ payout: ChannelPayout) async throws -> ChannelDocument
    /// Step 3: the payout recorded with its settlement, inside the import's own transaction, so the next fetch skips it.
    func recordImport(_ writer: ImportWriter, payout: ChannelPayout, outcome: ImportOutcome, at: Date) throws
    /// A payout that will never import (gone, unreadable, not adding up): recorded so it is not downloaded again.
    func recordFailure(_ payout: ChannelPayout, settlementID: String?, message: String) throws
    /// Step 4: every payout has an outcome; the next fetch starts from this listing.
    func finish(_ listing: ChannelListing) throws
    /// The steps when a payout does not read as a settlement.
    func unreadableSteps(_ payout: ChannelPayout, message: String) -> [String]
    /// After the payouts: the channel's tax reports (Amazon's VAT Transactions Report), best effort; a line each to say.
    func fetchTaxReports() async -> [String]
}

extension ChannelSession {
    public func fetchTaxReports() async -> [String] { [] }
}

/// Every connected channel in the store.
public enum Channels {
    public static func connected(_ store: Store) throws -> [any SettlementChannel] {
        try store.amazonAccounts().map(AmazonChannel.init) + store.channelAccounts().compactMap(channel)
    }

    /// A Shopify shop or an eBay account as its channel.
    static func channel(_ account: StoredChannelAccount) -> (any SettlementChannel)? {
        switch account.kind {
        case .shopify: return ShopifyChannel(account)
        case .ebay: return EbayChannel.make(account)
        }
    }

    /// One channel by its label (`--account`), or all of them; none connected is `not_connected`.
    public static func select(_ store: Store, label: String?) throws -> [any SettlementChannel] {
        if let label, let account = try store.channelAccounts().first(where: { $0.label.caseInsensitiveCompare(label) == .orderedSame }),
           let channel = channel(account) {
            return [channel]
        }
        if label != nil { return [AmazonChannel(try store.amazonAccount(label: label))] }
        let all = try connected(store)
        guard !all.isEmpty else {
            throw RemoteFailure.amazon(.notConnected, "no Amazon selling account is connected, nor any Shopify shop or eBay account (lmb amazon connect, lmb shopify connect, lmb ebay connect)",
                                       evidence: ["no stored Amazon, Shopify or eBay credentials"])
        }
        return all
    }
}
