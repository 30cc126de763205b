import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import XeroSandbox

extension EndToEnd {
    @Suite("Bad input: a clear error, the right exit code, and the store unchanged")
    struct BadInputE2ETests {
        static let header = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\tamount-type\tamount-description\tamount\tposted-date\n"

        struct Case: Sendable, CustomStringConvertible {
            var name: String
            var bytes: @Sendable () -> Data
            var exit: Int32
            var message: String
            var description: String { name }
        }

        static func text(_ s: String) -> @Sendable () -> Data { { Data(s.utf8) } }

        static let cases: [Case] = [
            Case(name: "empty file", bytes: text(""), exit: 65, message: "the file is empty"),
            Case(name: "header only", bytes: text(header), exit: 65, message: ":2: no summary row"),
            Case(name: "binary", bytes: { Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }) }, exit: 65, message: "NUL byte"),
            Case(name: "NUL bytes in a row", bytes: text(header + "1\t2024-10-01\t2024-10-15\t2024-10-17\t1.00\tUSD\n1\t\t\t\t\t\tOrder\0\tItemPrice\tPrincipal\t1.00\t2024-10-02\n"), exit: 65, message: ":3: binary data"),
            Case(name: "invalid UTF-8 after valid UTF-8", bytes: { Data((header + "1\t2024-10-01\t2024-10-15\t2024-10-17\t2.00\tUSD\n1\t\t\t\t\t\tOrder\tItemPrice\tPrincipal\t1.00\t2024-10-02\n1\t\t\t\t\t\tOrder\tItemPrice\tCafé\t1.00\t2024-10-02\n").utf8) + Data([0x31, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x4F, 0x09, 0x49, 0x09, 0xE9, 0xFF, 0x09, 0x30, 0x0A]) }, exit: 65, message: "neither valid UTF-8"),
            Case(name: "a 10 MB line", bytes: { Data((header).utf8) + Data(repeating: 0x41, count: 10 << 20) + Data("\n".utf8) }, exit: 65, message: ":2: a line longer than"),
            Case(name: "wrong delimiter", bytes: text(header.replacingOccurrences(of: "\t", with: ";")), exit: 65, message: "not tab-separated (found ';')"),
            Case(name: "ends mid-row", bytes: text(header + "1\t2024-10-01\t2024-10-15\t2024-10-17\t1.00\tUSD\n1\t\t\t\t\t\tOrder\tItemPr"), exit: 65, message: ":3: the amount is empty"),
            Case(name: "an amount of 40 digits", bytes: text(header + "1\t2024-10-01\t2024-10-15\t2024-10-17\t1.00\tUSD\n1\t\t\t\t\t\tOrder\tItemPrice\tPrincipal\t1234567890123456789012345678901234567890\t2024-10-02\n"), exit: 65, message: "too large"),
            Case(name: "a date in the year 99999", bytes: text(header + "1\t99999-10-01\t2024-10-15\t2024-10-17\t1.00\tUSD\n"), exit: 65, message: "settlement-start-date '99999-10-01' is not a valid day"),
            Case(name: "a settlement id with SQL metacharacters", bytes: text(header + "1'; DROP TABLE settlement;--\t2024-10-01\t2024-10-15\t2024-10-17\t0.00\tUSD\n"), exit: 65, message: "is not an Amazon settlement id"),
            Case(name: "a settlement id with shell metacharacters", bytes: text(header + "$(touch /tmp/lmb-pwned)\t2024-10-01\t2024-10-15\t2024-10-17\t0.00\tUSD\n"), exit: 65, message: "is not an Amazon settlement id"),
        ]

        static func snapshot(_ home: String) async throws -> [Int] {
            var out: [Int] = []
            for table in ["settlement", "transaction_row", "settlement_group", "posting", "event"] {
                out.append(try await E2E.count("SELECT COUNT(*) FROM \(table)", home: home))
            }
            return out
        }

        @Test("each bad file", arguments: cases)
        func badFile(c: Case) async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let before = try await Self.snapshot(home)
            let path = home + "/bad.txt"
            try c.bytes().write(to: URL(fileURLWithPath: path))
            let r = try await E2E.run(["import", path], home: home)
            #expect(r.status == c.exit, "\(r.stderr)")
            #expect(r.stderr.contains(c.message), "\(r.stderr)")
            #expect(r.stderr.hasPrefix("lmb: error: \(path)"))
            #expect(try await Self.snapshot(home) == before)
            #expect(!FileManager.default.fileExists(atPath: "/tmp/lmb-pwned"))
            // The same bytes through preview: refused the same way, nothing written.
            #expect(try await E2E.run(["preview", path], home: home).status == c.exit)
        }

        @Test("a duplicate settlement with other content is refused, the stored one kept")
        func duplicate() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let before = try await Self.snapshot(home)
            let other = try String(contentsOfFile: E2E.fixture("v2-short-rows.txt"), encoding: .utf8).replacingOccurrences(of: "50000000005", with: "10000000001")
            try other.write(toFile: home + "/dup.txt", atomically: true, encoding: .utf8)
            let r = try await E2E.run(["import", home + "/dup.txt"], home: home)
            #expect(r.status == 65)
            #expect(r.stderr.contains("already imported with different content; use --replace"))
            #expect(try await Self.snapshot(home) == before)
        }

        @Test("a mapping file with a syntax error: exit 78, the file named, nothing written")
        func badMapping() async throws {
            let home = try E2E.newHome()
            try Data("{\"version\": 1, \"rules\": [ }".utf8).write(to: URL(fileURLWithPath: home + "/mapping.json"))
            let r = try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home)
            #expect(r.status == 78)
            #expect(r.stderr.contains(home + "/mapping.json: not a valid mapping file"))
            #expect(!FileManager.default.fileExists(atPath: home + "/lmb.sqlite"))
        }

        @Test("a store, config or secret file others can read is refused with the chmod that fixes it", arguments: ["lmb.sqlite", "config.json", "client_secret"])
        func looseFiles(file: String) async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let path = home + "/" + file
            if file != "lmb.sqlite" { try Data(file == "config.json" ? "{}".utf8 : "s3cret".utf8).write(to: URL(fileURLWithPath: path)) }
            chmod(path, 0o644)
            let r = try await E2E.run(file == "lmb.sqlite" ? ["settlements"] : ["diagnose", "--offline"], home: home)
            #expect(r.status == 78, "\(r.stdout)\(r.stderr)")
            #expect((r.stderr + r.stdout).contains("chmod 600 '\(path)'") || (r.stderr + r.stdout).contains("chmod 600"))
            #expect(!(r.stdout + r.stderr).contains("s3cret"))
        }

        @Test("the store and the config are created 0600 in a 0700 home")
        func modes() async throws {
            let home = try E2E.newHome() + "/fresh"
            let s = try await SandboxHome()
            #expect(try await E2E.run(["connect", "--client-id", "x", "--port", "0", "--timeout", "1"], home: home, environment: s.env).status == 75)
            for (path, mode) in [(home, 0o700), (home + "/lmb.sqlite", 0o600), (home + "/config.json", 0o600)] {
                var st = stat()
                #expect(stat(path, &st) == 0)
                #expect(Int(st.st_mode & 0o777) == mode, "\(path)")
            }
        }
    }

    @Suite("Secrets never leave the store")
    struct SecretsE2ETests {
        @Test("everything a full session prints, logs as events, or bundles holds none of the sandbox's issued tokens")
        func grepEverything() async throws {
            let s = try await SandboxHome.connected(["v2-us.txt", "v2-negative.txt", "v2-unmapped.txt"])
            var produced: [String] = []
            func run(_ args: [String]) async throws { let r = try await s.run(args); produced += [r.stdout, r.stderr] }
            try await run(["status"]); try await run(["status", "--json"])
            for scenario in ["access-token-expired", "user-role-readonly", "missing-scope", "lose-response", "app-disconnected", "healthy"] {
                try await s.control("scenario", ["scenario": scenario])
                try await run(["send", "--all"]); try await run(["send", "--all", "--json"])
                try await run(["diagnose"]); try await run(["diagnose", "--json"])
            }
            try await run(["diagnose", "--settlement", "10000000001", "--bundle", s.home + "/bundle.json"])
            try await run(["settlements", "--json"]); try await run(["send", "--all", "--dry-run"])
            try await run(["disconnect"])
            produced.append(try String(contentsOfFile: s.home + "/bundle.json", encoding: .utf8))
            produced += try await E2E.column("SELECT at || kind || coalesce(settlement_id, '') || message || coalesce(detail, '') FROM event", home: s.home)
            let secrets = try await s.issuedSecrets()
            #expect(secrets.count >= 6)
            #expect(produced.joined().count > 10_000)
            for secret in secrets {
                for text in produced { #expect(!text.contains(secret)) }
            }
        }
    }
}
