import ArgumentParser
import Foundation
import LMBCore

extension LMB {
    struct Status: ContextCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the Xero connections: organisation, connection age, token expiry, refresh-token age, scopes, user.",
            discussion: "Reads the store only; `lmb diagnose` talks to Xero.")
        @OptionGroup var global: GlobalOptions

        func run(_ ctx: RunContext) throws {
            try runReporting {
                let store = try ctx.store()
                let connections = try store.connections()
                let now = ctx.clock.now
                // Not connected is configuration missing (78), in text and --json alike.
                let status: ExitStatus = connections.isEmpty ? .config : .ok
                if global.json {
                    Terminal.out(JSON.array(connections.map { c in
                        let k = c.credential
                        return .object([
                            ("tenantId", .string(c.tenantID)), ("tenantName", .string(c.tenantName)), ("default", .bool(c.isDefault)),
                            ("connectionId", .optional(c.connectionID)), ("kind", .string(k.kind.rawValue)), ("connectedAt", .string(c.connectedAt)),
                            ("accessTokenExpiresInSeconds", k.accessExpiresAt.map { .int(Int($0.timeIntervalSince(now))) } ?? .null),
                            ("refreshTokenAgeDays", k.refreshIssuedAt.map { .int(Int(now.timeIntervalSince($0) / 86400)) } ?? .null),
                            ("refreshTokenLimitDays", .int(60)), ("scopes", .array(k.scopes.map(JSON.string))),
                            ("xeroUserId", .optional(k.xeroUserID)),
                        ])
                    }).rendered())
                    return status
                }
                if connections.isEmpty {
                    Terminal.out("Not connected to Xero. Run: lmb connect --client-id ID")
                    return status
                }
                for c in connections {
                    let k = c.credential
                    let expiry = k.accessExpiresAt.map { d -> String in
                        let s = Int(d.timeIntervalSince(now))
                        return s > 0 ? "expires in \(s / 60) min (renewed automatically)" : "expired \(-s / 60) min ago (renewed on next use)"
                    } ?? "none"
                    let refresh = k.refreshIssuedAt.map { "\(Int(now.timeIntervalSince($0) / 86400)) of 60 days old" } ?? (k.kind == .clientCredentials ? "none (custom connection)" : "none")
                    Terminal.out("""
                        \(c.tenantName)\(c.isDefault ? " (default)" : "")
                          tenant id       \(c.tenantID)
                          connection      \(c.connectionID ?? "-") (\(k.kind.rawValue)), connected \(c.connectedAt)
                          access token    \(expiry)
                          refresh token   \(refresh)
                          scopes          \(k.scopes.joined(separator: " "))
                          user            \(k.xeroUserID ?? "-")
                        """)
                }
                return .ok
            }
        }
    }
}
