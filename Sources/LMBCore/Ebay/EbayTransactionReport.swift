import Foundation

/// eBay's transaction report CSV (Seller Hub → Payments → Reports → Transaction report). Not read yet: see
/// `matches`, which recognises none, so such a file is refused as an unknown format.
public struct EbayTransactionReport {
    let path: String
    let displayName: String

    public init(path: String, displayName: String? = nil) {
        self.path = path
        self.displayName = displayName ?? path
    }

    static func matches(path: String) -> Bool { false }

    public func parse() throws -> [ChannelPayoutSettlement] {
        throw SettlementFileError(.malformed, file: displayName, "eBay transaction reports are not read yet")
    }
}
