import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Running unattended: the history, a trace, and being told when a run fails")
    struct OperationsE2ETests {
        @Test("lmb log: every event oldest first, filtered by settlement, day and kind; --json is JSON lines")
        func log() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt", "v2-negative.txt"])
            #expect(try await s.run(["send", "10000000001"]).status == 0)
            let all = try await s.run(["log"])
            #expect(all.status == 0, "\(all.stderr)")
            let lines = all.stdout.split(separator: "\n")
            #expect(lines.contains { $0.contains("connect") })
            #expect(lines.contains { $0.contains("import") && $0.contains("10000000001") })
            #expect(lines.contains { $0.contains("send_attempt") && $0.contains("sent to Xero as AMZ-10000000001") })
            let json = try await s.run(["log", "--json", "--settlement", "10000000001"])
            let events = try json.stdout.split(separator: "\n").map { try #require(try E2E.json(String($0)) as? [String: Any]) }
            #expect(events.map { $0["kind"] as? String } == ["import", "send_attempt"])
            #expect(events.allSatisfy { $0["settlement"] as? String == "10000000001" })
            let kinds = try await s.run(["log", "--json", "--kind", "send_attempt"])
            #expect(kinds.stdout.split(separator: "\n").count == 1)
            #expect(try await s.run(["log", "--since", "2999-01-01"]).stdout.isEmpty)
            #expect(try await s.run(["log", "--since", "yesterday"]).status == 64)
            #expect(try await s.run(["log", "--settlement", "424242"]).status == 64)
            for secret in try await s.issuedSecrets() where secret.count > 8 { #expect(!all.stdout.contains(secret)) }
        }

        @Test("--verbose traces each exchange with its correlation id and limits, never a token; bodies only with --trace-bodies")
        func verbose() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try s.sql("UPDATE credential SET access_expires_at = 0")   // a refresh, so a token request is among the exchanges
            let r = try await s.run(["send", "--verbose", "--trace-bodies", "10000000001"])
            #expect(r.status == 0, "\(r.stderr)")
            let trace = r.stderr.split(separator: "\n").filter { $0.hasPrefix("lmb: http ") }
            #expect(trace.contains { $0.contains("PUT 127.0.0.1/api.xro/2.0/Invoices") && $0.contains("→ 200") && $0.contains("xero-correlation-id=") && $0.contains("x-minlimit-remaining=") })
            #expect(trace.contains { $0.contains("POST 127.0.0.1/connect/token") })
            #expect(trace.contains { $0.hasPrefix("lmb: http request body: {\"Invoices\"") })
            #expect(!r.stderr.contains("refresh_token="), "a token request's body was traced")
            #expect(!r.stderr.contains("Bearer"))
            for secret in try await s.issuedSecrets() where secret.count > 8 { #expect(!r.stderr.contains(secret), "a token reached the trace") }
            let quiet = try await s.run(["status", "--json"], environment: ["LMB_LOG": "debug"])
            #expect(quiet.status == 0)
            let plain = try await s.run(["diagnose", "--offline"])
            #expect(!plain.stderr.contains("lmb: http "))
        }

        @Test("a failed run posts one message to the webhook: a line a person reads, and the fields a script needs")
        func notifies() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let config = #"{"notify": {"webhook": "\#(s.sandbox.baseURL)/_sandbox/notifications"}}"#
            try Data(config.utf8).write(to: URL(fileURLWithPath: s.home + "/config.json"))
            chmod(s.home + "/config.json", 0o600)
            try await s.control("scenario", ["scenario": "user-role-readonly"])
            let r = try await s.run(["send", "10000000001"])
            #expect(r.status == 77, "\(r.stderr)")
            let notes = try #require(try await s.state()["notifications"] as? [[String: Any]])
            #expect(notes.count == 1)
            let note = try #require(notes.first)
            let text = try #require(note["text"] as? String)
            #expect(text.contains("failed, exit 77") && text.contains("10000000001") && text.contains("permission_denied"), "\(text)")
            #expect(note["exitCode"] as? Int == 77)
            #expect(note["host"] as? String == ProcessInfo.processInfo.hostName)
            let failure = try #require((note["failures"] as? [[String: Any]])?.first)
            #expect(failure["settlement"] as? String == "10000000001")
            #expect(failure["classification"] as? String == "permission_denied")
            #expect((failure["runbookFirstStep"] as? String)?.contains("Connected apps") == true)
            #expect(failure["correlationId"] is String)
            let body = String(decoding: try JSONSerialization.data(withJSONObject: note), as: UTF8.self)
            for secret in try await s.issuedSecrets() where secret.count > 8 { #expect(!body.contains(secret)) }

            // A success says nothing unless asked to; then it says so.
            try await s.control("scenario", ["scenario": "healthy"])
            #expect(try await s.run(["send", "10000000001"]).status == 0)
            #expect((try await s.state()["notifications"] as? [Any])?.count == 1)
        }

        @Test("a notification that cannot be delivered is noted, and never changes the exit code")
        func undeliverable() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            try await s.control("scenario", ["scenario": "organisation-offline"])
            let down = try await s.run(["send", "10000000001"], environment: ["LMB_NOTIFY_URL": "http://127.0.0.1:1/hook"])
            #expect(down.status == 75)
            #expect(down.stderr.contains("the failure notification was not delivered"))
            let plain = try await s.run(["send", "10000000001"], environment: ["LMB_NOTIFY_URL": "http://example.com/hook"])
            #expect(plain.status == 75)
            #expect(plain.stderr.contains("must be https, or http on a loopback address"))
            #expect(try await E2E.column("SELECT kind FROM event WHERE kind = 'notify'", home: s.home) == ["notify"])
        }

        @Test("notify.on always: a healthy run says it went well")
        func always() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt"])
            let config = #"{"notify": {"webhook": "\#(s.sandbox.baseURL)/_sandbox/notifications", "on": "always"}}"#
            try Data(config.utf8).write(to: URL(fileURLWithPath: s.home + "/config.json"))
            chmod(s.home + "/config.json", 0o600)
            #expect(try await s.run(["send", "10000000001"]).status == 0)
            let note = try #require((try await s.state()["notifications"] as? [[String: Any]])?.first)
            #expect((note["text"] as? String)?.contains("ok (1 done)") == true)
            #expect((note["failures"] as? [Any])?.isEmpty == true)
        }
    
        /// Runs `lmb ARGS` on a pseudo-terminal (script(1)): what a person at a terminal sees, stdout and stderr together.
        static func inTerminal(_ arguments: String, home: String, environment: [String: String]) async throws -> LMBRun {
            let command = "\(E2E.binary.path) \(arguments)"
            return try await E2E.offPool { () -> LMBRun in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
                p.arguments = ["-qec", command, "/dev/null"]
                p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.merging(["LMB_HOME": home]) { $1 }
                let out = Pipe()
                p.standardOutput = out
                p.standardInput = FileHandle.nullDevice
                try p.run()
                let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                return LMBRun(status: p.terminationStatus, stdout: text, stderr: "")
            }
        }

        @Test("a large send --all shows progress on a terminal, and nothing of it on a pipe",
              .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a pseudo-terminal"))
        func progress() async throws {
            let s = try await SandboxHome.connected([])
            #expect(try await s.run(["import"] + (try SendE2ETests.manySettlements(6, home: s.home))).status == 0)
            let piped = try await s.run(["send", "--all"], environment: ["LMB_BATCH_SIZE": "1"])
            #expect(piped.status == 0)
            #expect(!piped.stderr.contains("sending ["))
            #expect(try await s.run(["import", E2E.fixture("v2-us.txt"), E2E.fixture("v2-negative.txt")]).status == 0)
            let r = try await Self.inTerminal("send --all", home: s.home, environment: s.env.merging(["LMB_BATCH_SIZE": "1"]) { $1 })
            #expect(r.status == 0, "\(r.stdout)")
            #expect(r.stdout.contains("sending [") && r.stdout.contains("100%"), "\(r.stdout)")
            #expect(try await s.invoices().count == 8)
        }

        @Test("a fetch of several reports shows progress on a terminal, and none on a pipe",
              .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a pseudo-terminal"))
        func fetchProgress() async throws {
            let s = try await SandboxHome.connected([])
            try await s.postSettlements(3)
            try await s.amazonConnect()
            let r = try await Self.inTerminal("fetch", home: s.home, environment: s.amazonEnv)
            #expect(r.status == 0, "\(r.stdout)")
            #expect(r.stdout.contains("fetching ["), "\(r.stdout)")
            try await s.postSettlements(2, from: 10)
            let piped = try await s.lmb(["fetch"])
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(!piped.stderr.contains("fetching ["))
            #expect(try await E2E.count("SELECT COUNT(*) FROM settlement", home: s.home) == 5)
        }
    }
}
