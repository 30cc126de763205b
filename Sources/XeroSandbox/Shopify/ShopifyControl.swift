import Foundation

/// The Shopify part of the control API under /_sandbox/shopify/: for tests and the demo; lmb itself never calls it.
extension SandboxEngine {
    func shopifyControl(_ r: SandboxRequest) -> SandboxResponse {
        switch (r.method, r.path) {
        case ("POST", "/_sandbox/shopify/payouts"): return importShopifyPayouts(r)
        case ("GET", "/_sandbox/shopify/config"): return .json(200, shopifyConfigJSON())
        case ("POST", "/_sandbox/shopify/config"): return configureShopify(r)
        default:
            return .json(404, ["error": "no such control endpoint",
                               "endpoints": ["POST /_sandbox/shopify/payouts", "GET /_sandbox/shopify/config",
                                             "POST /_sandbox/shopify/config"]])
        }
    }

    /// `{"client_id", "client_secret", "legacy_token", "token_seconds", "maximum_available", "restore_rate",
    /// "currently_available"}`, each optional.
    func configureShopify(_ r: SandboxRequest) -> SandboxResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: r.body.isEmpty ? Data("{}".utf8) : r.body)) as? [String: Any] else {
            return .json(400, ["error": "the body must be a JSON object"])
        }
        _ = refillShopifyBucket()
        if let v = body["client_id"] as? String, !v.isEmpty { shopify.options.clientID = v }
        if let v = body["client_secret"] as? String, !v.isEmpty { shopify.options.clientSecret = v }
        if let v = body["legacy_token"] as? String, !v.isEmpty { shopify.options.legacyToken = v }
        if let v = body["token_seconds"] as? NSNumber, v.doubleValue > 0 { shopify.options.tokenSeconds = v.doubleValue }
        if let v = body["maximum_available"] as? NSNumber, v.doubleValue > 0 {
            shopify.options.maximumAvailable = v.doubleValue
            shopify.bucket = min(shopify.bucket, v.doubleValue)
        }
        if let v = body["restore_rate"] as? NSNumber, v.doubleValue >= 0 { shopify.options.restoreRate = v.doubleValue }
        if let v = body["currently_available"] as? NSNumber {
            shopify.bucket = max(0, min(shopify.options.maximumAvailable, v.doubleValue))
        }
        return .json(200, shopifyConfigJSON())
    }

    func shopifyConfigJSON() -> [String: Any] {
        let o = shopify.options
        return ["client_id": o.clientID, "client_secret": o.clientSecret, "legacy_token": o.legacyToken,
                "token_seconds": o.tokenSeconds, "maximum_available": o.maximumAvailable, "restore_rate": o.restoreRate,
                "currently_available": shopify.bucket, "api_version": Self.shopifyAPIVersion]
    }

    /// `POST /_sandbox/shopify/payouts` with a Shopify Payments transactions export (CSV, 16 or 18 columns) as the body:
    /// PAID payouts made of its paid rows, grouped by Payout ID (18 columns) or else by Payout Date and currency.
    /// The export's own `payout` rows are left out: the emulator writes each payout's TRANSFER row itself.
    func importShopifyPayouts(_ r: SandboxRequest) -> SandboxResponse {
        func refuse(_ message: String) -> SandboxResponse { .json(400, ["error": message]) }
        guard let text = String(data: r.body, encoding: .utf8), !text.isEmpty else {
            return refuse("the body must be a Shopify Payments transactions export (CSV, UTF-8)")
        }
        let rows = ShopifyCSV.rows(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces) }) else { return refuse("the CSV is empty") }
        let required = ["Transaction Date", "Type", "Payout Status", "Payout Date", "Amount", "Fee", "Net", "Currency"]
        let missing = required.filter { !header.contains($0) }
        guard missing.isEmpty else { return refuse("the CSV lacks the column(s) \(missing.joined(separator: ", "))") }
        guard header.count == 16 || header.count == 18 else {
            return refuse("a transactions export has 16 or 18 columns; this one has \(header.count)")
        }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }

        struct Group { var key: String; var payoutID: Int64?; var date: Date; var currency: String; var rows: [ShopifyBalanceTransaction] }
        var groups: [Group] = []
        for (n, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            func value(_ name: String) -> String {
                guard let i = column(name), i < row.count else { return "" }
                return row[i].trimmingCharacters(in: .whitespaces)
            }
            let line = n + 2
            guard row.count == header.count else { return refuse("line \(line) has \(row.count) fields, not \(header.count)") }
            guard value("Payout Status").lowercased() == "paid" else { continue }
            let type = value("Type").lowercased()
            guard let amount = ShopifyCSV.decimal(value("Amount")), let fee = ShopifyCSV.decimal(value("Fee")),
                  let net = ShopifyCSV.decimal(value("Net")) else { return refuse("line \(line): Amount, Fee and Net must be numbers") }
            guard amount - fee == net else { return refuse("line \(line): Net is not Amount − Fee") }
            guard let date = ShopifyCSV.dateTime(value("Transaction Date")) else {
                return refuse("line \(line): Transaction Date must look like 2024-10-31 20:00:00 -0400")
            }
            guard let payoutDate = ShopifyCSV.dateTime(value("Payout Date")) else {
                return refuse("line \(line): Payout Date must be a date (YYYY-MM-DD)")
            }
            let currency = value("Currency").uppercased()
            let payoutIDText = value("Payout ID")
            var payoutID: Int64?
            if !payoutIDText.isEmpty {
                guard let id = Int64(payoutIDText) else { return refuse("line \(line): Payout ID must be a number") }
                payoutID = id
            }
            if type == "payout" { continue }   // the export's TRANSFER row: the emulator makes its own
            let key = payoutID.map { "id:\($0)" } ?? "date:\(value("Payout Date").prefix(10)):\(currency)"
            let (gqlType, sourceType) = ShopifyCSV.transactionType(type, amount: amount)
            let order = value("Order")
            let t = ShopifyBalanceTransaction(id: 0, type: gqlType, sourceType: sourceType, amount: amount, fee: fee, date: date,
                                              currency: currency, payoutID: 0, sourceID: nil, orderName: order.isEmpty ? nil : order)
            if let i = groups.firstIndex(where: { $0.key == key }) {
                groups[i].rows.append(t)
            } else {
                groups.append(Group(key: key, payoutID: payoutID, date: payoutDate, currency: currency, rows: [t]))
            }
        }
        guard !groups.isEmpty else { return refuse("the CSV has no rows of paid payouts") }
        for g in groups {
            if let id = g.payoutID, shopify.payouts.contains(where: { $0.id == id }) {
                return refuse("payout \(id) exists already")
            }
        }
        var ids: [String] = []
        for g in groups {
            let id = g.payoutID ?? nextFreeShopifyPayoutID()
            var transactions: [ShopifyBalanceTransaction] = []
            for var t in g.rows {
                t.id = shopify.nextTransactionID
                shopify.nextTransactionID += 1
                t.payoutID = id
                t.sourceID = t.id + 2_000_000_000
                if let name = t.orderName, shopify.orderIDs[name] == nil {
                    shopify.orderIDs[name] = 4_500_000_000 + Int64(shopify.orderIDs.count + 1)
                }
                transactions.append(t)
            }
            // The payout is issued once its last transaction is in: the payout date, or the last row if later.
            let issuedAt = max(g.date, (transactions.map(\.date).max() ?? g.date).addingTimeInterval(1))
            let transferID = shopify.nextTransactionID
            shopify.nextTransactionID += 1
            let net = transactions.reduce(Decimal(0)) { $0 + $1.net }
            shopify.payouts.append(ShopifyPayout(id: id, issuedAt: issuedAt, currency: g.currency,
                                                 transactionType: net < 0 ? "WITHDRAWAL" : "DEPOSIT",
                                                 transactions: transactions, transferID: transferID))
            ids.append(String(id))
        }
        return .json(200, ["payouts": ids.map { ["id": ShopifyFormat.gid("ShopifyPaymentsPayout", Int64($0)!), "legacyResourceId": $0] },
                           "ids": ids])
    }

    func nextFreeShopifyPayoutID() -> Int64 {
        while shopify.payouts.contains(where: { $0.id == shopify.nextPayoutID }) { shopify.nextPayoutID += 1 }
        defer { shopify.nextPayoutID += 1 }
        return shopify.nextPayoutID
    }

    /// The `shopify` part of `GET /_sandbox/state`.
    func shopifyStateJSON() -> [String: Any] {
        [
            "payouts": shopify.payouts.count,
            "requests": shopify.requests.map { r -> [String: Any] in
                var out: [String: Any] = ["method": r.method, "path": r.path, "status": r.status, "time": Self.isoUTC(r.time)]
                if let code = r.errorCode { out["error_code"] = code }
                return out
            },
            "access_tokens": shopify.issuedTokens,
        ]
    }
}

enum ShopifyCSV {
    /// RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks.
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    static func decimal(_ text: String) -> Decimal? {
        let cleaned = text.replacingOccurrences(of: ",", with: "")
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) else { return nil }
        return Decimal(string: cleaned, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// `2024-10-31 20:00:00 -0400`, or a bare `2024-10-31` (taken as midnight UTC).
    static func dateTime(_ text: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd HH:mm:ss Z", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"] {
            f.dateFormat = format
            if let d = f.date(from: text) { return d }
        }
        return nil
    }

    /// The export's lower-case type → the API's ShopifyPaymentsTransactionType and ShopifyPaymentsSourceType.
    static func transactionType(_ type: String, amount: Decimal) -> (String, String?) {
        switch type {
        case "charge": return ("CHARGE", "CHARGE")
        case "refund": return ("REFUND", "REFUND")
        case "dispute", "chargeback": return (amount < 0 ? "DISPUTE_WITHDRAWAL" : "DISPUTE_REVERSAL", "DISPUTE")
        case "adjustment": return ("ADJUSTMENT", "ADJUSTMENT")
        case "reserve": return (amount < 0 ? "RESERVED_FUNDS" : "RESERVED_FUNDS_REVERSAL", "ADJUSTMENT")
        case "payout_failure": return ("TRANSFER_FAILURE", "TRANSFER")
        case "payout_cancellation": return ("TRANSFER_CANCEL", "TRANSFER")
        case "advance": return ("ADVANCE", "ADJUSTMENT")
        case "advance_funding": return ("ADVANCE_FUNDING", "ADJUSTMENT")
        case "credit", "debit": return ("ADJUSTMENT", "SYSTEM_ADJUSTMENT")
        default: return (type.uppercased().replacingOccurrences(of: " ", with: "_"), "ADJUSTMENT")
        }
    }
}
