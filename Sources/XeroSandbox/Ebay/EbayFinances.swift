import Foundation

/// The Sell Finances API: getPayouts, getPayout, getPayoutSummary and getTransactions, behind the token, scope,
/// signature and quota checks every Finances call passes.
extension SandboxEngine {
    func ebayFinances(_ r: SandboxRequest) -> EbayOutcome {
        let rest = r.path.hasPrefix(Self.ebayFinancesPrefix) ? String(r.path.dropFirst(Self.ebayFinancesPrefix.count)) : ""
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let known: Bool
        switch (parts.first ?? "", parts.count) {
        case ("payout", 1), ("payout_summary", 1), ("transaction", 1), ("seller_funds_summary", 1): known = true
        case ("payout", 2), ("transfer", 2): known = !parts[1].isEmpty
        default: known = false
        }
        guard known else { return Self.ebayOutcome(Self.ebayNotFound) }
        guard r.method == "GET" else { return Self.ebayOutcome(Self.ebayMethodNotAllowed) }
        guard let token = ebayBearer(r) else { return Self.ebayOutcome(Self.ebayInvalidToken) }
        // sell.finances is a User-token scope: an application token, or a consent without it, is refused.
        guard token.kind == .user, token.scopes.contains(Self.ebayFinancesScope), scenario != .ebayScopeMissing else {
            return Self.ebayOutcome(Self.ebayAccessDenied)
        }
        var verified: Bool?
        var problem: String?
        let mustSign = ebay.sellerMustSign || scenario == .ebaySignatureMissing
        let signed = r.header("signature") != nil || r.header("signature-input") != nil || r.header("x-ebay-signature-key") != nil
        if mustSign || signed {
            let failure = scenario == .ebaySignatureMissing
                ? SignatureFailure(errorID: 215120, problem: "scenario ebay-signature-missing: no signature is accepted")
                : ebaySignatureFailure(r)
            verified = failure == nil
            problem = failure?.problem
            // Signatures on calls of sellers who need none are ignored, as eBay does; the log still says whether it verified.
            if let failure, mustSign {
                var outcome = Self.ebayOutcome(Self.ebayError(403, failure.errorID, domain: "ACCESS", message: "Signature validation failed",
                                                              longMessage: "Signature validation failed to fulfill the request."))
                outcome.signatureVerified = false
                outcome.signatureProblem = failure.problem
                return outcome
            }
        }
        guard scenario != .ebayQuota, ebayCountCall() else {
            var outcome = Self.ebayOutcome(Self.ebayQuotaReached)
            outcome.signatureVerified = verified
            return outcome
        }
        var outcome: EbayOutcome
        switch (parts[0], parts.count) {
        case ("payout", 2): outcome = Self.ebayOutcome(getEbayPayout(parts[1]))
        case ("payout_summary", _): outcome = Self.ebayOutcome(getEbayPayoutSummary(r))
        // Every imported payout has gone out: nothing is pending, and the sandbox keeps no transfer records.
        case ("seller_funds_summary", _): outcome = EbayOutcome(response: SandboxResponse(status: 204))
        case ("transfer", _): outcome = Self.ebayOutcome(Self.financesError(404, 135012, "The transfer id was not found."))
        case ("transaction", _): outcome = Self.ebayOutcome(getEbayTransactions(r))
        default: outcome = Self.ebayOutcome(getEbayPayouts(r))
        }
        outcome.signatureVerified = verified
        outcome.signatureProblem = problem
        return outcome
    }

    static func financesError(_ status: Int, _ id: Int, _ message: String) -> SandboxResponse {
        ebayError(status, id, domain: "API_FINANCES", message: message)
    }

    // MARK: Query and filters

    /// The query's name/value pairs in order, decoded, with repeated names kept (`filter=a&filter=b`).
    static func ebayQueryItems(_ raw: String) -> [(name: String, value: String, raw: String)] {
        raw.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "", String(pair))
        }
    }

    enum EbayCriterion {
        case range(String?, String?)
        case values([String])
        case malformed
    }

    /// Every criterion of every `filter` parameter: `field:[from..to]` or `field:{a|b}`, several per parameter when
    /// joined by commas, several parameters allowed.
    static func ebayFilters(_ items: [(name: String, value: String, raw: String)]) -> [(field: String, criterion: EbayCriterion)] {
        var out: [(String, EbayCriterion)] = []
        for item in items where item.name == "filter" {
            var depth = 0
            var current = ""
            var pieces: [String] = []
            for c in item.value {
                if c == "[" || c == "{" { depth += 1 }
                if c == "]" || c == "}" { depth -= 1 }
                if c == ",", depth == 0 { pieces.append(current); current = ""; continue }
                current.append(c)
            }
            pieces.append(current)
            for piece in pieces {
                let text = piece.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                guard let colon = text.firstIndex(of: ":") else { out.append((text, .malformed)); continue }
                let field = String(text[..<colon])
                let value = String(text[text.index(after: colon)...])
                if value.hasPrefix("["), value.hasSuffix("]"), value.count >= 2 {
                    let inner = String(value.dropFirst().dropLast())
                    guard let dots = inner.range(of: "..") else { out.append((field, .malformed)); continue }
                    let lower = String(inner[..<dots.lowerBound]), upper = String(inner[dots.upperBound...])
                    out.append((field, .range(lower.isEmpty ? nil : lower, upper.isEmpty ? nil : upper)))
                } else if value.hasPrefix("{"), value.hasSuffix("}"), value.count > 2 {
                    out.append((field, .values(value.dropFirst().dropLast().split(separator: "|").map(String.init))))
                } else {
                    out.append((field, .malformed))
                }
            }
        }
        return out
    }

    /// A date range filter: `[from..to]` or `[from..]` (from + 90 days, or now if sooner); at most 36 months.
    func ebayDateRange(_ criterion: EbayCriterion) -> ClosedRange<Date>? {
        guard case .range(let lowerText, let upperText) = criterion, let lowerText,
              let lower = EbayFormat.strictFilterDate(lowerText) else { return nil }
        let upper: Date
        if let upperText {
            guard let u = EbayFormat.strictFilterDate(upperText) else { return nil }
            upper = u
        } else {
            upper = min(lower.addingTimeInterval(90 * 86400), max(lower, now))
        }
        guard lower <= upper else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        if let limit = calendar.date(byAdding: .month, value: 36, to: lower), upper > limit { return nil }
        return lower...upper
    }

    /// `limit` and `offset`: integers, limit in 1...maximum, offset ≥ 0; nil when either is not.
    static func ebayPaging(_ items: [(name: String, value: String, raw: String)], maximum: Int) -> (limit: Int, offset: Int)? {
        var limit = 20, offset = 0
        if let text = items.last(where: { $0.name == "limit" })?.value {
            guard let v = Int(text), (1...maximum).contains(v) else { return nil }
            limit = v
        }
        if let text = items.last(where: { $0.name == "offset" })?.value {
            guard let v = Int(text), v >= 0 else { return nil }
            offset = v
        }
        return (limit, offset)
    }

    /// The address of this page (or another offset of it), on this server, with limit and offset spelled out.
    func ebayPageURL(_ r: SandboxRequest, _ items: [(name: String, value: String, raw: String)], limit: Int, offset: Int) -> String {
        let kept = items.filter { $0.name != "limit" && $0.name != "offset" }.map(\.raw)
        let query = (kept + ["limit=\(limit)", "offset=\(offset)"]).joined(separator: "&")
        return "http://\(r.header("host") ?? "apiz.ebay.com")\(r.path)?\(query)"
    }

    /// A paged envelope with `total` after the list, as eBay's JSON has it.
    func ebayPage(_ r: SandboxRequest, _ items: [(name: String, value: String, raw: String)], listName: String,
                  list: [[String: Any]], limit: Int, offset: Int, total: Int) -> SandboxResponse {
        var envelope: [String: Any] = ["href": ebayPageURL(r, items, limit: limit, offset: offset), "limit": limit, "offset": offset]
        if offset + limit < total { envelope["next"] = ebayPageURL(r, items, limit: limit, offset: offset + limit) }
        if offset > 0 { envelope["prev"] = ebayPageURL(r, items, limit: limit, offset: max(0, offset - limit)) }
        envelope[listName] = list
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? JSONSerialization.data(withJSONObject: envelope, options: options), data.last == UInt8(ascii: "}") else {
            return .json(200, envelope.merging(["total": total]) { $1 })
        }
        data.removeLast()
        data.append(Data(",\"total\":\(total)}".utf8))
        return SandboxResponse(status: 200, headers: [("Content-Type", "application/json")], body: data)
    }

    // MARK: Payouts

    static let ebayPayoutStatuses: Set<String> = ["INITIATED", "SUCCEEDED", "RETRYABLE_FAILED", "TERMINAL_FAILED", "REVERSED"]

    /// The payouts a getPayouts or getPayoutSummary filter selects, or the error it earns.
    func ebaySelectPayouts(_ items: [(name: String, value: String, raw: String)]) -> Result<[EbayPayout], EbayRefusal> {
        var range = now.addingTimeInterval(-90 * 86400)...now
        var status: String?
        var failedOnly = false
        for (field, criterion) in Self.ebayFilters(items) {
            switch field {
            case "payoutDate":
                guard let r = ebayDateRange(criterion) else { return .failure(EbayRefusal(135004, "The value of payout date filter is invalid.")) }
                range = r
            case "payoutStatus":
                guard case .values(let values) = criterion, values.count == 1, Self.ebayPayoutStatuses.contains(values[0]) else {
                    return .failure(EbayRefusal(135002, "The value of payout status filter is invalid."))
                }
                status = values[0]
            case "lastAttemptedPayoutDate":
                guard ebayDateRange(criterion) != nil else { return .failure(EbayRefusal(135004, "The value of payout date filter is invalid.")) }
                failedOnly = true
            default:
                continue   // eBay names no error for an unknown filter field
            }
        }
        if failedOnly, status != "RETRYABLE_FAILED" {
            return .failure(EbayRefusal(135002, "The value of payout status filter is invalid."))
        }
        // Every payout the sandbox holds has SUCCEEDED, so none has a last attempted date.
        if failedOnly || (status != nil && status != "SUCCEEDED") { return .success([]) }
        return .success(ebay.payouts.filter { range.contains($0.payoutDate) })
    }

    struct EbayRefusal: Error {
        var id: Int
        var message: String
        init(_ id: Int, _ message: String) { self.id = id; self.message = message }
    }

    func getEbayPayouts(_ r: SandboxRequest) -> SandboxResponse {
        let items = Self.ebayQueryItems(r.rawQuery)
        guard let (limit, offset) = Self.ebayPaging(items, maximum: 200) else {
            return Self.financesError(400, 135003, "The value of pagination is invalid.")
        }
        var ascending = false   // newest first unless sort=payoutDate
        if let sort = items.last(where: { $0.name == "sort" })?.value {
            switch sort {
            case "payoutDate", "lastAttemptedPayoutDate": ascending = true
            case "-payoutDate", "-lastAttemptedPayoutDate": ascending = false
            default: return Self.financesError(400, 135005, "The value of sorting is invalid.")
            }
        }
        let selected: [EbayPayout]
        switch ebaySelectPayouts(items) {
        case .failure(let refusal): return Self.financesError(400, refusal.id, refusal.message)
        case .success(let payouts): selected = payouts
        }
        let ordered = selected.enumerated().sorted { a, b in
            if a.element.payoutDate != b.element.payoutDate {
                return ascending ? a.element.payoutDate < b.element.payoutDate : a.element.payoutDate > b.element.payoutDate
            }
            return a.offset < b.offset
        }.map(\.element)
        let page = offset < ordered.count ? Array(ordered[offset..<min(ordered.count, offset + limit)]) : []
        if page.isEmpty, ebay.options.emptyPayoutsAnswer != "list" { return SandboxResponse(status: 204) }
        return ebayPage(r, items, listName: "payouts", list: page.map(\.json), limit: limit, offset: offset, total: ordered.count)
    }

    func getEbayPayout(_ id: String) -> SandboxResponse {
        guard let payout = ebay.payouts.first(where: { $0.payoutID == id }) else {
            return Self.financesError(404, 135001, "The payout id was not found.")
        }
        return .json(200, payout.json)
    }

    func getEbayPayoutSummary(_ r: SandboxRequest) -> SandboxResponse {
        let selected: [EbayPayout]
        switch ebaySelectPayouts(Self.ebayQueryItems(r.rawQuery)) {
        case .failure(let refusal): return Self.financesError(400, refusal.id, refusal.message)
        case .success(let payouts): selected = payouts
        }
        let currency = selected.first?.amount.currency ?? "USD"
        let total = selected.filter { $0.amount.currency == currency }.reduce(Decimal(0)) { $0 + $1.amount.value }
        return .json(200, ["amount": EbayAmount(value: total, currency: currency).json, "payoutCount": selected.count,
                           "transactionCount": selected.reduce(0) { $0 + $1.transactions.count }])
    }

    // MARK: Transactions

    static let ebayTransactionTypes: Set<String> = [
        "SALE", "REFUND", "CREDIT", "DISPUTE", "NON_SALE_CHARGE", "SHIPPING_LABEL", "TRANSFER", "ADJUSTMENT", "WITHDRAWAL",
        "LOAN_REPAYMENT", "PURCHASE",
    ]
    static let ebayTransactionStatuses: Set<String> = [
        "PAYOUT", "FUNDS_PROCESSING", "FUNDS_AVAILABLE_FOR_PAYOUT", "FUNDS_ON_HOLD", "COMPLETED", "FAILED",
    ]

    func getEbayTransactions(_ r: SandboxRequest) -> SandboxResponse {
        let items = Self.ebayQueryItems(r.rawQuery)
        guard let paging = Self.ebayPaging(items, maximum: 1000) else {
            return Self.financesError(400, 135003, "The value of pagination is invalid.")
        }
        var limit = paging.limit
        let offset = paging.offset
        if let sort = items.last(where: { $0.name == "sort" })?.value, !sort.isEmpty, sort != "transactionDate", sort != "-transactionDate" {
            return Self.financesError(400, 135005, "The value of sorting is invalid.")
        }
        var range: ClosedRange<Date>?
        var types: [String]?, statuses: [String]?
        var payoutIDs: [String]?, orderIDs: [String]?, transactionIDs: [String]?, buyers: [String]?, records: [String]?
        for (field, criterion) in Self.ebayFilters(items) {
            switch field {
            case "transactionDate":
                guard let r = ebayDateRange(criterion) else { return Self.financesError(400, 135008, "The value of transaction date filter is invalid.") }
                range = r
            case "transactionType":
                guard case .values(let v) = criterion, v.allSatisfy(Self.ebayTransactionTypes.contains) else {
                    return Self.financesError(400, 135006, "The value of transaction type filter is invalid.")
                }
                types = v
            case "transactionStatus":
                guard case .values(let v) = criterion, v.allSatisfy(Self.ebayTransactionStatuses.contains) else {
                    return Self.financesError(400, 135007, "The value of transaction status filter is invalid.")
                }
                statuses = v
            case "payoutId", "orderId", "transactionId", "buyerUsername", "salesRecordReference":
                // eBay documents no error for a malformed id filter: like an unknown field, it selects nothing by itself.
                guard case .values(let v) = criterion else { continue }
                switch field {
                case "payoutId": payoutIDs = v
                case "orderId": orderIDs = v
                case "transactionId": transactionIDs = v
                case "buyerUsername": buyers = v
                default: records = v
                }
            default:
                continue
            }
        }
        if transactionIDs != nil, types == nil {
            return Self.financesError(400, 135009, "Transaction type filter is missing.")
        }
        let byID = payoutIDs != nil || orderIDs != nil || transactionIDs != nil
        if byID, ebay.options.ignoreLimitWithIDFilter { limit = 20 }
        // With neither a date nor an id to go by: the last 90 days.
        if range == nil, !byID { range = now.addingTimeInterval(-90 * 86400)...now }
        var all: [(Int, EbayTransaction)] = []
        var n = 0
        for payout in ebay.payouts {
            for t in payout.transactions {
                all.append((n, t))
                n += 1
            }
        }
        let selected = all.filter { _, t in
            (range.map { $0.contains(t.transactionDate) } ?? true)
                && (types.map { $0.contains(t.transactionType) } ?? true)
                && (statuses.map { $0.contains(t.transactionStatus) } ?? true)
                && (payoutIDs.map { $0.contains(t.payoutID) } ?? true)
                && (orderIDs.map { ids in t.orderID.map(ids.contains) ?? false } ?? true)
                && (transactionIDs.map { $0.contains(t.transactionID) } ?? true)
                && (buyers.map { names in t.buyerUsername.map(names.contains) ?? false } ?? true)
                && (records.map { refs in t.salesRecordReference.map(refs.contains) ?? false } ?? true)
        }
        // Newest first (sorting is "not yet available" in eBay's text), ties in the order eBay received them.
        let ordered = selected.sorted { a, b in
            a.1.transactionDate != b.1.transactionDate ? a.1.transactionDate > b.1.transactionDate : a.0 < b.0
        }.map(\.1)
        let page = offset < ordered.count ? Array(ordered[offset..<min(ordered.count, offset + limit)]) : []
        // Nothing to show: 204 with no body at all.
        if page.isEmpty { return SandboxResponse(status: 204) }
        return ebayPage(r, items, listName: "transactions", list: page.map(\.fields), limit: limit, offset: offset, total: ordered.count)
    }
}
