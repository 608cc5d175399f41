public import CourierCore

/// A request as the test server received it.
public struct RecordedRequest: Sendable {
    public let method: HTTPMethod
    /// The request target as sent: path and query.
    public let target: String
    public let version: HTTPVersion
    public let headers: HTTPHeaders
    public let body: [UInt8]
    /// 0 for the first request on its connection, 1 for the next, and so on.
    public let sequenceNumber: Int
    /// Which accepted connection carried it, counting from 0.
    public let connectionIndex: Int
    /// The `:protocol` of an HTTP/2 extended CONNECT (RFC 8441), such as `websocket`; nil for
    /// any other request.
    public var connectProtocol: String? = nil

    /// The path without the query.
    public var path: String { String(target.prefix { $0 != "?" }) }

    public var bodyString: String { String(decoding: body, as: UTF8.self) }
}
