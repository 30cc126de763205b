import Foundation

/// The eBay part of the control API under /_sandbox/ebay/: for tests and the demo; lmb itself never calls it.
extension SandboxEngine {
    func ebayControl(_ r: SandboxRequest) -> SandboxResponse {
        switch (r.method, r.path) {
        case ("POST", "/_sandbox/ebay/payouts"): return importEbayPayouts(r)
        case ("POST", "/_sandbox/ebay/authorize"): return ebayControlAuthorize(r)
        case ("GET", "/_sandbox/ebay/config"): return .json(200, ebayConfigJSON())
        case ("POST", "/_sandbox/ebay/config"): return configureEbay(r)
        default:
            return .json(404, ["error": "no such control endpoint",
                               "endpoints": ["POST /_sandbox/ebay/payouts", "POST /_sandbox/ebay/authorize",
                                             "GET /_sandbox/ebay/config", "POST /_sandbox/ebay/config"]])
        }
    }

    /// `{"scopes": [...], "redirect_uri": RuName}` (both optional: sell.finances, the configured RuName) → `{"code"}`:
    /// the consent a user would give on eBay's page, for tests that do not follow the redirect.
    func ebayControlAuthorize(_ r: SandboxRequest) -> SandboxResponse {
        let body = (try? JSONSerialization.jsonObject(with: r.body.isEmpty ? Data("{}".utf8) : r.body)) as? [String: Any]
        guard let body else { return .json(400, ["error": "the body must be a JSON object"]) }
        let scopes = body["scopes"] as? [String] ?? [Self.ebayFinancesScope]
        guard !scopes.isEmpty, scopes.allSatisfy(Self.isEbayScope) else {
            return .json(400, ["error": "scopes must be eBay OAuth scopes (https://api.ebay.com/oauth/api_scope…)"])
        }
        let redirect = body["redirect_uri"] as? String ?? ebay.options.ruName
        return .json(200, ["code": issueEbayAuthCode(scopes: scopes, redirectURI: redirect), "redirect_uri": redirect,
                           "client_id": ebay.options.clientID])
    }

    func configureEbay(_ r: SandboxRequest) -> SandboxResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: r.body.isEmpty ? Data("{}".utf8) : r.body)) as? [String: Any] else {
            return .json(400, ["error": "the body must be a JSON object"])
        }
        if let v = body["client_id"] as? String, !v.isEmpty { ebay.options.clientID = v }
        if let v = body["client_secret"] as? String, !v.isEmpty { ebay.options.clientSecret = v }
        if let v = body["ru_name"] as? String, !v.isEmpty { ebay.options.ruName = v }
        if let v = body["accept_url"] as? String, !v.isEmpty { ebay.options.acceptURL = v }
        if let v = body["decline_url"] as? String, !v.isEmpty { ebay.options.declineURL = v }
        if let v = body["deny_consent"] as? Bool { ebay.options.denyConsent = v }
        if let v = body["seller_marketplace"] as? String, !v.isEmpty { ebay.options.sellerMarketplace = v.uppercased() }
        if let v = body["finances_daily_limit"] as? NSNumber, v.intValue >= 0 { ebay.options.financesDailyLimit = v.intValue }
        if let v = body["access_token_seconds"] as? NSNumber, v.doubleValue > 0 { ebay.options.accessTokenSeconds = v.doubleValue }
        if let v = body["ignore_limit_with_id_filter"] as? Bool { ebay.options.ignoreLimitWithIDFilter = v }
        if body["signature_max_skew_seconds"] is NSNull { ebay.options.signatureMaxSkewSeconds = nil }
        if let v = body["signature_max_skew_seconds"] as? NSNumber, v.doubleValue >= 0 { ebay.options.signatureMaxSkewSeconds = v.doubleValue }
        if let v = body["empty_payouts_answer"] as? String {
            guard v == "204" || v == "list" else { return .json(400, ["error": "empty_payouts_answer is \"204\" or \"list\""]) }
            ebay.options.emptyPayoutsAnswer = v
        }
        return .json(200, ebayConfigJSON())
    }

    func ebayConfigJSON() -> [String: Any] {
        let o = ebay.options
        return ["client_id": o.clientID, "client_secret": o.clientSecret, "ru_name": o.ruName, "accept_url": o.acceptURL,
                "decline_url": o.declineURL, "deny_consent": o.denyConsent, "seller_marketplace": o.sellerMarketplace,
                "signing_required": ebay.sellerMustSign, "finances_daily_limit": o.financesDailyLimit,
                "access_token_seconds": o.accessTokenSeconds, "refresh_token_seconds": o.refreshTokenSeconds,
                "ignore_limit_with_id_filter": o.ignoreLimitWithIDFilter, "empty_payouts_answer": o.emptyPayoutsAnswer,
                "signature_max_skew_seconds": o.signatureMaxSkewSeconds.map { $0 as Any } ?? NSNull(),
                "scope": Self.ebayFinancesScope]
    }

    // MARK: Payout import

    /// `POST /_sandbox/ebay/payouts` with a JSON list of payouts (or `{"marketplaceId": "EBAY_GB", "payouts": [...]}`),
    /// each in the Finances API's Payout shape with its `transactions` in the Transaction shape. Amounts are positive
    /// `{value, currency}`, the sign in `bookingEntry`. A SALE or REFUND is net of its fees: amount =
    /// totalFeeBasisAmount − totalFeeAmount, totalFeeAmount = Σ orderLineItems[].marketplaceFees[].amount (either
    /// total may be left out and is worked out; so may a SALE's amount). Σ ±amount must be the payout's amount (left
    /// out: worked out, and more than zero). All or nothing: one payout that does not add up refuses the lot (400).
    func importEbayPayouts(_ r: SandboxRequest) -> SandboxResponse {
        func refuse(_ message: String) -> SandboxResponse { .json(400, ["error": message]) }
        let parsed = try? JSONSerialization.jsonObject(with: r.body)
        var list: [[String: Any]]
        var defaultMarketplace: String?
        if let array = parsed as? [[String: Any]] {
            list = array
        } else if let object = parsed as? [String: Any], let array = object["payouts"] as? [[String: Any]] {
            list = array
            defaultMarketplace = object["marketplaceId"] as? String
        } else {
            return refuse("the body must be a JSON list of payouts, or {\"payouts\": [...]}")
        }
        guard !list.isEmpty else { return refuse("the list of payouts is empty") }
        var built: [EbayPayout] = []
        var payoutNumber = ebay.nextPayoutNumber
        var transactionNumber = ebay.nextTransactionNumber
        for (index, input) in list.enumerated() {
            let name = "payout \(index + 1)" + ((input["payoutId"] as? String).map { " (\($0))" } ?? "")
            var payoutID: String
            if let given = input["payoutId"] {
                guard let text = given as? String, !text.isEmpty, text.allSatisfy(EbayFormat.isDigit) else {
                    return refuse("\(name): payoutId must be a string of digits")
                }
                payoutID = text
            } else {
                repeat { payoutID = String(payoutNumber); payoutNumber += 1 }
                while ebay.payouts.contains(where: { $0.payoutID == payoutID }) || built.contains(where: { $0.payoutID == payoutID })
            }
            guard !ebay.payouts.contains(where: { $0.payoutID == payoutID }), !built.contains(where: { $0.payoutID == payoutID }) else {
                return refuse("\(name): payout \(payoutID) exists already")
            }
            var payoutDate = now
            if let text = input["payoutDate"] {
                guard let s = text as? String, let d = EbayFormat.dateTime(from: s) else {
                    return refuse("\(name): payoutDate must be an ISO 8601 date and time (2024-11-04T09:00:00.000Z)")
                }
                payoutDate = d
            }
            var declared: EbayAmount?
            if let a = input["amount"] {
                switch Self.ebayAmountInput(a) {
                case .failure(let why): return refuse("\(name): amount \(why)")
                case .success(let amount): declared = amount
                }
            }
            guard let transactionsInput = input["transactions"] as? [[String: Any]], !transactionsInput.isEmpty else {
                return refuse("\(name): a payout holds at least one transaction (transactions: [...])")
            }
            let currency = declared?.currency ?? (input["currency"] as? String)?.uppercased()
                ?? ((transactionsInput.first?["amount"] as? [String: Any])?["currency"] as? String)?.uppercased() ?? "USD"
            var transactions: [EbayTransaction] = []
            for (n, t) in transactionsInput.enumerated() {
                let date = payoutDate.addingTimeInterval(-Double(transactionsInput.count - n) * 3600)
                switch ebayTransactionInput(t, payoutID: payoutID, currency: currency, defaultDate: date, number: &transactionNumber) {
                case .failure(let why): return refuse("\(name), transaction \(n + 1): \(why)")
                case .success(let transaction): transactions.append(transaction)
                }
            }
            let sum = transactions.reduce(Decimal(0)) { $0 + $1.signed }
            if let declared {
                guard declared.currency == currency else { return refuse("\(name): amount is in \(declared.currency), not \(currency)") }
                guard sum == declared.value else {
                    return refuse("\(name): its transactions add up to \(EbayFormat.decimal(sum)) \(currency) (CREDIT − DEBIT), "
                                  + "not the payout amount \(EbayFormat.decimal(declared.value))")
                }
            }
            guard sum > 0 else {
                return refuse("\(name): its transactions add up to \(EbayFormat.decimal(sum)) \(currency): a payout is more than zero")
            }
            var totalFee: EbayAmount?
            if let f = input["totalFee"] {
                switch Self.ebayAmountInput(f) {
                case .failure(let why): return refuse("\(name): totalFee \(why)")
                case .success(let fee): totalFee = fee
                }
            }
            let instrument = input["payoutInstrument"] as? [String: Any] ?? [:]
            let marketplace = (input["marketplaceId"] as? String ?? defaultMarketplace)?.uppercased()
            built.append(EbayPayout(
                payoutID: payoutID, payoutDate: payoutDate, amount: EbayAmount(value: sum, currency: currency), totalFee: totalFee,
                marketplaceID: marketplace, instrumentType: instrument["instrumentType"] as? String ?? "BANK",
                instrumentNickname: instrument["nickname"] as? String ?? "Sandbox Bank",
                accountLastFourDigits: instrument["accountLastFourDigits"] as? String ?? "4321",
                bankReference: input["bankReference"] as? String, payoutMemo: input["payoutMemo"] as? String,
                transactions: transactions))
        }
        ebay.payouts += built
        ebay.nextPayoutNumber = payoutNumber
        ebay.nextTransactionNumber = transactionNumber
        for payout in built { if let m = payout.marketplaceID { ebay.importedMarketplaces.insert(m) } }
        return .json(200, ["ids": built.map(\.payoutID),
                           "payouts": built.map { ["payoutId": $0.payoutID, "amount": $0.amount.json,
                                                   "transactionCount": $0.transactions.count] },
                           "signing_required": ebay.sellerMustSign])
    }

    /// `{value: "12.34", currency: "GBP"}`: a positive decimal string (the sign is the booking entry's).
    static func ebayAmountInput(_ any: Any) -> Result<EbayAmount, ImportProblem> {
        guard let object = any as? [String: Any], let text = object["value"] as? String,
              let currency = object["currency"] as? String, currency.count == 3 else {
            return .failure(ImportProblem("must be {\"value\": \"12.34\", \"currency\": \"USD\"} with the value as a string"))
        }
        guard let value = EbayFormat.parse(text) else {
            return .failure(ImportProblem("\"\(text)\" is not a positive decimal with at most two places: eBay's amounts carry no sign"))
        }
        return .success(EbayAmount(value: value, currency: currency.uppercased(),
                                   convertedFromValue: object["convertedFromValue"] as? String,
                                   convertedFromCurrency: object["convertedFromCurrency"] as? String,
                                   exchangeRate: object["exchangeRate"] as? String))
    }

    struct ImportProblem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// One imported transaction, checked (booking entry, positive amounts, a SALE or REFUND net of its fees) and given
    /// the ids, dates and fields eBay would show.
    func ebayTransactionInput(_ t: [String: Any], payoutID: String, currency: String, defaultDate: Date,
                              number: inout Int64) -> Result<EbayTransaction, ImportProblem> {
        func problem(_ text: String) -> Result<EbayTransaction, ImportProblem> { .failure(ImportProblem(text)) }
        guard let type = (t["transactionType"] as? String)?.uppercased(), !type.isEmpty else {
            return problem("transactionType is required (SALE, REFUND, NON_SALE_CHARGE, SHIPPING_LABEL, …)")
        }
        guard let booking = t["bookingEntry"] as? String, booking == "CREDIT" || booking == "DEBIT" else {
            return problem("\(type): bookingEntry must be CREDIT or DEBIT")
        }
        func amount(_ key: String) -> Result<EbayAmount?, ImportProblem> {
            guard let any = t[key] else { return .success(nil) }
            return Self.ebayAmountInput(any).map { Optional($0) }.mapError { ImportProblem("\(type): \(key) \($0.description)") }
        }
        var fields: [String: Any] = [:]
        var stated: EbayAmount?, basis: EbayAmount?, totalFee: EbayAmount?, tax: EbayAmount?
        switch amount("amount") { case .failure(let e): return .failure(e); case .success(let a): stated = a }
        switch amount("totalFeeBasisAmount") { case .failure(let e): return .failure(e); case .success(let a): basis = a }
        switch amount("totalFeeAmount") { case .failure(let e): return .failure(e); case .success(let a): totalFee = a }
        switch amount(t["ebayCollectedTaxAmount"] != nil ? "ebayCollectedTaxAmount" : "eBayCollectedTaxAmount") {
        case .failure(let e): return .failure(e)
        case .success(let a): tax = a
        }
        // The line items' marketplace fees, each a positive amount.
        var lineItems: [[String: Any]] = []
        var feeSum = Decimal(0)
        var feeCurrencies: Set<String> = []
        if let items = t["orderLineItems"] {
            guard let items = items as? [[String: Any]] else { return problem("\(type): orderLineItems must be a list") }
            for (i, item) in items.enumerated() {
                var line: [String: Any] = ["lineItemId": item["lineItemId"] as? String ?? String(10_000_000_000 + number * 10 + Int64(i))]
                if let b = item["feeBasisAmount"] {
                    switch Self.ebayAmountInput(b) {
                    case .failure(let e): return problem("\(type): orderLineItems[\(i)].feeBasisAmount \(e)")
                    case .success(let a): line["feeBasisAmount"] = a.json
                    }
                }
                var fees: [[String: Any]] = []
                for (j, fee) in (item["marketplaceFees"] as? [[String: Any]] ?? []).enumerated() {
                    guard let feeType = fee["feeType"] as? String, !feeType.isEmpty, let any = fee["amount"] else {
                        return problem("\(type): orderLineItems[\(i)].marketplaceFees[\(j)] needs a feeType and an amount")
                    }
                    switch Self.ebayAmountInput(any) {
                    case .failure(let e): return problem("\(type): orderLineItems[\(i)].marketplaceFees[\(j)].amount \(e)")
                    case .success(let a):
                        feeSum += a.value
                        feeCurrencies.insert(a.currency)
                        var out: [String: Any] = ["feeType": feeType, "amount": a.json]
                        for key in ["feeMemo", "feeJurisdiction"] { if let v = fee[key] { out[key] = v } }
                        fees.append(out)
                    }
                }
                line["marketplaceFees"] = fees
                lineItems.append(line)
            }
        }
        if type == "SALE" || type == "REFUND" {
            // A SALE (a REFUND) is net of the fees it bears (has credited back): amount = basis − fees.
            let feeCurrency = totalFee?.currency ?? feeCurrencies.first ?? currency
            if let totalFee, !lineItems.isEmpty, feeCurrencies == [totalFee.currency], totalFee.value != feeSum {
                return problem("\(type): totalFeeAmount \(EbayFormat.decimal(totalFee.value)) is not the sum of its marketplaceFees \(EbayFormat.decimal(feeSum))")
            }
            guard feeCurrencies.count <= 1 else { return problem("\(type): marketplaceFees in more than one currency") }
            let fees = totalFee ?? EbayAmount(value: feeSum, currency: feeCurrency)
            totalFee = fees
            if stated == nil {
                guard let basis else { return problem("\(type): give amount, or totalFeeBasisAmount and the fees") }
                guard basis.currency == fees.currency else { return problem("\(type): amount is needed when the fees are in another currency") }
                guard basis.value >= fees.value else { return problem("\(type): the fees exceed totalFeeBasisAmount") }
                stated = EbayAmount(value: basis.value - fees.value, currency: basis.currency)
            }
            if let s = stated {
                if let b = basis {
                    if b.currency == s.currency, fees.currency == s.currency, s.value != b.value - fees.value {
                        return problem("\(type): amount \(EbayFormat.decimal(s.value)) is not totalFeeBasisAmount \(EbayFormat.decimal(b.value)) "
                                       + "− totalFeeAmount \(EbayFormat.decimal(fees.value)): a \(type) is net of its fees")
                    }
                } else if fees.currency == s.currency {
                    basis = EbayAmount(value: s.value + fees.value, currency: s.currency)
                }
            }
        }
        guard let amountValue = stated else { return problem("\(type): amount is required") }
        guard amountValue.currency == currency else {
            return problem("\(type): amount is in \(amountValue.currency), the payout in \(currency) (a converted amount carries convertedFromValue/convertedFromCurrency)")
        }
        if type == "NON_SALE_CHARGE" {
            guard let feeType = t["feeType"] as? String, !feeType.isEmpty else {
                return problem("NON_SALE_CHARGE: feeType is required (AD_FEE, INSERTION_FEE, …)")
            }
        }
        var date = defaultDate
        if let text = t["transactionDate"] {
            guard let s = text as? String, let d = EbayFormat.dateTime(from: s) else { return problem("\(type): transactionDate must be ISO 8601") }
            date = d
        }
        number += 1
        let orderID = t["orderId"] as? String
            ?? ((type == "SALE" || type == "REFUND") ? String(format: "%02d-%05d-%05d", Int(number % 100), Int(number / 100 % 100_000), Int(number % 100_000)) : nil)
        let transactionID = t["transactionId"] as? String ?? (type == "SALE" ? orderID ?? String(number) : String(number))
        let status = (t["transactionStatus"] as? String)?.uppercased() ?? "PAYOUT"
        let username = (t["buyer"] as? [String: Any])?["username"] as? String
        let record = t["salesRecordReference"] as? String ?? ((type == "SALE" || type == "REFUND") ? "0" : nil)
        fields = ["transactionId": transactionID, "transactionType": type, "transactionStatus": status, "bookingEntry": booking,
                  "amount": amountValue.json, "transactionDate": EbayFormat.dateTime(date), "payoutId": payoutID]
        if let orderID { fields["orderId"] = orderID }
        if let username { fields["buyer"] = ["username": username] }
        if let record { fields["salesRecordReference"] = record }
        if let basis { fields["totalFeeBasisAmount"] = basis.json }
        if let totalFee { fields["totalFeeAmount"] = totalFee.json }
        if !lineItems.isEmpty { fields["orderLineItems"] = lineItems }
        // The wire spelling, not the spec's eBayCollectedTaxAmount.
        if let tax { fields["ebayCollectedTaxAmount"] = tax.json }
        for key in ["feeType", "transactionMemo", "paymentsEntity", "references", "feeJurisdiction"] {
            if let v = t[key] { fields[key] = v }
        }
        return .success(EbayTransaction(
            transactionID: transactionID, transactionType: type, transactionStatus: status, bookingEntry: booking, amount: amountValue,
            transactionDate: date, payoutID: payoutID, orderID: orderID, buyerUsername: username, salesRecordReference: record,
            fields: fields))
    }

    // MARK: State

    /// The `ebay` part of `GET /_sandbox/state`: no token, code or key is shown, only fingerprints.
    func ebayStateJSON() -> [String: Any] {
        [
            "payouts": ebay.payouts.map { p -> [String: Any] in
                var out: [String: Any] = ["payoutId": p.payoutID, "amount": p.amount.json, "payoutDate": EbayFormat.dateTime(p.payoutDate),
                                          "transactionCount": p.transactions.count]
                if let m = p.marketplaceID { out["marketplaceId"] = m }
                return out
            },
            "signing_keys": ebay.signingKeys.map { ["signingKeyId": $0.id, "signingKeyCipher": $0.cipher,
                                                    "creationTime": Int($0.creationTime.timeIntervalSince1970),
                                                    "expirationTime": Int($0.expirationTime.timeIntervalSince1970)] },
            "tokens": ebay.issued.map { ["kind": $0.kind, "grant": $0.grant, "fingerprint": $0.fingerprint,
                                         "issued_at": Self.isoUTC($0.issuedAt), "expires_at": Self.isoUTC($0.expiresAt), "scopes": $0.scopes] },
            "seller_marketplace": ebay.options.sellerMarketplace,
            "signing_required": ebay.sellerMustSign,
            "quota": ["day": Self.pacificDay(now), "used": ebay.quotaDay == Self.pacificDay(now) ? ebay.quotaUsed : 0,
                      "limit": ebay.options.financesDailyLimit, "resets_at": Self.isoUTC(Self.quotaResetsAt(now))],
            "requests": ebay.requests.map { r -> [String: Any] in
                var out: [String: Any] = ["method": r.method, "path": r.path, "status": r.status, "time": Self.isoUTC(r.time)]
                if let q = r.query { out["query"] = q }
                if let e = r.error { out["error"] = e }
                if let m = r.marketplace { out["marketplace"] = m }
                if let v = r.signatureVerified { out["signature_verified"] = v }
                if let p = r.signatureProblem { out["signature_problem"] = p }
                return out
            },
        ]
    }
}
