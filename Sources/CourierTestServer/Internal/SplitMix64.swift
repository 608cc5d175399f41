/// A small, fast generator whose output depends only on its seed, on every platform and in every
/// run (unlike `SystemRandomNumberGenerator`, or `Hasher`, which is seeded per process): chaos
/// plans must be reproducible from a printed seed. The cache's crash-safety tool draws its
/// entries' bodies from it too.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    /// A generator for one request target: the seed mixed with the target's FNV-1a hash.
    init(seed: UInt64, target: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in target.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        self.init(seed: seed ^ hash)
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
