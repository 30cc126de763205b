#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one grouping core: sums amounts by (transaction-type, amount-type, amount-description, month, detail).
/// The Amazon parser feeds it field bytes straight from its buffer (nothing is built per row: an open-addressing
/// table keyed by an FNV-1a hash, each hit checked byte for byte); the Etsy reader and the store's rows feed it
/// Strings. Every settlement's groups come out of here, in one order.
public struct GroupTotals {
    private struct Key {
        var bytes: [UInt8]   // tt, at, ad, detail back to back
        var ttCount: Int, atCount: Int, adCount: Int
        var yearMonth: Int   // 0 when the rows carry no date
        var hash: UInt64
    }
    private var slots = [Int32](repeating: -1, count: 1024)
    private var keys: [Key] = []
    private var sums: [(amount: Int64, count: Int)] = []

    public init() {}

    public var isEmpty: Bool { keys.isEmpty }

    @inline(__always) private static func fnv(_ hash: inout UInt64, _ bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100000001b3 }
        hash = (hash ^ 0x1F) &* 0x100000001b3
    }

    /// Adds one amount (the hot path). `count` is how many rows it stands for.
    public mutating func add(_ tt: UnsafeBufferPointer<UInt8>, _ at: UnsafeBufferPointer<UInt8>, _ ad: UnsafeBufferPointer<UInt8>,
                             detail: UnsafeBufferPointer<UInt8>, _ date: CalendarDate?, _ amount: Int64, count: Int = 1) {
        let ym = date.map { $0.year * 100 + $0.month } ?? 0
        var hash: UInt64 = 0xcbf29ce484222325
        Self.fnv(&hash, tt); Self.fnv(&hash, at); Self.fnv(&hash, ad); Self.fnv(&hash, detail)
        hash = (hash ^ UInt64(ym)) &* 0x100000001b3
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let i = Int(slots[slot])
            if i < 0 { break }
            if keys[i].hash == hash && keys[i].yearMonth == ym && Self.same(keys[i], tt, at, ad, detail) {
                sums[i].amount &+= amount
                sums[i].count += count
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(keys.count)
        keys.append(Key(bytes: Array(tt) + Array(at) + Array(ad) + Array(detail), ttCount: tt.count, atCount: at.count, adCount: ad.count,
                        yearMonth: ym, hash: hash))
        sums.append((amount, count))
        if keys.count * 2 > slots.count { grow() }
    }

    /// Adds one amount given as text (Etsy statements, stored rows).
    public mutating func add(transactionType: String, amountType: String, amountDescription: String, detail: String = "",
                             date: CalendarDate?, amount: Int64, count: Int = 1) {
        var (tt, at, ad, d) = (transactionType, amountType, amountDescription, detail)
        tt.withUTF8 { ttb in at.withUTF8 { atb in ad.withUTF8 { adb in d.withUTF8 { db in
            add(ttb, atb, adb, detail: db, date, amount, count: count)
        } } } }
    }

    private static func same(_ key: Key, _ tt: UnsafeBufferPointer<UInt8>, _ at: UnsafeBufferPointer<UInt8>, _ ad: UnsafeBufferPointer<UInt8>,
                             _ detail: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.ttCount == tt.count, key.atCount == at.count, key.adCount == ad.count,
              key.bytes.count == tt.count + at.count + ad.count + detail.count else { return false }
        return key.bytes.withUnsafeBufferPointer { k in
            func eq(_ offset: Int, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
                guard let kb = k.baseAddress, let bb = b.baseAddress, !b.isEmpty else { return true }
                return memcmp(kb + offset, bb, b.count) == 0
            }
            return eq(0, tt) && eq(tt.count, at) && eq(tt.count + at.count, ad) && eq(tt.count + at.count + ad.count, detail)
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: key.hash ^ (key.hash >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }

    /// The groups, decoded with the file's text decoding, in the one order: month, then the three fields, then detail.
    public func groups(_ text: inout TextDecoding) throws -> [SettlementGroup] {
        var out: [SettlementGroup] = []
        out.reserveCapacity(keys.count)
        for (i, key) in keys.enumerated() {
            func s(_ range: Range<Int>) throws -> String {
                try Array(key.bytes[range]).withUnsafeBufferPointer { b throws(TextDecoding.Failure) in try text.string(b) }.trimmingSpaces()
            }
            let a = key.ttCount, b = a + key.atCount, c = b + key.adCount
            out.append(SettlementGroup(
                transactionType: try s(0..<a), amountType: try s(a..<b), amountDescription: try s(b..<c),
                month: Self.monthKey(key.yearMonth), amountMinor: sums[i].amount, count: sums[i].count, detail: try s(c..<key.bytes.count)))
        }
        return out.sorted(by: Self.order)
    }

    /// The groups of text input (always UTF-8).
    public func groups() -> [SettlementGroup] {
        var text = TextDecoding()
        return (try? groups(&text)) ?? []
    }

    static func monthKey(_ yearMonth: Int) -> String {
        guard yearMonth != 0 else { return "" }
        let y = String(yearMonth / 100), m = yearMonth % 100
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + (m < 10 ? "-0" : "-") + String(m)
    }

    public static func order(_ x: SettlementGroup, _ y: SettlementGroup) -> Bool {
        (x.month, x.transactionType, x.amountType, x.amountDescription, x.detail) < (y.month, y.transactionType, y.amountType, y.amountDescription, y.detail)
    }
}
