import Foundation

/// What a support team asks for when a send fails — settlement ids, Xero's exact messages, the events that led
/// to them, versions, the check results — with every token, secret and Authorization header removed.
public enum SupportBundle {
    public static func make(store: Store, home: LMBHome, environment: [String: String], report: DiagnosisReport, settlementID: String?) throws -> JSON {
        let events = try store.events().filter { settlementID == nil || $0.settlementID == nil || $0.settlementID == settlementID }
        let attempts = try store.lastSendAttempts().filter { settlementID == nil || $0.settlementID == settlementID }
        let bundle = JSON.object([
            ("generatedAt", .string(store.now())),
            ("lmbVersion", .string(LMBVersion.current)),
            ("lmbCommit", .string(LMBVersion.commit)),
            ("libcurlVersion", .string(CurlTransport.libcurlVersion)),
            ("system", .string(Platform.systemName())),
            ("focus", .optional(settlementID)),
            ("verdict", .string(report.verdict)),
            ("checks", .array(report.checks.map(checkJSON))),
            ("runbook", .array(report.runbook.map(JSON.string))),
            ("settlements", .array(attempts.map { a in
                .object([("id", .optional(a.settlementID)), ("lastAttemptAt", .string(a.at)), ("message", .string(a.message)),
                         ("detail", a.detail.flatMap { try? JSON.parse($0) } ?? .null)])
            })),
            ("amazon", .object([
                ("accounts", .array(try store.amazonAccounts().map { a in
                    .object([("account", .string(a.label)), ("region", .string(a.region.rawValue)), ("clientId", .string(a.clientID)),
                             ("tenantId", .optional(a.tenantID)), ("lastFetchAt", .optional(a.lastFetchAt.map(ReportsAPI.dateText))),
                             ("rotatedAt", .string(ReportsAPI.dateText(a.secretSetAt)))])
                })),
                ("reports", .array(try store.amazonReports().prefix(200).map { r in
                    .object([("reportId", .string(r.reportID)), ("documentId", .string(r.documentID)), ("account", .string(r.accountLabel)),
                             ("settlement", .optional(r.settlementID)), ("outcome", .string(r.outcome.rawValue)), ("message", .optional(r.message)),
                             ("fetchedAt", .string(ReportsAPI.dateText(r.fetchedAt)))])
                })),
            ])),
            ("events", .array(events.map { e in
                .object([("at", .string(e.at)), ("kind", .string(e.kind)), ("settlement", .optional(e.settlementID)),
                         ("message", .string(e.message)), ("detail", e.detail.flatMap { try? JSON.parse($0) } ?? .null)])
            })),
        ])
        return try redact(bundle, secrets: secrets(store: store, home: home, environment: environment))
    }

    public static func checkJSON(_ c: DiagnosticCheck) -> JSON {
        .object([("id", .string(c.id)), ("status", .string(c.status.rawValue)), ("detail", .string(c.detail)), ("fix", .string(c.fix)),
                 ("classification", .optional(c.classification))])
    }

    /// Every secret lmb holds: stored tokens, the client secret, and Amazon's client secrets and refresh tokens.
    static func secrets(store: Store, home: LMBHome, environment: [String: String]) throws -> [String] {
        var out = try store.storedTokens() + store.amazonSecrets() + store.channelSecrets()
        if let secret = try? LMBConfig.clientSecret(home: home, environment: environment) { out.append(secret) }
        return out.filter { $0.count >= 8 }
    }

    /// Removes known secrets, anything shaped like a JWT, and Authorization / Bearer values, from every string.
    public static func redact(_ value: JSON, secrets: [String]) throws -> JSON {
        let jwt = try NSRegularExpression(pattern: "eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+")
        let bearer = try NSRegularExpression(pattern: "(?i)(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+")
        // Login with Amazon's tokens (Atza|…, Atzr|…) and client secrets (amzn1.oa2-cs.…), whoever's they are.
        let amazon = try NSRegularExpression(pattern: "(Atz[ar]\\||amzn1\\.oa2-cs\\.)[^\\s\"'&,;<]+")
        func clean(_ s: String) -> String {
            var t = s
            for secret in secrets { t = t.replacingOccurrences(of: secret, with: "[redacted]") }
            t = jwt.stringByReplacingMatches(in: t, range: NSRange(t.startIndex..., in: t), withTemplate: "[redacted]")
            t = bearer.stringByReplacingMatches(in: t, range: NSRange(t.startIndex..., in: t), withTemplate: "$1 [redacted]")
            t = amazon.stringByReplacingMatches(in: t, range: NSRange(t.startIndex..., in: t), withTemplate: "[redacted]")
            return t
        }
        func walk(_ v: JSON) -> JSON {
            switch v {
            case .string(let s): return .string(clean(s))
            case .array(let a): return .array(a.map(walk))
            case .object(let pairs):
                return .object(pairs.compactMap { key, value in
                    let k = key.lowercased()
                    if k.contains("authorization") || k.contains("token") || k.contains("secret") { return (key, .string("[redacted]")) }
                    return (key, walk(value))
                })
            default: return v
            }
        }
        return walk(value)
    }
}
