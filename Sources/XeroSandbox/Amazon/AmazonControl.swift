import Foundation

/// The Amazon part of the control API under /_sandbox/amazon/: for tests and the demo; lmb itself never calls it.
extension SandboxEngine {
    func amazonControl(_ r: SandboxRequest) -> SandboxResponse {
        switch (r.method, r.path) {
        case ("POST", "/_sandbox/amazon/reports"):
            return addSettlementReport(r)
        case ("POST", "/_sandbox/amazon/vat-data"):
            return addVATData(r)
        case ("GET", "/_sandbox/amazon/config"):
            return .json(200, amazonConfigJSON())
        case ("POST", "/_sandbox/amazon/config"):
            return configureAmazon(r)
        default:
            return .json(404, ["error": "no such control endpoint",
                               "endpoints": ["POST /_sandbox/amazon/reports", "POST /_sandbox/amazon/vat-data", "GET /_sandbox/amazon/config",
                                             "POST /_sandbox/amazon/config"]])
        }
    }

    /// `POST /_sandbox/amazon/reports?compression=GZIP&charset=Cp1252` with a settlement file (UTF-8) as the body:
    /// a DONE settlement report created now, as Amazon generates one at the end of a settlement period.
    /// `refresh_token=Atzr|…`: visible only to access tokens issued from that refresh token (one seller's).
    /// Optional: `createdTime`, `dataStartTime`, `dataEndTime` (ISO 8601), `marketplaceIds` (comma-separated), `reportType`.
    func addSettlementReport(_ r: SandboxRequest) -> SandboxResponse {
        func refuse(_ message: String) -> SandboxResponse { .json(400, ["error": message]) }
        let q = r.query
        let gzipped: Bool
        switch q["compression"]?.uppercased() {
        case nil, "", "NONE": gzipped = false
        case "GZIP": gzipped = true
        default: return refuse("compression must be GZIP or none")
        }
        guard let charset = q["charset"].map({ AmazonCharset(name: $0) }) ?? .utf8 else {
            return refuse("charset must be one of \(AmazonCharset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !r.body.isEmpty, let text = String(data: r.body, encoding: .utf8) else {
            return refuse("the body must be a settlement file in UTF-8")
        }
        let file = AmazonSettlementFile(text: text)
        guard let encoded = file.encoded(as: charset, posted: r.body) else {
            return refuse("the file has characters that \(charset.rawValue) cannot represent")
        }
        var created = Self.wholeSecond(now)
        if let text = q["createdTime"] {
            guard let date = Self.parseISO8601(text) else { return refuse("createdTime must be an ISO 8601 date-time") }
            guard date > now.addingTimeInterval(-Self.amazonRetention), date <= now else {
                return refuse("createdTime must lie within the last 90 days of sandbox clock")
            }
            created = date
        }
        let period = file.settlementPeriod ?? (created.addingTimeInterval(-14 * 86400), created)
        guard let start = q["dataStartTime"].map(Self.parseISO8601) ?? period.start,
              let end = q["dataEndTime"].map(Self.parseISO8601) ?? period.end else {
            return refuse("dataStartTime and dataEndTime must be ISO 8601 date-times")
        }
        let marketplaces = q["marketplaceIds"].map { $0.split(separator: ",").map(String.init) } ?? file.marketplaceIDs
        let stored: Data
        do { stored = gzipped ? try Gzip.compress(encoded) : encoded } catch { return .json(500, ["error": "gzip failed: \(error)"]) }

        let document = AmazonDocument(
            reportDocumentID: "amzn1.spdoc.1.4.na.\(UUID().uuidString.lowercased()).T\(Self.randomAlphanumeric(14)).\(Int.random(in: 1000...9999))",
            s3Key: "NinetyDays/amzn1.tortuga.4.na.\(UUID().uuidString.lowercased()).T\(Self.randomAlphanumeric(14))",
            stored: stored, charset: charset, gzipped: gzipped, lastModified: created, etag: Self.randomHex(16))
        let report = AmazonReport(reportID: amazon.nextReportID(), reportType: q["reportType"] ?? "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
                                  createdTime: created, dataStartTime: start, dataEndTime: end, marketplaceIDs: marketplaces,
                                  reportDocumentID: document.reportDocumentID)
        var posted = report
        // `?refresh_token=Atzr|…`: that seller's report only (its access tokens alone list and read it).
        if let seller = q["refresh_token"], !seller.isEmpty { posted.seller = seller }
        amazon.documents[document.reportDocumentID] = document
        amazon.reports.append(posted)
        return .json(200, ["reportId": report.reportID, "reportDocumentId": document.reportDocumentID])
    }

    /// `{"buckets": {"getReports": {"rate": 1, "burst": 300}}, "access_token_seconds": 3600, "presigned_url_seconds": 300,
    /// "tax_remittance_role": false}`
    func configureAmazon(_ r: SandboxRequest) -> SandboxResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: r.body.isEmpty ? Data("{}".utf8) : r.body)) as? [String: Any] else {
            return .json(400, ["error": "the body must be a JSON object"])
        }
        if let buckets = body["buckets"] {
            guard let buckets = buckets as? [String: Any] else { return .json(400, ["error": "buckets must be an object"]) }
            if let problem = configureAmazonLimits(buckets) { return .json(400, ["error": problem]) }
        }
        if let seconds = body["access_token_seconds"] as? NSNumber, seconds.doubleValue > 0 {
            amazon.options.accessTokenSeconds = seconds.doubleValue
        }
        if let seconds = body["presigned_url_seconds"] as? NSNumber, seconds.intValue > 0 {
            amazon.options.presignedURLSeconds = TimeInterval(seconds.intValue)
        }
        if let role = body["tax_remittance_role"] {
            guard let granted = role as? Bool else { return .json(400, ["error": "tax_remittance_role must be true or false"]) }
            amazon.options.taxRemittanceRole = granted
        }
        return .json(200, amazonConfigJSON())
    }

    func amazonConfigJSON() -> [String: Any] {
        ["buckets": amazonLimitsJSON(), "access_token_seconds": amazon.options.accessTokenSeconds,
         "presigned_url_seconds": amazon.options.presignedURLSeconds, "tax_remittance_role": amazon.options.taxRemittanceRole]
    }

    /// The `amazon` part of `GET /_sandbox/state`. `query` is the raw query string, exactly as sent.
    func amazonStateJSON() -> [String: Any] {
        let oldest = now.addingTimeInterval(-Self.amazonRetention)
        return [
            "requests": amazon.requests.map { ["method": $0.method, "path": $0.path, "query": $0.query, "status": $0.status,
                                              "time": Self.isoUTC($0.time)] },
            "access_tokens": amazon.issuedAccessTokens,
            "reports": amazon.reports.filter { $0.createdTime > oldest }.count,
        ]
    }
}
