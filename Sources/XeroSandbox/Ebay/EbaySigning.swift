import Foundation

/// The Key Management API (signing keys) and the check of eBay's HTTP message signatures (RFC 9421 as eBay uses it)
/// on Finances calls of EU/UK sellers.
extension SandboxEngine {
    // MARK: Key Management API

    func ebayKeyManagement(_ r: SandboxRequest) -> EbayOutcome {
        let rest = r.path.hasPrefix(Self.ebayKeyManagementPrefix) ? String(r.path.dropFirst(Self.ebayKeyManagementPrefix.count)) : ""
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == "signing_key", parts.count <= 2, parts.count == 1 || !parts[1].isEmpty else {
            return Self.ebayOutcome(Self.ebayNotFound)
        }
        guard let token = ebayBearer(r) else { return Self.ebayOutcome(Self.ebayInvalidToken) }
        guard token.scopes.contains(Self.ebayPublicScope) else { return Self.ebayOutcome(Self.ebayAccessDenied) }
        switch (r.method, parts.count) {
        case ("POST", 1): return Self.ebayOutcome(createSigningKey(r, clientID: token.clientID))
        case ("GET", 1):
            return EbayOutcome(response: .json(200, ["signingKeys": ebay.signingKeys.map(signingKeyJSON)]))
        case ("GET", 2):
            guard let key = ebay.signingKeys.first(where: { $0.id == parts[1] }) else {
                return Self.ebayOutcome(Self.ebayError(404, 210002, domain: "API_KEYS",
                                                       message: "The signing key with id \(parts[1]) was not found."))
            }
            return EbayOutcome(response: .json(200, signingKeyJSON(key)))
        default:
            return Self.ebayOutcome(Self.ebayMethodNotAllowed)
        }
    }

    func createSigningKey(_ r: SandboxRequest, clientID: String) -> SandboxResponse {
        guard let body = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
            return Self.ebayError(400, 210006, domain: "API_KEYS",
                                  message: "You must request for new signing key with valid request payload.")
        }
        let cipher = body["signingKeyCipher"] as? String ?? ""
        guard cipher == "ED25519" || cipher == "RSA" else {
            return Self.ebayError(400, 210001, domain: "API_KEYS",
                                  message: "You must supply a valid signing key cipher. Allowed values are ED25519 and RSA.")
        }
        let pair = cipher == "ED25519" ? EbayCrypto.generateEd25519() : EbayCrypto.generateRSA()
        guard let pair else {
            return Self.ebayError(500, 210000, domain: "API_KEYS", category: "APPLICATION",
                                  message: "There was a problem with an eBay internal system or process. Contact eBay developer support for assistance.")
        }
        // Whole seconds, as eBay's creationTime is; keys expire three years after it.
        let created = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let expires = calendar.date(byAdding: .year, value: 3, to: created) ?? created.addingTimeInterval(3 * 365 * 86400)
        let key = EbaySigningKey(id: UUID().uuidString.lowercased(), cipher: cipher, publicKeyDER: pair.publicKeyDER,
                                 jwe: Self.ebayJWE(), creationTime: created, expirationTime: expires)
        ebay.signingKeys.append(key)
        var out = signingKeyJSON(key)
        // The private key comes back once, here; the sandbox keeps no copy.
        out["privateKey"] = pair.privateKeyDER.base64EncodedString()
        return .json(200, out)
    }

    func signingKeyJSON(_ key: EbaySigningKey) -> [String: Any] {
        ["signingKeyId": key.id, "signingKeyCipher": key.cipher, "publicKey": key.publicKeyDER.base64EncodedString(),
         "jwe": key.jwe, "creationTime": Int(key.creationTime.timeIntervalSince1970),
         "expirationTime": Int(key.expirationTime.timeIntervalSince1970)]
    }

    /// A compact JWE as eBay hands out (five base64url parts, the header naming A256GCMKW / A256GCM). eBay decrypts it
    /// to find the public key; the sandbox looks it up instead, so to a client it is as opaque as eBay's.
    static func ebayJWE() -> String {
        func random(_ n: Int) -> String {
            var generator = SystemRandomNumberGenerator()
            return base64url(Data((0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        let header = #"{"zip":"DEF","enc":"A256GCM","tag":"\#(random(16))","alg":"A256GCMKW","iv":"\#(random(12))"}"#
        return [base64url(Data(header.utf8)), random(32), random(12), random(150), random(16)].joined(separator: ".")
    }

    // MARK: Message signatures

    struct SignatureFailure {
        var errorID: Int
        var problem: String
    }

    /// nil when the request carries a signature that verifies with the public key of a key made through the Key
    /// Management API; else eBay's error id (215120, or 215122 for a key eBay does not know or that has expired) and,
    /// for the log only, what was wrong.
    func ebaySignatureFailure(_ r: SandboxRequest) -> SignatureFailure? {
        func fail(_ problem: String, _ id: Int = 215120) -> SignatureFailure { SignatureFailure(errorID: id, problem: problem) }
        guard let jwe = r.header("x-ebay-signature-key"), !jwe.isEmpty else { return fail("x-ebay-signature-key header missing") }
        guard let inputHeader = r.header("signature-input"), !inputHeader.isEmpty else { return fail("Signature-Input header missing") }
        guard let signatureHeader = r.header("signature"), !signatureHeader.isEmpty else { return fail("Signature header missing") }
        guard let input = Self.parseSignatureInput(inputHeader) else {
            return fail("Signature-Input is not label=(\"component\" …);created=<unix seconds>")
        }
        guard let created = input.created else { return fail("Signature-Input has no created parameter") }
        guard created.count <= 10, let createdSeconds = Double(created) else { return fail("created must be Unix seconds, not milliseconds") }
        if let skew = ebay.options.signatureMaxSkewSeconds, abs(createdSeconds - now.timeIntervalSince1970) > skew {
            return fail("created is \(Int(createdSeconds - now.timeIntervalSince1970)) s from the sandbox clock")
        }
        for needed in ["x-ebay-signature-key", "@method", "@path", "@authority"] where !input.components.contains(needed) {
            return fail("Signature-Input does not cover \(needed)")
        }
        if !r.body.isEmpty {
            guard input.components.contains("content-digest") else { return fail("a request with a body must sign content-digest") }
            guard let digest = r.header("content-digest") else { return fail("Content-Digest header missing") }
            if let problem = Self.contentDigestProblem(digest, body: r.body) { return fail(problem) }
        }
        guard let signatureValue = Self.signatureValue(signatureHeader, label: input.label) else {
            return fail("Signature is not \(input.label)=:<base64>:")
        }
        guard let key = ebay.signingKeys.first(where: { $0.jwe == jwe }) else {
            return fail("x-ebay-signature-key is not a JWE from this app's Key Management API", 215122)
        }
        guard now < key.expirationTime else { return fail("the signing key expired", 215122) }
        var lines: [String] = []
        for component in input.components {
            let value: String
            switch component {
            case "@method": value = r.method.uppercased()
            case "@path": value = r.path
            case "@authority": value = (r.header("host") ?? "apiz.ebay.com").lowercased()
            case "@scheme": value = "http"
            case "@query": value = "?" + r.rawQuery
            case "@target-uri":
                value = "http://" + (r.header("host") ?? "apiz.ebay.com").lowercased() + r.path + (r.rawQuery.isEmpty ? "" : "?" + r.rawQuery)
            default:
                if component.hasPrefix("@") { return fail("unknown derived component \(component)") }
                guard let header = r.header(component) else { return fail("signed header \(component) is not in the request") }
                value = header.trimmingCharacters(in: .whitespaces)
            }
            lines.append("\"\(component)\": \(value)")
        }
        lines.append("\"@signature-params\": \(input.params)")
        let base = Data(lines.joined(separator: "\n").utf8)
        let verified = key.cipher == "RSA"
            ? EbayCrypto.verifyRSA(publicKeyDER: key.publicKeyDER, message: base, signature: signatureValue)
            : EbayCrypto.verifyEd25519(publicKeyDER: key.publicKeyDER, message: base, signature: signatureValue)
        return verified ? nil : fail("the signature does not verify over the signature base")
    }

    struct SignatureInput {
        var label: String
        /// The component names, lower-cased, in order.
        var components: [String]
        /// Everything after `label=`: the value `@signature-params` carries in the base.
        var params: String
        var created: String?
    }

    /// `sig1=("x-ebay-signature-key" "@method" "@path" "@authority");created=1683883448` (the first signature only).
    static func parseSignatureInput(_ header: String) -> SignatureInput? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let label = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        var params = String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        // A second signature after a comma outside the parentheses is not this one's.
        if let close = params.firstIndex(of: ")"), let comma = params[close...].firstIndex(of: ",") {
            params = String(params[..<comma])
        }
        guard !label.isEmpty, params.hasPrefix("("), let close = params.firstIndex(of: ")") else { return nil }
        let inner = params[params.index(after: params.startIndex)..<close]
        var components: [String] = []
        for item in inner.split(separator: " ", omittingEmptySubsequences: true) {
            guard item.count >= 2, item.hasPrefix("\""), item.hasSuffix("\"") else { return nil }
            components.append(String(item.dropFirst().dropLast()).lowercased())
        }
        guard !components.isEmpty else { return nil }
        var created: String?
        for parameter in params[params.index(after: close)...].split(separator: ";") {
            let kv = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == "created" {
                let v = kv[1].trimmingCharacters(in: .whitespaces)
                guard !v.isEmpty, v.allSatisfy(EbayFormat.isDigit) else { return nil }
                created = v
            }
        }
        return SignatureInput(label: label, components: components, params: params, created: created)
    }

    /// The bytes of `label=:<base64>:` in a Signature header (which may list several signatures).
    static func signatureValue(_ header: String, label: String) -> Data? {
        for entry in header.split(separator: ",") {
            let text = entry.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix(label + "=:"), text.hasSuffix(":"), text.count > label.count + 3 else { continue }
            let b64 = text.dropFirst(label.count + 2).dropLast()
            return Data(base64Encoded: String(b64))
        }
        return nil
    }

    /// nil when `Content-Digest: sha-256=:<base64>:` (or sha-512) is the digest of the body.
    static func contentDigestProblem(_ header: String, body: Data) -> String? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard let eq = text.firstIndex(of: "=") else { return "Content-Digest is not algorithm=:<base64>:" }
        let algorithm = String(text[..<eq]).lowercased()
        let value = String(text[text.index(after: eq)...])
        guard algorithm == "sha-256" || algorithm == "sha-512" else { return "Content-Digest algorithm \(algorithm) is not sha-256" }
        guard value.hasPrefix(":"), value.hasSuffix(":"), value.count > 2 else { return "Content-Digest is not algorithm=:<base64>:" }
        let expected = EbayCrypto.digest(body, sha512: algorithm == "sha-512").base64EncodedString()
        return String(value.dropFirst().dropLast()) == expected ? nil : "Content-Digest does not match the body"
    }
}
