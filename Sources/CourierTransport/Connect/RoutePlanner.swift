package import CourierCore

/// Orders the routes to an address for connection attempts (RFC 8305 §4): address families
/// interleaved, starting with the family of the resolver's first address, each family in
/// resolver order; routes that failed recently go last, keeping their relative order.
///
/// The resolver's order is RFC 6724's destination address selection (glibc's `getaddrinfo`
/// sorts by it, with `/etc/gai.conf`): a host without a usable IPv6 source address, or with a
/// policy that prefers IPv4, gets IPv4 first, as RFC 8305 asks.
package enum RoutePlanner {
    package static func plan(_ address: Address, addresses: [ResolvedAddress], database: RouteDatabase) -> [Route] {
        let firstFamilyIsIPv6 = addresses.first?.isIPv6 ?? true
        let first = addresses.filter { $0.isIPv6 == firstFamilyIsIPv6 }
        let second = addresses.filter { $0.isIPv6 != firstFamilyIsIPv6 }
        var interleaved: [ResolvedAddress] = []
        for index in 0..<max(first.count, second.count) {
            if index < first.count { interleaved.append(first[index]) }
            if index < second.count { interleaved.append(second[index]) }
        }
        let routes = interleaved.map { Route(address: address, socketAddress: $0) }
        return routes.filter { !database.hasFailed($0) } + routes.filter { database.hasFailed($0) }
    }
}
