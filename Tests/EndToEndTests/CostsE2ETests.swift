import Foundation
import Testing

extension EndToEnd {
    @Suite("lmb costs — the built binary")
    struct CostsE2ETests {
        @Test("import stores a good file, refuses a bad one whole (65, line numbers), show and missing list what is stored")
        func importShowMissing() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["import", E2E.fixture("v2-us.txt")], home: home).status == 0)
            let before = try await E2E.run(["costs", "missing", "--json"], home: home)
            #expect(before.status == 0, "\(before.stderr)")
            let missing = try #require((try E2E.json(before.stdout) as? [String: Any])?["missing"] as? [[String: Any]])
            let sku = try #require(missing.first?["sku"] as? String)

            let bad = home + "/bad.csv"
            try "sku,unit_cost,currency\n\(sku),4.10,USD\nOTHER,abc,USD\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try await E2E.run(["costs", "import", bad], home: home)
            #expect(refused.status == 65)
            #expect(refused.stderr.contains("line 3"))
            #expect(try await E2E.count("SELECT COUNT(*) FROM unit_cost", home: home) == 0)

            let good = home + "/good.csv"
            try "\(sku),4.10,USD\n\(sku),4.35,USD,2024-10-05\n".write(toFile: good, atomically: true, encoding: .utf8)
            let stored = try await E2E.run(["costs", "import", good], home: home)
            #expect(stored.status == 0, "\(stored.stderr)")
            let shown = try await E2E.run(["costs", "show", sku], home: home)
            #expect(shown.stdout.contains("4.10 USD") && shown.stdout.contains("4.35 USD") && shown.stdout.contains("from 2024-10-05"))
            let after = try await E2E.run(["costs", "missing", "--json"], home: home)
            let still = (try E2E.json(after.stdout) as? [String: Any])?["missing"] as? [[String: Any]] ?? []
            #expect(!still.contains { $0["sku"] as? String == sku })
        }
    }
}
