import Foundation

/// One invoice or bill as `GET /Invoices/{InvoiceID}` shows it: what a rollback must know before it changes it.
public struct XeroInvoiceDetail: Codable, Sendable {
    public var InvoiceID: String?
    public var InvoiceNumber: String?
    public var `Type`: String?
    public var Status: String?
    public var AmountPaid: Decimal?
    public var AmountCredited: Decimal?
    public var Payments: [XeroPaymentRef]?
    public var CreditNotes: [XeroAllocationRef]?
    public var Prepayments: [XeroAllocationRef]?
    public var Overpayments: [XeroAllocationRef]?
    public var HasErrors: Bool?
    public var ValidationErrors: [XeroValidationError]?

    /// The payments still allocated (Xero lists deleted ones with Status DELETED, or not at all).
    public var activePayments: [XeroPaymentRef] { (Payments ?? []).filter { ($0.Status ?? "AUTHORISED").uppercased() != "DELETED" } }
    /// Credit notes, prepayments or overpayments allocated: lmb never removes those itself.
    public var otherAllocations: Int { (CreditNotes ?? []).count + (Prepayments ?? []).count + (Overpayments ?? []).count }
}

public struct XeroPaymentRef: Codable, Sendable {
    public var PaymentID: String?
    public var Amount: Decimal?
    public var Status: String?
    public var Date: String?
}

public struct XeroAllocationRef: Codable, Sendable {
    public var CreditNoteID: String?
    public var PrepaymentID: String?
    public var OverpaymentID: String?
}

struct XeroInvoiceDetailsEnvelope: Codable, Sendable { var Invoices: [XeroInvoiceDetail] }

extension XeroClient {
    /// `GET /Invoices/{InvoiceID}`: the document with its status and allocated payments.
    public func invoice(id: String) async throws -> XeroInvoiceDetail {
        let r = try await send("GET", "Invoices/\(id)")
        guard let inv = try decode(XeroInvoiceDetailsEnvelope.self, r, "GET Invoices/{InvoiceID}").Invoices.first else {
            throw RemoteFailure.unexpectedAnswer(r, service: .xero, operation: "GET Invoices/{InvoiceID}", expected: "the invoice",
                                                 requestID: r.header("xero-correlation-id"))
        }
        return inv
    }

    /// `POST /Invoices/{InvoiceID}` with a status change (DELETED for a draft or submitted document, VOIDED for an
    /// authorised one), under an idempotency key so a retried request changes nothing twice.
    public func changeInvoiceStatus(id: String, to status: String, idempotencyKey: String) async throws -> XeroInvoiceDetail {
        let body = JSON.object([("Invoices", .array([.object([("InvoiceID", .string(id)), ("Status", .string(status))])]))])
        let r = try await send("POST", "Invoices/\(id)", body: Data(body.rendered(pretty: false).utf8), idempotencyKey: idempotencyKey)
        guard let inv = try decode(XeroInvoiceDetailsEnvelope.self, r, "POST Invoices/{InvoiceID}").Invoices.first else {
            throw RemoteFailure.unexpectedAnswer(r, service: .xero, operation: "POST Invoices/{InvoiceID}", expected: "the invoice",
                                                 requestID: r.header("xero-correlation-id"))
        }
        return inv
    }

    /// `POST /Payments/{PaymentID}` with Status DELETED: the payment goes, the document owes the amount again.
    public func deletePayment(id: String, idempotencyKey: String) async throws {
        let body = JSON.object([("Status", .string("DELETED"))])
        _ = try await send("POST", "Payments/\(id)", body: Data(body.rendered(pretty: false).utf8), idempotencyKey: idempotencyKey)
    }
}
