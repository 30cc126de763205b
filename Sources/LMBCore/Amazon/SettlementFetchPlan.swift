import Foundation

/// Pure decisions for `lmb fetch`: which window to ask getReports for, and which reports to download.
public enum SettlementFetchPlan {
    /// Reports created up to this long before the last fetch are asked for again, in case Amazon listed one late.
    public static let defaultOverlap: TimeInterval = 2 * 86_400
    /// Amazon keeps reports 90 days and refuses a createdSince of exactly 90 days ago; clients ask for 89.
    public static let retention: TimeInterval = 89 * 86_400

    public struct Window: Sendable, Equatable {
        public var createdSince: Date
        /// The last fetch was so long ago that reports created in between may have aged out of Amazon's 90 days.
        public var mayHaveMissedReports: Bool
    }

    /// `createdSince`: the last fetch minus the overlap, never earlier than `now` − 89 days; the first fetch asks for
    /// all 89 days. A last fetch in the future (a clock that was wrong) counts as now.
    public static func window(lastFetch: Date?, now: Date, overlap: TimeInterval = defaultOverlap) -> Window {
        let earliest = now.addingTimeInterval(-retention)
        guard let lastFetch else { return Window(createdSince: earliest, mayHaveMissedReports: false) }
        let wanted = min(lastFetch, now).addingTimeInterval(-max(overlap, 0))
        return Window(createdSince: max(wanted, earliest), mayHaveMissedReports: wanted < earliest)
    }

    /// The reports worth downloading: DONE, with a document lmb has not downloaded yet, each document once (the
    /// earliest report that names it), oldest first. The same settlement in two documents is deduplicated at import
    /// by the settlement id inside the file.
    public static func reportsToDownload(_ reports: [ReportsAPI.Report], alreadyDownloaded: Set<String> = []) -> [ReportsAPI.Report] {
        var chosen: [String: ReportsAPI.Report] = [:]
        for report in reports where report.processingStatus == .done {
            guard let document = report.reportDocumentId, !document.isEmpty, !alreadyDownloaded.contains(document) else { continue }
            if let existing = chosen[document], (existing.createdTime, existing.reportId) <= (report.createdTime, report.reportId) { continue }
            chosen[document] = report
        }
        return chosen.values.sorted { ($0.createdTime, $0.reportId) < ($1.createdTime, $1.reportId) }
    }
}
