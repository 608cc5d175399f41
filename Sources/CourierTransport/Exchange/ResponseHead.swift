package import CourierCore

/// A response head as every protocol delivers it: status, version and header fields.
package struct ResponseHead: Sendable, Equatable {
    package var status: HTTPStatus
    package var version: HTTPVersion
    package var headers: HTTPHeaders

    package init(status: HTTPStatus, version: HTTPVersion, headers: HTTPHeaders) {
        self.status = status
        self.version = version
        self.headers = headers
    }
}
