import Foundation

extension ReportsAPI {
    /// Amazon's VAT Transactions Report: restricted (the Tax Remittance role), its document read with a restricted
    /// data token; requested a month at a time, from the 3rd of the month after.
    public static let vatReportType = "GET_VAT_TRANSACTION_DATA"
}

/// The Tokens API (2021-03-01) and createReport, which only the VAT Transactions Report needs.
extension AmazonReportsClient {
    struct RestrictedDataTokenAnswer: Decodable {
        var restrictedDataToken: String
        var expiresIn: Int?
    }

    struct CreateReportAnswer: Decodable {
        var reportId: String
    }

    /// A restricted data token for one operation (`GET /reports/2021-06-30/documents/…`). Throws `RemoteFailure`;
    /// 403 Unauthorized (permission_denied) when the app lacks the restricted role.
    public func createRestrictedDataToken(method: String = "GET", path: String) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["restrictedResources": [["method": method, "path": path]]])
        return try await call(.createRestrictedDataToken, path: "/tokens/2021-03-01/restrictedDataToken", query: [], method: "POST",
                              body: body, as: RestrictedDataTokenAnswer.self).restrictedDataToken
    }

    /// createReport: the new report's id. Throws `RemoteFailure`.
    public func createReport(type: String, marketplaceIds: [String], dataStart: Date, dataEnd: Date) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: [
            "reportType": type, "marketplaceIds": marketplaceIds,
            "dataStartTime": ReportsAPI.dateText(dataStart), "dataEndTime": ReportsAPI.dateText(dataEnd),
        ] as [String: Any])
        return try await call(.createReport, path: "/reports/\(ReportsAPI.version)/reports", query: [], method: "POST", body: body,
                              as: CreateReportAnswer.self).reportId
    }

    /// A restricted report's document, read with a fresh restricted data token for it.
    public func downloadRestrictedDocument(reportDocumentId: String, reportId: String?) async throws -> AmazonDownloadedDocument {
        try await downloadDocument(reportDocumentId: reportDocumentId, reportId: reportId,
                                   tokens: RestrictedDataTokens(client: self, path: Self.documentPath(reportDocumentId)))
    }
}

/// Restricted data tokens as the exchange loop's token source: each getReportDocument asks for one (they live an
/// hour, but a download needs one or two), and a refused one is replaced once like an access token.
struct RestrictedDataTokens: AccessTokenSource {
    let client: AmazonReportsClient
    let path: String

    func accessToken() async throws -> String { try await client.createRestrictedDataToken(path: path) }
    func renew(rejected: String) async throws -> String { try await client.createRestrictedDataToken(path: path) }
}

/// `lmb fetch`'s VAT step for an EU/UK selling account: one month at a time, the month Amazon last made the VAT
/// Transactions Report for (the previous month from the 3rd on). A fetch asks for it (createReport); a later fetch
/// finds it DONE and stores it (a restricted data token reads its document), or learns Amazon has no VAT
/// transactions for it (CANCELLED). Best effort: settlements never wait for it, and it never changes the exit status.
struct AmazonVATFetch {
    let account: StoredAmazonAccount
    let client: AmazonReportsClient
    let env: ChannelEnvironment

    /// The marketplaces whose sellers Amazon makes the report for (UK and the EU marketplaces), by the name a
    /// settlement gives them.
    static let marketplaces: [String: String] = [
        "amazon.co.uk": "A1F83G8C2ARO7P", "amazon.de": "A1PA6795UKMFR9", "amazon.fr": "A13V1IB3VIYZZH", "amazon.it": "APJ6JRA9NG5V4",
        "amazon.es": "A1RKKUPIHCS9HS", "amazon.nl": "A1805IZSGTT6HS", "amazon.se": "A2NODRKZP88ZB9", "amazon.pl": "A1C3SOZRARQ6R3",
        "amazon.com.be": "AMEN7PMS3EDWL", "amazon.ie": "A28R8C7NBKEWEA",
    ]

    static let roleSteps = "Amazon refused the VAT Transactions Report: the app lacks the Tax Remittance role. To let lmb fetch it, in Seller Central open Apps and Services → Develop Apps, edit the app, add the Tax Remittance role, authorise the app again and give lmb the new refresh token (lmb amazon connect --name …); or download the report from Seller Central and run lmb import FILE. Settlements are fetched as before."

    /// The month (first and last day) whose report lmb wants on `today`: Amazon makes a month's from the 3rd of the next.
    static func wantedMonth(today: CalendarDate) -> (first: CalendarDate, last: CalendarDate)? {
        var (y, m) = (today.year, today.month - (today.day >= 3 ? 1 : 2))
        while m < 1 { m += 12; y -= 1 }
        guard let first = CalendarDate(year: y, month: m, day: 1),
              let last = CalendarDate(year: y, month: m, day: CalendarDate.daysIn(month: m, year: y)) else { return nil }
        return (first, last)
    }

    /// What the step did, a line each, for the fetch to say.
    func run() async -> [String] {
        guard account.region == .eu else { return [] }
        do {
            let names = try env.store.settlementMarketplaces(amazonAccountID: account.id)
            let ids = Array(Set(names.compactMap { Self.marketplaces[$0.lowercased()] })).sorted()
            // Only a seller with settlements on those marketplaces has VAT to declare from them.
            guard !ids.isEmpty else { return [] }
            let today = CalendarDate(daysSince1970: Int((env.clock.now.timeIntervalSince1970 / 86_400).rounded(.down)))
            guard let today, let month = Self.wantedMonth(today: today) else { return [] }
            if try env.store.vatReportCovers(from: month.first, through: month.last) { return [] }
            let key = month.first.monthKey
            if let requested = try env.store.vatReportRequest(accountID: account.id, month: key) {
                return [try await collect(reportID: requested, month: key)]
            }
            let reportID = try await client.createReport(type: ReportsAPI.vatReportType, marketplaceIds: ids,
                                                         dataStart: Self.startOfDay(month.first), dataEnd: Self.startOfDay(month.last).addingTimeInterval(86_399))
            try env.store.recordVATReportRequest(accountID: account.id, month: key, reportID: reportID)
            return ["asked Amazon for the VAT Transactions Report of \(key) (report \(reportID)); the next fetch downloads it"]
        } catch let f as RemoteFailure where f.classification == .permissionDenied {
            return [Self.roleSteps]
        } catch let f as RemoteFailure {
            return ["the VAT Transactions Report was not fetched: \(f.description); the next fetch tries again"]
        } catch {
            return ["the VAT Transactions Report was not fetched: \(error); the next fetch tries again"]
        }
    }

    /// A report asked for earlier: stored when DONE, an empty month when CANCELLED (Amazon had no VAT data), asked for
    /// again after FATAL.
    func collect(reportID: String, month: String) async throws -> String {
        let report = try await client.getReport(id: reportID)
        switch report.processingStatus.rawValue {
        case "DONE":
            guard let documentID = report.reportDocumentId else {
                throw RemoteFailure.amazon(.unexpectedAnswer, "VAT report \(reportID) is DONE without a reportDocumentId", service: .sellingPartnerAPI)
            }
            let document = try await client.downloadRestrictedDocument(reportDocumentId: documentID, reportId: reportID)
            let stored = try Importer(store: env.store).importVATReport(data: document.utf8, source: "Amazon report \(reportID)", months: [month])
            try env.store.removeVATReportRequest(accountID: account.id, month: month)
            return stored.duplicate ? "the VAT Transactions Report of \(month) (report \(reportID)) was stored before"
                : "stored the VAT Transactions Report of \(month) (report \(reportID)): \(stored.rowsAdded) rows"
        case "CANCELLED":
            let hash = SHA256()
            hash.update("\(ReportsAPI.vatReportType) \(reportID) CANCELLED \(month)")
            _ = try env.store.storeVATReport(VATTransactionsReport(rows: [], months: [month]), source: "Amazon report \(reportID) (no VAT data)",
                                             sha256: hash.hexDigest())
            try env.store.removeVATReportRequest(accountID: account.id, month: month)
            return "Amazon has no VAT transactions for \(month) (report \(reportID) CANCELLED): the month is recorded as empty"
        case "FATAL":
            try env.store.removeVATReportRequest(accountID: account.id, month: month)
            return "Amazon could not make the VAT Transactions Report of \(month) (report \(reportID) FATAL); the next fetch asks again"
        default:
            return "Amazon is still making the VAT Transactions Report of \(month) (report \(reportID), \(report.processingStatus.rawValue)); the next fetch downloads it"
        }
    }

    static func startOfDay(_ d: CalendarDate) -> Date {
        Date(timeIntervalSince1970: Double(d.daysSince1970) * 86_400)
    }
}

extension CalendarDate {
    /// Days since 1970-01-01 (days-from-civil), the inverse of `init(daysSince1970:)`.
    var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
