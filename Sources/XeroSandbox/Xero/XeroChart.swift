import Foundation

/// A message for a ValidationException element.
struct XeroMessage: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

extension SandboxEngine {
    // MARK: Routing of the accounting resources beyond the demo's

    /// The accounting resources Xero/ answers (path after /api.xro/2.0/); nil: not one of them (a 404).
    func xeroResource(_ r: SandboxRequest, _ resource: String) -> SandboxResponse? {
        let parts = resource.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        guard let first = parts.first?.lowercased() else { return nil }
        switch (r.method, first, parts.count) {
        case ("GET", "taxrates", 2):
            guard let rate = taxRates.first(where: { $0.taxType.caseInsensitiveCompare(parts[1]) == .orderedSame }) else { return nil }
            return envelope("TaxRates", [taxRateJSON(rate)])
        case ("GET", "accounts", 2):
            guard let a = accounts.first(where: { $0.accountID == parts[1].lowercased() }) else { return nil }
            return envelope("Accounts", [accountJSON(a)])
        case ("PUT", "accounts", 1):
            return idempotent(r) { createAccount(r) }
        case ("PUT", "contacts", 1), ("POST", "contacts", 1): return idempotent(r) { createContacts(r) }   // Xero/XeroContacts.swift
        case ("GET", "trackingcategories", 1):
            let all = (r.query["includeArchived"] ?? "").lowercased() == "true"
            return envelope("TrackingCategories", books.trackingCategories.filter { all || $0.status == "ACTIVE" }.map(trackingCategoryJSON))
        case ("GET", "trackingcategories", 2):
            guard let c = books.trackingCategories.first(where: { $0.id == parts[1].lowercased() }) else { return nil }
            return envelope("TrackingCategories", [trackingCategoryJSON(c)])
        case ("PUT", "trackingcategories", 1):
            return idempotent(r) { createTrackingCategory(r) }
        case ("PUT", "trackingcategories", 3) where parts[2].lowercased() == "options":
            guard let i = books.trackingCategories.firstIndex(where: { $0.id == parts[1].lowercased() }) else { return nil }
            return idempotent(r) { createTrackingOption(r, category: i) }
        case ("GET", "invoices", 2):
            guard let i = invoiceIndex(parts[1]) else { return nil }
            return envelope("Invoices", [invoices[i]])
        case ("POST", "invoices", 2):
            guard let i = invoiceIndex(parts[1]) else { return nil }
            return idempotent(r) { updateInvoice(r, index: i) }
        case ("GET", "payments", 1):
            return envelope("Payments", books.payments.map(paymentJSON))
        case ("GET", "payments", 2):
            guard let p = books.payments.first(where: { $0.id == parts[1].lowercased() }) else { return nil }
            return envelope("Payments", [paymentJSON(p)])
        case ("PUT", "payments", 1), ("POST", "payments", 1):
            return idempotent(r) { createPayments(r) }
        case ("POST", "payments", 2):
            guard let i = books.payments.firstIndex(where: { $0.id == parts[1].lowercased() }) else { return nil }
            return idempotent(r) { deletePayment(r, index: i) }
        case ("GET", "manualjournals", 1):
            return envelope("ManualJournals", books.manualJournals)
        case ("GET", "manualjournals", 2):
            guard let j = books.manualJournals.first(where: { ($0["ManualJournalID"] as? String) == parts[1].lowercased() }) else { return nil }
            return envelope("ManualJournals", [j])
        case ("PUT", "manualjournals", 1), ("POST", "manualjournals", 1):
            return idempotent(r) { createManualJournals(r) }
        case ("POST", "manualjournals", 2):
            guard let i = books.manualJournals.firstIndex(where: { ($0["ManualJournalID"] as? String) == parts[1].lowercased() }) else { return nil }
            return idempotent(r) { updateManualJournalStatus(r, index: i) }
        default:
            return nil
        }
    }

    /// An invoice by InvoiceID or, as Xero also accepts in the path, by InvoiceNumber.
    func invoiceIndex(_ key: String) -> Int? {
        invoices.firstIndex { ($0["InvoiceID"] as? String)?.lowercased() == key.lowercased() }
            ?? invoices.firstIndex { ($0["InvoiceNumber"] as? String) == key && ($0["Status"] as? String) != "DELETED" }
    }

    // MARK: Shared pieces of a write

    /// A write under an Idempotency-Key: the same request again gets the first answer; another request with the key is refused.
    func idempotent(_ r: SandboxRequest, _ make: () -> SandboxResponse) -> SandboxResponse {
        guard let key = r.header("idempotency-key") else { return make() }
        guard key.count <= 128 else {
            return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "The Idempotency-Key header must be at most 128 characters"])
        }
        let canonical = (try? JSONSerialization.jsonObject(with: r.body)).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) } ?? r.body
        let hash = Self.base64url(Self.sha256(r.method + "|" + r.path + "|" + String(decoding: canonical, as: UTF8.self)))
        if let seen = idempotency[key] {
            if seen.bodyHash == hash { return seen.response }
            return .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException",
                               "Message": "The Idempotency-Key has already been used for a different request"])
        }
        let response = make()
        if response.status < 500 { idempotency[key] = (hash, response) }
        return response
    }

    /// The body's JSON object, or the 400 Xero answers for a body it cannot read.
    func jsonObject(_ r: SandboxRequest) -> Result<[String: Any], XeroMessage> {
        guard let object = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
            return .failure(XeroMessage("JSON request body could not be read, please check the JSON is valid"))
        }
        return .success(object)
    }

    /// The items of a batch body: `{"<key>": [...]}`, or one bare object when it has `marker`.
    func items(_ r: SandboxRequest, key: String, marker: String) -> Result<[[String: Any]], XeroMessage> {
        switch jsonObject(r) {
        case .failure(let m): return .failure(m)
        case .success(let o):
            if let list = o[key] as? [[String: Any]] { return .success(list) }
            if o[marker] != nil { return .success([o]) }
            return .failure(XeroMessage("JSON request body could not be read: no \(key)"))
        }
    }

    static func postDataInvalid(_ m: XeroMessage) -> SandboxResponse {
        .json(400, ["ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": m.text])
    }

    static func validationException(_ elements: [[String: Any]]) -> SandboxResponse {
        .json(400, ["ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred", "Elements": elements])
    }

    static func element(_ item: [String: Any], _ errors: [String]) -> [String: Any] {
        var e = item
        e["ValidationErrors"] = errors.map { ["Message": $0] }
        return e
    }

    /// A batch as Xero runs one: each item checked and committed in order; with summarizeErrors (the default) any
    /// error undoes the whole batch and answers 400, without it the good items stay and the bad ones come back with
    /// their errors and `flag` set.
    func batch(_ r: SandboxRequest, key: String, items: [[String: Any]], flag: String,
               check: ([String: Any]) -> [String], commit: ([String: Any]) -> [String: Any]) -> SandboxResponse {
        let summarize = (r.query["summarizeErrors"] ?? "true").lowercased() != "false"
        let saved = (invoices, books)
        var out: [[String: Any]] = []
        var failures: [[String]] = []
        for item in items {
            var seen = Set<String>()
            let errors = check(item).filter { seen.insert($0).inserted }
            failures.append(errors)
            if errors.isEmpty {
                out.append(commit(item))
            } else {
                var e = Self.element(item, errors)
                e[flag] = true
                out.append(e)
            }
        }
        if summarize && failures.contains(where: { !$0.isEmpty }) {
            (invoices, books) = saved
            return Self.validationException(zip(items, failures).map { Self.element($0, $1) })
        }
        return envelope(key, out)
    }

    /// The V4 and V3 checks of a TaxType on an account.
    func taxTypeErrors(_ taxType: String, accountCode: String, accountType: String) -> [String] {
        guard let rate = taxRates.first(where: { $0.taxType == taxType }), rate.status == "ACTIVE" else {
            return ["The TaxType code \(taxType) does not exist or cannot be used for this type of transaction."]
        }
        if !rate.appliesTo.contains(Self.taxClass(Self.accountClass(accountType))) {
            return ["The TaxType code '\(taxType)' cannot be used with account code '\(accountCode)'."]
        }
        return []
    }

    // MARK: Accounts

    static let accountTypes: Set<String> = ["BANK", "CURRENT", "CURRLIAB", "DEPRECIATN", "DIRECTCOSTS", "EQUITY", "EXPENSE", "FIXED",
                                            "INVENTORY", "LIABILITY", "NONCURRENT", "OTHERINCOME", "OVERHEADS", "PREPAYMENT",
                                            "REVENUE", "SALES", "TERMLIAB", "PAYG"]

    /// `PUT /Accounts`: one account a request, as Xero takes them (a list's first element only).
    func createAccount(_ r: SandboxRequest) -> SandboxResponse {
        let body: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): body = (o["Accounts"] as? [[String: Any]])?.first ?? o
        }
        func text(_ key: String) -> String {
            if let n = body[key] as? NSNumber { return n.stringValue }
            return (body[key] as? String ?? "").trimmingCharacters(in: .whitespaces)
        }
        let code = text("Code"), name = text("Name"), type = text("Type").uppercased()
        var errors: [String] = []
        if !Self.accountTypes.contains(type) { errors.append("Please select a valid Account Type.") }
        if name.isEmpty {
            errors.append("Please enter a Name.")
        } else if name.count > 150 {
            errors.append("Account Name is too long. Maximum of 150 characters allowed")
        } else if accounts.contains(where: { $0.status != "DELETED" && $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
            errors.append("Please enter a unique Name.")
        }
        if code.isEmpty {
            if type != "BANK" { errors.append("Please enter a Code.") }
        } else if code.count > 10 {
            errors.append("Account Code is too long. Maximum of 10 characters allowed")
        } else if accounts.contains(where: { $0.status != "DELETED" && $0.code.caseInsensitiveCompare(code) == .orderedSame }) {
            errors.append("Please enter a unique Code.")
        }
        let sentTax = text("TaxType")
        if !sentTax.isEmpty, Self.accountTypes.contains(type) {
            errors += taxTypeErrors(sentTax, accountCode: code, accountType: type)
        }
        if type == "BANK", text("BankAccountNumber").isEmpty { errors.append("Bank Account Number is required for a bank account.") }
        guard errors.isEmpty else { return Self.validationException([Self.element(body, errors)]) }
        let taxType = sentTax.isEmpty
            ? (books.version?.defaultTaxType(code: code, type: type)
               ?? (Self.accountClass(type) == "REVENUE" && type != "OTHERINCOME" ? "OUTPUT" : Self.accountClass(type) == "EXPENSE" ? "INPUT" : "NONE"))
            : sentTax
        var account = SandboxAccount(code: code, name: name, type: type, taxType: taxType)
        account.description = body["Description"] as? String
        account.enablePaymentsToAccount = body["EnablePaymentsToAccount"] as? Bool ?? false
        if type == "BANK" { account.bankAccountNumber = text("BankAccountNumber") }
        accounts.append(account)
        books.accountsCreated.append(code.isEmpty ? name : code)
        return envelope("Accounts", [accountJSON(account)])
    }

    // MARK: Tracking categories

    func trackingCategoryJSON(_ c: SandboxTrackingCategory) -> [String: Any] {
        ["TrackingCategoryID": c.id, "Name": c.name, "Status": c.status,
         "Options": c.options.filter { $0.status == "ACTIVE" }.map { ["TrackingOptionID": $0.id, "Name": $0.name, "Status": $0.status] }]
    }

    func trackingName(_ body: [String: Any], existing: [String], what: String) -> [String] {
        let name = (body["Name"] as? String ?? "").trimmingCharacters(in: .whitespaces)
        if name.isEmpty { return ["Please enter a Name."] }
        if name.count > 100 { return ["\(what) Name is too long. Maximum of 100 characters allowed"] }
        if existing.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) { return ["Please enter a unique Name."] }
        return []
    }

    /// `PUT /TrackingCategories {"Name": "Region"}`: Xero allows two active categories.
    func createTrackingCategory(_ r: SandboxRequest) -> SandboxResponse {
        let body: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): body = (o["TrackingCategories"] as? [[String: Any]])?.first ?? o
        }
        let active = books.trackingCategories.filter { $0.status == "ACTIVE" }
        var errors = trackingName(body, existing: books.trackingCategories.filter { $0.status != "DELETED" }.map(\.name), what: "Tracking Category")
        if active.count >= 2 { errors.append("You can only have two active tracking categories.") }
        guard errors.isEmpty else { return Self.validationException([Self.element(body, errors)]) }
        let category = SandboxTrackingCategory(name: (body["Name"] as? String ?? "").trimmingCharacters(in: .whitespaces))
        books.trackingCategories.append(category)
        return envelope("TrackingCategories", [trackingCategoryJSON(category)])
    }

    /// `PUT /TrackingCategories/{id}/Options {"Name": "North"}`.
    func createTrackingOption(_ r: SandboxRequest, category i: Int) -> SandboxResponse {
        let body: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): body = (o["Options"] as? [[String: Any]])?.first ?? o
        }
        let errors = trackingName(body, existing: books.trackingCategories[i].options.filter { $0.status != "DELETED" }.map(\.name),
                                  what: "Tracking Option")
        guard errors.isEmpty else { return Self.validationException([Self.element(body, errors)]) }
        let option = (id: UUID().uuidString.lowercased(), name: (body["Name"] as? String ?? "").trimmingCharacters(in: .whitespaces), status: "ACTIVE")
        books.trackingCategories[i].options.append(option)
        return envelope("Options", [["TrackingOptionID": option.id, "Name": option.name, "Status": option.status,
                                     "TrackingCategoryID": books.trackingCategories[i].id]])
    }

    /// A line's Tracking (by TrackingCategoryID or Name, TrackingOptionID or Option) resolved to active categories
    /// and options, as Xero stores it; at most two a line.
    func resolveTracking(_ value: Any?) -> Result<[[String: Any]], XeroMessage> {
        guard let list = value as? [[String: Any]], !list.isEmpty else { return .success([]) }
        if list.count > 2 { return .failure(XeroMessage("A line item can have at most two tracking categories.")) }
        var out: [[String: Any]] = []
        for t in list {
            let id = (t["TrackingCategoryID"] as? String)?.lowercased()
            let name = t["Name"] as? String ?? ""
            guard let category = books.trackingCategories.first(where: {
                $0.status == "ACTIVE" && (id != nil ? $0.id == id : $0.name.caseInsensitiveCompare(name) == .orderedSame)
            }) else {
                return .failure(XeroMessage("There is no ACTIVE tracking category with the name '\(name)'"))
            }
            let optionID = (t["TrackingOptionID"] as? String)?.lowercased()
            let optionName = t["Option"] as? String ?? ""
            guard let option = category.options.first(where: {
                $0.status == "ACTIVE" && (optionID != nil ? $0.id == optionID : $0.name.caseInsensitiveCompare(optionName) == .orderedSame)
            }) else {
                return .failure(XeroMessage("There is no ACTIVE tracking option with the name '\(optionName)' in the tracking category '\(category.name)'"))
            }
            out.append(["TrackingCategoryID": category.id, "TrackingOptionID": option.id, "Name": category.name, "Option": option.name])
        }
        return .success(out)
    }
}
