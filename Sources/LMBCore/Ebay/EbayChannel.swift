import Foundation

/// An eBay account as a settlement channel. Not built yet: no eBay account can be connected, so none is listed.
enum EbayChannel {
    static func make(_ account: StoredChannelAccount) -> (any SettlementChannel)? { nil }
}
