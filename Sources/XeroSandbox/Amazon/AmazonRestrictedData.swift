import Foundation

/// Restricted reports: Amazon's VAT Transactions Report (GET_VAT_TRANSACTION_DATA) needs the Tax Remittance role, and
/// its document a restricted data token from the Tokens API (2021-03-01) instead of the LWA access token.
///
/// - `POST /tokens/2021-03-01/restrictedDataToken` `{"restrictedResources":[{"method":"GET","path":"/reports/2021-06-30/documents/…"}]}`
///   → `{"restrictedDataToken":"Atz.sprdt|…","expiresIn":3600}`; 403 Unauthorized when a resource is a VAT report's
///   document and the seller's app lacks the role (`POST /_sandbox/amazon/config {"tax_remittance_role": false}`).
/// - createReport of GET_VAT_TRANSACTION_DATA: 403 Unauthorized without the role; else queued 30 s, processed 30 s, then
///   FATAL when asked before the 3rd of the month after its period (Amazon's rule since January 2025), DONE with the
///   VAT data posted for its months (`POST /_sandbox/amazon/vat-data?month=YYYY-MM`, a report file as the body), or
///   CANCELLED when there is none.
extension SandboxEngine {
    nonisolated static let vatReportType = "GET_VAT_TRANSACTION_DATA"
    /// The report types whose documents need a restricted data token (and, for these, the Tax Remittance role).
    nonisolated static let restrictedReportTypes: Set<String> = [vatReportType]

    // MARK: Tokens API

    func createRestrictedDataToken(_ r: SandboxRequest, seller: String) -> SandboxResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any],
              let resources = body["restrictedResources"] as? [[String: Any]], (1...50).contains(resources.count) else {
            return Self.invalidInput("restrictedResources must list 1 to 50 restricted resources.")
        }
        var granted: Set<String> = []
        for resource in resources {
            guard let method = resource["method"] as? String, ["GET", "PUT", "POST", "DELETE"].contains(method),
                  let path = resource["path"] as? String, path.hasPrefix("/") else {
                return Self.invalidInput("Each restricted resource needs a method (GET, PUT, POST or DELETE) and a path.")
            }
            if needsTaxRemittanceRole(path), !amazon.options.taxRemittanceRole {
                return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.", details: "")
            }
            granted.insert("\(method) \(path)")
        }
        let value = "Atz.sprdt|" + Self.randomAlphanumeric(40)
        amazon.restrictedTokens[value] = AmazonRestrictedToken(value: value, refreshToken: seller, resources: granted,
                                                               expiresAt: now.addingTimeInterval(3600))
        amazon.issuedAccessTokens.append(value)
        return .json(200, ["restrictedDataToken": value, "expiresIn": 3600])
    }

    /// A document path whose report is a VAT Transactions Report.
    func needsTaxRemittanceRole(_ path: String) -> Bool {
        let prefix = "/reports/2021-06-30/documents/"
        guard path.hasPrefix(prefix) else { return false }
        let id = String(path.dropFirst(prefix.count))
        let decoded = id.removingPercentEncoding ?? id
        return amazon.reports.contains { $0.reportDocumentID == decoded && Self.restrictedReportTypes.contains($0.reportType) }
    }

    // MARK: GET_VAT_TRANSACTION_DATA

    /// A requested VAT report: FATAL before its data may be asked for, else DONE with the posted months' rows, else
    /// (no data) left to end CANCELLED like any report the sandbox has nothing for.
    func prepareVATReport(_ report: inout AmazonReport) {
        report.finishesAt = report.createdTime.addingTimeInterval(60)
        if now < Self.vatAvailableFrom(periodEnd: report.dataEndTime) {
            report.fatal = true
            return
        }
        guard let text = vatData(from: report.dataStartTime, through: report.dataEndTime) else {
            report.finishesAt = nil
            return
        }
        let document = makeDocument(text, gzipped: true, created: report.createdTime)
        amazon.documents[document.reportDocumentID] = document
        report.reportDocumentID = document.reportDocumentID
    }

    /// The 3rd of the month after the one `periodEnd` falls in (UTC).
    static func vatAvailableFrom(periodEnd: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let month = calendar.dateComponents([.year, .month], from: periodEnd)
        var next = DateComponents(year: month.year, month: (month.month ?? 1) + 1, day: 3)
        next.timeZone = calendar.timeZone
        return calendar.date(from: next) ?? periodEnd
    }

    /// The posted files of every month from `start` through `end`, as one report: the first file's header, then each
    /// file's rows. Nil when no month has data.
    func vatData(from start: Date, through end: Date) -> Data? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var months: [String] = []
        var cursor = calendar.dateComponents([.year, .month], from: start)
        let last = calendar.dateComponents([.year, .month], from: end)
        while let y = cursor.year, let m = cursor.month, let ly = last.year, let lm = last.month, (y, m) <= (ly, lm), months.count < 120 {
            months.append(String(format: "%04d-%02d", y, m))
            cursor = m == 12 ? DateComponents(year: y + 1, month: 1) : DateComponents(year: y, month: m + 1)
        }
        let files = months.compactMap { amazon.vatData[$0] }
        guard !files.isEmpty else { return nil }
        var out = Data()
        for (i, file) in files.enumerated() {
            // Each file's lines after its header; the header once, from the first file.
            guard let newline = file.firstIndex(of: 10) else {
                if i == 0 { out.append(file) }
                continue
            }
            if i == 0 { out.append(file[..<file.index(after: newline)]) }
            out.append(file[file.index(after: newline)...])
        }
        return out
    }

    /// A document for a report made now: stored (gzipped when asked) for the emulated S3 to serve, as UTF-8.
    func makeDocument(_ bytes: Data, gzipped: Bool, created: Date) -> AmazonDocument {
        let stored = gzipped ? ((try? Gzip.compress(bytes)) ?? bytes) : bytes
        return AmazonDocument(
            reportDocumentID: "amzn1.spdoc.1.4.eu.\(UUID().uuidString.lowercased()).T\(Self.randomAlphanumeric(14)).\(Int.random(in: 1000...9999))",
            s3Key: "NinetyDays/amzn1.tortuga.4.eu.\(UUID().uuidString.lowercased()).T\(Self.randomAlphanumeric(14))",
            stored: stored, charset: .utf8, gzipped: gzipped && stored != bytes, lastModified: created, etag: Self.randomHex(16))
    }

    /// `POST /_sandbox/amazon/vat-data?month=2024-10` with a VAT Transactions Report file (UTF-8) as the body: what a
    /// GET_VAT_TRANSACTION_DATA report requested for that month will hold.
    func addVATData(_ r: SandboxRequest) -> SandboxResponse {
        guard let month = r.query["month"], month.count == 7, month.dropFirst(4).first == "-",
              let m = Int(month.suffix(2)), (1...12).contains(m), Int(month.prefix(4)) != nil else {
            return .json(400, ["error": "month must be YYYY-MM"])
        }
        guard !r.body.isEmpty, String(data: r.body, encoding: .utf8) != nil else {
            return .json(400, ["error": "the body must be a VAT Transactions Report in UTF-8"])
        }
        amazon.vatData[month] = r.body
        return .json(200, ["month": month, "bytes": r.body.count])
    }
}
