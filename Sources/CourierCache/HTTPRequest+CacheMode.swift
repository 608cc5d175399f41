public import CourierCore

extension HTTPRequest {
    /// How one request may use the cache: OkHttp's `CacheControl.FORCE_NETWORK` and
    /// `FORCE_CACHE`, written as the request's `Cache-Control` field, which the cache reads.
    ///
    /// ```swift
    /// var request = HTTPRequest(url: url)
    /// request.cacheMode = .forceCache      // 504 when nothing is stored, never the network
    /// ```
    public enum CacheMode: Sendable, Equatable {
        /// The rules of RFC 9111, with whatever `Cache-Control` the request carries.
        case standard
        /// Never answered from the store without asking the server (`no-cache`): a stored
        /// response is revalidated, and the server's answer is stored as usual.
        case forceNetwork
        /// Answered from the store whatever its age (`only-if-cached, max-stale`), or with 504
        /// when nothing usable is stored; never the network.
        case forceCache
    }

    private static let forceNetworkValue = "no-cache"
    private static let forceCacheValue = "only-if-cached, max-stale=2147483648"

    /// Sets (or reads back) the request's ``CacheMode``. Setting `.standard` removes the
    /// `Cache-Control` field; a field the mode did not write reads as `.standard`.
    public var cacheMode: CacheMode {
        get {
            switch headers["Cache-Control"] {
            case HTTPRequest.forceNetworkValue: .forceNetwork
            case HTTPRequest.forceCacheValue: .forceCache
            default: .standard
            }
        }
        set {
            switch newValue {
            case .standard: headers["Cache-Control"] = nil
            case .forceNetwork: headers["Cache-Control"] = HTTPRequest.forceNetworkValue
            case .forceCache: headers["Cache-Control"] = HTTPRequest.forceCacheValue
            }
        }
    }
}
