package import CourierCore

/// Orders the routes to an address for connection attempts (RFC 8305 §4): address families
/// interleaved, IPv6 first when the resolver returned any, each family in resolver order;
/// routes that failed recently go last, keeping their relative order.
package enum RoutePlanner {
    package static func plan(_ address: Address, addresses: [ResolvedAddress], database: RouteDatabase) -> [Route] {
        let v6 = addresses.filter(\.isIPv6)
        let v4 = addresses.filter { !$0.isIPv6 }
        var interleaved: [ResolvedAddress] = []
        for index in 0..<max(v6.count, v4.count) {
            if index < v6.count { interleaved.append(v6[index]) }
            if index < v4.count { interleaved.append(v4[index]) }
        }
        let routes = interleaved.map { Route(address: address, socketAddress: $0) }
        return routes.filter { !database.hasFailed($0) } + routes.filter { database.hasFailed($0) }
    }
}
