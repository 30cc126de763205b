import Foundation

/// A random number generator whose seed a failing test prints, and `LMB_TEST_SEED` replays.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public let seed: UInt64

    public init(_ test: String) {
        seed = ProcessInfo.processInfo.environment["LMB_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max >> 1)
        state = seed
        print("\(test): random seed \(seed) (replay with LMB_TEST_SEED=\(seed))")
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
