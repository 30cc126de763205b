import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing
import XeroSandbox

extension SandboxHome {
    /// A connected home with the given fixtures imported.
    static func connected(_ fixtures: [String] = ["v2-us.txt"]) async throws -> SandboxHome {
        let s = try await SandboxHome()
        let c = try await s.connect()
        #expect(c.status == 0, "\(c.stderr)")
        if !fixtures.isEmpty {
            let i = try await s.run(["import"] + fixtures.map(E2E.fixture))
            #expect(i.status == 0, "\(i.stderr)")
        }
        return s
    }

    func invoices() async throws -> [[String: Any]] { try await state()["invoices"] as? [[String: Any]] ?? [] }

    func sql(_ statement: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", home + "/lmb.sqlite", statement]
        try p.run()
        p.waitUntilExit()
    }
}

extension EndToEnd {
    @Suite("lmb send — the built binary against the sandbox")
    struct SendE2ETests {
        struct Case: Sendable, CustomStringConvertible {
            var scenario: String
            var classification: String
            var exit: Int32
            var runbook: String
            var expireToken = false
            var description: String { scenario }
        }

        static let cases: [Case] = [
            Case(scenario: "user-role-readonly", classification: "permission_denied", exit: 77, runbook: "Settings → Connected apps"),
            Case(scenario: "user-role-invoice-only", classification: "permission_denied", exit: 77, runbook: "Standard or Adviser role"),
            Case(scenario: "app-disconnected", classification: "stale_connection", exit: 77, runbook: "Run `lmb reconnect`"),
            Case(scenario: "organisation-inactive", classification: "stale_connection", exit: 77, runbook: "Disconnect / Remove"),
            Case(scenario: "refresh-token-revoked", classification: "stale_connection", exit: 77, runbook: "Connected apps", expireToken: true),
            Case(scenario: "missing-scope", classification: "insufficient_scope", exit: 77, runbook: "lmb reconnect --scopes granular"),
            Case(scenario: "rate-limit-day", classification: "rate_limited", exit: 75, runbook: "Retry-After"),
            Case(scenario: "organisation-offline", classification: "organisation_offline", exit: 75, runbook: "offline"),
            Case(scenario: "drop-connection", classification: "network", exit: 75, runbook: "could not be reached"),
        ]

        @Test("each refusal: its classification, exit code, runbook, an event, and no invoice in Xero", arguments: cases)
        func refusals(c: Case) async throws {
            let s = try await SandboxHome.connected()
            if c.expireToken { try s.sql("UPDATE credential SET access_expires_at = 0") }
            try await s.control("scenario", ["scenario": c.scenario])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.status == c.exit, "\(r.stderr)")
            #expect(r.stderr.contains("failed 10000000001: "))
            #expect(r.stderr.contains("[\(c.classification)]"))
            #expect(r.stderr.contains(c.runbook), "\(r.stderr)")
            let json = try await s.run(["send", "10000000001", "--json"])
            let result = try #require(((try E2E.json(json.stdout) as? [String: Any])?["results"] as? [[String: Any]])?.first)
            #expect(result["outcome"] as? String == "failed")
            #expect(result["classification"] as? String == c.classification)
            #expect(try await s.invoices().isEmpty)
            #expect(try await E2E.count("SELECT COUNT(*) FROM event WHERE kind = 'send_attempt' AND settlement_id = '10000000001' AND detail LIKE '%\(c.classification)%'", home: s.home) >= 2)
            // Healthy again (and reconnected where the connection is gone): the settlement goes, once.
            try await s.control("scenario", ["scenario": "healthy"])
            if c.expireToken { #expect(try await s.connect().status == 0) }   // a revoked authorisation needs a new one
            let again = try await s.run(["send", "10000000001"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(try await s.invoices().count == 1)
        }

        @Test("the permission-denied message quotes Xero's words, the correlation id and the connected user's role")
        func permissionWords() async throws {
            let s = try await SandboxHome.connected()
            try await s.control("scenario", ["scenario": "user-role-readonly"])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.stderr.contains("Xero said: \"You are not permitted to access this resource\""))
            #expect(r.stderr.contains("Xero-Correlation-Id "))
            #expect(r.stderr.contains("READONLY"))
            for (i, step) in ["1. In Xero, go to Settings → Connected apps", "2. Find the app lmb is connected as", "3. Run `lmb reconnect`", "4. Run `lmb send 10000000001` again"].enumerated() {
                #expect(r.stderr.contains(step), "step \(i + 1)")
            }
            #expect(r.stderr.contains("lmb diagnose --bundle FILE"))
        }

        @Test("no Xero at all is a network failure, exit 75")
        func noServer() async throws {
            let s = try await SandboxHome.connected()
            let r = try await s.run(["send", "10000000001"], environment: ["LMB_XERO_BASE_URL": "http://127.0.0.1:1"])
            #expect(r.status == 75)
            #expect(r.stderr.contains("[network]"))
        }

        @Test("not connected is exit 78")
        func notConnected() async throws {
            let s = try await SandboxHome()
            #expect(try await s.run(["import", E2E.fixture("v2-us.txt")]).status == 0)
            let r = try await s.run(["send", "--all"])
            #expect(r.status == 78)
            #expect(r.stderr.contains("[not_connected]"))
        }

        @Test("sent once: a second send skips, saying where it is in Xero")
        func once() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt", "v2-negative.txt"])
            let r = try await s.run(["send", "--all"])
            #expect(r.status == 0, "\(r.stderr)")
            let again = try await s.run(["send", "10000000001"])
            #expect(again.stdout.contains("skipped 10000000001: already sent: AMZ-10000000001 (InvoiceID "))
            let invoices = try await s.invoices()
            #expect(invoices.count == 2)
            #expect(invoices.first { $0["InvoiceNumber"] as? String == "AMZ-60000000006" }?["Type"] as? String == "ACCPAY")
            #expect(invoices.first { $0["InvoiceNumber"] as? String == "AMZ-10000000001" }?["Status"] as? String == "DRAFT")
            #expect(try await s.run(["settlements", "--status", "sent", "--json"]).stdout.contains("10000000001"))
        }

        @Test("--status authorised, --quiet prints nothing on success, --dry-run sends nothing")
        func options() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let dry = try await s.run(["send", "--all", "--dry-run"])
            #expect(dry.status == 0)
            #expect((try E2E.json(dry.stdout) as? [String: Any])?["Invoices"] != nil)
            #expect(try await s.invoices().isEmpty)
            let r = try await s.run(["send", "--all", "--quiet", "--status", "authorised"])
            #expect(r.status == 0)
            #expect(r.stdout.isEmpty && r.stderr.isEmpty)
            #expect(try await s.invoices().first?["Status"] as? String == "AUTHORISED")
        }

        @Test("a settlement that needs mapping is never sent: exit 65 with the reason")
        func needsMapping() async throws {
            let s = try await SandboxHome.connected(["v2-unmapped.txt"])
            let r = try await s.run(["send", "--all"])
            #expect(r.status == 65)
            #expect(r.stderr.contains("needs mapping"))
            #expect(try await s.invoices().isEmpty)
        }

        @Test("access-token-expired is refreshed and sent without the user noticing")
        func expiredToken() async throws {
            let s = try await SandboxHome.connected()
            try await s.control("scenario", ["scenario": "access-token-expired"])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty)
            #expect(try await s.invoices().count == 1)
        }

        @Test("a short Retry-After is waited out; the settlement is sent")
        func minuteLimit() async throws {
            let s = try await SandboxHome.connected()
            try await s.control("scenario", ["scenario": "rate-limit-minute", "retry_after": 1])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("waiting 1 s"))
            #expect(try await s.invoices().count == 1)
        }

        @Test("lose-response, then a healthy re-run: exactly one invoice, found rather than re-sent")
        func loseResponse() async throws {
            let s = try await SandboxHome.connected()
            try await s.control("scenario", ["scenario": "lose-response"])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.status == 75)
            #expect(try await s.invoices().count == 1)
            #expect(try await s.run(["settlements", "--json"]).stdout.contains("\"sending\""))
            try await s.control("scenario", ["scenario": "healthy"])
            let again = try await s.run(["send", "--all"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stderr.contains("already in Xero"))
            #expect(try await s.invoices().count == 1)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home) == 1)
        }

        static func manySettlements(_ n: Int, home: String) throws -> [String] {
            let template = try String(contentsOfFile: E2E.fixture("v2-us.txt"), encoding: .utf8)
            return try (0..<n).map { i in
                let id = String(20_000_000_000 + i)
                let path = home + "/s\(i).txt"
                try template.replacingOccurrences(of: "10000000001", with: id).write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
        }

        @Test("kill -9 at random points during send --all of 20 settlements, then a re-run: each in Xero exactly once")
        func killNine() async throws {
            let s = try await SandboxHome.connected([])
            #expect(try await s.run(["import"] + (try Self.manySettlements(20, home: s.home))).status == 0)
            var rng = SeededGenerator("kill -9 during send --all")
            // Each answer comes 0.15 s after Xero has stored the invoice: a kill then lands in the window where Xero
            // holds a document lmb has not recorded, the case the next run must find rather than post again.
            try await s.control("scenario", ["scenario": "slow", "delay_seconds": 0.15])
            var landed = 0
            for _ in 0..<6 {
                let before = try await s.invoices().count
                guard before < 20 else { break }
                let target = min(19, before + Int.random(in: 1...3, using: &rng))
                let p = try LMBProcess(["send", "--all", "--quiet"], home: s.home,
                                       environment: s.env.merging(["LMB_BATCH_SIZE": "1", "LMB_HTTP_TIMEOUT": "20"]) { $1 })
                if try await E2E.sigkill(p, when: "\(target) invoices in Xero", { try await s.invoices().count >= target }) { landed += 1 }
            }
            #expect(landed > 0, "no kill landed while lmb was sending")
            try await s.control("scenario", ["scenario": "healthy"])
            let final = try await s.run(["send", "--all"])
            #expect(final.status == 0, "\(final.stderr)")
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.count == 20)
            #expect(Set(numbers).count == 20)
            #expect(try await E2E.count("SELECT COUNT(*) FROM posting WHERE state = 'sent'", home: s.home) == 20)
        }

        @Test("four concurrent send --all runs post each settlement once")
        func concurrent() async throws {
            let s = try await SandboxHome.connected([])
            #expect(try await s.run(["import"] + (try Self.manySettlements(8, home: s.home))).status == 0)
            let runs = try await withThrowingTaskGroup(of: LMBRun.self) { group in
                for _ in 0..<4 { group.addTask { try await s.run(["send", "--all"], environment: ["LMB_BATCH_SIZE": "2", "LMB_LOCK_WAIT": "30"]) } }
                var out: [LMBRun] = []
                for try await r in group { out.append(r) }
                return out
            }
            for r in runs { #expect(r.status == 0 || r.status == 75, "\(r.stderr)") }
            let numbers = try await s.invoices().compactMap { $0["InvoiceNumber"] as? String }
            #expect(numbers.count == 8)
            #expect(Set(numbers).count == 8)
            let sentLines = runs.flatMap { $0.stdout.split(separator: "\n") }.filter { $0.hasPrefix("sent ") }
            #expect(sentLines.count == 8)
        }

        @Test("a second send while one is running waits briefly, then exits 75 and sends nothing twice")
        func cronOverlap() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("scenario", ["scenario": "slow", "delay_seconds": 4])
            let first = try LMBProcess(["send", "--all"], home: s.home, environment: s.env.merging(["LMB_HTTP_TIMEOUT": "20"]) { $1 })
            // The first run holds the lock from before it records `sending` until it exits: wait for that row.
            try await E2E.waitUntil("the first send records its document as sending") {
                try await E2E.column("SELECT state FROM posting", home: s.home) == ["sending"]
            }
            let second = try await s.run(["send", "--all"], environment: ["LMB_LOCK_WAIT": "1"])
            #expect(second.status == 75)
            #expect(second.stderr.contains("another lmb send is running"))
            let r = try await first.finish(timeout: 60)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try await s.invoices().count == 1)
        }

        @Test("no token or secret appears in anything send prints")
        func noSecrets() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            var outputs: [String] = []
            for scenario in ["access-token-expired", "user-role-readonly", "healthy"] {
                try await s.control("scenario", ["scenario": scenario])
                let r = try await s.run(["send", "--all", "--json"])
                outputs += [r.stdout, r.stderr]
            }
            let secrets = try await s.issuedSecrets()
            #expect(secrets.count >= 3)
            for text in outputs { for secret in secrets { #expect(!text.contains(secret)) } }
        }
    }
}

extension EndToEnd {
    @Suite("What lmb sends validates against Xero's OpenAPI description",
           .enabled(if: PythonValidator.xeroOpenAPI.available, "needs ../shared/xero-openapi and openapi-core in .venv (make deps)"))
    struct SendConformanceTests {
        @Test("every fixture's PUT /Invoices body")
        func bodies() async throws {
            let home = try E2E.newHome()
            let fixtures = ["v2-us.txt", "v2-de-comma.txt", "v1-ca.txt", "v2-negative.txt", "v2-zero.txt", "v2-reserves.txt", "v2-jp.txt", "v2-gb-slash-dates.txt"]
            #expect(try await E2E.run(["import"] + fixtures.map(E2E.fixture), home: home).status == 0)
            let dry = try await E2E.run(["send", "--all", "--dry-run", "--status", "authorised"], home: home)
            #expect(dry.status == 0)
            let exchanges: [[String: Any]] = [["name": "lmb PUT /Invoices", "method": "PUT", "path": "/api.xro/2.0/Invoices?summarizeErrors=false",
                                                "request_body": dry.stdout, "response_body": NSNull()]]
            let file = URL(fileURLWithPath: home + "/exchanges.json")
            try JSONSerialization.data(withJSONObject: exchanges).write(to: file)
            let r = try await E2E.offPool { try PythonValidator.xeroOpenAPI.validate(exchanges: file) }
            #expect(r.0 == 0, "\(r.1)")
            #expect(r.1.contains("ok   lmb PUT /Invoices"))
        }
    }
}
