import Foundation

/// The settlement report types Amazon generates on its own schedule and refuses to create on request.
let amazonSettlementReportTypes: Set<String> = [
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE", "GET_V2_SETTLEMENT_REPORT_DATA_XML",
]

extension AmazonReport {
    /// Settlements are DONE from the start. A report requested with createReport waits 30 s, processes 30 s and is then
    /// CANCELLED, which is what Amazon does when there is no data to return (the sandbox holds none for other types).
    func processingStatus(at now: Date) -> String {
        if let finishesAt {
            // A requested report with data (or one Amazon cannot make yet): queued 30 s, then processed until it ends.
            if cancelledAt != nil { return "CANCELLED" }
            if now >= finishesAt { return fatal ? "FATAL" : "DONE" }
            return now.timeIntervalSince(createdTime) < 30 ? "IN_QUEUE" : "IN_PROGRESS"
        }
        if reportDocumentID != nil { return "DONE" }
        if cancelledAt != nil { return "CANCELLED" }
        let age = now.timeIntervalSince(createdTime)
        return age < 30 ? "IN_QUEUE" : age < 60 ? "IN_PROGRESS" : "CANCELLED"
    }

    func json(at now: Date) -> [String: Any] {
        let status = processingStatus(at: now)
        var out: [String: Any] = [
            "reportId": reportID, "reportType": reportType, "processingStatus": status,
            "createdTime": SandboxEngine.amazonTime(createdTime),
            "dataStartTime": SandboxEngine.amazonTime(dataStartTime), "dataEndTime": SandboxEngine.amazonTime(dataEndTime),
        ]
        if !marketplaceIDs.isEmpty { out["marketplaceIds"] = marketplaceIDs }
        if let reportDocumentID, status == "DONE" {
            out["reportDocumentId"] = reportDocumentID
            out["processingStartTime"] = SandboxEngine.amazonTime(finishesAt == nil ? createdTime : createdTime.addingTimeInterval(30))
            out["processingEndTime"] = SandboxEngine.amazonTime(finishesAt ?? createdTime)
        } else if cancelledAt == nil, status != "IN_QUEUE" {
            out["processingStartTime"] = SandboxEngine.amazonTime(createdTime.addingTimeInterval(30))
            if status == "CANCELLED" || status == "FATAL" {
                out["processingEndTime"] = SandboxEngine.amazonTime(finishesAt ?? createdTime.addingTimeInterval(60))
            }
        }
        return out
    }

    /// Newest first, as Amazon lists them: by creation time, then the later report id first.
    func isListed(before other: AmazonReport) -> Bool {
        if createdTime != other.createdTime { return createdTime > other.createdTime }
        return (Int(reportID) ?? 0) > (Int(other.reportID) ?? 0)
    }
}

extension SandboxEngine {
    // MARK: getReports

    func getReports(_ r: SandboxRequest) -> SandboxResponse {
        let query = Self.queryItems(r.rawQuery)
        let filter: AmazonReportFilter
        var cursor: AmazonReport?   // the last report of the previous page
        if let token = query["nextToken"] {
            // Amazon's model: "Specifying nextToken with any other parameters will cause the request to fail."
            let others = query.keys.filter { $0 != "nextToken" }.sorted()
            guard others.isEmpty else {
                return Self.invalidInput("nextToken must be the only parameter when it is provided.",
                                         details: "Also given: \(others.joined(separator: ", "))")
            }
            guard let stored = amazon.pageCursors[token] else { return Self.invalidInput("Invalid nextToken.") }
            filter = stored.filter
            cursor = stored.after
        } else {
            switch reportFilter(query) {
            case .failure(let refusal): return refusal.response
            case .success(let parsed): filter = parsed
            }
        }
        let matching = amazon.reports
            .filter { report in visibleToSeller(report) && matches(report, filter) && (cursor.map { $0.isListed(before: report) } ?? true) }
            .sorted { $0.isListed(before: $1) }
        let page = Array(matching.prefix(filter.pageSize))
        var body: [String: Any] = ["reports": page.map { $0.json(at: now) }]
        if matching.count > page.count, let last = page.last {
            let token = Self.nextToken()
            amazon.pageCursors[token] = AmazonPageCursor(filter: filter, after: last)
            body["nextToken"] = token
        }
        return .json(200, body)
    }

    /// Opaque, in standard base64 as Amazon's are, and always with `+`, `/` and `=` in it: a client that puts it in
    /// the query without percent-encoding sends a space for the `+` and gets 400, as it would from Amazon.
    static func nextToken() -> String {
        var generator = SystemRandomNumberGenerator()
        while true {
            let token = Data((0..<49).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString()
            if token.contains("+"), token.contains("/") { return token }
        }
    }

    func matches(_ report: AmazonReport, _ filter: AmazonReportFilter) -> Bool {
        guard filter.reportTypes.contains(report.reportType),
              report.createdTime >= filter.createdSince, report.createdTime <= filter.createdUntil else { return false }
        if let statuses = filter.processingStatuses, !statuses.contains(report.processingStatus(at: now)) { return false }
        // "The reports returned will match at least one of the marketplaces that you specify."
        if let ids = filter.marketplaceIDs, ids.isDisjoint(with: report.marketplaceIDs) { return false }
        return true
    }

    struct Refusal: Error { var response: SandboxResponse }

    /// The filters of a first getReports call, checked against the limits of Amazon's model and the 90-day window.
    func reportFilter(_ query: [String: String]) -> Result<AmazonReportFilter, Refusal> {
        func refuse(_ message: String) -> Result<AmazonReportFilter, Refusal> { .failure(Refusal(response: Self.invalidInput(message))) }
        guard let typesText = query["reportTypes"] else { return refuse("Either reportTypes or nextToken is required.") }
        guard let types = Self.list(typesText, max: 10) else { return refuse("reportTypes must list 1 to 10 report types.") }
        var statuses: Set<String>?
        if let text = query["processingStatuses"] {
            let allowed: Set<String> = ["CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"]
            guard let list = Self.list(text, max: allowed.count), list.isSubset(of: allowed) else {
                return refuse("processingStatuses must list values among CANCELLED, DONE, FATAL, IN_PROGRESS, IN_QUEUE.")
            }
            statuses = list
        }
        var marketplaces: Set<String>?
        if let text = query["marketplaceIds"] {
            guard let list = Self.list(text, max: 10) else { return refuse("marketplaceIds must list 1 to 10 marketplace ids.") }
            marketplaces = list
        }
        var pageSize = 10
        if let text = query["pageSize"] {
            guard let n = Int(text), (1...100).contains(n) else { return refuse("pageSize must be an integer from 1 to 100.") }
            pageSize = n
        }
        let oldest = now.addingTimeInterval(-Self.amazonRetention)
        var since = oldest
        if let text = query["createdSince"] {
            guard let date = Self.parseISO8601(text) else { return refuse("createdSince must be an ISO 8601 date-time.") }
            // Exactly 90 days ago is already too old by the time Amazon reads it.
            guard date > oldest else { return refuse("createdSince must be later than 90 days ago.") }
            since = date
        }
        var until = now
        if let text = query["createdUntil"] {
            guard let date = Self.parseISO8601(text) else { return refuse("createdUntil must be an ISO 8601 date-time.") }
            guard date >= since else { return refuse("createdUntil must not be earlier than createdSince.") }
            until = date
        }
        return .success(AmazonReportFilter(reportTypes: types, processingStatuses: statuses, marketplaceIDs: marketplaces,
                                           createdSince: since, createdUntil: until, pageSize: pageSize))
    }

    /// A comma-separated list of 1…max non-empty values, or nil.
    static func list(_ text: String, max: Int) -> Set<String>? {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...max).contains(items.count), !items.contains(where: \.isEmpty) else { return nil }
        return Set(items)
    }

    /// The query's parameters, decoded as forms are (`+` is a space: an unencoded `+01:00` offset does not survive).
    static func queryItems(_ raw: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in raw.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    // MARK: getReport, createReport, cancelReport

    func getReport(id: String) -> SandboxResponse {
        guard let report = amazon.reports.first(where: { $0.reportID == id && visibleToSeller($0) }) else {
            return Self.notFound("Report \(id) was not found.")
        }
        return .json(200, report.json(at: now))
    }

    /// Settlement types are refused as Amazon refuses them; GET_VAT_TRANSACTION_DATA is restricted (the Tax Remittance
    /// role) and made from the VAT data posted for its months; any other type is accepted and, the sandbox having no
    /// data for it, ends CANCELLED a minute later.
    func createReport(_ r: SandboxRequest) -> SandboxResponse {
        guard let spec = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
            return Self.invalidInput("The request body must be a CreateReportSpecification JSON object.")
        }
        guard let reportType = spec["reportType"] as? String, !reportType.isEmpty else {
            return Self.invalidInput("reportType is required.")
        }
        guard let marketplaces = spec["marketplaceIds"] as? [String], (1...25).contains(marketplaces.count) else {
            return Self.invalidInput("marketplaceIds must list 1 to 25 marketplace ids.")
        }
        if amazonSettlementReportTypes.contains(reportType) {
            // Amazon names the V2 flat file by its internal number; the numbers of the other settlement types are not known.
            let name = reportType == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2" ? "1118" : reportType
            return Self.invalidInput("Request for report type \(name) is not allowed at this time")
        }
        if Self.restrictedReportTypes.contains(reportType), !amazon.options.taxRemittanceRole {
            return Self.spapiError(403, "Unauthorized", "Access to requested resource is denied.", details: "")
        }
        // "The default is now. The value must be prior to or equal to the current date and time."
        func time(_ key: String) -> Date? {
            guard let value = spec[key] else { return now }
            guard let text = value as? String, let date = Self.parseISO8601(text), date <= now else { return nil }
            return date
        }
        guard let start = time("dataStartTime"), let end = time("dataEndTime") else {
            return Self.invalidInput("dataStartTime and dataEndTime must be ISO 8601 date-times no later than now.")
        }
        guard start <= end else { return Self.invalidInput("dataStartTime must not be later than dataEndTime.") }
        var report = AmazonReport(reportID: amazon.nextReportID(), reportType: reportType, createdTime: Self.wholeSecond(now),
                                  dataStartTime: start, dataEndTime: end, marketplaceIDs: marketplaces)
        report.seller = amazonSeller
        if reportType == Self.vatReportType { prepareVATReport(&report) }
        amazon.reports.append(report)
        return .json(202, ["reportId": report.reportID])
    }

    /// Only a report still IN_QUEUE can be cancelled.
    func cancelReport(id: String) -> SandboxResponse {
        guard let i = amazon.reports.firstIndex(where: { $0.reportID == id && visibleToSeller($0) }) else { return Self.notFound("Report \(id) was not found.") }
        guard amazon.reports[i].processingStatus(at: now) == "IN_QUEUE" else {
            return Self.invalidInput("Only reports with processingStatus IN_QUEUE can be cancelled.")
        }
        amazon.reports[i].cancelledAt = now
        return SandboxResponse(status: 200)
    }

    static func wholeSecond(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
