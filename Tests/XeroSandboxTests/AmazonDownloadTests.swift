import Foundation
import Testing
@testable import XeroSandbox

@Suite("Amazon report documents: pre-signed S3 addresses, charsets, gzip")
struct AmazonDownloadTests {
    @Test("the address expires after 300 s of sandbox clock with S3's XML; a fresh address works")
    func expiry() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        let document = try await f.reportDocument(posted.document, token: token)
        #expect(document.status == 200)
        #expect(document.header("x-amzn-RateLimit-Limit") == "0.0167")
        #expect(document.object["reportDocumentId"] as? String == posted.document)
        #expect(document.object["compressionAlgorithm"] == nil)
        let url = try #require(document.object["url"] as? String)
        #expect(url.contains("X-Amz-Expires=300"))
        #expect(url.contains("X-Amz-Signature="))
        try await f.advance(299)
        #expect(try await f.download(url).status == 200)
        try await f.advance(1)
        let expired = try await f.download(url)
        #expect(expired.status == 403)
        #expect(expired.header("Content-Type") == "application/xml")
        #expect(expired.text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"))
        #expect(expired.text.hasSuffix("</Error>"))
        let fresh = try #require(try await f.reportDocument(posted.document, token: token).object["url"] as? String)
        #expect(fresh != url)
        let body = try await f.download(fresh)
        #expect(body.status == 200)
        #expect(body.text == SandboxFixture.europeanSettlement)
        #expect(body.header("Content-Type") == "text/plain; charset=UTF-8")
    }

    @Test("a download carrying SP-API headers is refused as S3 refuses it", arguments: [
        ["x-amz-access-token": "Atza|whatever"], ["Authorization": "Bearer Atza|whatever"],
    ])
    func refusedWithSPAPIHeaders(headers: [String: String]) async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement()
        let url = try #require(try await f.reportDocument(posted.document, token: try await f.amazonToken()).object["url"] as? String)
        let r = try await f.download(url, headers: headers)
        #expect([400, 403].contains(r.status))
        #expect(r.header("Content-Type") == "application/xml")
        #expect(r.text.contains("<Error><Code>"))
        #expect(!r.text.contains("Café"))
        #expect(try await f.download(url).status == 200)
    }

    @Test("a changed signature or expiry is refused with SignatureDoesNotMatch")
    func tampered() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement()
        let url = try #require(try await f.reportDocument(posted.document, token: try await f.amazonToken()).object["url"] as? String)
        for bad in [url.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=3600"),
                    url.replacingOccurrences(of: "X-Amz-Signature=", with: "X-Amz-Signature=0")] {
            let r = try await f.download(bad)
            #expect(r.status == 403)
            #expect(r.text.contains("<Code>SignatureDoesNotMatch</Code>"))
        }
    }

    @Test("GZIP + Cp1252: gunzipped bytes decode as Windows-1252 back to the accented original")
    func gzipCp1252() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement(query: "compression=GZIP&charset=Cp1252")
        let document = try await f.reportDocument(posted.document, token: try await f.amazonToken())
        #expect(document.object["compressionAlgorithm"] as? String == "GZIP")
        let r = try await f.download(try #require(document.object["url"] as? String))
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "text/plain; charset=Cp1252")
        #expect(r.header("Content-Encoding") == nil)
        #expect(Array(r.body.prefix(2)) == [0x1f, 0x8b], "a gzip member")
        let bytes = try SandboxFixture.gunzip(r.body)
        #expect(String(data: bytes, encoding: .utf8) == nil, "é and € are single Cp1252 bytes, not UTF-8")
        #expect(bytes.contains(0x80), "€ is 0x80 in Windows-1252 (ISO-8859-1 has no €)")
        #expect(String(data: bytes, encoding: .windowsCP1252) == SandboxFixture.europeanSettlement)
    }

    @Test("Shift_JIS: the download decodes as Shift_JIS to the Japanese original")
    func shiftJIS() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement(SandboxFixture.japaneseSettlement, query: "charset=Shift_JIS")
        let url = try #require(try await f.reportDocument(posted.document, token: try await f.amazonToken()).object["url"] as? String)
        let r = try await f.download(url)
        #expect(r.header("Content-Type") == "text/plain; charset=Shift_JIS")
        #expect(r.body != Data(SandboxFixture.japaneseSettlement.utf8))
        #expect(String(data: r.body, encoding: .shiftJIS) == SandboxFixture.japaneseSettlement)
    }

    @Test("charset none: UTF-8 bytes with no charset parameter")
    func noCharset() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement(query: "charset=none")
        let url = try #require(try await f.reportDocument(posted.document, token: try await f.amazonToken()).object["url"] as? String)
        let r = try await f.download(url)
        #expect(r.header("Content-Type") == "text/plain")
        #expect(r.body == Data(SandboxFixture.europeanSettlement.utf8))
    }

    @Test("characters a charset cannot represent are refused at posting")
    func unrepresentable() async throws {
        let f = try await SandboxFixture()
        for (text, charset) in [(SandboxFixture.japaneseSettlement, "Cp1252"), (SandboxFixture.europeanSettlement, "Shift_JIS")] {
            let r = try await f.send("POST", "/_sandbox/amazon/reports?charset=" + charset, body: Data(text.utf8))
            #expect(r.status == 400, "\(charset)")
        }
        #expect(try await f.send("POST", "/_sandbox/amazon/reports?charset=latin9", body: Data("x".utf8)).status == 400)
        #expect(try await f.amazonState()["reports"] as? Int == 0)
    }

    @Test("enableContentEncodingUrlHeader=true makes S3 label the gzipped body Content-Encoding: gzip")
    func contentEncoding() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement(query: "compression=GZIP")
        let token = try await f.amazonToken()
        let document = try await f.spapi("GET", "/reports/2021-06-30/documents/\(posted.document)?enableContentEncodingUrlHeader=true", token: token)
        let r = try await f.download(try #require(document.object["url"] as? String))
        #expect(r.status == 200)
        #expect(r.header("Content-Encoding") == "gzip")
        let bad = try await f.spapi("GET", "/reports/2021-06-30/documents/\(posted.document)?enableContentEncodingUrlHeader=yes", token: token)
        #expect(bad.status == 400)
    }

    @Test("downloads are not counted against the SP-API buckets")
    func notRateLimited() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()
        let posted = try await f.postSettlement()
        let url = try #require(try await f.reportDocument(posted.document, token: try await f.amazonToken()).object["url"] as? String)
        var statuses: [Int] = []
        for _ in 0..<25 { statuses.append(try await f.download(url).status) }
        #expect(statuses == Array(repeating: 200, count: 25))
    }

    @Test("an unknown report document is 404 NotFound")
    func unknownDocument() async throws {
        let f = try await SandboxFixture()
        let r = try await f.reportDocument("amzn1.spdoc.1.4.na.nope", token: try await f.amazonToken())
        #expect(r.status == 404)
        #expect(SandboxFixture.errorCode(r) == "NotFound")
        #expect(r.header("x-amzn-RateLimit-Limit") == "0.0167")
    }
}
