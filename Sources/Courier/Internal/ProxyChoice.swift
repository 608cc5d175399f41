import CourierCore
import FoundationEssentials

/// Where a client's proxies come from: one fixed proxy (`Configuration.proxy`, or direct) or a
/// selector asked per URL.
enum ProxyChoice: Sendable {
    /// Held as the list every call is given, so that a call does not build one.
    case fixed([Proxy])
    case selector(any ProxySelector)

    init(proxy: Proxy?, selector: (any ProxySelector)?) {
        if let proxy {
            self = .fixed([proxy])
        } else if let selector {
            self = .selector(selector)
        } else {
            self = .fixed([.direct])
        }
    }

    /// The proxies for `url`, in the order to try them; never empty (a selector's empty answer
    /// means direct, as in OkHttp), duplicates dropped.
    func proxies(for url: URL) -> [Proxy] {
        switch self {
        case .fixed(let proxies):
            return proxies
        case .selector(let selector):
            var seen = Set<Proxy>()
            let chosen = selector.proxies(for: url).filter { seen.insert($0).inserted }
            return chosen.isEmpty ? [.direct] : chosen
        }
    }
}
