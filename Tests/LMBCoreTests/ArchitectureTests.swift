import Foundation
import Testing
@testable import LMBCore

@Suite("One grouping core")
struct GroupTotalsTests {
    @Test("bytes and text give the same groups, in one order, months and details kept apart")
    func bytesAndText() throws {
        var fromText = GroupTotals()
        var fromBytes = GroupTotals()
        let rows: [(String, String, String, String, String, Int64)] = [
            ("Order", "ItemPrice", "Principal", "SKU-2", "2024-10-02", 1000),
            ("Order", "ItemPrice", "Principal", "SKU-1", "2024-10-03", 250),
            ("Order", "ItemPrice", "Principal", "SKU-2", "2024-10-04", 5),
            ("Order", "ItemPrice", "Principal", "SKU-2", "2024-11-01", 7),
            ("Refund", "ItemPrice", "Principal", "", "2024-10-05", -300),
        ]
        for (tt, at, ad, detail, date, amount) in rows {
            fromText.add(transactionType: tt, amountType: at, amountDescription: ad, detail: detail, date: CalendarDate(iso: date), amount: amount)
            var (a, b, c, d) = (tt, at, ad, detail)
            a.withUTF8 { ab in b.withUTF8 { bb in c.withUTF8 { cb in d.withUTF8 { db in
                fromBytes.add(ab, bb, cb, detail: db, CalendarDate(iso: date), amount)
            } } } }
        }
        let groups = fromText.groups()
        #expect(groups == fromBytes.groups())
        #expect(groups.map(\.month) == ["2024-10", "2024-10", "2024-10", "2024-11"])
        #expect(groups.map(\.detail) == ["SKU-1", "SKU-2", "", "SKU-2"])
        #expect(groups[1].amountMinor == 1005 && groups[1].count == 2)
        #expect(groups.reduce(0) { $0 + $1.amountMinor } == rows.reduce(0) { $0 + $1.5 })
    }

    @Test("thousands of distinct keys survive the table growing")
    func growth() {
        var totals = GroupTotals()
        for i in 0..<5000 {
            totals.add(transactionType: "Order", amountType: "ItemPrice", amountDescription: "Principal", detail: "SKU-\(i % 2500)",
                       date: nil, amount: Int64(i))
        }
        let groups = totals.groups()
        #expect(groups.count == 2500)
        #expect(groups.allSatisfy { $0.count == 2 })
        #expect(groups.reduce(0) { $0 + $1.amountMinor } == Int64((0..<5000).reduce(0, +)))
    }

    @Test("the file parsed by SKU and the same rows read back from the store group alike")
    func parserAndStoreAgree() throws {
        var mapping = Mapping.defaults
        mapping.grouping = .sku
        let parsed = try SettlementParser(path: Paths.fixture("v2-us.txt")).parseForBooking(mapping)
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt"))
        let stored = try #require(try store.settlement(id: parsed.header.id))
        #expect(try Booking(store: store, mapping: mapping).detailedGroups(parsed.header.id) == parsed.groups)
        #expect(stored.groups.reduce(0) { $0 + $1.amountMinor } == parsed.header.totalMinor)
    }
}

@Suite("Requests Xero accepts: at most 50 documents and 3.5 MB")
struct BatchingTests {
    static func doc(_ i: Int, bytes: Int) -> Sender.Document {
        Sender.Document(settlementID: "s\(i)", part: 1, invoiceNumber: "AMZ-\(i)", type: "ACCREC",
                        body: "{\"x\":\"" + String(repeating: "a", count: max(0, bytes - 8)) + "\"}", key: "k\(i)")
    }

    @Test("batches stay within the count and the byte limit, keep every document once and in order")
    func bySizeAndCount() {
        let docs = (0..<120).map { Self.doc($0, bytes: $0 % 7 == 0 ? 90_000 : 20_000) }
        for (count, bytes) in [(50, 3_500_000), (50, 200_000), (10, 3_500_000), (3, 100_000)] {
            let batches = Sender.batches(docs, maxCount: count, maxBytes: bytes)
            #expect(batches.flatMap { $0 }.map(\.invoiceNumber) == docs.map(\.invoiceNumber))
            for b in batches {
                #expect(b.count <= count)
                #expect(Sender.requestBytes(b) <= bytes)
                #expect(Sender.requestBytes(b) == Sender.requestBody(b).count)
            }
        }
        #expect(Sender.batches(docs, maxCount: 50, maxBytes: 3_500_000).count == 3)
        #expect(Sender.batches(docs, maxCount: 50, maxBytes: 200_000).count > 10)
    }

    @Test("a document too large alone is a batch of its own (and refused before sending)")
    func oversize() {
        let docs = [Self.doc(1, bytes: 100), Self.doc(2, bytes: 5_000), Self.doc(3, bytes: 100)]
        let batches = Sender.batches(docs, maxCount: 50, maxBytes: 1_000)
        #expect(batches.map { $0.map(\.invoiceNumber) } == [["AMZ-1"], ["AMZ-2"], ["AMZ-3"]])
    }
}

@Suite("Every status Xero answers is classified on purpose")
struct StatusClassificationTests {
    static let table: [(Int, String, Classification)] = [
        (400, #"{"Type":"ValidationException","Elements":[{"ValidationErrors":[{"Message":"Account code '200' is not a valid code"}]}]}"#, .validationFailed),
        (401, #"{"Title":"Unauthorized","Detail":"TokenExpired: token expired at 01/01/2025"}"#, .tokenExpired),
        (403, #"{"Title":"Forbidden","Detail":"You are not permitted to access this resource"}"#, .permissionDenied),
        (404, "The resource you're looking for cannot be found", .config),
        (404, #"{"Title":"Not Found","Detail":"The resource you're looking for cannot be found"}"#, .notFound),
        (405, "Method Not Allowed", .requestRejected),
        (406, "Not Acceptable", .requestRejected),
        (409, "Conflict", .requestRejected),
        (413, "Request Entity Too Large", .tooLarge),
        (415, "Unsupported Media Type", .requestRejected),
        (422, "Unprocessable", .requestRejected),
        (301, "", .requestRejected),
        (429, "", .rateLimited),
        (500, "Internal Server Error", .unavailable),
        (501, "Not Implemented", .requestRejected),
        (502, "Bad Gateway", .unavailable),
        (503, #"{"Title":"Service Unavailable","Detail":"The Organisation is offline"}"#, .organisationOffline),
        (504, "Gateway Timeout", .unavailable),
        (599, "", .requestRejected),
    ]

    @Test("each status: its classification, and only what can succeed later exits 75")
    func statuses() {
        for (status, body, expected) in Self.table {
            let failure = XeroErrorClassifier.classify(HTTPResponse(status: status, headers: [:], body: Data(body.utf8)))
            #expect(failure?.classification == expected, "HTTP \(status)")
            let retriable = [429, 500, 502, 503, 504].contains(status)
            #expect((failure?.exitCode == 75) == retriable, "HTTP \(status) exits \(failure?.exitCode ?? -1)")
            #expect(!(Runbook.steps(for: failure ?? RemoteFailure.xero(.ok, "")).isEmpty), "HTTP \(status) has no runbook")
        }
        #expect(XeroErrorClassifier.classify(HTTPResponse(status: 204, headers: [:], body: Data())) == nil)
    }

    @Test("the exit policy: a person's action outranks configuration, data, then a retry")
    func worst() {
        #expect(ExitStatus.worst([.temporary, .dataError]) == .dataError)
        #expect(ExitStatus.worst([.temporary, .config, .mustAct]) == .mustAct)
        #expect(ExitStatus.worst([.ok, .temporary]) == .temporary)
        #expect(ExitStatus.worst([]) == .ok)
        #expect(Set(Classification.allCases.map(\.exitStatus)).isSubset(of: Set(ExitStatus.allCases)))
        #expect(Classification.allCases.filter { $0.exitStatus == .temporary }.map(\.rawValue).sorted()
                == ["busy", "network", "organisation_offline", "rate_limited", "unavailable"])
    }

    @Test("Xero's /Date()/ values become the UTC day")
    func xeroDates() {
        #expect(XeroOrganisation.day("/Date(1543536000000+0000)/") == CalendarDate(year: 2018, month: 11, day: 30))
        #expect(XeroOrganisation.day("/Date(0+0000)/") == CalendarDate(year: 1970, month: 1, day: 1))
        #expect(XeroOrganisation.day("/Date(-86400000)/") == CalendarDate(year: 1969, month: 12, day: 31))
        #expect(XeroOrganisation.day("/Date(99999999999999999999)/") == nil)
        #expect(XeroOrganisation.day("2025-03-31T00:00:00") == CalendarDate(year: 2025, month: 3, day: 31))
    }
}

@Suite("Path arguments that are not readable regular files")
struct InputFileTests {
    @Test("a directory, a FIFO, a device, a dangling link and a missing file are each one line, exit 66")
    func refusals() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-paths-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        #expect(symlink(dir + "/gone", dir + "/dangling") == 0)
        let cases: [(String, String)] = [
            (dir, "a directory"), (dir + "/fifo", "a pipe (FIFO)"), ("/dev/null", "a device"),
            (dir + "/dangling", "a symbolic link to a file that does not exist"), (dir + "/missing", "no such file"),
        ]
        for (path, words) in cases {
            do {
                try InputFile.check(path)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.description.contains(words), "\(error)")
                #expect(error.exitStatus == .noInput)
                #expect(!error.description.contains("\n"))
            }
        }
        try InputFile.check(Paths.fixture("v2-us.txt"))
    }

    @Test("the importer refuses them before opening anything, and stores nothing")
    func importer() throws {
        let store = try Store.open(home: try temporaryHome())
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        do {
            _ = try Importer(store: store).importFile(path: fifo)
            Issue.record("a FIFO was imported")
        } catch let e as SettlementFileError {
            #expect(e.kind == .notFound)
        }
        #expect(try store.allSettlements().isEmpty)
    }
}

@Suite("A mapping change never strands a settlement")
struct StatusAfterMappingChangeTests {
    @Test("a failed part the booking no longer has counts for nothing, and a send forgets it")
    func strandedPart() throws {
        let store = try Store.open(home: try temporaryHome())
        _ = try Importer(store: store).importFile(path: Paths.fixture("v2-us.txt"))
        let s0 = try #require(try store.settlement(id: "10000000001"))
        let booking = Booking(store: store, mapping: .defaults)
        let parts = try booking.book(s0).postings.map(\.part)
        // A failed send recorded a part 9 the current booking does not have (the split changed since).
        try store.recordSending([StoredPosting(settlementID: "10000000001", part: 9, invoiceNumber: "AMZ-10000000001-9", type: "ACCREC",
                                               state: .sending, body: "{}", idempotencyKey: "k", xeroInvoiceID: nil, xeroStatus: nil)])
        try store.markRefused(settlementID: "10000000001", part: 9)
        let s = try #require(try store.settlement(id: "10000000001"))
        #expect(s.postingStates == [PartState(part: 9, state: .failed)])
        #expect(try booking.status(s) == .ready)
        try store.forgetFailedParts(settlementID: "10000000001", keeping: Set(parts))
        #expect(try store.postings(settlementID: "10000000001").isEmpty)
    }
}
