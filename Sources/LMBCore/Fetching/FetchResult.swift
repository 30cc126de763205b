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
    public var amazonFailure: RemoteFailure?
    public var exitStatus: ExitStatus
    public var runbook: [String]

    public init(account: String, reportID: String?, documentID: String?, settlementID: String?, outcome: Outcome,
                classification: String, message: String, settlement: ParsedSettlement? = nil, amazonFailure: RemoteFailure? = nil,
                exitStatus: ExitStatus = .ok, runbook: [String] = []) {
        self.account = account
        self.reportID = reportID
        self.documentID = documentID
        self.settlementID = settlementID
        self.outcome = outcome
        self.classification = classification
        self.message = message
        self.settlement = settlement
        self.amazonFailure = amazonFailure
        self.exitStatus = exitStatus
        self.runbook = runbook
    }

    /// Amazon refused: for the account (no report) or for one report.
    static func failed(_ account: StoredAmazonAccount, _ report: ReportsAPI.Report?, _ f: RemoteFailure) -> FetchResult {
        FetchResult(account: account.label, reportID: report?.reportId, documentID: report?.reportDocumentId, settlementID: nil,
                    outcome: .failed, classification: f.classification.rawValue, message: f.description, amazonFailure: f,
                    exitStatus: f.exitStatus, runbook: Runbook.steps(for: f))
    }

    /// The document did not import: it does not parse or add up, or could not be written here.
    static func refused(_ account: StoredAmazonAccount, _ report: ReportsAPI.Report, classification: String, message: String,
                        exitStatus: ExitStatus) -> FetchResult {
        let steps = exitStatus == .dataError ? [
            "Amazon's report \(report.reportId) does not read as a settlement: \(message)",
            "lmb will not download it again (`lmb amazon status` lists it).",
            "Download it from Seller Central (Reports → Payments → All Statements) and run `lmb import FILE` to see the line at fault; if the file is right, send `lmb diagnose --bundle FILE` to lmb's maintainers.",
        ] : ["Fix what the message names (disk space, permissions of the lmb home), then run `lmb fetch` again: nothing was recorded for this report."]
        return FetchResult(account: account.label, reportID: report.reportId, documentID: report.reportDocumentId, settlementID: nil,
                           outcome: .failed, classification: classification, message: message, exitStatus: exitStatus, runbook: steps)
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
}

public struct FetchReport: Sendable {
    public var results: [FetchResult]
    public var accounts: [FetchAccountSummary]
    public var exitStatus: ExitStatus { ExitStatus.worst(results.map(\.exitStatus)) }
}
