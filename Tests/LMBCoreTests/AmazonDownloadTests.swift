import CZlib
import Foundation
import Testing
@testable import LMBCore

/// gzip with zlib itself, so the round trip does not test lmb's inflate against lmb's own deflate.
func gzipForTest(_ data: Data, level: Int32 = 6) -> Data {
    var stream = z_stream()
    precondition(lmb_deflate_init_gzip(&stream, level) == Z_OK)
    defer { deflateEnd(&stream) }
    var input = [UInt8](data)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
    let status = input.withUnsafeMutableBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
            stream.next_in = i.baseAddress
            stream.avail_in = uInt(i.count)
            stream.next_out = o.baseAddress
            stream.avail_out = uInt(o.count)
            return deflate(&stream, Z_FINISH)
        }
    }
    precondition(status == Z_STREAM_END)
    return Data(output[0..<Int(stream.total_out)])
}

enum AmazonDownloadFixture {
    static let settlement = "settlement-id\tsettlement-start-date\ttotal-amount\tcurrency\n11783301001\t2026-01-01T00:00:00+00:00\t95,00\tEUR\n"
    static let s3 = "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com/%2FNinetyDays/amzn1.tortuga.4.eu.T1"
    static let signature = "X-Amz-Signature=5ec2e7f0a1b2c3d4e5f6SIGNATURE"

    static func document(_ id: String = "amzn1.spdoc.1.4.eu.d1", url: String = s3 + "?X-Amz-Expires=300&" + signature, gzip: Bool = false) -> HTTPResponse {
        AmazonFixture.json(200, #"{"reportDocumentId":"\#(id)","url":"\#(url)"\#(gzip ? #","compressionAlgorithm":"GZIP""# : "")}"#)
    }

    static func s3(_ body: Data, contentType: String? = "text/plain; charset=UTF-8", headers: [String: String] = [:]) -> HTTPResponse {
        var h = ["x-amz-request-id": "S3REQ1"]
        if let contentType { h["content-type"] = contentType }
        for (k, v) in headers { h[k] = v }
        return HTTPResponse(status: 200, headers: h, body: body)
    }

    static let expired = HTTPResponse(status: 403, headers: ["content-type": "application/xml"], body: Data("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires><Expires>2026-01-10T08:05:00Z</Expires><ServerTime>2026-01-10T08:09:00Z</ServerTime><RequestId>S3EXPIRED</RequestId><HostId>host</HostId></Error>
        """.utf8))

    /// A transport scripted with LWA, getReportDocument's answers in turn and S3's answers in turn.
    static func scripted(documents: [HTTPResponse], s3: [HTTPResponse]) -> AmazonFakeTransport {
        let t = AmazonFakeTransport()
        t.on("/auth/o2/token", AmazonFixture.token("Atza|one"))
        t.on("/reports/2021-06-30/documents/", answers: documents)
        t.on("/NinetyDays/", answers: s3)
        return t
    }
}

@Suite("Amazon document download")
struct AmazonDownloadTests {
    @Test("the pre-signed download carries no SP-API headers; the SP-API calls do")
    func noSPAPIHeaders() async throws {
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document()],
                                                       s3: [AmazonDownloadFixture.s3(Data(AmazonDownloadFixture.settlement.utf8))])
        let downloaded = try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1", reportId: "5004")
        #expect(String(decoding: downloaded.utf8, as: UTF8.self) == AmazonDownloadFixture.settlement)
        #expect(downloaded.reportId == "5004")
        #expect(downloaded.reportDocumentId == "amzn1.spdoc.1.4.eu.d1")
        #expect(downloaded.requestID == "S3REQ1")
        let download = try #require(transport.requests("/NinetyDays/").first)
        #expect(download.method == "GET")
        #expect(download.url.query?.contains(AmazonDownloadFixture.signature) == true)   // the address exactly as Amazon gave it
        #expect(download.headers.isEmpty)
        #expect(AmazonFixture.header(download, "x-amz-access-token") == nil)
        #expect(AmazonFixture.header(download, "authorization") == nil)
        #expect(AmazonFixture.header(try #require(transport.requests("/documents/").first), "x-amz-access-token") == "Atza|one")
    }

    @Test("when S3 says the address expired, a fresh one is asked for and the download succeeds")
    func expiredAddressRefreshed() async throws {
        let fresh = AmazonDownloadFixture.s3 + "?X-Amz-Expires=300&X-Amz-Signature=fresh"
        let transport = AmazonDownloadFixture.scripted(
            documents: [AmazonDownloadFixture.document(), AmazonDownloadFixture.document(url: fresh)],
            s3: [AmazonDownloadFixture.expired, AmazonDownloadFixture.s3(Data(AmazonDownloadFixture.settlement.utf8))])
        let downloaded = try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1")
        #expect(downloaded.urlRefreshes == 1)
        #expect(transport.requests("/documents/").count == 2)
        #expect(transport.requests("/NinetyDays/").map(\.url.absoluteString).last == fresh)
        #expect(downloaded.utf8 == Data(AmazonDownloadFixture.settlement.utf8))
    }

    @Test("an address that keeps expiring is given up after two fresh ones, as retry-later, without the signature")
    func expiredAddressBounded() async {
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document()], s3: [AmazonDownloadFixture.expired])
        let failure = await amazonFailure { try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1") }
        #expect(failure?.classification == .unavailable)
        #expect(failure?.code == "AccessDenied")
        #expect(failure?.message == "Request has expired")
        #expect(failure?.requestID == "S3EXPIRED")
        #expect(transport.requests("/NinetyDays/").count == 1 + AmazonPacing.default.maxExpiredURLRetries)
        #expect(transport.requests("/documents/").count == 1 + AmazonPacing.default.maxExpiredURLRetries)
        let everything = failure.map { "\($0) \($0.evidence)" } ?? ""
        #expect(!everything.contains("SIGNATURE"))
        #expect(everything.contains("tortuga-prod-eu.s3-eu-west-1.amazonaws.com"))
    }

    @Test("a GZIP document round-trips through zlib")
    func gzipRoundTrip() async throws {
        let plain = Data(String(repeating: AmazonDownloadFixture.settlement, count: 500).utf8)
        let compressed = gzipForTest(plain)
        #expect(compressed.count < plain.count / 10)
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document(gzip: true)],
                                                       s3: [AmazonDownloadFixture.s3(compressed)])
        let downloaded = try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1")
        #expect(downloaded.utf8 == plain)
        #expect(downloaded.text.compressed)
        #expect(downloaded.text.downloadedBytes == compressed.count)
        #expect(downloaded.text.decompressedBytes == plain.count)
        #expect(downloaded.text.charset == .utf8)
    }

    @Test("a corrupt or cut-short gzip stream is refused as document_unreadable, exit 65")
    func corruptGzip() async throws {
        let compressed = gzipForTest(Data(String(repeating: AmazonDownloadFixture.settlement, count: 50).utf8))
        var corrupt = compressed
        for i in 20..<40 { corrupt[i] ^= 0x5A }
        let truncated = compressed.prefix(compressed.count - 12)
        #expect(throws: Gunzip.Failure.truncated) { try Gunzip.inflate(truncated, maxOutput: 1 << 20) }
        #expect {
            try Gunzip.inflate(corrupt, maxOutput: 1 << 20)
        } throws: { error in
            if case .corrupt = error as? Gunzip.Failure { return true }
            return false
        }
        for body in [corrupt, Data(truncated)] {
            let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document(gzip: true)],
                                                           s3: [AmazonDownloadFixture.s3(body)])
            let failure = await amazonFailure { try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1") }
            #expect(failure?.classification == .documentUnreadable)
            #expect(failure?.exitStatus == .dataError)
        }
    }

    @Test("a document that inflates beyond the limit is refused (a gzip bomb)")
    func bomb() throws {
        let zeros = gzipForTest(Data(count: 4 << 20), level: 9)
        #expect(zeros.count < 10_000)
        #expect(throws: Gunzip.Failure.tooLarge(limit: 1 << 20)) { try Gunzip.inflate(zeros, maxOutput: 1 << 20) }
        #expect(try Gunzip.inflate(zeros, maxOutput: 4 << 20).count == 4 << 20)
        #expect(throws: AmazonDocumentText.Failure.gzip(.tooLarge(limit: 1000))) {
            try AmazonDocumentText.decode(zeros, compressionAlgorithm: "GZIP", contentType: nil, maxBytes: 1000)
        }
    }

    @Test("concatenated gzip members are one document; gzip bytes are inflated even when Amazon did not say GZIP")
    func membersAndSniffing() throws {
        let a = gzipForTest(Data("first half\t".utf8)), b = gzipForTest(Data("second half\n".utf8))
        #expect(try Gunzip.inflate(a + b, maxOutput: 1000) == Data("first half\tsecond half\n".utf8))
        let text = try AmazonDocumentText.decode(a, compressionAlgorithm: nil, contentType: "text/plain")
        #expect(text.utf8 == Data("first half\t".utf8))
        #expect(text.compressed)
    }

    @Test("GZIP with Content-Encoding: gzip that the transport already inflated is taken as it is")
    func transportInflated() throws {
        let plain = Data(AmazonDownloadFixture.settlement.utf8)
        let text = try AmazonDocumentText.decode(plain, compressionAlgorithm: "GZIP", contentType: "text/plain; charset=UTF-8", contentEncoding: "gzip")
        #expect(text.utf8 == plain)
        #expect(throws: AmazonDocumentText.Failure.self) {
            try AmazonDocumentText.decode(plain, compressionAlgorithm: "GZIP", contentType: "text/plain; charset=UTF-8")
        }
        #expect(throws: AmazonDocumentText.Failure.unknownCompression("ZSTD")) {
            try AmazonDocumentText.decode(plain, compressionAlgorithm: "ZSTD", contentType: nil)
        }
    }

    @Test("Cp1252 is Windows-1252: é, ü and € (0x80) decode right", arguments: ["Cp1252", "windows-1252", "\"CP1252\""])
    func cp1252(name: String) throws {
        // "Café Müller 95,00 €"
        let bytes = Data([0x43, 0x61, 0x66, 0xE9, 0x20, 0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x09, 0x39, 0x35, 0x2C, 0x30, 0x30, 0x20, 0x80, 0x0A])
        let text = try AmazonDocumentText.decode(bytes, compressionAlgorithm: nil, contentType: "text/plain; charset=\(name)")
        #expect(String(decoding: text.utf8, as: UTF8.self) == "Café Müller\t95,00 €\n")
        #expect(text.charset == .windows1252)
        #expect(text.declaredCharset == name.replacingOccurrences(of: "\"", with: ""))
        #expect(!text.charsetDetected)
    }

    @Test("ISO-8859-1 is honoured as declared: 0x80 is a control character there, not €")
    func latin1() throws {
        let text = try AmazonDocumentText.decode(Data([0x4D, 0xFC, 0x80]), compressionAlgorithm: nil, contentType: "text/plain;charset=ISO-8859-1")
        #expect(String(decoding: text.utf8, as: UTF8.self) == "Mü\u{80}")
        #expect(text.charset == .isoLatin1)
    }

    @Test("Shift_JIS (and its Cp932 spelling) decodes Japanese, with 0x5C as a backslash", arguments: ["Shift_JIS", "Cp932", "windows-31j"])
    func shiftJIS(name: String) throws {
        // 日本 \ 円 (Shift_JIS bytes)
        let bytes = Data([0x93, 0xFA, 0x96, 0x7B, 0x09, 0x5C, 0x09, 0x89, 0x7E, 0x0A])
        let text = try AmazonDocumentText.decode(bytes, compressionAlgorithm: nil, contentType: "text/plain; charset=\(name)")
        #expect(String(decoding: text.utf8, as: UTF8.self) == "日本\t\\\t円\n")
        #expect(text.charset == .shiftJIS)
    }

    @Test("bytes that are not Shift_JIS are refused, not guessed")
    func badShiftJIS() {
        #expect(throws: AmazonDocumentText.Failure.undecodable(.shiftJIS)) {
            try AmazonDocumentText.decode(Data([0x93, 0xFA, 0x81]), compressionAlgorithm: nil, contentType: "text/plain; charset=Shift_JIS")
        }
    }

    @Test("without a charset: valid UTF-8 is UTF-8, anything else is Windows-1252")
    func detection() throws {
        let utf8 = try AmazonDocumentText.decode(Data("Müller €".utf8), compressionAlgorithm: nil, contentType: "text/plain")
        #expect(utf8.charset == .utf8)
        #expect(utf8.charsetDetected)
        #expect(utf8.declaredCharset == nil)
        #expect(String(decoding: utf8.utf8, as: UTF8.self) == "Müller €")
        let cp1252 = try AmazonDocumentText.decode(Data([0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72, 0x20, 0x80]), compressionAlgorithm: nil, contentType: nil)
        #expect(cp1252.charset == .windows1252)
        #expect(cp1252.charsetDetected)
        #expect(String(decoding: cp1252.utf8, as: UTF8.self) == "Müller €")
    }

    @Test("a UTF-8 byte order mark is dropped; declared UTF-8 that is not UTF-8 falls back to Windows-1252, and says so")
    func bomAndFallback() throws {
        let bom = try AmazonDocumentText.decode(Data([0xEF, 0xBB, 0xBF]) + Data("settlement-id".utf8), compressionAlgorithm: nil,
                                                contentType: "text/plain; charset=UTF-8")
        #expect(bom.utf8 == Data("settlement-id".utf8))
        let wrong = try AmazonDocumentText.decode(Data([0x43, 0x61, 0x66, 0xE9]), compressionAlgorithm: nil, contentType: "text/plain; charset=UTF-8")
        #expect(String(decoding: wrong.utf8, as: UTF8.self) == "Café")
        #expect(wrong.charset == .windows1252)
        #expect(wrong.charsetDetected)
        #expect(wrong.declaredCharset == "UTF-8")
    }

    @Test("a charset lmb cannot read is refused through the client as document_unreadable")
    func unknownCharset() async {
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document()],
                                                       s3: [AmazonDownloadFixture.s3(Data("x".utf8), contentType: "text/plain; charset=EBCDIC-037")])
        let failure = await amazonFailure { try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1") }
        #expect(failure?.classification == .documentUnreadable)
        #expect(failure?.message.contains("EBCDIC-037") == true)
    }

    @Test("a document address that is not https is not downloaded")
    func insecureDocumentURL() async {
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document(url: "http://tortuga.example.com/NinetyDays/x?X-Amz-Signature=SIGNATURE")],
                                                       s3: [AmazonDownloadFixture.s3(Data())])
        let failure = await amazonFailure { try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1") }
        #expect(failure?.classification == .unexpectedAnswer)
        #expect(transport.requests("/NinetyDays/").isEmpty)
        #expect(failure.map { !"\($0)".contains("SIGNATURE") } == true)
    }

    @Test("a loopback http document address (the sandbox) is downloaded")
    func loopbackDocumentURL() async throws {
        let transport = AmazonDownloadFixture.scripted(documents: [AmazonDownloadFixture.document(url: "http://127.0.0.1:8123/NinetyDays/doc1?X-Amz-Signature=s")],
                                                       s3: [AmazonDownloadFixture.s3(Data("ok\n".utf8))])
        let downloaded = try await AmazonFixture.client(transport).downloadDocument(reportDocumentId: "amzn1.spdoc.1.4.eu.d1")
        #expect(downloaded.utf8 == Data("ok\n".utf8))
    }
}
