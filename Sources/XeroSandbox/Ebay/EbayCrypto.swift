import CCrypto
import Foundation

/// Ed25519 keys, signatures and digests through OpenSSL's EVP interface: what the Key Management emulator hands out
/// and the signature check verifies with. Keys travel as eBay gives them: base64 DER with no PEM armour (PKCS#8 for the
/// private key, SubjectPublicKeyInfo for the public one).
enum EbayCrypto {
    /// The DER prefixes of an Ed25519 key (RFC 8410): what comes before the 32 raw bytes.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    static let spkiPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    struct KeyPair {
        var privateKeyDER: Data
        var publicKeyDER: Data
    }

    /// A fresh Ed25519 key pair, or nil if OpenSSL fails.
    static func generateEd25519() -> KeyPair? {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { return nil }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(ctx, &key) == 1, let key else { return nil }
        defer { EVP_PKEY_free(key) }
        var privateRaw = [UInt8](repeating: 0, count: 32)
        var publicRaw = [UInt8](repeating: 0, count: 32)
        var privateLength = 32, publicLength = 32
        guard EVP_PKEY_get_raw_private_key(key, &privateRaw, &privateLength) == 1, privateLength == 32,
              EVP_PKEY_get_raw_public_key(key, &publicRaw, &publicLength) == 1, publicLength == 32 else { return nil }
        return KeyPair(privateKeyDER: Data(pkcs8Prefix + privateRaw), publicKeyDER: Data(spkiPrefix + publicRaw))
    }

    /// The 32 raw bytes of a DER key with the given prefix.
    static func raw(_ der: Data, prefix: [UInt8]) -> [UInt8]? {
        let bytes = [UInt8](der)
        guard bytes.count == prefix.count + 32, Array(bytes.prefix(prefix.count)) == prefix else { return nil }
        return Array(bytes.suffix(32))
    }

    /// Whether `signature` is an Ed25519 signature of `message` by the key whose SubjectPublicKeyInfo is `publicKeyDER`.
    static func verifyEd25519(publicKeyDER: Data, message: Data, signature: Data) -> Bool {
        guard signature.count == 64, let rawKey = raw(publicKeyDER, prefix: spkiPrefix),
              let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, rawKey, rawKey.count) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else { return false }
        let sig = [UInt8](signature)
        let msg = [UInt8](message)
        return EVP_DigestVerify(ctx, sig, sig.count, msg, msg.count) == 1
    }

    /// The Ed25519 signature of `message` with the PKCS#8 private key: for tests and the demo, as a client signs.
    static func signEd25519(privateKeyDER: Data, message: Data) -> Data? {
        guard let rawKey = raw(privateKeyDER, prefix: pkcs8Prefix),
              let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, rawKey, rawKey.count) else { return nil }
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

    // MARK: RSA (eBay's fallback cipher: RSASSA-PKCS1-v1_5 with SHA-256)

    /// rsaEncryption's AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }.
    static let rsaAlgorithm: [UInt8] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]

    static func derLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 { bytes.insert(UInt8(v & 0xff), at: 0); v >>= 8 }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + derLength(content.count) + content }

    /// The content of the DER element at `offset` and the offset after it.
    static func derElement(_ bytes: [UInt8], at offset: Int) -> (tag: UInt8, content: ArraySlice<UInt8>, next: Int)? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        var length = Int(bytes[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 3, start + count <= bytes.count else { return nil }
            length = bytes[start..<(start + count)].reduce(0) { $0 << 8 | Int($1) }
            start += count
        }
        guard start + length <= bytes.count else { return nil }
        return (tag, bytes[start..<(start + length)], start + length)
    }

    /// A fresh 2048-bit RSA key pair (OpenSSL's default size), as PKCS#8 and SubjectPublicKeyInfo DER.
    static func generateRSA() -> KeyPair? {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { return nil }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen(ctx, &key) == 1, let key else { return nil }
        defer { EVP_PKEY_free(key) }
        func encode(_ f: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
            let length = Int(f(nil))
            guard length > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: length)
            let written = buffer.withUnsafeMutableBufferPointer { raw -> Int32 in
                var cursor: UnsafeMutablePointer<UInt8>? = raw.baseAddress
                return f(&cursor)
            }
            return written == length ? buffer : nil
        }
        // PKCS#1 RSAPrivateKey and RSAPublicKey, wrapped by hand in PKCS#8 and SubjectPublicKeyInfo.
        guard let pkcs1Private = encode({ i2d_PrivateKey(key, $0) }),
              let pkcs1Public = encode({ i2d_PublicKey(key, $0) }) else { return nil }
        let privateDER = der(0x30, [0x02, 0x01, 0x00] + rsaAlgorithm + der(0x04, pkcs1Private))
        let publicDER = der(0x30, rsaAlgorithm + der(0x03, [0x00] + pkcs1Public))
        return KeyPair(privateKeyDER: Data(privateDER), publicKeyDER: Data(publicDER))
    }

    /// The PKCS#1 RSAPublicKey inside an RSA SubjectPublicKeyInfo.
    static func rsaPublicKey(_ spki: Data) -> [UInt8]? {
        let bytes = [UInt8](spki)
        guard let outer = derElement(bytes, at: 0), outer.tag == 0x30 else { return nil }
        let inner = Array(outer.content)
        guard let algorithm = derElement(inner, at: 0), algorithm.tag == 0x30,
              Array(inner[0..<algorithm.next]) == rsaAlgorithm,
              let bits = derElement(inner, at: algorithm.next), bits.tag == 0x03, bits.content.first == 0 else { return nil }
        return Array(bits.content.dropFirst())
    }

    static func verifyRSA(publicKeyDER: Data, message: Data, signature: Data) -> Bool {
        guard let pkcs1 = rsaPublicKey(publicKeyDER) else { return false }
        let key: OpaquePointer? = pkcs1.withUnsafeBufferPointer { raw in
            var cursor: UnsafePointer<UInt8>? = raw.baseAddress
            return d2i_PublicKey(EVP_PKEY_RSA, nil, &cursor, raw.count)
        }
        guard let key else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let sig = [UInt8](signature)
        let msg = [UInt8](message)
        return EVP_DigestVerify(ctx, sig, sig.count, msg, msg.count) == 1
    }

    /// An RSA-SHA256 (PKCS#1 v1.5) signature with a PKCS#8 private key: for tests, as a client signs.
    static func signRSA(privateKeyDER: Data, message: Data) -> Data? {
        let bytes = [UInt8](privateKeyDER)
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { raw in
            var cursor: UnsafePointer<UInt8>? = raw.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, raw.count)
        }
        guard let key else { return nil }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return nil }
        let msg = [UInt8](message)
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, msg, msg.count) == 1, length > 0 else { return nil }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, msg, msg.count) == 1 else { return nil }
        return Data(signature.prefix(length))
    }

    /// SHA-256 or SHA-512 of `data`.
    static func digest(_ data: Data, sha512: Bool) -> Data {
        guard let ctx = EVP_MD_CTX_new() else { return Data() }
        defer { EVP_MD_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let bytes = [UInt8](data)
        guard EVP_DigestInit_ex(ctx, sha512 ? EVP_sha512() : EVP_sha256(), nil) == 1,
              EVP_DigestUpdate(ctx, bytes, bytes.count) == 1,
              EVP_DigestFinal_ex(ctx, &out, &length) == 1 else { return Data() }
        return Data(out.prefix(Int(length)))
    }

    /// The first 12 hex digits of a secret's SHA-256: enough to tell tokens apart in the state without showing them.
    static func fingerprint(_ secret: String) -> String {
        digest(Data(secret.utf8), sha512: false).prefix(6).map { String(format: "%02x", $0) }.joined()
    }
}
