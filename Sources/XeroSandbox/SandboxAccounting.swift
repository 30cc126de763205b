import Foundation

extension SandboxEngine {
    // MARK: Gatekeeping every accounting call: token, tenant, scenario, limits

    func accounting(_ r: SandboxRequest) -> SandboxAction {
        if r.body.count > options.maxBodyBytes {
            // Refused at Xero's edge, before authentication: the gateway's own words, not an API problem body.
            return .respond(.text(413, "Request Entity Too Large: the request body is \(r.body.count) bytes; the limit is 3.5 MB"))
        }
        let token: SandboxAccessToken
        switch bearer(r) {
        case .failure(let f): return .respond(f.response)
        case .success(let t): token = t
        }
        if scenario == .missingScope {
            return .respond(.problem(401, title: "Unauthorized", detail: "AuthorizationUnsuccessful",
                                     headers: [("WWW-Authenticate", "insufficient_scope")]))
        }
        let grant = identity.grants[token.grant]
        let tenant = r.header("xero-tenant-id") ?? (grant?.customConnection == true ? grant?.tenants.first : nil)
        // The organisation must be the one the engine holds (an unknown tenant id is not), granted to this token's
        // grant, and still connected.
        guard let tenant, tenant == tenantID, grant?.tenants.contains(tenant) == true,
              identity.connections.contains(where: { $0.tenantID == tenant }), scenario != .organisationInactive else {
            return .respond(.problem(403, title: "Forbidden", detail: "AuthenticationUnsuccessful"))
        }
        if scenario == .organisationOffline {
            return .respond(.text(503, "The Organisation is Offline"))
        }
        if let limited = rateLimit() { return .respond(limited) }
        let limits = limitHeaders()

        let resource = String(r.path.dropFirst("/api.xro/2.0/".count))
        let isWrite = r.method == "PUT" || r.method == "POST"
        if isWrite, ["READONLY", "INVOICEONLY"].contains(identity.connectedUserRole) {
            return .respond(.problem(403, title: "Forbidden", detail: "You are not permitted to access this resource", headers: limits))
        }
        var response: SandboxResponse
        switch (r.method, resource.lowercased()) {
        case ("GET", "organisation"): response = envelope("Organisations", [organisationJSON()])
        case ("GET", "users"): response = envelope("Users", usersJSON())
        case ("GET", "accounts"): response = envelope("Accounts", accounts.map(accountJSON))
        case ("GET", "taxrates"): response = envelope("TaxRates", taxRates.map(taxRateJSON))
        case ("GET", "currencies"): response = envelope("Currencies", currencies.sorted().map { ["Code": $0, "Description": $0] })
        case ("GET", "contacts"): response = envelope("Contacts", contacts.map { ["ContactID": $0.contactID, "Name": $0.name, "ContactStatus": $0.status] })
        case ("GET", "invoices"): response = envelope("Invoices", findInvoices(r.query))
        case ("PUT", "invoices"), ("POST", "invoices"):
            let result = writeInvoices(r)
            if scenario == .loseResponse, result.status == 200 {
                return .drop   // committed, then the connection closes before the answer
            }
            response = result
        default:
            response = xeroResource(r, resource) ?? .text(404, "The resource you're looking for cannot be found")
        }
        response.headers += limits
        return .respond(response)
    }

    func rateLimit() -> SandboxResponse? {
        let seconds = Int(now.timeIntervalSince1970)
        if seconds / 60 != minuteWindow { minuteWindow = seconds / 60; minuteCount = 0 }
        if seconds / 86400 != dayWindow { dayWindow = seconds / 86400; dayCount = 0 }
        if seconds / 60 != appMinuteWindow { appMinuteWindow = seconds / 60; appMinuteCount = 0 }
        func limited(_ problem: String, _ retryAfter: Int) -> SandboxResponse {
            var r = SandboxResponse.text(429, "Rate limit exceeded", headers: [("Retry-After", String(retryAfter)), ("X-Rate-Limit-Problem", problem)])
            r.headers += limitHeaders()
            return r
        }
        switch scenario {
        case .rateLimitDay:
            return limited("day", 86400 - seconds % 86400)
        case .rateLimitMinute:
            let until = minuteLimitedUntil ?? now.addingTimeInterval(TimeInterval(options.minuteRetryAfter))
            minuteLimitedUntil = until
            if now < until { return limited("minute", max(1, Int(until.timeIntervalSince(now).rounded(.up)))) }
        default: break
        }
        if inFlight > options.concurrentLimit { return limited("concurrent", 1) }
        if minuteCount >= options.minuteLimit { return limited("minute", 60 - seconds % 60) }
        if dayCount >= options.dayLimit { return limited("day", 86400 - seconds % 86400) }
        // Xero's limit for the app across every organisation.
        if appMinuteCount >= options.appMinuteLimit { return limited("appminute", 60 - seconds % 60) }
        minuteCount += 1
        dayCount += 1
        appMinuteCount += 1
        organisationLimits.peakCallsPerMinute = max(organisationLimits.peakCallsPerMinute, minuteCount)
        return nil
    }

    func limitHeaders() -> [(String, String)] {
        let day = scenario == .rateLimitDay ? 0 : max(0, options.dayLimit - dayCount)
        return [("X-DayLimit-Remaining", String(day)), ("X-MinLimit-Remaining", String(max(0, options.minuteLimit - minuteCount))),
                ("X-AppMinLimit-Remaining", String(max(0, options.appMinuteLimit - appMinuteCount)))]
    }

    func envelope(_ key: String, _ items: [[String: Any]]) -> SandboxResponse {
        .json(200, ["Id": UUID().uuidString.lowercased(), "Status": "OK", "ProviderName": "lmb sandbox",
                    "DateTimeUTC": Self.xeroDate(now), key: items])
    }

    func organisationJSON() -> [String: Any] {
        var o: [String: Any] = [
            "OrganisationID": tenantID, "Name": organisationName, "LegalName": organisationName, "PaysTax": true,
            "Version": books.version?.code ?? "US", "OrganisationType": "COMPANY", "BaseCurrency": baseCurrency,
            "CountryCode": books.version?.countryCode ?? "US",
            "IsDemoCompany": organisationClass == "DEMO", "OrganisationStatus": scenario == .organisationInactive ? "INACTIVE" : organisationStatus,
            "Class": organisationClass, "Edition": "BUSINESS", "ShortCode": "!sbx01", "Timezone": "UTC",
            "CreatedDateUTC": Self.xeroDate(Date(timeIntervalSince1970: 1_600_000_000)),
        ]
        if let lock = periodLockDate, let d = Self.day(lock) { o["PeriodLockDate"] = Self.xeroDate(d) }
        return o
    }

    func usersJSON() -> [[String: Any]] {
        users.map { u in
            let role = u.userID == identity.connectingUserID ? identity.connectedUserRole : u.role
            return ["UserID": u.userID, "EmailAddress": u.email, "FirstName": u.firstName, "LastName": u.lastName,
                    "UpdatedDateUTC": Self.xeroDate(now), "IsSubscriber": u.userID == identity.connectingUserID, "OrganisationRole": role]
        }
    }

    func accountJSON(_ a: SandboxAccount) -> [String: Any] {
        var o: [String: Any] = [
            "AccountID": a.accountID, "Code": a.code, "Name": a.name, "Type": a.type, "TaxType": a.taxType, "Status": a.status,
            "Class": Self.accountClass(a.type), "EnablePaymentsToAccount": a.enablePaymentsToAccount, "ShowInExpenseClaims": false,
            "SystemAccount": a.systemAccount, "HasAttachments": false, "UpdatedDateUTC": Self.xeroDate(now)]
        if let d = a.description { o["Description"] = d }
        if a.type == "BANK" {
            o["BankAccountType"] = "BANK"
            o["BankAccountNumber"] = a.bankAccountNumber ?? ""
            o["CurrencyCode"] = baseCurrency
        }
        return o
    }

    func taxRateJSON(_ t: SandboxTaxRate) -> [String: Any] {
        var o: [String: Any] = [
            "Name": t.name, "TaxType": t.taxType, "Status": t.status,
            "CanApplyToAssets": t.appliesTo.contains("ASSETS"), "CanApplyToEquity": t.appliesTo.contains("EQUITY"),
            "CanApplyToExpenses": t.appliesTo.contains("EXPENSES"), "CanApplyToLiabilities": t.appliesTo.contains("LIABILITIES"),
            "CanApplyToRevenue": t.appliesTo.contains("REVENUE"), "DisplayTaxRate": XeroMoney.rateNumber(t.rate),
            "EffectiveRate": XeroMoney.rateNumber(t.effectiveRate),
            "TaxComponents": (t.components ?? [(t.name, t.rate)]).map {
                ["Name": $0.name, "Rate": XeroMoney.rateNumber($0.rate), "IsCompound": false, "IsNonRecoverable": false] as [String: Any]
            }]
        let report = t.reportTaxType ?? (t.taxType == "NONE" ? "NONE" : t.taxType)
        if !report.isEmpty { o["ReportTaxType"] = report }
        return o
    }

    static func accountClass(_ type: String) -> String {
        switch type {
        case "REVENUE", "SALES", "OTHERINCOME": return "REVENUE"
        case "EXPENSE", "OVERHEADS", "DIRECTCOSTS", "DEPRECIATN": return "EXPENSE"
        case "CURRLIAB", "LIABILITY", "TERMLIAB", "PAYGLIABILITY", "SUPERANNUATIONLIABILITY", "WAGESPAYABLELIABILITY": return "LIABILITY"
        case "EQUITY": return "EQUITY"
        default: return "ASSET"
        }
    }

    static func taxClass(_ accountClass: String) -> String {
        switch accountClass {
        case "REVENUE": return "REVENUE"
        case "EXPENSE": return "EXPENSES"
        case "LIABILITY": return "LIABILITIES"
        case "EQUITY": return "EQUITY"
        default: return "ASSETS"
        }
    }

    static func day(_ iso: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.date(from: String(iso.prefix(10)))
    }

    // MARK: Invoices

    func findInvoices(_ q: [String: String]) -> [[String: Any]] {
        var found = invoices
        if let numbers = q["InvoiceNumbers"] ?? q["invoicenumbers"] {
            let wanted = Set(numbers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            found = found.filter { wanted.contains($0["InvoiceNumber"] as? String ?? "") }
        }
        if let ids = q["IDs"] ?? q["ids"] {
            let wanted = Set(ids.lowercased().split(separator: ",").map(String.init))
            found = found.filter { wanted.contains(($0["InvoiceID"] as? String ?? "").lowercased()) }
        }
        if let condition = q["where"] {
            // Field=="value" clauses joined by AND or &&, as lmb and the SDKs write them.
            let clauses = condition.components(separatedBy: " AND ").flatMap { $0.components(separatedBy: "&&") }
            for clause in clauses {
                let parts = clause.components(separatedBy: "==")
                guard parts.count == 2 else { continue }
                let field = parts[0].trimmingCharacters(in: .whitespaces)
                let value = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                found = found.filter { ($0[field] as? String) == value }
            }
        }
        return found
    }

    func writeInvoices(_ r: SandboxRequest) -> SandboxResponse {
        let key = r.header("idempotency-key")
        // The same request is the same JSON, whatever order its keys were written in.
        let canonical = (try? JSONSerialization.jsonObject(with: r.body)).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? r.body
        let bodyHash = Self.base64url(Self.sha256(String(decoding: canonical, as: UTF8.self) + "|" + r.method + "|" + (r.query["summarizeErrors"] ?? "")))
        if let key {
            guard key.count <= 128 else {
                return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "The Idempotency-Key header must be at most 128 characters"])
            }
            if let seen = idempotency[key] {
                if seen.bodyHash == bodyHash { return seen.response }
                return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException",
                                   "Message": "The Idempotency-Key has already been used for a different request"])
            }
        }
        let response = createInvoices(r)
        if let key, response.status < 500 { idempotency[key] = (bodyHash, response) }
        return response
    }

    func createInvoices(_ r: SandboxRequest) -> SandboxResponse {
        guard let parsed = try? JSONSerialization.jsonObject(with: r.body) else {
            return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException",
                               "Message": "JSON request body could not be read, please check the JSON is valid"])
        }
        let items: [[String: Any]]
        if let object = parsed as? [String: Any], let list = object["Invoices"] as? [[String: Any]] {
            items = list
        } else if let object = parsed as? [String: Any], object["Type"] != nil {
            items = [object]
        } else {
            return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "JSON request body could not be read: no Invoices"])
        }
        let summarize = (r.query["summarizeErrors"] ?? "true").lowercased() != "false"
        var numbersInBatch = Set<String>()
        var results: [(invoice: [String: Any], errors: [String])] = []
        for item in items.map(normaliseInvoice) {
            var errors = validate(item)
            if let number = item["InvoiceNumber"] as? String, item["Type"] as? String == "ACCREC", !number.isEmpty {
                if numbersInBatch.contains(number) && !errors.contains("Invoice # must be unique") { errors.append("Invoice # must be unique") }
                numbersInBatch.insert(number)
            }
            results.append((item, errors))
        }
        let anyErrors = results.contains { !$0.errors.isEmpty }
        if summarize && anyErrors {
            return .json(400, ["ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
                               "Elements": results.map { res -> [String: Any] in
                                   var e = res.invoice
                                   e["ValidationErrors"] = res.errors.map { ["Message": $0] }
                                   return e
                               }])
        }
        var out: [[String: Any]] = []
        for res in results {
            if res.errors.isEmpty {
                out.append(commit(res.invoice))
            } else {
                var e = res.invoice
                e["HasErrors"] = true
                e["ValidationErrors"] = res.errors.map { ["Message": $0] }
                out.append(e)
            }
        }
        return envelope("Invoices", out)
    }

    static func cents(_ value: Any?) -> Int? {
        // Past a hundred billion (or not finite) is no amount: Int(_:) of such a Double would trap.
        func whole(_ d: Double) -> Int? { d.isFinite && abs(d) < 1e11 ? Int((d * 100).rounded()) : nil }
        if let n = value as? NSNumber { return whole(n.doubleValue) }
        if let s = value as? String, let d = Double(s) { return whole(d) }
        return nil
    }

    func validate(_ inv: [String: Any]) -> [String] {
        var errors: [String] = []
        let type = inv["Type"] as? String ?? ""
        if type != "ACCREC" && type != "ACCPAY" { errors.append("Invoice Type must be specified (ACCREC or ACCPAY)") }
        let contact = inv["Contact"] as? [String: Any]
        let contactName = contact?["Name"] as? String
        if contact?["ContactID"] == nil && (contactName ?? "").isEmpty {
            errors.append("A Contact must be specified for this type of transaction")
        } else if let name = contactName, contacts.contains(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame && $0.status == "ARCHIVED" }) {
            errors.append("The contact with the specified contact details has been archived. The contact must be un-archived before creating new invoices or credit notes.")
        }
        if let currency = inv["CurrencyCode"] as? String, !currencies.contains(currency.uppercased()) {
            errors.append("Organisation is not subscribed to currency \(currency)")
        }
        let status = (inv["Status"] as? String ?? "DRAFT").uppercased()
        if let lock = periodLockDate, let date = inv["Date"] as? String, status != "DRAFT", date.prefix(10) < lock.prefix(10) {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "dd-MMM-yyyy"
            errors.append("The document date cannot be before the period lock date, currently set at \(Self.day(lock).map(f.string) ?? lock)")
        }
        if type == "ACCREC", let number = inv["InvoiceNumber"] as? String, !number.isEmpty,
           invoices.contains(where: { $0["Type"] as? String == "ACCREC" && $0["InvoiceNumber"] as? String == number && $0["Status"] as? String != "DELETED" }) {
            errors.append("Invoice # must be unique")
        }
        let lines = inv["LineItems"] as? [[String: Any]] ?? []
        var total = 0
        for line in lines {
            if (line["Description"] as? String ?? "").isEmpty { errors.append("The description field is mandatory for each line item.") }
            if let q = line["Quantity"] as? NSNumber, q.doubleValue < 0 { errors.append("Quantity must not be less than zero") }
            // Wrapping arithmetic: an absurd quantity gives a wrong total for the sign check, never a trap.
            total &+= Self.cents(line["LineAmount"]) ?? ((Self.cents(line["UnitAmount"]) ?? 0) &* ((line["Quantity"] as? NSNumber)?.intValue ?? 1))
            guard let code = line["AccountCode"] as? String, !code.isEmpty else {
                errors.append("Account code or ID must be specified")
                continue
            }
            guard let account = accounts.first(where: { $0.code == code }) else {
                errors.append("Account code '\(code)' is not a valid code for this document.")
                continue
            }
            if account.status == "ARCHIVED" {
                errors.append("Account code '\(code)' has been archived, or has been deleted. Each line item must reference a valid account")
                continue
            }
            if let taxType = line["TaxType"] as? String, !taxType.isEmpty {
                guard let rate = taxRates.first(where: { $0.taxType == taxType }), rate.status == "ACTIVE" else {
                    errors.append("The TaxType code \(taxType) does not exist or cannot be used for this type of transaction.")
                    continue
                }
                if !rate.appliesTo.contains(Self.taxClass(Self.accountClass(account.type))) {
                    errors.append("The TaxType code '\(taxType)' cannot be used with account code '\(code)'.")
                }
            }
        }
        if type == "ACCREC" && total < 0 { errors.append("The invoice total cannot be negative.") }
        errors += xeroLineChecks(inv)
        var seen = Set<String>()
        return errors.filter { seen.insert($0).inserted }
    }

    func commit(_ inv: [String: Any]) -> [String: Any] {
        var stored = inv
        let name = (inv["Contact"] as? [String: Any])?["Name"] as? String ?? ""
        let contact: SandboxContact
        if let existing = contacts.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
            contact = existing
        } else {
            contact = SandboxContact(name: name)
            contacts.append(contact)
        }
        var total = 0
        var lines: [[String: Any]] = []
        for var line in inv["LineItems"] as? [[String: Any]] ?? [] {
            line["LineItemID"] = UUID().uuidString.lowercased()
            total &+= Self.cents(line["LineAmount"]) ?? 0
            lines.append(line)
        }
        let amount = Double(total) / 100
        stored["InvoiceID"] = UUID().uuidString.lowercased()
        stored["Contact"] = ["ContactID": contact.contactID, "Name": contact.name]
        stored["LineItems"] = lines
        stored["Status"] = (inv["Status"] as? String ?? "DRAFT").uppercased()
        stored["LineAmountTypes"] = inv["LineAmountTypes"] as? String ?? "Exclusive"
        stored["SubTotal"] = amount
        stored["TotalTax"] = 0.0
        stored["Total"] = amount
        stored["AmountDue"] = amount
        stored["AmountPaid"] = 0.0
        stored["CurrencyCode"] = inv["CurrencyCode"] as? String ?? baseCurrency
        stored["CurrencyRate"] = currencyRate(for: inv)
        stored["UpdatedDateUTC"] = Self.xeroDate(now)
        stored["HasErrors"] = false
        if books.faithful { applyXeroArithmetic(&stored) }
        invoices.append(stored)
        return stored
    }
}
