import Foundation

/// A row of a channel export whose payout is not paid yet (a Shopify row whose Payout Status is pending, scheduled,
/// in transit, failed…). lmb keeps it in the store so the seller sees what is on its way, and never sends it: it is in
/// no settlement. When a later export (or a fetched payout) shows it paid, its payout's settlement takes its place.
public struct PendingPayoutRow: Sendable, Equatable {
    public var format: SettlementFormat
    /// What tells this row from every other: its moment as the file writes it, type, order, amounts, currency and, for
    /// identical rows, their order in the file. The same row in a later export of the same shop has the same fingerprint.
    public var fingerprint: String
    public var line: Int
    public var transactionDate: String
    public var date: CalendarDate
    public var transactionType: String
    public var orderID: String?
    public var currency: String
    public var amountMinor: Int64
    public var feeMinor: Int64
    public var netMinor: Int64
    public var payoutStatus: String
    public var payoutDate: CalendarDate?
    public var payoutID: String?
}

/// What a channel export holds: the payouts paid out (each a settlement that adds up) and the rows still waiting.
public struct ChannelExportContents: Sendable {
    public var payouts: [ChannelPayoutSettlement]
    public var pending: [PendingPayoutRow]
}

/// What an import did with a file's rows of payouts not yet paid.
public struct PendingImport: Sendable, Equatable {
    public struct Total: Sendable, Equatable {
        public var currency: String
        public var rows: Int
        public var netMinor: Int64
    }
    /// The file's pending rows the store now keeps (new, or seen before with a status since changed).
    public var kept: Int
    /// The file's pending rows a stored settlement already holds (an older export imported after the paid one).
    public var alreadyPaid: Int
    /// Pending rows kept before that this import's paid payouts replaced.
    public var replaced: Int
    /// The kept rows by currency.
    public var totals: [Total]
    /// Every pending row of the channel the store keeps after the import.
    public var waiting: Int
}

/// An import's settlements and, for a channel export, what became of its rows of payouts not yet paid.
public struct ImportResult: Sendable {
    public var outcomes: [ImportOutcome]
    public var pending: PendingImport?
}
