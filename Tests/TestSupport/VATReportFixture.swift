import Foundation

/// Amazon VAT Transactions Reports written for the tests (no real one is in the shared samples): the 2018–2020
/// layout's 92 columns, and the 2021+ layout that inserts PROGRAM_TYPE and appends TAX_REPORTING_SCHEME and
/// TAX_COLLECTION_RESPONSIBILITY, so every column after SALES_CHANNEL sits one place further on. Tab-separated, CRLF.
public enum VATReportFixture {
    public static let legacyColumns: [String] = [
        "UNIQUE_ACCOUNT_IDENTIFIER", "ACTIVITY_PERIOD", "SALES_CHANNEL", "MARKETPLACE", "TRANSACTION_TYPE", "TRANSACTION_EVENT_ID",
        "ACTIVITY_TRANSACTION_ID", "TAX_CALCULATION_DATE", "TRANSACTION_DEPART_DATE", "TRANSACTION_ARRIVAL_DATE", "TRANSACTION_COMPLETE_DATE",
        "SELLER_SKU", "ASIN", "ITEM_DESCRIPTION", "ITEM_MANUFACTURE_COUNTRY", "QTY", "ITEM_WEIGHT", "TOTAL_ACTIVITY_WEIGHT",
        "COST_PRICE_OF_ITEMS",
        "PRICE_OF_ITEMS_AMT_VAT_EXCL", "PROMO_PRICE_OF_ITEMS_AMT_VAT_EXCL", "TOTAL_PRICE_OF_ITEMS_AMT_VAT_EXCL",
        "SHIP_CHARGE_AMT_VAT_EXCL", "PROMO_SHIP_CHARGE_AMT_VAT_EXCL", "TOTAL_SHIP_CHARGE_AMT_VAT_EXCL",
        "GIFT_WRAP_AMT_VAT_EXCL", "PROMO_GIFT_WRAP_AMT_VAT_EXCL", "TOTAL_GIFT_WRAP_AMT_VAT_EXCL", "TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL",
        "PRICE_OF_ITEMS_VAT_RATE_PERCENT", "PRICE_OF_ITEMS_VAT_AMT", "PROMO_PRICE_OF_ITEMS_VAT_AMT", "TOTAL_PRICE_OF_ITEMS_VAT_AMT",
        "SHIP_CHARGE_VAT_RATE_PERCENT", "SHIP_CHARGE_VAT_AMT", "PROMO_SHIP_CHARGE_VAT_AMT", "TOTAL_SHIP_CHARGE_VAT_AMT",
        "GIFT_WRAP_VAT_RATE_PERCENT", "GIFT_WRAP_VAT_AMT", "PROMO_GIFT_WRAP_VAT_AMT", "TOTAL_GIFT_WRAP_VAT_AMT", "TOTAL_ACTIVITY_VALUE_VAT_AMT",
        "PRICE_OF_ITEMS_AMT_VAT_INCL", "PROMO_PRICE_OF_ITEMS_AMT_VAT_INCL", "TOTAL_PRICE_OF_ITEMS_AMT_VAT_INCL",
        "SHIP_CHARGE_AMT_VAT_INCL", "PROMO_SHIP_CHARGE_AMT_VAT_INCL", "TOTAL_SHIP_CHARGE_AMT_VAT_INCL",
        "GIFT_WRAP_AMT_VAT_INCL", "PROMO_GIFT_WRAP_AMT_VAT_INCL", "TOTAL_GIFT_WRAP_AMT_VAT_INCL", "TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL",
        "TRANSACTION_CURRENCY_CODE", "COMMODITY_CODE", "STATISTICAL_CODE_DEPART", "STATISTICAL_CODE_ARRIVAL", "COMMODITY_CODE_SUPPLEMENTARY_UNIT",
        "ITEM_QTY_SUPPLEMENTARY_UNIT", "TOTAL_ACTIVITY_SUPPLEMENTARY_UNIT", "PRODUCT_TAX_CODE",
        "DEPATURE_CITY", "DEPARTURE_COUNTRY", "DEPARTURE_POST_CODE", "ARRIVAL_CITY", "ARRIVAL_COUNTRY", "ARRIVAL_POST_CODE",
        "SALE_DEPART_COUNTRY", "SALE_ARRIVAL_COUNTRY", "TRANSPORTATION_MODE", "DELIVERY_CONDITIONS",
        "SELLER_DEPART_VAT_NUMBER_COUNTRY", "SELLER_DEPART_COUNTRY_VAT_NUMBER", "SELLER_ARRIVAL_VAT_NUMBER_COUNTRY",
        "SELLER_ARRIVAL_COUNTRY_VAT_NUMBER", "TRANSACTION_SELLER_VAT_NUMBER_COUNTRY", "TRANSACTION_SELLER_VAT_NUMBER",
        "BUYER_VAT_NUMBER_COUNTRY", "BUYER_VAT_NUMBER", "VAT_CALCULATION_IMPUTATION_COUNTRY", "TAXABLE_JURISDICTION",
        "TAXABLE_JURISDICTION_LEVEL", "VAT_INV_NUMBER", "VAT_INV_CONVERTED_AMT", "VAT_INV_CURRENCY_CODE", "VAT_INV_EXCHANGE_RATE",
        "VAT_INV_EXCHANGE_RATE_DATE", "EXPORT_OUTSIDE_EU", "INVOICE_URL", "BUYER_NAME", "ARRIVAL_ADDRESS", "SUPPLIER_NAME",
        "SUPPLIER_VAT_NUMBER",
    ]

    /// The 2021+ layout.
    public static let columns: [String] = {
        var c = legacyColumns
        c.insert("PROGRAM_TYPE", at: c.firstIndex(of: "SALES_CHANNEL")! + 1)
        return c + ["TAX_REPORTING_SCHEME", "TAX_COLLECTION_RESPONSIBILITY"]
    }()

    /// A row's fields by column name; everything else empty.
    public typealias Row = [String: String]

    /// The report's text: header, then one line a row, CRLF after each.
    public static func text(columns: [String] = columns, rows: [Row]) -> String {
        ([columns.joined(separator: "\t")] + rows.map { row in columns.map { row[$0] ?? "" }.joined(separator: "\t") })
            .map { $0 + "\r\n" }.joined()
    }

    /// One transaction: the amounts of its items are the activity's (no shipping, no gift wrap), as most rows are.
    public static func row(type: String, event: String, activity: String, marketplace: String, period: String = "2024-OCT",
                           date: String, sku: String = "LAMP-01", description: String = "Desk lamp", qty: String = "1",
                           currency: String = "EUR", excl: String, vat: String, incl: String, rate: String, jurisdiction: String,
                           from: String, to: String, scheme: String? = nil, responsibility: String? = nil, export: String = "NO",
                           buyerVAT: String = "", channel: String = "AFN") -> Row {
        var r: Row = [
            "UNIQUE_ACCOUNT_IDENTIFIER": "A1B2C3D4E5F6G7", "ACTIVITY_PERIOD": period, "SALES_CHANNEL": channel, "MARKETPLACE": marketplace,
            "TRANSACTION_TYPE": type, "TRANSACTION_EVENT_ID": event, "ACTIVITY_TRANSACTION_ID": activity, "TAX_CALCULATION_DATE": date,
            "TRANSACTION_DEPART_DATE": date, "TRANSACTION_ARRIVAL_DATE": date, "TRANSACTION_COMPLETE_DATE": date, "SELLER_SKU": sku,
            "ASIN": "B07XYZ1234", "ITEM_DESCRIPTION": description, "ITEM_MANUFACTURE_COUNTRY": "CN", "QTY": qty, "ITEM_WEIGHT": "0.85",
            "COST_PRICE_OF_ITEMS": "", "PRICE_OF_ITEMS_AMT_VAT_EXCL": excl, "PROMO_PRICE_OF_ITEMS_AMT_VAT_EXCL": "0.0",
            "TOTAL_PRICE_OF_ITEMS_AMT_VAT_EXCL": excl, "SHIP_CHARGE_AMT_VAT_EXCL": "0.0", "TOTAL_ACTIVITY_VALUE_AMT_VAT_EXCL": excl,
            "PRICE_OF_ITEMS_VAT_RATE_PERCENT": rate, "PRICE_OF_ITEMS_VAT_AMT": vat, "TOTAL_PRICE_OF_ITEMS_VAT_AMT": vat,
            "TOTAL_ACTIVITY_VALUE_VAT_AMT": vat, "PRICE_OF_ITEMS_AMT_VAT_INCL": incl, "TOTAL_PRICE_OF_ITEMS_AMT_VAT_INCL": incl,
            "TOTAL_ACTIVITY_VALUE_AMT_VAT_INCL": incl, "TRANSACTION_CURRENCY_CODE": currency, "PRODUCT_TAX_CODE": "A_GEN_STANDARD",
            "DEPATURE_CITY": "LEIPZIG", "DEPARTURE_COUNTRY": from, "DEPARTURE_POST_CODE": "04347", "ARRIVAL_COUNTRY": to,
            "SALE_DEPART_COUNTRY": from, "SALE_ARRIVAL_COUNTRY": to, "TRANSPORTATION_MODE": "BY_ROAD", "DELIVERY_CONDITIONS": "DDP",
            "BUYER_VAT_NUMBER_COUNTRY": buyerVAT.isEmpty ? "" : String(buyerVAT.prefix(2)), "BUYER_VAT_NUMBER": buyerVAT,
            "VAT_CALCULATION_IMPUTATION_COUNTRY": to, "TAXABLE_JURISDICTION": jurisdiction, "TAXABLE_JURISDICTION_LEVEL": "COUNTRY",
            "EXPORT_OUTSIDE_EU": export,
        ]
        if let scheme { r["TAX_REPORTING_SCHEME"] = scheme }
        if let responsibility { r["TAX_COLLECTION_RESPONSIBILITY"] = responsibility }
        return r
    }

    /// October 2024 of a seller with stock in Germany: domestic German sales, OSS sales to France at two rates, a UK
    /// sale Amazon collected the VAT for, a refund and a return of the first order, a stock transfer to Poland, a B2B
    /// sale and an export. The first row's description carries an octal escape (`L\372menes`, ú in Latin-1).
    public static let october2024Rows: [Row] = [
        row(type: "SALE", event: "302-1111111-1111111", activity: "DV6FmcGhL", marketplace: "amazon.de", date: "03-10-2024",
            description: "L\\372menes Schreibtischlampe", qty: "2", excl: "100.0", vat: "19.0", incl: "119.0", rate: "0.19",
            jurisdiction: "GERMANY", from: "DE", to: "DE", scheme: "REGULAR", responsibility: "SELLER"),
        row(type: "SALE", event: "402-2222222-2222222", activity: "Xk3PqR7tB", marketplace: "amazon.fr", date: "05-10-2024",
            excl: "20.0", vat: "4.0", incl: "24.0", rate: "0.2", jurisdiction: "FRANCE", from: "DE", to: "FR",
            scheme: "UNION-OSS", responsibility: "SELLER"),
        row(type: "SALE", event: "402-3333333-3333333", activity: "Ym4QrS8uC", marketplace: "amazon.fr", date: "06-10-2024",
            sku: "BOOK-7", description: "Livre de cuisine", excl: "10.0", vat: "0.55", incl: "10.55", rate: "0.055",
            jurisdiction: "FRANCE", from: "DE", to: "FR", scheme: "UNION-OSS", responsibility: "SELLER"),
        row(type: "SALE", event: "202-4444444-4444444", activity: "Zn5RsT9vD", marketplace: "amazon.co.uk", date: "07-10-2024",
            currency: "GBP", excl: "10.0", vat: "2.0", incl: "12.0", rate: "0.2", jurisdiction: "UNITED KINGDOM", from: "GB", to: "GB",
            scheme: "UK_VOEC-DOMESTIC", responsibility: "MARKETPLACE"),
        row(type: "REFUND", event: "302-1111111-1111111", activity: "amzn1:crow:Q2hLbW9RZ0FCQ0RF", marketplace: "amazon.de",
            date: "15-10-2024", qty: "-1", excl: "-50.0", vat: "-9.5", incl: "-59.5", rate: "0.19", jurisdiction: "GERMANY",
            from: "DE", to: "DE", scheme: "REGULAR", responsibility: "SELLER"),
        row(type: "RETURN", event: "302-1111111-1111111", activity: "amzn1:crow:UmV0dXJuMDAwMQ", marketplace: "amazon.de",
            date: "18-10-2024", excl: "", vat: "", incl: "", rate: "", jurisdiction: "GERMANY", from: "DE", to: "DE",
            scheme: "REGULAR", responsibility: "SELLER"),
        row(type: "FC_TRANSFER", event: "1398475622", activity: "1398475622", marketplace: "N/A", date: "20-10-2024", qty: "5",
            excl: "30.0", vat: "0.0", incl: "30.0", rate: "0.0", jurisdiction: "GERMANY", from: "DE", to: "PL",
            scheme: "REGULAR", responsibility: "SELLER"),
        row(type: "SALE", event: "302-5555555-5555555", activity: "Ap6StU0wE", marketplace: "amazon.de", date: "22-10-2024",
            excl: "50.0", vat: "0.0", incl: "50.0", rate: "0.0", jurisdiction: "GERMANY", from: "DE", to: "FR",
            scheme: "REGULAR", responsibility: "SELLER", buyerVAT: "FR12345678901"),
        row(type: "SALE", event: "302-6666666-6666666", activity: "Bq7TuV1xF", marketplace: "amazon.de", date: "25-10-2024",
            excl: "40.0", vat: "0.0", incl: "40.0", rate: "0.0", jurisdiction: "GERMANY", from: "DE", to: "CH",
            scheme: "REGULAR", responsibility: "SELLER", export: "YES", channel: "MFN"),
    ]

    public static var october2024: String { text(rows: october2024Rows) }

    /// November 2024: one German sale, one OSS sale to Italy.
    public static var november2024: String {
        text(rows: [
            row(type: "SALE", event: "302-7777777-7777777", activity: "Cr8UvW2yG", marketplace: "amazon.de", period: "2024-NOV",
                date: "04-11-2024", excl: "10.0", vat: "1.9", incl: "11.9", rate: "0.19", jurisdiction: "GERMANY", from: "DE", to: "DE",
                scheme: "REGULAR", responsibility: "SELLER"),
            row(type: "SALE", event: "405-8888888-8888888", activity: "Ds9VwX3zH", marketplace: "amazon.it", period: "2024-NOV",
                date: "09-11-2024", excl: "100.0", vat: "22.0", incl: "122.0", rate: "0.22", jurisdiction: "ITALY", from: "DE", to: "IT",
                scheme: "UNION-OSS", responsibility: "SELLER"),
        ])
    }

    /// A 2019 report in the 92-column layout (no scheme, no responsibility), Windows-1252 bytes in a description.
    public static var legacy2019: Data {
        let body = text(columns: legacyColumns, rows: [
            row(type: "SALE", event: "028-1234567-7654321", activity: "GhJkLmNpQ", marketplace: "amazon.es", period: "2019-MAR",
                date: "12-03-2019", description: "Camiseta algod\u{F3}n", excl: "8.26", vat: "1.74", incl: "10.0", rate: "0.21",
                jurisdiction: "SPAIN", from: "ES", to: "ES"),
        ])
        return Data(body.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })  // every character here is Latin-1
    }
}
