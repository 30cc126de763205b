import Foundation
import Testing

/// eBay's transaction report, built as the facts doc describes it: preamble lines, the header, `--` for empty.
enum EbayE2E {
    static let columns = ["Transaction creation date", "Type", "Order number", "Legacy order ID", "Buyer username", "Buyer name", "Ship to city",
                          "Ship to province/region/state", "Ship to zip", "Ship to country", "Net amount", "Payout currency", "Payout date",
                          "Payout ID", "Payout method", "Payout status", "Reason for hold", "Item ID", "Transaction ID", "Item title",
                          "Custom label", "Quantity", "Item subtotal", "Shipping and handling", "Seller collected tax", "eBay collected tax",
                          "Final Value Fee - fixed", "Final Value Fee - variable", "Regulatory operating fee", "Very high fee",
                          "Below standard performance fee", "International fee", "Charity donation", "Deposit processing fee",
                          "Gross transaction amount", "Transaction currency", "Exchange rate", "Reference ID", "Description"]

    static func row(_ values: [String: String]) -> String {
        columns.map { c in
            let v = values[c] ?? "--"
            return v.contains(",") ? "\"\(v)\"" : v
        }.joined(separator: ",")
    }

    /// One payout of a sale with fees, a Promoted Listings fee, a refund, a shipping label and a transfer in, and its
    /// payout row; one sale not yet paid out. `payout` is the payout row's net (−4.42 adds up).
    static func report(payout: String = "-4.42") -> String {
        func r(_ type: String, _ net: String, _ extra: [String: String] = [:]) -> String {
            row(["Transaction creation date": "Oct 2, 2026", "Type": type, "Net amount": net, "Payout currency": "GBP", "Payout date": "Oct 5, 2026",
                 "Payout ID": "6000123456", "Payout status": "Paid", "Transaction currency": "GBP"].merging(extra) { $1 })
        }
        return [
            "\"Transaction report\"", "\"Oct 1, 2026 - Oct 31, 2026\"", "\"Seller: e2e-seller\"", "",
            columns.joined(separator: ","),
            r("Order", "17.12", ["Order number": "12-34567-89012", "Item subtotal": "20.00", "Final Value Fee - fixed": "-0.30",
                                 "Final Value Fee - variable": "-2.58", "Gross transaction amount": "20.00"]),
            r("Other fee", "-1.50", ["Description": "Promoted Listings - General fee"]),
            r("Refund", "-10.00", ["Order number": "12-34567-89000", "Final Value Fee - variable": "1.29"]),
            r("Shipping label", "-3.20", ["Description": "Shipping label"]),
            r("Transfer", "2.00", ["Description": "Transfer from your bank account"]),
            r("Payout", payout, ["Description": "Payout"]),
            row(["Transaction creation date": "Oct 20, 2026", "Type": "Order", "Net amount": "9.00", "Payout currency": "GBP", "Payout ID": "--"]),
        ].joined(separator: "\n") + "\n"
    }
}

extension EndToEnd {
    @Suite("eBay — the built binary reads eBay's transaction report")
    struct EbayE2ETests {
        @Test("a transaction report imports one settlement per payout (EBAY-<id>, contact eBay UK): the sale's fees on their own lines, the ad fee, refund, label and transfer mapped, the lines adding up to the payout")
        func importReport() async throws {
            let home = try E2E.newHome()
            let path = home + "/ebay-report.csv"
            try EbayE2E.report().write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await E2E.run(["import", path], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await E2E.column("SELECT id || ' ' || total_minor || ' ' || currency || ' ' || marketplace FROM settlement", home: home)
                    == ["EBAY-6000123456 442 GBP eBay UK"])
            let preview = try await E2E.run(["preview", "EBAY-6000123456", "--json"], home: home)
            #expect(preview.status == 0, "\(preview.stderr)")
            let text = try await E2E.run(["preview", "EBAY-6000123456"], home: home)
            #expect(text.stdout.contains("contact eBay UK"), "\(text.stdout)")
            #expect(text.stdout.contains("EBAY-6000123456"))
            #expect(!text.stdout.contains("needs mapping") && !text.stderr.contains("needs mapping"), "\(text.stdout)\(text.stderr)")
            let groups = try await E2E.column("SELECT transaction_type || '/' || amount_description || '=' || amount_minor FROM settlement_group ORDER BY 1", home: home)
            #expect(groups == ["NON_SALE_CHARGE/Promoted Listings - General fee=-150", "REFUND/FINAL_VALUE_FEE=129", "REFUND/Gross=-1129",
                               "SALE/FINAL_VALUE_FEE=-258", "SALE/FINAL_VALUE_FEE_FIXED_PER_ORDER=-30", "SALE/Gross=2000",
                               "SHIPPING_LABEL/Shipping label=-320", "TRANSFER/Transfer from your bank account=200"], "\(groups)")
        }

        @Test("a report whose rows do not add up to its payout row is refused (65) and nothing is stored")
        func doesNotAddUp() async throws {
            let home = try E2E.newHome()
            let path = home + "/ebay-report.csv"
            try EbayE2E.report(payout: "-4.40").write(toFile: path, atomically: true, encoding: .utf8)
            let r = try await E2E.run(["import", path], home: home)
            #expect(r.status == 65)
            #expect(r.stderr.contains("does not add up"), "\(r.stderr)")
        }
    }
}
