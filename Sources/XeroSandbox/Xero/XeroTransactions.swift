import Foundation

extension SandboxEngine {
    // MARK: Deleting and voiding invoices: POST /Invoices/{InvoiceID}

    static let paymentAllocated = "This document cannot be edited as it has a payment or credit note allocated to it."
    static let invalidStatusChange = "Invoice not of valid status for modification"

    func activePayments(_ invoiceID: String) -> [SandboxPayment] {
        books.payments.filter { $0.invoiceID == invoiceID && $0.status != "DELETED" }
    }

    /// A status change, as Xero takes it: DRAFT/SUBMITTED → DELETED, AUTHORISED → VOIDED, DRAFT → SUBMITTED →
    /// AUTHORISED; anything else is "not of valid status", and a document with a payment cannot be voided or deleted.
    /// The body is `{"Invoices": [{"InvoiceID": …, "Status": …}]}` (the OpenAPI's form) or the invoice object alone;
    /// fields other than Status are not changed here.
    func updateInvoice(_ r: SandboxRequest, index i: Int) -> SandboxResponse {
        let item: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): item = (o["Invoices"] as? [[String: Any]])?.first ?? o
        }
        var stored = invoices[i]
        let id = stored["InvoiceID"] as? String ?? ""
        if let sentID = item["InvoiceID"] as? String, sentID.lowercased() != id.lowercased() {
            return Self.validationException([Self.element(item, ["The InvoiceID in the body does not match the one in the URL."])])
        }
        let current = stored["Status"] as? String ?? "DRAFT"
        // The Reference may change at any status but VOIDED/DELETED (lmb writes the base-currency amount there).
        if let reference = item["Reference"] as? String, !["VOIDED", "DELETED"].contains(current) {
            stored["Reference"] = reference
            stored["UpdatedDateUTC"] = Self.xeroDate(now)
            invoices[i] = stored
        }
        // So may the number (a bill has no Reference: Xero shows its number as the reference), kept unique per type.
        if let number = item["InvoiceNumber"] as? String, !number.isEmpty, number != stored["InvoiceNumber"] as? String,
           !["VOIDED", "DELETED"].contains(current) {
            let type = stored["Type"] as? String
            if invoices.contains(where: { $0["InvoiceNumber"] as? String == number && $0["Type"] as? String == type }) {
                return Self.validationException([Self.element(item, ["Invoice # must be unique."])])
            }
            stored["InvoiceNumber"] = number
            stored["UpdatedDateUTC"] = Self.xeroDate(now)
            invoices[i] = stored
        }
        guard let target = (item["Status"] as? String)?.uppercased(), target != current else {
            return envelope("Invoices", [stored])
        }
        let allowed: Set<String> = ["DRAFT>SUBMITTED", "DRAFT>AUTHORISED", "SUBMITTED>AUTHORISED", "SUBMITTED>DRAFT",
                                    "DRAFT>DELETED", "SUBMITTED>DELETED", "AUTHORISED>VOIDED"]
        var errors: [String] = []
        if ["VOIDED", "DELETED"].contains(target), !activePayments(id).isEmpty {
            errors.append(Self.paymentAllocated)
        } else if !allowed.contains("\(current)>\(target)") {
            errors.append(Self.invalidStatusChange)
        } else if target == "AUTHORISED", let lock = periodLockDate, let date = stored["Date"] as? String, date.prefix(10) < lock.prefix(10) {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "dd-MMM-yyyy"
            errors.append("The document date cannot be before the period lock date, currently set at \(Self.day(lock).map(f.string) ?? lock)")
        }
        guard errors.isEmpty else { return Self.validationException([Self.element(stored, errors)]) }
        stored["Status"] = target
        stored["UpdatedDateUTC"] = Self.xeroDate(now)
        invoices[i] = stored
        books.statusChanges.append(["InvoiceID": id, "InvoiceNumber": stored["InvoiceNumber"] ?? NSNull(), "from": current, "to": target,
                                    "time": Self.isoUTC(now)])
        return envelope("Invoices", [stored])
    }

    // MARK: Payments

    func paymentJSON(_ p: SandboxPayment) -> [String: Any] {
        var invoice: [String: Any] = ["InvoiceID": p.invoiceID]
        if let stored = invoices.first(where: { $0["InvoiceID"] as? String == p.invoiceID }) {
            for key in ["InvoiceNumber", "Type", "CurrencyCode"] { if let v = stored[key] { invoice[key] = v } }
        }
        var account: [String: Any] = ["AccountID": p.accountID]
        if let a = accounts.first(where: { $0.accountID == p.accountID }) { account["Code"] = a.code; account["Name"] = a.name }
        let bankAmount = XeroMoney.integer(Decimal(p.amount) / (p.currencyRate > 0 ? p.currencyRate : 1)) ?? p.amount
        var o: [String: Any] = [
            "PaymentID": p.id, "Date": Self.day(p.date).map(Self.xeroDate) ?? p.date, "Amount": XeroMoney.number(p.amount),
            "BankAmount": XeroMoney.number(bankAmount), "CurrencyRate": XeroMoney.double(p.currencyRate),
            "Status": p.status, "PaymentType": p.paymentType, "UpdatedDateUTC": Self.xeroDate(p.updated), "HasAccount": true,
            "HasValidationErrors": false, "IsReconciled": false, "Invoice": invoice, "Account": account,
        ]
        if let ref = p.reference { o["Reference"] = ref }
        return o
    }

    /// The payment's invoice and account, or the messages that refuse it.
    func paymentTargets(_ p: [String: Any]) -> Result<(invoice: Int, account: SandboxAccount, amount: Int, date: String), XeroMessage> {
        let ref = p["Invoice"] as? [String: Any] ?? [:]
        let key = (ref["InvoiceID"] as? String) ?? (ref["InvoiceNumber"] as? String) ?? ""
        guard let i = key.isEmpty ? nil : invoiceIndex(key) else {
            return .failure(XeroMessage("An existing Invoice with the specified InvoiceID could not be found"))
        }
        let acct = p["Account"] as? [String: Any] ?? [:]
        let code = acct["Code"] as? String, accountID = (acct["AccountID"] as? String)?.lowercased()
        guard let account = accounts.first(where: { code != nil ? $0.code == code : $0.accountID == accountID }) else {
            return .failure(XeroMessage("Account could not be found"))
        }
        if account.status == "ARCHIVED" {
            return .failure(XeroMessage("Account code '\(account.code)' has been archived, or has been deleted. Each line item must reference a valid account"))
        }
        guard account.type == "BANK" || account.enablePaymentsToAccount else {
            return .failure(XeroMessage("Account type is invalid for making a payment to this account"))
        }
        guard let amount = XeroMoney.minor(p["Amount"]), amount > 0 else {
            return .failure(XeroMessage("Payment amount must be greater than zero"))
        }
        let date = (p["Date"] as? String).map { String($0.prefix(10)) } ?? Self.isoUTC(now).prefix(10).description
        guard Self.day(date) != nil else { return .failure(XeroMessage("Date must be a valid date (YYYY-MM-DD)")) }
        return .success((i, account, amount, date))
    }

    func checkPayment(_ p: [String: Any]) -> [String] {
        switch paymentTargets(p) {
        case .failure(let m): return [m.text]
        case .success(let t):
            let inv = invoices[t.invoice]
            let status = inv["Status"] as? String ?? "DRAFT"
            guard status == "AUTHORISED" || status == "PAID" else { return ["Payments can only be made against Authorised documents"] }
            let due = XeroMoney.minor(inv["AmountDue"]) ?? 0
            if t.amount > due { return ["Payment amount exceeds the amount outstanding on this document"] }
            return []
        }
    }

    func commitPayment(_ p: [String: Any]) -> [String: Any] {
        guard case .success(let t) = paymentTargets(p) else { return p }
        var inv = invoices[t.invoice]
        let id = inv["InvoiceID"] as? String ?? ""
        let rate = XeroMoney.decimal(p["CurrencyRate"]).flatMap { $0 > 0 ? $0 : nil }
            ?? XeroMoney.decimal(inv["CurrencyRate"]) ?? 1
        let payment = SandboxPayment(invoiceID: id, accountID: t.account.accountID, amount: t.amount, date: t.date,
                                     reference: p["Reference"] as? String, currencyRate: rate,
                                     paymentType: inv["Type"] as? String == "ACCPAY" ? "ACCPAYPAYMENT" : "ACCRECPAYMENT", updated: now)
        books.payments.append(payment)
        let paid = (XeroMoney.minor(inv["AmountPaid"]) ?? 0) + t.amount
        let due = (XeroMoney.minor(inv["AmountDue"]) ?? 0) - t.amount
        inv["AmountPaid"] = XeroMoney.number(paid)
        inv["AmountDue"] = XeroMoney.number(due)
        if due == 0 {
            inv["Status"] = "PAID"
            inv["FullyPaidOnDate"] = Self.day(t.date).map(Self.xeroDate) ?? t.date
        }
        inv["Payments"] = invoicePayments(id)
        inv["UpdatedDateUTC"] = Self.xeroDate(now)
        invoices[t.invoice] = inv
        return paymentJSON(payment)
    }

    func invoicePayments(_ invoiceID: String) -> [[String: Any]] {
        activePayments(invoiceID).map {
            ["PaymentID": $0.id, "Date": Self.day($0.date).map(Self.xeroDate) ?? $0.date, "Amount": XeroMoney.number($0.amount),
             "CurrencyRate": XeroMoney.double($0.currencyRate), "HasAccount": true, "HasValidationErrors": false]
                .merging($0.reference.map { ["Reference": $0] } ?? [:]) { a, _ in a }
        }
    }

    /// `PUT /Payments`: payments applied to authorised invoices from a bank account (or one with payments enabled).
    func createPayments(_ r: SandboxRequest) -> SandboxResponse {
        switch items(r, key: "Payments", marker: "Invoice") {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let list):
            return batch(r, key: "Payments", items: list, flag: "HasValidationErrors", check: checkPayment, commit: commitPayment)
        }
    }

    /// `POST /Payments/{PaymentID} {"Status": "DELETED"}`: the payment goes, the invoice owes it again.
    func deletePayment(_ r: SandboxRequest, index i: Int) -> SandboxResponse {
        let body: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): body = (o["Payments"] as? [[String: Any]])?.first ?? o
        }
        var payment = books.payments[i]
        guard (body["Status"] as? String)?.uppercased() == "DELETED" else {
            return Self.validationException([Self.element(paymentJSON(payment), ["Only a Status of DELETED can be set on a payment."])])
        }
        guard payment.status != "DELETED" else {
            return Self.validationException([Self.element(paymentJSON(payment), ["This payment has already been deleted."])])
        }
        payment.status = "DELETED"
        payment.updated = now
        books.payments[i] = payment
        if let j = invoices.firstIndex(where: { $0["InvoiceID"] as? String == payment.invoiceID }) {
            var inv = invoices[j]
            inv["AmountPaid"] = XeroMoney.number((XeroMoney.minor(inv["AmountPaid"]) ?? 0) - payment.amount)
            inv["AmountDue"] = XeroMoney.number((XeroMoney.minor(inv["AmountDue"]) ?? 0) + payment.amount)
            if inv["Status"] as? String == "PAID" {
                inv["Status"] = "AUTHORISED"
                inv["FullyPaidOnDate"] = nil
            }
            inv["Payments"] = invoicePayments(payment.invoiceID)
            inv["UpdatedDateUTC"] = Self.xeroDate(now)
            invoices[j] = inv
        }
        return envelope("Payments", [paymentJSON(payment)])
    }

    // MARK: Manual journals

    func journalLines(_ j: [String: Any]) -> [[String: Any]] { j["JournalLines"] as? [[String: Any]] ?? [] }

    func checkJournal(_ j: [String: Any]) -> [String] {
        var errors: [String] = []
        if (j["Narration"] as? String ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.append("The Narration field is mandatory.") }
        let status = (j["Status"] as? String ?? "DRAFT").uppercased()
        if !["DRAFT", "POSTED"].contains(status) { errors.append("A new manual journal's Status must be DRAFT or POSTED.") }
        let date = (j["Date"] as? String).map { String($0.prefix(10)) }
        if let date, Self.day(date) == nil { errors.append("Date must be a valid date (YYYY-MM-DD)") }
        if status == "POSTED", let lock = periodLockDate, let date, date < String(lock.prefix(10)) {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "dd-MMM-yyyy"
            errors.append("The document date cannot be before the period lock date, currently set at \(Self.day(lock).map(f.string) ?? lock)")
        }
        let lines = journalLines(j)
        var debits = 0, credits = 0, nonZero = 0
        for line in lines {
            let amount = XeroMoney.minor(line["LineAmount"]) ?? 0
            if amount > 0 { debits += amount } else { credits += amount }
            if amount != 0 { nonZero += 1 }
            let code = line["AccountCode"] as? String, id = (line["AccountID"] as? String)?.lowercased()
            guard code?.isEmpty == false || id?.isEmpty == false else {
                errors.append("Account code or ID must be specified")
                continue
            }
            guard let account = accounts.first(where: { code?.isEmpty == false ? $0.code == code : $0.accountID == id }) else {
                errors.append("Account code '\(code ?? id ?? "")' is not a valid code for this document.")
                continue
            }
            if account.status == "ARCHIVED" {
                errors.append("Account code '\(account.code)' has been archived, or has been deleted. Each line item must reference a valid account")
                continue
            }
            if let taxType = line["TaxType"] as? String, !taxType.isEmpty {
                errors += taxTypeErrors(taxType, accountCode: account.code, accountType: account.type)
            }
            if case .failure(let m) = resolveTracking(line["Tracking"]) { errors.append(m.text) }
        }
        if nonZero < 2 { errors.append("A manual journal must have at least two journal lines with an amount.") }
        if debits + credits != 0 {
            errors.append("The total debits (\(XeroMoney.text(debits))) must equal total credits (\(XeroMoney.text(credits)))")
        }
        return errors
    }

    func commitJournal(_ j: [String: Any]) -> [String: Any] {
        let date = (j["Date"] as? String).map { String($0.prefix(10)) } ?? String(Self.isoUTC(now).prefix(10))
        var lines: [[String: Any]] = []
        for line in journalLines(j) {
            let code = line["AccountCode"] as? String, id = (line["AccountID"] as? String)?.lowercased()
            let account = accounts.first { code?.isEmpty == false ? $0.code == code : $0.accountID == id }
            var out: [String: Any] = [
                "LineAmount": XeroMoney.number(XeroMoney.minor(line["LineAmount"]) ?? 0),
                "AccountCode": account?.code ?? code ?? "", "AccountID": account?.accountID ?? id ?? "",
                "TaxType": (line["TaxType"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? "NONE",
                "IsBlank": false,
            ]
            if let d = line["Description"] as? String { out["Description"] = d }
            if case .success(let tracking) = resolveTracking(line["Tracking"]) { out["Tracking"] = tracking }
            lines.append(out)
        }
        let journal: [String: Any] = [
            "ManualJournalID": UUID().uuidString.lowercased(), "Narration": j["Narration"] as? String ?? "",
            "Date": Self.day(date).map(Self.xeroDate) ?? date, "Status": (j["Status"] as? String ?? "DRAFT").uppercased(),
            "LineAmountTypes": j["LineAmountTypes"] as? String ?? "NoTax", "JournalLines": lines,
            "ShowOnCashBasisReports": j["ShowOnCashBasisReports"] as? Bool ?? true, "HasAttachments": false,
            "UpdatedDateUTC": Self.xeroDate(now),
        ]
        books.manualJournals.append(journal)
        return journal
    }

    /// `POST /ManualJournals/{id}` with a Status: a DRAFT journal may be POSTED or DELETED, a POSTED one VOIDED (Xero
    /// refuses to delete a posted journal); the same status again changes nothing; anything else is a ValidationException.
    func updateManualJournalStatus(_ r: SandboxRequest, index i: Int) -> SandboxResponse {
        let item: [String: Any]
        switch jsonObject(r) {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let o): item = (o["ManualJournals"] as? [[String: Any]])?.first ?? o
        }
        var stored = books.manualJournals[i]
        let id = stored["ManualJournalID"] as? String ?? ""
        if let sentID = item["ManualJournalID"] as? String, sentID.lowercased() != id {
            return Self.validationException([Self.element(item, ["The ManualJournalID in the body does not match the one in the URL."])])
        }
        let current = (stored["Status"] as? String ?? "DRAFT").uppercased()
        guard let target = (item["Status"] as? String)?.uppercased(), target != current else { return envelope("ManualJournals", [stored]) }
        guard ["DRAFT>POSTED", "DRAFT>DELETED", "POSTED>VOIDED"].contains("\(current)>\(target)") else {
            return Self.validationException([Self.element(stored, ["A manual journal with status \(current) cannot be changed to \(target)."])])
        }
        stored["Status"] = target
        stored["UpdatedDateUTC"] = Self.xeroDate(now)
        books.manualJournals[i] = stored
        return envelope("ManualJournals", [stored])
    }

    /// `PUT /ManualJournals`: Narration required, lines on existing accounts, debits (positive) equal to credits
    /// (negative). Journals carry no tax arithmetic here: a TaxType is checked and kept, no tax line is added.
    func createManualJournals(_ r: SandboxRequest) -> SandboxResponse {
        switch items(r, key: "ManualJournals", marker: "JournalLines") {
        case .failure(let m): return Self.postDataInvalid(m)
        case .success(let list):
            return batch(r, key: "ManualJournals", items: list, flag: "HasErrors", check: checkJournal, commit: commitJournal)
        }
    }
}
