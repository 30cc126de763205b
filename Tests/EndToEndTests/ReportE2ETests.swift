import Foundation
import TestSupport
import Testing

/// The report's HTML read by a real HTML5 parser (html5lib in the project's .venv, made by `make deps`), as facts
/// a test can check: each waterfall's bars and labels, and everything that could reach outside the page.
enum HTMLReport {
    static let python = ProjectPython.venv(importing: "html5lib")
    static var available: Bool { python != nil }

    struct Waterfall: Decodable {
        var settlement: String
        var bars: Int
        var depositBars: Int
        var titledBars: Int
        var labels: [String]
    }

    struct Facts: Decodable {
        var errors: [String]
        var waterfalls: [Waterfall]
        var svgs: Int
        var forbidden: [String]
        var external: [String]
        var cssURL: Bool
        var viewport: Bool
        var printStyles: Bool
        var title: String
        var text: String
        var tables: Int
    }

    static let script = #"""
    import html5lib, json, sys
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    with open(sys.argv[1], "rb") as f:
        doc = parser.parse(f)
    def local(name): return name.split("}")[-1] if isinstance(name, str) else ""
    def classes(el): return (el.get("class") or "").split()
    els = list(doc.iter())
    waterfalls = []
    for svg in (e for e in els if local(e.tag) == "svg" and "waterfall" in classes(e)):
        inside = list(svg.iter())
        bars = [r for r in inside if local(r.tag) == "rect" and "bar" in classes(r)]
        waterfalls.append({
            "settlement": svg.get("data-settlement"),
            "bars": len(bars),
            "depositBars": sum(1 for r in bars if "deposit" in classes(r)),
            "titledBars": sum(1 for r in bars if any(local(t.tag) == "title" and "".join(t.itertext()).strip() for t in r)),
            "labels": ["".join(t.itertext()) for t in inside if local(t.tag) == "text" and "label" in classes(t)],
        })
    external = []
    for e in els:
        for k, v in e.attrib.items():
            name = local(k).lower()
            if name in ("src", "href", "srcset", "action", "formaction", "data", "poster", "background", "ping") and not v.startswith("#"):
                external.append("%s=%s" % (name, v))
            if name == "style" and "url(" in v.lower():
                external.append(v)
            if name.startswith("on"):
                external.append(name)
    styles = "".join("".join(e.itertext()) for e in els if local(e.tag) == "style").lower()
    body = next(e for e in els if local(e.tag) == "body")
    print(json.dumps({
        "errors": ["%s %s" % (pos, err) for pos, err, _ in parser.errors],
        "waterfalls": waterfalls,
        "svgs": sum(1 for e in els if local(e.tag) == "svg"),
        "forbidden": [local(e.tag) for e in els if local(e.tag) in ("script", "link", "iframe", "object", "embed", "base", "img", "video", "audio", "frame", "font")],
        "external": external,
        "cssURL": "url(" in styles or "@import" in styles or "@font-face" in styles,
        "viewport": any(local(e.tag) == "meta" and e.get("name") == "viewport" for e in els),
        "printStyles": "@media print" in styles,
        "title": "".join(next(e for e in els if local(e.tag) == "title").itertext()),
        "text": " ".join(" ".join(body.itertext()).split()),
        "tables": sum(1 for e in els if local(e.tag) == "table"),
    }))
    """#

    static func facts(_ path: String) async throws -> Facts {
        let python = try #require(python)
        let output: Data = try await E2E.offPool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", script, path]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return data
        }
        return try JSONDecoder().decode(Facts.self, from: output)
    }

    /// Python's csv module reading the CSV: rows of fields, header first.
    static func csvRows(_ text: String) async throws -> [[String]] {
        let output: Data = try await E2E.offPool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))"]
            let input = Pipe(), out = Pipe()
            p.standardInput = input
            p.standardOutput = out
            try p.run()
            input.fileHandleForWriting.write(Data(text.utf8))
            try input.fileHandleForWriting.close()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return data
        }
        return try JSONDecoder().decode([[String]].self, from: output)
    }
}

/// `lmb report --json`, amounts decoded as exact decimals.
struct ReportJSON: Decodable {
    struct Summary: Decodable { var marketplace: String; var currency: String; var settlements: Int; var deposit: Decimal; var sales: Decimal }
    struct Step: Decodable { var category: String; var label: String; var amount: Decimal }
    struct Settlement: Decodable {
        var id: String; var marketplace: String; var currency: String; var end: String; var deposit: Decimal; var status: String; var steps: [Step]
    }
    struct NeedsMapping: Decodable { var id: String; var command: String }
    struct Failed: Decodable { var id: String; var classification: String; var message: String; var command: String }
    var summaries: [Summary]
    var settlements: [Settlement]
    var needsMapping: [NeedsMapping]
    var failed: [Failed]

    static func of(_ run: LMBRun) throws -> ReportJSON {
        try JSONDecoder().decode(ReportJSON.self, from: Data(run.stdout.utf8))
    }
}

/// `lmb preview ID --json`: the request body sending PUTs.
struct PreviewJSON: Decodable {
    struct Line: Decodable { var AccountCode: String; var LineAmount: Decimal }
    struct Invoice: Decodable { var `Type`: String; var LineItems: [Line] }
    var Invoices: [Invoice]

    /// The built-in chart (Mapping.defaultAccounts): account code → category, written out here on purpose.
    static let categories = [
        "LMB1": "sales", "LMB2": "refunds", "LMB3": "reimbursements", "LMB4": "seller-fees", "LMB5": "fba-fees", "LMB6": "storage-fees",
        "LMB7": "advertising", "LMB8": "sales-tax", "LMB9": "loans", "LMB10": "reserves", "LMB11": "other", "LMB13": "shipping-labels",
    ]
    static let carriedForward = "LMB12"

    /// What the documents book per account, a bill's lines turned back round, summed over every part.
    var byAccount: [String: Decimal] {
        var sums: [String: Decimal] = [:]
        for invoice in Invoices {
            for line in invoice.LineItems { sums[line.AccountCode, default: 0] += invoice.Type == "ACCPAY" ? -line.LineAmount : line.LineAmount }
        }
        return sums
    }
}

extension EndToEnd {
    @Suite("lmb report — the built binary")
    struct ReportE2ETests {
        static let mixed = ["v2-us.txt", "v2-split-two-months.txt", "v2-negative.txt", "v2-unmapped.txt", "etsy-statement.csv"]

        func home(importing fixtures: [String]) async throws -> String {
            let home = try E2E.newHome()
            let r = try await E2E.run(["import"] + fixtures.map(E2E.fixture), home: home)
            #expect(r.status == 0, "\(r.stderr)")
            return home
        }

        @Test("the page: a waterfall per settled settlement, one bar per step plus the deposit, labelled; nothing external, no script",
              .enabled(if: HTMLReport.available, "needs html5lib in .venv (make deps)"))
        func page() async throws {
            let home = try await home(importing: Self.mixed)
            let out = home + "/report.html"
            let r = try await E2E.run(["report", "--out", out], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("Wrote the report to \(out)"))
            #expect(r.stdout.contains("needs mapping: 90000000009"))
            let json = try ReportJSON.of(try await E2E.run(["report", "--json"], home: home))
            #expect(Set(json.settlements.map(\.id)) == ["10000000001", "21000000021", "60000000006", "etsy-20251103-6887", "etsy-20251128-128726"])
            let page = try await HTMLReport.facts(out)
            #expect(page.errors.isEmpty, "html5lib: \(page.errors)")
            #expect(page.forbidden.isEmpty, "\(page.forbidden)")
            #expect(page.external.isEmpty, "\(page.external)")
            #expect(!page.cssURL)
            #expect(page.viewport && page.printStyles)
            #expect(page.svgs == json.settlements.count)
            #expect(Set(page.waterfalls.map(\.settlement)) == Set(json.settlements.map(\.id)))
            for s in json.settlements {
                let w = try #require(page.waterfalls.first { $0.settlement == s.id })
                #expect(!s.steps.isEmpty && s.steps.allSatisfy { $0.amount != 0 })
                #expect(w.bars == s.steps.count + 1, "\(s.id)")
                #expect(w.depositBars == 1 && w.titledBars == w.bars)
                #expect(w.labels == s.steps.map(\.label) + ["Deposit"], "\(s.id)")
            }
            #expect(page.text.contains("Settlement 90000000009"))
            #expect(page.text.contains("lmb mapping add other-transaction other-transaction 'Mystery Adjustment' CATEGORY"))
            #expect(page.text.contains("lmb preview 90000000009"))
            #expect(json.needsMapping.map(\.id) == ["90000000009"] && json.needsMapping[0].command == "lmb preview 90000000009")
        }

        @Test("--json: each waterfall ends at its deposit, its steps are what the invoices of lmb preview book per account")
        func agreesWithPreview() async throws {
            let home = try await home(importing: Self.mixed + ["v2-split-three-months.txt", "v2-split-negative-part.txt", "v2-reserves.txt", "v1-ca.txt"])
            let report = try await E2E.run(["report", "--json"], home: home)
            #expect(report.status == 0, "\(report.stderr)")
            let json = try ReportJSON.of(report)
            #expect(json.settlements.count == 9)
            for s in json.settlements {
                #expect(s.steps.reduce(Decimal(0)) { $0 + $1.amount } == s.deposit, "\(s.id) ends at its deposit")
                let preview = try await E2E.run(["preview", s.id, "--json"], home: home)
                #expect(preview.status == 0, "\(preview.stderr)")
                let booked = try JSONDecoder().decode(PreviewJSON.self, from: Data(preview.stdout.utf8)).byAccount
                #expect((booked[PreviewJSON.carriedForward] ?? 0) == 0, "\(s.id): the balance carried between parts nets to zero")
                var byCategory: [String: Decimal] = [:]
                for (account, amount) in booked where account != PreviewJSON.carriedForward {
                    byCategory[try #require(PreviewJSON.categories[account], "\(account)"), default: 0] += amount
                }
                let steps = Dictionary(uniqueKeysWithValues: s.steps.map { ($0.category, $0.amount) })
                #expect(steps == byCategory.filter { $0.value != 0 }, "\(s.id)")
            }
            #expect(!json.settlements.flatMap(\.steps).contains { $0.label.contains("Split") || $0.label.contains("carried") })
        }

        @Test("--csv: Python's csv reads the same figures as --json, one row per settlement and step")
        func csvAgrees() async throws {
            let home = try await home(importing: Self.mixed)
            let json = try ReportJSON.of(try await E2E.run(["report", "--json"], home: home))
            let r = try await E2E.run(["report", "--csv"], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            let rows = try await HTMLReport.csvRows(r.stdout)
            let header = try #require(rows.first)
            #expect(header == ["settlement", "marketplace", "currency", "start", "end", "deposit_date", "status", "step", "category", "label", "amount",
                               "running_total", "deposit"])
            let body = rows.dropFirst()
            #expect(body.allSatisfy { $0.count == header.count })
            #expect(body.count == json.settlements.reduce(0) { $0 + $1.steps.count })
            for s in json.settlements {
                let mine = body.filter { $0[0] == s.id }
                #expect(mine.map { $0[8] } == s.steps.map(\.category), "\(s.id)")
                #expect(mine.map { Decimal(string: $0[10]) } == s.steps.map(\.amount), "\(s.id)")
                #expect(Decimal(string: mine.last?[11] ?? "") == s.deposit && mine.allSatisfy { Decimal(string: $0[12]) == s.deposit })
            }
        }

        @Test("lmb report ID: that settlement alone; an id never imported is a usage error naming it",
              .enabled(if: HTMLReport.available, "needs html5lib in .venv (make deps)"))
        func oneSettlement() async throws {
            let home = try await home(importing: Self.mixed)
            let json = try ReportJSON.of(try await E2E.run(["report", "21000000021", "--json"], home: home))
            #expect(json.settlements.map(\.id) == ["21000000021"] && json.summaries.count == 1 && json.needsMapping.isEmpty)
            let out = home + "/one.html"
            #expect(try await E2E.run(["report", "21000000021", "--out", out], home: home).status == 0)
            let page = try await HTMLReport.facts(out)
            #expect(page.waterfalls.map(\.settlement) == ["21000000021"])
            #expect(page.title.contains("Settlement 21000000021"))
            let unmapped = try ReportJSON.of(try await E2E.run(["report", "90000000009", "--json"], home: home))
            #expect(unmapped.settlements.isEmpty && unmapped.needsMapping.map(\.id) == ["90000000009"])
            let unknown = try await E2E.run(["report", "31415926535"], home: home)
            #expect(unknown.status == 64)
            #expect(unknown.stderr.contains("31415926535") && unknown.stderr.contains("lmb settlements"))
            #expect(!FileManager.default.fileExists(atPath: home + "/lmb-report-31415926535.html"))
        }

        @Test("a JPY and a CAD settlement beside USD: a summary each, never added together",
              .enabled(if: HTMLReport.available, "needs html5lib in .venv (make deps)"))
        func currencies() async throws {
            let home = try await home(importing: ["v2-us.txt", "v2-jp.txt", "v1-ca.txt", "v2-negative.txt"])
            let r = try await E2E.run(["report", "--json"], home: home)
            let json = try ReportJSON.of(r)
            #expect(json.summaries.map { "\($0.marketplace) \($0.currency)" } == ["Amazon.ca CAD", "Amazon.co.jp JPY", "Amazon.com USD"])
            let deposits = Dictionary(uniqueKeysWithValues: json.summaries.map { ($0.currency, $0.deposit) })
            #expect(deposits == ["USD": Decimal(string: "-18.79")!, "JPY": 3161, "CAD": Decimal(string: "18.34")!])
            #expect(json.summaries.first { $0.currency == "USD" }?.settlements == 2)
            #expect(r.stdout.contains("\"deposit\": 3161,"))   // JPY has no minor digits
            let out = home + "/mixed.html"
            #expect(try await E2E.run(["report", "--out", out], home: home).status == 0)
            let page = try await HTMLReport.facts(out)
            #expect(page.text.contains("Amazon.co.jp JPY 1 3,161"))
            #expect(page.text.contains("Amazon.ca CAD 1 18.34"))
        }

        @Test("--since, --until and --marketplace choose; wrong arguments are usage errors before anything is written")
        func arguments() async throws {
            let home = try await home(importing: ["v2-us.txt", "v2-split-two-months.txt", "v2-jp.txt"])
            func ids(_ args: [String]) async throws -> [String] {
                try ReportJSON.of(try await E2E.run(["report", "--json"] + args, home: home)).settlements.map(\.id)
            }
            #expect(try await ids(["--since", "2024-11-01"]) == ["21000000021"])
            #expect(try await ids(["--until", "2024-10-15"]) == ["10000000001", "11000000010"])
            #expect(try await ids(["--marketplace", "Amazon.co.jp"]) == ["11000000010"])
            let period = try await E2E.run(["report", "--json", "--since", "2024-10-16", "--until", "2024-10-31"], home: home)
            #expect(period.stdout.contains("\"since\": \"2024-10-16\""))
            #expect(try ReportJSON.of(period).settlements.isEmpty)
            let wrong: [[String]] = [
                ["--csv", "--json"], ["--json", "--out", "x.html"], ["--since", "2024-13-01"], ["--since", "2024/10/01"], ["--until", "yesterday"],
                ["--since", "2024-11-01", "--until", "2024-10-01"], ["21000000021", "--since", "2024-10-01"], ["--marketplace", "Amazon.nowhere"],
            ]
            for args in wrong {
                let r = try await E2E.run(["report"] + args, home: home)
                #expect(r.status == 64, "\(args): \(r.stderr)")
                #expect(r.stdout.isEmpty, "\(args)")
            }
            let folder = try await E2E.run(["report", "--out", home], home: home)
            #expect(folder.status == 64 && folder.stderr.contains("is a folder"))
        }

        @Test("an empty store: a clear message, exit 0, and a valid page saying there is nothing yet; no store is created",
              .enabled(if: HTMLReport.available, "needs html5lib in .venv (make deps)"))
        func empty() async throws {
            let home = try E2E.newHome()
            let out = home + "/empty.html"
            let r = try await E2E.run(["report", "--out", out], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("No settlements yet") && r.stdout.contains(out))
            let page = try await HTMLReport.facts(out)
            #expect(page.errors.isEmpty && page.svgs == 0)
            #expect(page.text.contains("Nothing to report yet"))
            #expect(!FileManager.default.fileExists(atPath: home + "/lmb.sqlite"))
            let json = try ReportJSON.of(try await E2E.run(["report", "--json"], home: home))
            #expect(json.settlements.isEmpty && json.summaries.isEmpty && json.failed.isEmpty)
        }

        @Test("without --out the page is ./lmb-report-<today>.html, and the path is printed")
        func defaultOut() async throws {
            let home = try await home(importing: ["v2-us.txt"])
            let dir = try E2E.newHome()
            let r = try await E2E.offPool {
                let p = Process()
                p.executableURL = E2E.binary
                p.arguments = ["report"]
                p.currentDirectoryURL = URL(fileURLWithPath: dir)
                p.environment = ProcessInfo.processInfo.environment.merging(["LMB_HOME": home, "NO_COLOR": "1"]) { $1 }
                let out = Pipe()
                p.standardOutput = out
                try p.run()
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                return (p.terminationStatus, text)
            }
            #expect(r.0 == 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir)
            let name = try #require(files.first)
            #expect(files.count == 1 && name.range(of: #"^lmb-report-\d{4}-\d{2}-\d{2}\.html$"#, options: .regularExpression) != nil, "\(files)")
            #expect(r.1.contains(name))
        }

        @Test("a send Xero refused is listed with its classification and the commands that fix it; once sent, it is not")
        func failedSend() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("scenario", ["scenario": "user-role-readonly"])
            #expect(try await s.run(["send", "10000000001"]).status == 77)
            let r = try await s.run(["report", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let failed = try #require(try ReportJSON.of(r).failed.first)
            #expect(failed.id == "10000000001" && failed.classification == "permission_denied")
            #expect(!failed.message.isEmpty)
            #expect(failed.command == "lmb diagnose --settlement 10000000001 && lmb send 10000000001")
            let text = try await s.run(["report", "--out", s.home + "/r.html"])
            #expect(text.stdout.contains("failed to send: 10000000001 [permission_denied]"))
            #expect(try String(contentsOfFile: s.home + "/r.html", encoding: .utf8).contains("lmb diagnose --settlement 10000000001 &amp;&amp; lmb send 10000000001"))
            try await s.control("scenario", ["scenario": "healthy"])
            #expect(try await s.run(["send", "10000000001"]).status == 0)
            let after = try ReportJSON.of(try await s.run(["report", "--json"]))
            #expect(after.failed.isEmpty)
            #expect(after.settlements.first?.status == "sent")
        }
    }
}
