import Foundation
import Testing
@testable import LMBCore

@Suite("Amazon settlement fetch planning")
struct AmazonFetchPlanTests {
    let now = Date(timeIntervalSince1970: 1_780_000_000)
    let day: TimeInterval = 86_400

    @Test("the first fetch asks for 89 days, the longest Amazon accepts")
    func firstFetch() {
        let w = SettlementFetchPlan.window(lastFetch: nil, now: now)
        #expect(w.createdSince == now.addingTimeInterval(-89 * day))
        #expect(!w.mayHaveMissedReports)
    }

    @Test("a later fetch asks from the last one minus two days' overlap")
    func overlap() {
        let w = SettlementFetchPlan.window(lastFetch: now.addingTimeInterval(-10 * day), now: now)
        #expect(w.createdSince == now.addingTimeInterval(-12 * day))
        #expect(!w.mayHaveMissedReports)
        #expect(SettlementFetchPlan.window(lastFetch: now, now: now, overlap: 3600).createdSince == now.addingTimeInterval(-3600))
    }

    @Test("a fetch after a long pause is clamped to 89 days and says reports may have aged out")
    func clamped() {
        let w = SettlementFetchPlan.window(lastFetch: now.addingTimeInterval(-100 * day), now: now)
        #expect(w.createdSince == now.addingTimeInterval(-89 * day))
        #expect(w.mayHaveMissedReports)
        // 88 days ago minus the overlap reaches past 89: clamped, and flagged, since a day of reports may be gone.
        let edge = SettlementFetchPlan.window(lastFetch: now.addingTimeInterval(-88 * day), now: now)
        #expect(edge.createdSince == now.addingTimeInterval(-89 * day))
        #expect(edge.mayHaveMissedReports)
    }

    @Test("a last fetch in the future (a clock that was wrong) counts as now")
    func futureLastFetch() {
        let w = SettlementFetchPlan.window(lastFetch: now.addingTimeInterval(5 * day), now: now)
        #expect(w.createdSince == now.addingTimeInterval(-2 * day))
    }

    func report(_ id: String, _ document: String?, created: TimeInterval, status: ReportsAPI.ProcessingStatus = .done) -> ReportsAPI.Report {
        ReportsAPI.Report(reportId: id, reportType: ReportsAPI.settlementReportType, createdTime: now.addingTimeInterval(created),
                          processingStatus: status, reportDocumentId: document)
    }

    @Test("each document is downloaded once, from its earliest report, oldest first; done ones only; known ones skipped")
    func dedup() {
        let reports = [
            report("30", "docC", created: -1 * day),
            report("11", "docA", created: -20 * day + 3600),   // the same document listed again an hour later
            report("10", "docA", created: -20 * day),
            report("20", "docB", created: -6 * day),
            report("40", nil, created: -day, status: .inProgress),
            report("41", "docF", created: -day, status: .fatal),
            report("50", "", created: -day),
            report("60", "docOld", created: -30 * day),
        ]
        let chosen = SettlementFetchPlan.reportsToDownload(reports, alreadyDownloaded: ["docOld"])
        #expect(chosen.map(\.reportId) == ["10", "20", "30"])
        #expect(chosen.map(\.reportDocumentId) == ["docA", "docB", "docC"])
        #expect(SettlementFetchPlan.reportsToDownload([]).isEmpty)
    }

    @Test("createdSince is written as ISO 8601 in UTC without fractions")
    func dateText() {
        #expect(ReportsAPI.dateText(Date(timeIntervalSince1970: 1_767_225_600.75)) == "2026-01-01T00:00:00Z")
        #expect(ReportsAPI.date("2026-01-01T00:00:00Z") == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(ReportsAPI.date("yesterday") == nil)
    }
}
