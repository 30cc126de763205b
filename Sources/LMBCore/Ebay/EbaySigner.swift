import CCrypto
import Foundation

/// eBay's HTTP message signatures (RFC 9421 as eBay's digital-signature guide uses it), for EU and UK sellers' Finances
/// calls: the signature base is one line per covered component, `"x-ebay-signature-key": <jwe>`, `"@method": GET`,
/// `"@path": /sell/finances/v1/payout` (no query), `"@authority": host[:port]`, then `"@signature-params": (…);created=<s>`,
/// with no trailing newline; Ed25519 over it through OpenSSL's EVP interface.
public enum EbaySigner {
    /// The DER prefix of an Ed25519 PKCS#8 private key (RFC 8410): what comes before the 32 raw bytes.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    public static let getComponents = ["x-ebay-signature-key", "@method", "@path", "@authority"]

    /// The signature of `message` with the Ed25519 key in `privateKeyDER` (PKCS#8, as the Key Management API gives it).
    public static func sign(privateKeyDER: Data, message: Data) -> Data? {
        let bytes = [UInt8](privateKeyDER)
        guard bytes.count == pkcs8Prefix.count + 32, Array(bytes.prefix(pkcs8Prefix.count)) == pkcs8Prefix else { return nil }
        let raw = Array(bytes.suffix(32))
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, raw, raw.count) else { return nil }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1 else { return nil }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let msg = [UInt8](message)
        guard EVP_DigestSign(ctx, &signature, &length, msg, msg.count) == 1, length == 64 else { return nil }
        return Data(signature)
    }

    /// `("x-ebay-signature-key" "@method" "@path" "@authority");created=1683883448`
    public static func params(_ components: [String], created: Int) -> String {
        "(" + components.map { "\"\($0)\"" }.joined(separator: " ") + ");created=\(created)"
    }

    /// The signature base: each component's line, then the params line; no trailing newline.
    public static func base(_ components: [(name: String, value: String)], params: String) -> String {
        (components.map { "\"\($0.name)\": \($0.value)" } + ["\"@signature-params\": \(params)"]).joined(separator: "\n")
    }

    /// The host as the request carries it: with the port unless it is the scheme's default.
    public static func authority(_ url: URL) -> String {
        let host = (url.host ?? "").lowercased()
        guard let port = url.port else { return host }
        let scheme = url.scheme?.lowercased()
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    /// The four headers a signed GET carries.
    public static func headers(method: String, url: URL, key: EbaySigningKey, created: Int) throws -> [(String, String)] {
        let params = params(getComponents, created: created)
        let path = url.path.isEmpty ? "/" : url.path
        let text = base([("x-ebay-signature-key", key.jwe), ("@method", method.uppercased()), ("@path", path), ("@authority", authority(url))],
                        params: params)
        guard let signature = sign(privateKeyDER: key.privateKeyDER, message: Data(text.utf8)) else {
            throw RemoteFailure(.permissionDenied, "the stored eBay signing key \(key.id) cannot sign (it is not an Ed25519 PKCS#8 key)",
                                service: .ebayFinances, code: "signing_key", evidence: ["OpenSSL refused the stored private key"])
        }
        return [("x-ebay-signature-key", key.jwe), ("signature-input", "sig1=" + params),
                ("signature", "sig1=:\(signature.base64EncodedString()):"), ("x-ebay-enforce-signature", "true")]
    }
}
