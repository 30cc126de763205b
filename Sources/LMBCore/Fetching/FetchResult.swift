import Foundation

/// What one `lmb fetch` found for one report, or for a whole account when Amazon refused before any report.
public struct FetchResult: Sendable {
    public enum Outcome: String, Sendable {
        case imported, known, failed
        /// `--dry-run`: listed, not downloaded.
        case wouldDownload = "would_download"
    }

    public var account: String
    public var reportID: String?
    public var documentID: String?
    public var settlementID: String?
    public var outcome: Outcome
    /// `ok` or `needs_mapping` for a settlement found; for a failure, its classification (Amazon's, or the file's:
    /// `malformed`, `does_not_add_up`, `io_error`).
    public var classification: String
    public var message: String
    /// The settlement as `lmb import` reports it, when one was read.
    public var settlement: ParsedSettlement?
    public var failure: RemoteFailure?
    public var exitStatus: ExitStatus
    public var runbook: [String]
    /// Whose payout it is (the channel's provider), for the words around it.
    public var provider: Provider = .amazon

    /// "Amazon account EU, report 123": who a result belongs to, as messages name it.
    public var subject: String {
        "\(provider.rawValue) account \(account)" + (reportID.map { ", \(provider.voice.payoutNoun) \($0)" } ?? "")
    }

    public init(account: String, reportID: String?, documentID: String?, settlementID: String?, outcome: Outcome,
                classification: String, message: String, settlement: ParsedSettlement? = nil, failure: RemoteFailure? = nil,
                exitStatus: ExitStatus = .ok, runbook: [String] = []) {
        self.account = account
        self.reportID = reportID
        self.documentID = documentID
        self.settlementID = settlementID
        self.outcome = outcome
        self.classification = classification
        self.message = message
        self.settlement = settlement
        self.failure = failure
        self.exitStatus = exitStatus
        self.runbook = runbook
    }

    /// The channel refused: for the whole channel (no payout) or for one payout.
    static func failed(_ channel: String, _ payout: ChannelPayout?, _ f: RemoteFailure) -> FetchResult {
        FetchResult(account: channel, reportID: payout?.id, documentID: payout?.documentID, settlementID: nil,
                    outcome: .failed, classification: f.classification.rawValue, message: f.description, failure: f,
                    exitStatus: f.exitStatus, runbook: Runbook.steps(for: f))
    }
}

/// What a fetch did with one account's listing: the window it asked for and how many reports that gave.
public struct FetchAccountSummary: Sendable {
    public var account: String
    public var createdSince: Date?
    public var listed: Int
    public var toDownload: Int
    /// Every report got an outcome, so the next fetch starts from this one's time.
    public var complete: Bool
    /// The last fetch was so long ago that reports may have aged out of Amazon's 90 days.
    public var mayHaveMissedReports: Bool
    /// Whose listing it is, for the words around it.
    public var provider: Provider = .amazon
}

public struct FetchReport: Sendable {
    public var results: [FetchResult]
    public var accounts: [FetchAccountSummary]
    public var exitStatus: ExitStatus { ExitStatus.worst(results.map(\.exitStatus)) }
}
