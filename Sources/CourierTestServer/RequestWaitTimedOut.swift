/// `takeRequest(timeout:)` waited its whole limit and no request came.
public struct RequestWaitTimedOut: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "No request reached the test server within \(limit)." }
}
