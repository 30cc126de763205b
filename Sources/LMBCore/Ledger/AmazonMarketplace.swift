/// The name a settlement is booked under (the contact, and the start of every line's description).
enum AmazonMarketplace {
    /// Each Amazon marketplace settles in its own currency, so the currency names the marketplace wherever only one
    /// marketplace uses it. USD is Amazon.com's alone (Amazon.ca, .com.mx and .com.br settle in CAD, MXN and BRL;
    /// multi-channel orders settle in the selling account's currency); EUR is shared by .de, .fr, .it, .es, .nl,
    /// .com.be and .ie, so a euro settlement keeps the plain "Amazon".
    static let byCurrency: [String: String] = [
        "USD": "Amazon.com", "CAD": "Amazon.ca", "MXN": "Amazon.com.mx", "BRL": "Amazon.com.br",
        "GBP": "Amazon.co.uk", "SEK": "Amazon.se", "PLN": "Amazon.pl", "TRY": "Amazon.com.tr",
        "AED": "Amazon.ae", "SAR": "Amazon.sa", "EGP": "Amazon.eg", "ZAR": "Amazon.co.za",
        "INR": "Amazon.in", "JPY": "Amazon.co.jp", "AUD": "Amazon.com.au", "SGD": "Amazon.sg",
    ]

    /// A Flat File V1 report may name no marketplace (the parser then says "Amazon"): its currency does, when it can.
    static func name(format: SettlementFormat, currency: String, reported: String) -> String {
        guard format == .amazonV1, reported == "Amazon" else { return reported }
        return byCurrency[currency.uppercased()] ?? reported
    }
}
