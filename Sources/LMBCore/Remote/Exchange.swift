import Foundation

/// Where a call gets its access token, and a new one when the service refuses it.
public protocol AccessTokenSource: Sendable {
    func accessToken() async throws -> String
    /// A token other than `rejected`, which the service just refused: renewed, unless another caller already did.
    func renew(rejected: String) async throws -> String
}

/// How long the exchange loop waits out a service's "slow down" (429, or a 503 with Retry-After) before it gives up
/// and reports the failure (exit 75: cron retries later).
public struct WaitPolicy: Sendable, Equatable {
    /// Waits at most this many times per call.
    public var maxWaits: Int
    /// A Retry-After longer than this is not waited out.
    public var maxSingleWait: Double
    /// The most seconds one call spends waiting in all.
    public var maxTotalWait: Double
    /// The wait when the answer names none.
    public var defaultWait: Double

    public init(maxWaits: Int = 3, maxSingleWait: Double = 60, maxTotalWait: Double = 180, defaultWait: Double = 60) {
        self.maxWaits = maxWaits
        self.maxSingleWait = maxSingleWait
        self.maxTotalWait = maxTotalWait
        self.defaultWait = defaultWait
    }
}

/// The one HTTP exchange loop every remote service's calls go through: the access token added by the caller's
/// request builder, renewed once when the service refuses it, bounded waits on 429 and on 503 with Retry-After, in
/// the time of an injected clock, and every refusal classified by the service's own rules into one `RemoteFailure`.
public struct Exchange: Sendable {
    public var transport: any HTTPTransport
    public var clock: any LMBClock
    public var waits: WaitPolicy
    /// Told (seconds, reason) before each wait, so that a person does not take a wait for a hang.
    public var onWait: (@Sendable (Double, String) async -> Void)?

    public init(transport: any HTTPTransport, clock: any LMBClock, waits: WaitPolicy = WaitPolicy(),
                onWait: (@Sendable (Double, String) async -> Void)? = nil) {
        self.transport = transport
        self.clock = clock
        self.waits = waits
        self.onWait = onWait
    }

    /// One call. `request` builds the request around a token (nil without `tokens`); `classify` is the service's own
    /// reading of an answer (nil for success); `pace` runs before every attempt (client-side rate limits); `observe`
    /// sees every answer (rate-limit headers); `waitHint` gives the wait for a 429 that names none, after draining
    /// what the caller paces by. Secrets (and the tokens used) are redacted from every failure thrown.
    public func perform(service: RemoteService, operation: String, tokens: (any AccessTokenSource)?, secrets: [String] = [],
                        classify: @Sendable (HTTPResponse) -> RemoteFailure?,
                        pace: @Sendable () async throws -> Void = {},
                        observe: @Sendable (HTTPResponse) async -> Void = { _ in },
                        waitHint: @Sendable (RemoteFailure) async -> Double? = { _ in nil },
                        request: @Sendable (String?) throws -> HTTPRequest) async throws -> HTTPResponse {
        var token = try await tokens?.accessToken()
        var renewed = false
        var waitCount = 0
        var waited = 0.0
        var serverErrorSeen = false
        while true {
            try await pace()
            let hidden = secrets + (token.map { [$0] } ?? [])
            let response: HTTPResponse
            do {
                response = try await transport.send(try request(token))
            } catch let error as TransportError {
                throw RemoteFailure.transport(error, service: service, operation: operation)
                    .adding(evidence: "during \(operation)").redacting(hidden)
            }
            await observe(response)
            guard var failure = classify(response) else { return response }
            failure.operation = failure.operation ?? operation
            failure.earlierAttemptMayHaveBeenProcessed = serverErrorSeen
            failure = failure.redacting(hidden)
            if response.status >= 500 { serverErrorSeen = true }

            if failure.accessTokenRejected, let tokens, let used = token {
                guard !renewed else {
                    throw failure.adding(evidence: "lmb renewed the access token once and \(service.name) refused the new one as well")
                }
                renewed = true
                token = try await tokens.renew(rejected: used)
                continue
            }
            let waitable = failure.classification == .rateLimited
                || (response.status == 503 && failure.retryAfter != nil)
            guard waitable else { throw failure }
            let hint = await waitHint(failure)
            let wait = failure.retryAfter ?? hint ?? waits.defaultWait
            guard waitCount < waits.maxWaits, wait <= waits.maxSingleWait, waited + wait <= waits.maxTotalWait else {
                throw failure.adding(evidence: "gave up after \(waitCount) waits and \(Int(waited.rounded())) s: \(service.name) asked for \(Int(wait.rounded(.up))) s more (lmb waits at most \(Int(waits.maxSingleWait)) s at a time, \(Int(waits.maxTotalWait)) s a call, \(waits.maxWaits) times); try again later")
            }
            waitCount += 1
            waited += wait
            await onWait?(wait, "\(service.name) answered \(response.status) to \(operation); waiting \(Int(wait.rounded(.up))) s (wait \(waitCount) of \(waits.maxWaits))")
            try await clock.sleep(seconds: wait)
        }
    }
}
