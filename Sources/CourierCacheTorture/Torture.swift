import CourierCache
import CourierTestServer
import FoundationEssentials
import Glibc

/// Writes, replaces, refreshes and removes entries of a DiskCacheStore as fast as it can until
/// it is killed: the crash-safety test kills it at random moments, and it kills itself in the
/// middle of a body when given a step to die at. Two writers run at once on disjoint keys, so
/// the journal sees concurrent commits.
///
///     CourierCacheTorture <directory> <seed> [<step to die at>]
///
/// Every body is derived from a seed its metadata records (`TortureEntry`), so whoever opens the
/// store afterwards can tell a whole entry from a torn one. Writes one octet to standard output
/// once the store is open, so that the killer's clock starts at the first write rather than at
/// process start, which a slow machine or a sanitizer stretches. Exits 0 after `maxSteps` steps,
/// 2 on bad arguments, 3 if it reads back an entry that is not whole.
@main
struct Torture {
    static let maxSteps = 2_000

    let store: DiskCacheStore

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3, let seed = UInt64(arguments[2]) else {
            print("usage: CourierCacheTorture <directory> <seed> [<step to die at>]")
            exit(2)
        }
        let dieAtStep = arguments.count > 3 ? Int(arguments[3]) : nil
        let torture = Torture(
            store: try DiskCacheStore(directory: URL(filePath: arguments[1]), maxSize: TortureEntry.maxSize))
        var ready: UInt8 = 1
        _ = Glibc.write(STDOUT_FILENO, &ready, 1)
        var seeds = SplitMix64(seed: seed)
        let (firstSeed, secondSeed) = (seeds.next(), seeds.next())
        async let first: Void = torture.write(keys: ["a0", "a1", "a2"], seed: firstSeed, dieAt: dieAtStep)
        async let second: Void = torture.write(keys: ["b0", "b1", "b2"], seed: secondSeed, dieAt: nil)
        _ = try await (first, second)
    }

    /// One writer's loop over its own keys.
    func write(keys: [String], seed: UInt64, dieAt: Int?) async throws {
        var random = SplitMix64(seed: seed)
        for step in 0..<Torture.maxSteps {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let dying = step == dieAt
            switch random.next() % 20 {
            case 0..<11: try await replace(key, &random, dying: dying)
            case 11..<14: try await refresh(key)
            case 14..<16: try await store.remove(key)
            case 16: try await abandon(key, &random)
            default: try await verify(key)
            }
            if dying { kill(getpid(), SIGKILL) }
        }
    }

    /// A whole new entry, its body streamed in chunks of random sizes; when `dying`, the process
    /// kills itself at a random point of the body.
    func replace(_ key: String, _ random: inout SplitMix64, dying: Bool) async throws {
        guard let editor = try await store.edit(key) else { return }
        let entry = TortureEntry(seed: random.next(), size: Int(random.next() % 150_000), revision: 0)
        try await editor.writeMetadata(entry.metadata)
        let body = entry.body
        let dieAt = dying ? Int(random.next() % UInt64(body.count + 1)) : nil
        var offset = 0
        while offset < body.count {
            if let dieAt, offset >= dieAt { kill(getpid(), SIGKILL) }
            let length = min(body.count - offset, 1 + Int(random.next() % 20_000))
            try await editor.appendBody(Array(body[offset..<offset + length]))
            offset += length
        }
        try await editor.commit()
    }

    /// A metadata-only edit, as a 304 makes: the body must stay the one the metadata describes.
    func refresh(_ key: String) async throws {
        guard let snapshot = try await store.snapshot(for: key) else { return }
        let current = TortureEntry(metadata: snapshot.metadata)
        await snapshot.close()
        guard var refreshed = current, let editor = try await store.edit(key) else { return }
        refreshed.revision += 1
        try await editor.writeMetadata(refreshed.metadata)
        do {
            try await editor.commit()
        } catch DiskCacheStoreError.committedEntryGone {
            // Evicted by the other writer's commits in between: nothing was published.
        }
    }

    /// An edit given up half way.
    func abandon(_ key: String, _ random: inout SplitMix64) async throws {
        guard let editor = try await store.edit(key) else { return }
        try await editor.writeMetadata(TortureEntry(seed: random.next(), size: 3, revision: 0).metadata)
        try await editor.appendBody([1, 2, 3])
        await editor.abort()
    }

    func verify(_ key: String) async throws {
        guard let snapshot = try await store.snapshot(for: key) else { return }
        let entry = TortureEntry(metadata: snapshot.metadata)
        let body = try await snapshot.readBody(from: 0, maxLength: snapshot.bodySize + 1)
        await snapshot.close()
        guard let entry, snapshot.bodySize == entry.size, body == entry.body else {
            print("torn entry \(key)")
            exit(3)
        }
    }
}
