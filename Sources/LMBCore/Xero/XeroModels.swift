import Foundation

// Codable models for the parts of Xero's schemas (../shared/xero-openapi/xero_accounting.yaml) lmb reads.
// Property names are Xero's own (PascalCase), so they decode without key mapping.

public struct XeroConnectionInfo: Codable, Sendable, Equatable {
    public var id: String
    public var tenantId: String
    public var tenantType: String?
    public var tenantName: String?
    public var authEventId: String?
    public var createdDateUtc: String?
    public var updatedDateUtc: String?
}

public struct XeroOrganisation: Codable, Sendable {
    public var OrganisationID: String?
    public var Name: String?
    public var OrganisationStatus: String?
    public var Version: String?
    public var Class: String?
    public var IsDemoCompany: Bool?
    public var BaseCurrency: String?
    public var PeriodLockDate: String?
    public var EndOfYearLockDate: String?

    /// `/Date(1543536000000+0000)/` → the calendar day.
    public static func day(_ xeroDate: String?) -> CalendarDate? {
        guard let s = xeroDate else { return nil }
        if s.hasPrefix("/Date(") {
            let digits = s.dropFirst(6).prefix { $0.isNumber || $0 == "-" }
            // Whole days since 1970, in UTC: no calendar or time zone object, nothing to unwrap.
            guard let ms = Double(digits), ms.isFinite, abs(ms) < 1e15 else { return nil }
            return CalendarDate(daysSince1970: Int((ms / 86_400_000).rounded(.down)))
        }
        return CalendarDate(iso: String(s.prefix(10)))
    }
}

struct XeroOrganisationsEnvelope: Codable { var Organisations: [XeroOrganisation] }

public struct XeroUser: Codable, Sendable {
    public var UserID: String
    public var EmailAddress: String?
    public var FirstName: String?
    public var LastName: String?
    public var OrganisationRole: String?

    public var displayName: String { [FirstName, LastName].compactMap { $0 }.joined(separator: " ") }
    /// Only these roles can authorise an app and create invoices and bills.
    public static let rolesThatCanPost: Set<String> = ["STANDARD", "FINANCIALADVISER", "ADMIN"]
}

struct XeroUsersEnvelope: Codable { var Users: [XeroUser] }

public struct XeroAccount: Codable, Sendable, Equatable {
    public var AccountID: String?
    public var Code: String?
    public var Name: String?
    public var Status: String?
    public var `Type`: String?
    public var TaxType: String?
    public var Class: String?
    /// DEBTORS, CREDITORS, GST… for Xero's system accounts, which documents cannot use.
    public var SystemAccount: String?
}

struct XeroAccountsEnvelope: Codable { var Accounts: [XeroAccount] }

public struct XeroTaxRate: Codable, Sendable, Equatable {
    public var Name: String?
    public var TaxType: String?
    public var Status: String?
    public var ReportTaxType: String?
    public var DisplayTaxRate: Decimal?
    public var EffectiveRate: Decimal?
    public var TaxComponents: [XeroTaxComponent]?
    public var CanApplyToRevenue: Bool?
    public var CanApplyToExpenses: Bool?
    public var CanApplyToLiabilities: Bool?
    public var CanApplyToAssets: Bool?
    public var CanApplyToEquity: Bool?
}

public struct XeroTaxComponent: Codable, Sendable, Equatable {
    public var Name: String?
    public var Rate: Decimal?
}

struct XeroTaxRatesEnvelope: Codable { var TaxRates: [XeroTaxRate] }

public struct XeroCurrency: Codable, Sendable { public var Code: String; public var Description: String? }
struct XeroCurrenciesEnvelope: Codable { var Currencies: [XeroCurrency] }

public struct XeroValidationError: Codable, Sendable { public var Message: String? }

public struct XeroInvoice: Codable, Sendable {
    public var InvoiceID: String?
    public var InvoiceNumber: String?
    public var Reference: String?
    public var `Type`: String?
    public var Status: String?
    public var Total: Decimal?
    public var CurrencyCode: String?
    /// Units of CurrencyCode per one unit of the organisation's base currency, as Xero applied it (1 for the base).
    public var CurrencyRate: Decimal?
    public var HasErrors: Bool?
    public var ValidationErrors: [XeroValidationError]?
}

public struct XeroInvoicesEnvelope: Codable, Sendable { public var Invoices: [XeroInvoice] }
