import Foundation
import Testing
@testable import XeroSandbox

@Suite("Amazon fault scenarios on the wire")
struct AmazonScenarioTests {
    @Test("amazon-role-missing: every Reports call 403 Unauthorized with empty details; healthy restores")
    func roleMissing() async throws {
        let f = try await SandboxFixture()
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        try await f.scenario(.amazonRoleMissing)
        for path in ["/reports/2021-06-30/reports?" + SandboxFixture.settlementsQuery, "/reports/2021-06-30/reports/" + posted.report,
                     "/reports/2021-06-30/documents/" + posted.document] {
            let r = try await f.spapi("GET", path, token: token)
            #expect(r.status == 403, "\(path)")
            #expect(r.text == #"{"errors":[{"code":"Unauthorized","details":"","message":"Access to requested resource is denied."}]}"#)
        }
        #expect(try await f.lwaForm(SandboxFixture.grant()).status == 200, "the token exchange still works")
        try await f.scenario(.healthy)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200)
    }

    @Test("amazon-quota: every Reports call 429 QuotaExceeded until healthy, whatever the buckets hold")
    func quota() async throws {
        let f = try await SandboxFixture()
        try await f.freeze()   // the token must outlive the advance below, however slow the machine
        let posted = try await f.postSettlement()
        let token = try await f.amazonToken()
        try await f.scenario(.amazonQuota)
        for path in ["/reports/2021-06-30/reports?" + SandboxFixture.settlementsQuery, "/reports/2021-06-30/reports/" + posted.report] {
            let r = try await f.spapi("GET", path, token: token)
            #expect(r.status == 429)
            #expect(SandboxFixture.errorCode(r) == "QuotaExceeded")
        }
        try await f.advance(3600 - 1)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 429)
        try await f.scenario(.healthy)
        #expect(try await f.getReports(SandboxFixture.settlementsQuery, token: token).status == 200)
    }

    @Test("amazon-url-expired: each document's first download is refused as expired (that address stays so); a fresh one works")
    func urlExpired() async throws {
        let f = try await SandboxFixture()
        let a = try await f.postSettlement()
        let b = try await f.postSettlement(query: "compression=GZIP")
        let token = try await f.amazonToken()
        try await f.scenario(.amazonURLExpired)
        for document in [a.document, b.document] {
            let first = try #require(try await f.reportDocument(document, token: token).object["url"] as? String)
            let refused = try await f.download(first)
            #expect(refused.status == 403)
            #expect(refused.text.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"))
            #expect(try await f.download(first).status == 403, "an expired address does not come back to life")
            let fresh = try #require(try await f.reportDocument(document, token: token).object["url"] as? String)
            #expect(try await f.download(fresh).status == 200)
        }
    }

    @Test("Xero's scenarios leave Amazon alone, and Amazon's leave Xero alone")
    func sidesIndependent() async throws {
        let f = try await SandboxFixture()
        let xero = try await f.connect()
        try await f.scenario(.dropConnection)
        #expect(try await f.lwaForm(SandboxFixture.grant()).status == 200)
        try await f.scenario(.amazonRoleMissing)
        #expect(try await f.api("GET", "Organisation", token: xero.access).status == 200)
    }

    @Test("every amazon-* scenario is listed and accepted by POST /_sandbox/scenario")
    func listed() async throws {
        let f = try await SandboxFixture()
        let names = ["amazon-refresh-revoked", "amazon-client-secret-expired", "amazon-role-missing", "amazon-quota", "amazon-url-expired"]
        let unknown = try await f.control("scenario", ["scenario": "nope"])
        for name in names {
            #expect((unknown.object["scenarios"] as? [String])?.contains(name) == true)
            let r = try await f.control("scenario", ["scenario": name])
            #expect(r.status == 200)
            #expect(try await f.state()["scenario"] as? String == name)
        }
    }
}
