/// Why the disk store refused or failed an operation. The cache treats any of them as "not
/// cached": a store that cannot read or write only costs network round trips.
package enum DiskCacheStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store cannot be made as asked (a directory URL that is not a file URL, a size of zero).
    case invalidConfiguration(String)
    /// The key is not 1 to 120 of `a-z`, `0-9`, `_` and `-`.
    case invalidKey(String)
    /// The entry's metadata and body would exceed the store's whole `maxSize`; the edit was aborted.
    case entryTooLarge(maxSize: Int)
    /// The edit was already committed or aborted.
    case editFinished
    /// The entry was removed while the edit was open (`remove`, `removeAll`), so the edit
    /// publishes nothing: what invalidated it must win.
    case editDetached
    /// A new entry's edit was committed without metadata.
    case missingMetadata
    /// An edit that wrote no body (or no metadata) meant to keep the committed one, but the
    /// entry was evicted, or its files were lost, while the edit was open.
    case committedEntryGone
    /// The snapshot was closed.
    case snapshotClosed
    /// A file operation failed: what it was, on which path, and `errno`.
    case system(operation: String, path: String, errno: Int32)

    package var description: String {
        switch self {
        case .invalidConfiguration(let reason): "Invalid disk cache configuration: \(reason)."
        case .invalidKey(let key): "Invalid cache key \"\(key)\": use 1 to 120 of a-z, 0-9, _ and -."
        case .entryTooLarge(let maxSize): "The cache entry exceeds the cache's maximum size (\(maxSize) bytes)."
        case .editFinished: "The cache edit was already committed or aborted."
        case .editDetached: "The cache entry was removed while it was being edited; the edit was dropped."
        case .missingMetadata: "A new cache entry was committed without metadata."
        case .committedEntryGone: "The cache entry this edit updates was evicted while it was open."
        case .snapshotClosed: "The cache snapshot is closed."
        case .system(let operation, let path, let errno):
            "Cache file operation \(operation) failed on \(path): \(SystemError.message(errno))."
        }
    }
}
