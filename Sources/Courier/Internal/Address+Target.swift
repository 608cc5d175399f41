import CourierCore

extension Address {
    /// What a connection for `target` is for: the dispatcher asks whether it may multiplex, the
    /// connect stage pools by it.
    init(_ target: RequestTarget, tls: TLSConfiguration, protocols: [HTTPVersion]) {
        self.init(
            scheme: target.scheme, host: target.host, port: target.port, tls: target.isSecure ? tls : nil,
            protocols: protocols)
    }
}
