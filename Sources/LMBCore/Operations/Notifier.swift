import Foundation

/// Where and when to tell a person that an unattended run failed: `notify.webhook` in config.json (or
/// `LMB_NOTIFY_URL`), on failure only unless `notify.on` is "always".
public struct NotifySettings: Sendable, Equatable {
    public var url: URL
    public var always: Bool

    public static func resolve(config: LMBConfig, environment: [String: String]) throws -> NotifySettings? {
        let text = environment["LMB_NOTIFY_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? config.notify?.webhook
        guard let text else { return nil }
        guard let url = URL(string: text), url.host != nil, url.isHTTPSOrLoopback else {
            throw LMBError.config("the notification URL '\(text.prefix(60))' is not usable: it must be https, or http on a loopback address")
        }
        let on = config.notify?.on ?? "failure"
        guard on == "failure" || on == "always" else { throw LMBError.config("notify.on must be \"failure\" or \"always\", not \"\(on)\"") }
        return NotifySettings(url: url, always: on == "always")
    }
}

/// What one run did, as a notification tells it.
public struct RunSummary: Sendable {
    public struct Failure: Sendable {
        public var settlementID: String?
        public var classification: String
        public var message: String
        public var firstStep: String?
        public var correlationID: String?

        public init(settlementID: String?, classification: String, message: String, firstStep: String?, correlationID: String?) {
            self.settlementID = settlementID
            self.classification = classification
            self.message = message
            self.firstStep = firstStep
            self.correlationID = correlationID
        }
    }

    public var command: String
    public var exitStatus: ExitStatus
    public var succeeded: Int
    public var failures: [Failure]
    /// Every account and organisation that did not finish well (a run over many clients).
    public var failedClients: [ClientOutcome] = []

    public init(command: String, exitStatus: ExitStatus, succeeded: Int, failures: [Failure], failedClients: [ClientOutcome] = []) {
        self.command = command
        self.exitStatus = exitStatus
        self.succeeded = succeeded
        self.failures = failures
        self.failedClients = failedClients
    }

    /// One line a person reads in a chat.
    public func text(host: String) -> String {
        if failures.isEmpty { return "lmb \(command) on \(host): ok (\(succeeded) done)" }
        let first = failures[0]
        let what = first.settlementID.map { "settlement \($0): " } ?? ""
        let more = failures.count > 1 ? " (and \(failures.count - 1) more)" : ""
        let clients = failedClients.count > 1
            ? " Clients that failed (\(failedClients.count)): " + failedClients.map { "\($0.name) (\($0.classification))" }.joined(separator: ", ") + "."
            : ""
        return "lmb \(command) on \(host) failed, exit \(exitStatus.rawValue): \(what)\(first.classification) — \(first.message)\(more). \(first.firstStep ?? "")\(clients)"
            .trimmingCharacters(in: .whitespaces)
    }

    public func json(host: String, home: String) -> JSON {
        .object([
            ("text", .string(text(host: host))),
            ("host", .string(host)), ("home", .string(home)), ("command", .string(command)),
            ("exitCode", .int(Int(exitStatus.rawValue))), ("succeeded", .int(succeeded)),
            ("failures", .array(failures.map { f in
                .object([("settlement", .optional(f.settlementID)), ("classification", .string(f.classification)),
                         ("message", .string(f.message)), ("runbookFirstStep", .optional(f.firstStep)),
                         ("correlationId", .optional(f.correlationID))])
            })),
            ("failedClients", .array(failedClients.map { c in
                .object([("kind", .string(c.kind.rawValue)), ("name", .string(c.name)), ("tenantId", .optional(c.tenantID)),
                         ("classification", .string(c.classification)), ("exitCode", .int(c.exitStatus.rawValue)),
                         ("runbookFirstStep", .optional(c.runbook.first))])
            })),
        ])
    }
}

/// Posts one JSON message to the webhook. A failed notification is reported back, never thrown: it must not
/// change the run's exit code.
public struct Notifier: Sendable {
    public let settings: NotifySettings
    public let transport: any HTTPTransport

    public init(settings: NotifySettings, transport: any HTTPTransport = CurlTransport(connectTimeout: 3, totalTimeout: 5)) {
        self.settings = settings
        self.transport = transport
    }

    public static var hostName: String { ProcessInfo.processInfo.hostName }

    /// nil when delivered (or not due); otherwise why it was not.
    public func notify(_ summary: RunSummary, home: String, secrets: [String]) async -> String? {
        guard settings.always || !summary.failures.isEmpty else { return nil }
        let message: JSON
        do { message = try SupportBundle.redact(summary.json(host: Self.hostName, home: home), secrets: secrets) } catch {
            return "the message could not be prepared: \(error)"
        }
        let request = HTTPRequest(method: "POST", url: settings.url, headers: [("Content-Type", "application/json")],
                                  body: Data(message.rendered(pretty: false).utf8))
        do {
            let r = try await transport.send(request)
            return (200..<300).contains(r.status) ? nil : "the webhook answered HTTP \(r.status)"
        } catch {
            return "the webhook could not be reached: \(error)"
        }
    }
}
