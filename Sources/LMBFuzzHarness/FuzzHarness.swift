import Foundation
import LMBCore

/// What the fuzzer feeds: one input through the settlement parser and through the decoding of Xero's answers.
/// Any input may be refused; none may crash, hang or be accepted without adding up. A library of its own, outside
/// LMBCore, so that lmb ships no fuzz code: `lmb-fuzz` drives it, and LMBCoreTests replays fuzz/ through it.
public enum FuzzHarness {
    public static func run(_ data: Data, scratch: String) {
        // 1. The settlement parser, from a file as lmb reads it.
        if FileManager.default.createFile(atPath: scratch, contents: data) {
            if let parsed = try? SettlementParser(path: scratch).parse(onEntry: { entry, text in _ = try? text.string(entry.sku) }) {
                let sum = parsed.groups.reduce(Int64(0)) { $0 &+ $1.amountMinor }
                precondition(sum == parsed.header.totalMinor, "an accepted settlement does not add up")
                let ledger = Ledger(mapping: .defaults).book(header: parsed.header, marketplace: parsed.marketplace, groups: parsed.groups)
                if let p = ledger.postings.last { precondition(p.signedTotalMinor == parsed.header.totalMinor, "a posting does not total the deposit") }
            }
            // The same bytes as an Etsy statement: every payout it accepts must total its deposit.
            for payout in (try? EtsyStatementParser(path: scratch).parse()) ?? [] {
                let s = payout.settlement
                precondition(s.groups.reduce(Int64(0)) { $0 &+ $1.amountMinor } == s.header.totalMinor, "an Etsy payout does not add up")
            }
        }
        // 2. Xero's answers: status from the first byte, the rest as the body.
        let status = data.first.map { 200 + Int($0) % 400 } ?? 200
        let body = data.dropFirst()
        let response = HTTPResponse(status: status, headers: ["retry-after": "x", "x-rate-limit-problem": "minute"], body: Data(body))
        _ = XeroErrorClassifier.classify(response)
        _ = try? JSONDecoder().decode(XeroInvoicesEnvelope.self, from: Data(body))
        _ = try? JSONDecoder().decode([XeroConnectionInfo].self, from: Data(body))
        _ = try? TokenSet.decode(response, service: .xeroIdentity, defaultLifetime: 1800)
        _ = JWTClaims.decode(String(decoding: body, as: UTF8.self))
        _ = try? JSON.parse(String(decoding: body, as: UTF8.self))
        // 3. Amazon's answers and documents: every service's classifier, gunzip (bounded), and charset decoding.
        for service in [RemoteService.loginWithAmazon, .sellingPartnerAPI, .documentDownload] {
            _ = AmazonErrorClassifier.classify(response, from: service)
        }
        let charsets: [String?] = [nil, "text/plain; charset=Cp1252", "text/plain; charset=Shift_JIS", "text/plain; charset=UTF-8"]
        let compression: String? = data.first.map { $0 & 1 == 0 ? "GZIP" : nil } ?? nil
        _ = try? AmazonDocumentText.decode(Data(body), compressionAlgorithm: compression,
                                          contentType: charsets[Int(data.last ?? 0) % charsets.count], maxBytes: 1 << 22)
    }
}
