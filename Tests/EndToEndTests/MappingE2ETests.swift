import Foundation
import Testing

extension EndToEnd {
    @Suite("lmb mapping add, explain, check and the unmapped policy — the built binary")
    struct MappingE2ETests {
        func settlementStatus(_ home: String) async throws -> [String: String] {
            let list = try await E2E.run(["settlements", "--json"], home: home)
            let items = try #require(try E2E.json(list.stdout) as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as! String, $0["status"] as! String) })
        }

        @Test("mapping add writes the rule and says which waiting settlement became ready")
        func add() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-us.txt"), E2E.fixture("v2-unmapped.txt")], home: home)
            #expect(try await settlementStatus(home)["90000000009"] == "needs-mapping")
            let r = try await E2E.run(["mapping", "add", "other-transaction", "other-transaction", "mystery *", "other", "--account", "4990"], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("added other-transaction / other-transaction / mystery * → other in \(home)/mapping.json"))
            #expect(r.stdout.contains("settlement 90000000009: needs-mapping → ready"))
            #expect(try await settlementStatus(home) == ["10000000001": "ready", "90000000009": "ready"])
            let file = try #require(try E2E.json(String(contentsOfFile: home + "/mapping.json", encoding: .utf8)) as? [String: Any])
            #expect(file["version"] as? Int == 2)
            #expect((file["rules"] as? [[String: Any]])?.first?["account"] as? String == "4990")
            // The document books the adjustment to the rule's account.
            let preview = try await E2E.run(["preview", "90000000009", "--json"], home: home)
            #expect(preview.status == 0)
            #expect(preview.stdout.contains("\"AccountCode\": \"4990\""))
        }

        @Test("mapping add --json names the file, the action and what changed")
        func addJSON() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-unmapped.txt")], home: home)
            let r = try await E2E.run(["mapping", "add", "other-transaction", "other-transaction", "Mystery Adjustment", "refunds", "--json"], home: home)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try #require(try E2E.json(r.stdout) as? [String: Any])
            #expect(json["file"] as? String == home + "/mapping.json")
            #expect(json["action"] as? String == "added")
            #expect(json["nowReady"] as? [String] == ["90000000009"])
            #expect((json["stillNeedsMapping"] as? [Any])?.isEmpty == true)
            #expect((json["rule"] as? [String: Any])?["category"] as? String == "refunds")
            let again = try await E2E.run(["mapping", "add", "OTHER-TRANSACTION", "other-transaction", "mystery adjustment", "other", "--json"], home: home)
            #expect((try E2E.json(again.stdout) as? [String: Any])?["action"] as? String == "replaced")
        }

        @Test("a tie, a bad glob or an unknown category is refused in one line, exit 64, and the file is unchanged")
        func addRefused() async throws {
            let home = try E2E.newHome()
            #expect(try await E2E.run(["mapping", "add", "A", "B", "x*", "sales"], home: home).status == 0)
            let before = try Data(contentsOf: URL(fileURLWithPath: home + "/mapping.json"))
            let tie = try await E2E.run(["mapping", "add", "A", "B", "*x", "refunds"], home: home)
            #expect(tie.status == 64)
            #expect(tie.stderr.contains("rules[0] (A / B / x* → sales) and rules[1] (A / B / *x → refunds) tie"), "\(tie.stderr)")
            #expect(tie.stderr.split(separator: "\n").count == 1)
            let glob = try await E2E.run(["mapping", "add", "A", "B", "[x", "refunds"], home: home)
            #expect(glob.status == 64)
            #expect(glob.stderr.contains("'[x' is not a valid pattern"))
            let category = try await E2E.run(["mapping", "add", "A", "B", "y", "sale"], home: home)
            #expect(category.status == 64)
            #expect(try Data(contentsOf: URL(fileURLWithPath: home + "/mapping.json")) == before)
            #expect(try FileManager.default.contentsOfDirectory(atPath: home) == ["mapping.json"])
        }

        @Test("a mapping.json with an unknown category stops every command with exit 78 and the rule named")
        func unknownCategoryInFile() async throws {
            let home = try E2E.newHome()
            try Data(#"{"rules": [{"transactionType": "Order", "amountType": "ItemPrice", "amountDescription": "*", "category": "sale"}]}"#.utf8)
                .write(to: URL(fileURLWithPath: home + "/mapping.json"))
            let r = try await E2E.run(["preview", E2E.fixture("v2-us.txt")], home: home)
            #expect(r.status == 78)
            #expect(r.stderr == "lmb: error: \(home)/mapping.json: the mapping is invalid: rules[0] (Order / ItemPrice / *): unknown category 'sale' (known: sales, refunds, reimbursements, seller-fees, fba-fees, storage-fees, advertising, sales-tax, reserves, loans, other, shipping-labels)\n")
        }

        @Test("mapping explain shows each combination's rule and where it comes from, for a stored id and for a file")
        func explain() async throws {
            let home = try E2E.newHome()
            try await E2E.run(["import", E2E.fixture("v2-unmapped.txt")], home: home)
            try await E2E.run(["mapping", "add", "*", "ItemPrice", "Shipping", "shipping-labels"], home: home)
            let text = try await E2E.run(["mapping", "explain", "90000000009"], home: home)
            #expect(text.status == 0)
            let shipping = try #require(text.stdout.split(separator: "\n").first { $0.contains("Shipping") && $0.contains("ItemPrice") })
            #expect(shipping.contains("shipping-labels") && shipping.contains("mapping.json rules[0]"))
            let principal = try #require(text.stdout.split(separator: "\n").first { $0.contains("Principal") })
            #expect(principal.contains("Order / ItemPrice / *") && principal.contains("built-in"))
            #expect(text.stdout.contains("no rule: needs mapping"))
            #expect(text.stdout.contains("lmb mapping add other-transaction other-transaction 'Mystery Adjustment' CATEGORY"))

            let json = try await E2E.run(["mapping", "explain", E2E.fixture("v2-unmapped.txt"), "--json"], home: home)
            #expect(json.status == 0)
            let settlement = try #require((try E2E.json(json.stdout) as? [[String: Any]])?.first)
            let combos = try #require(settlement["combinations"] as? [[String: Any]])
            #expect(combos.count == 5)
            func combo(_ d: String) -> [String: Any]? { combos.first { $0["amountDescription"] as? String == d } }
            #expect((combo("Shipping")?["source"] as? [String: Any])?["kind"] as? String == "home")
            #expect((combo("Principal")?["source"] as? [String: Any])?["kind"] as? String == "built-in")
            #expect(combo("Mystery Adjustment")?["source"] is NSNull)
            #expect(combo("Mystery Adjustment")?["category"] is NSNull)
            #expect(((combo("Tax")?["rule"] as? [String: Any])?["note"] as? String)?.contains("judgement call") == true)
            #expect(try await E2E.run(["mapping", "explain", "404"], home: home).status == 64)   // an id never imported is usage
        }

        @Test("mapping check reports coverage without importing: 0 when all is mapped, 65 when not, --json for scripts")
        func check() async throws {
            let home = try E2E.newHome()
            let ok = try await E2E.run(["mapping", "check", E2E.fixture("v2-us.txt"), E2E.fixture("v1-ca.txt"), E2E.fixture("etsy-statement.csv")], home: home)
            #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
            #expect(ok.stdout.contains("every one has a rule"))
            let bad = try await E2E.run(["mapping", "check", E2E.fixture("v2-us.txt"), E2E.fixture("v2-unmapped.txt"), "--json"], home: home)
            #expect(bad.status == 65)
            let json = try #require(try E2E.json(bad.stdout) as? [String: Any])
            #expect(json["unmapped"] as? Int == 1)
            let files = try #require(json["files"] as? [[String: Any]])
            let unmapped = ((files[1]["settlements"] as? [[String: Any]])?.first?["unmapped"] as? [[String: Any]])?.first
            #expect(unmapped?["amountDescription"] as? String == "Mystery Adjustment")
            #expect(unmapped?["rows"] as? Int == 2)
            #expect(unmapped?["command"] as? String == "lmb mapping add other-transaction other-transaction 'Mystery Adjustment' CATEGORY")
            #expect(!FileManager.default.fileExists(atPath: home + "/lmb.sqlite"))
            let missing = try await E2E.run(["mapping", "check", "/nonexistent.txt"], home: home)
            #expect(missing.status == 66)
        }

        @Test("\"unmapped\": \"other\": preview, import and send book to Other with a note on the line and a warning")
        func unmappedOther() async throws {
            let home = try E2E.newHome()
            try Data(#"{"unmapped": "other"}"#.utf8).write(to: URL(fileURLWithPath: home + "/mapping.json"))
            let warning = "lmb: warning: settlement 90000000009: 1 combination matches no rule and is booked to Other"
            let preview = try await E2E.run(["preview", E2E.fixture("v2-unmapped.txt"), "--json"], home: home)
            #expect(preview.status == 0, "\(preview.stderr)")
            #expect(preview.stderr.contains(warning))
            #expect(preview.stdout.contains("Mystery Adjustment [unmapped: booked to Other"))
            let imported = try await E2E.run(["import", E2E.fixture("v2-unmapped.txt")], home: home)
            #expect(imported.status == 0)
            #expect(imported.stderr.contains(warning))
            #expect(try await settlementStatus(home)["90000000009"] == "ready")
            let send = try await E2E.run(["send", "--dry-run", "90000000009"], home: home)
            #expect(send.status == 0)
            #expect(send.stderr.contains(warning))
            #expect(send.stdout.contains("\"AccountCode\": \"LMB11\""))
            #expect(try await E2E.run(["import", E2E.fixture("v2-unmapped.txt")], home: home).stderr.contains(warning))
            #expect(try await E2E.run(["import", E2E.fixture("v2-unmapped.txt"), "--quiet"], home: home).stderr.isEmpty)
        }

        @Test("diagnose warns, in its mapping check, when \"unmapped\": \"other\" books a stored settlement's rows to Other")
        func diagnose() async throws {
            let s = try await SandboxHome.connected(["v2-unmapped.txt"])
            let clean = try await s.run(["diagnose", "--json"])
            let before = try #require((try E2E.json(clean.stdout) as? [String: Any])?["checks"] as? [[String: Any]])
            #expect(before.first { $0["id"] as? String == "mapping" }?["status"] as? String == "pass")
            try Data(#"{"unmapped": "other"}"#.utf8).write(to: URL(fileURLWithPath: s.home + "/mapping.json"))
            let r = try await s.run(["diagnose", "--json"])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            let checks = try #require((try E2E.json(r.stdout) as? [String: Any])?["checks"] as? [[String: Any]])
            let mapping = try #require(checks.first { $0["id"] as? String == "mapping" })
            #expect(mapping["status"] as? String == "warn")
            #expect((mapping["detail"] as? String)?.contains("books combinations no rule covers to Other in settlements 90000000009 (1)") == true)
            #expect((mapping["fix"] as? String)?.contains("lmb mapping add") == true)
        }
    }
}
