package import CourierCore

/// A connection the pool knows: open, or still connecting.
package struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int

    package init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    package var description: String { "connection \(rawValue)" }
}

/// A caller asking the pool for a connection.
package struct RequestID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int

    package init(_ rawValue: Int) {
        self.rawValue = rawValue
    }

    package var description: String { "request \(rawValue)" }
}

extension ConnectionPoolState {
    /// What the owner must do after an event, in three independent parts.
    ///
    /// Single-payload cases carry the common outcomes (one lease, one close, one new connection)
    /// so that the request path — reuse an idle connection, release it back — builds no array.
    package struct Action: Sendable {
        package var request: RequestAction = .none
        package var connection: ConnectionAction = .none
        package var timer: TimerAction = .none

        package init(
            request: RequestAction = .none, connection: ConnectionAction = .none, timer: TimerAction = .none
        ) {
            self.request = request
            self.connection = connection
            self.timer = timer
        }
    }

    /// A request handed a connection, now counted against its capacity.
    package struct Lease: Hashable, Sendable {
        package let request: RequestID
        package let connection: ConnectionID
        /// The connection carried an exchange before this one.
        package let reused: Bool
        /// The connection sat without an exchange (idle, or its only exchange just ended), so the
        /// peer may have closed it meanwhile: the owner checks its health before use, and reports
        /// `closed` and acquires again if it is not healthy.
        package let checkHealth: Bool

        package init(request: RequestID, connection: ConnectionID, reused: Bool, checkHealth: Bool) {
            self.request = request
            self.connection = connection
            self.reused = reused
            self.checkHealth = checkHealth
        }
    }

    package enum RequestAction: Sendable {
        case none
        /// The request is queued until a connection has room for it.
        case wait
        case lease(Lease)
        case leaseAll([Lease])
        case fail(RequestID, any Error)
        case failAll([RequestID], any Error)

        mutating func add(_ lease: Lease) {
            switch self {
            case .none, .wait:
                self = .lease(lease)
            case .lease(let first):
                self = .leaseAll([first, lease])
            case .leaseAll(var leases):
                self = .none
                leases.append(lease)
                self = .leaseAll(leases)
            case .fail, .failAll:
                preconditionFailure("an event that fails requests does not also lease")
            }
        }

        /// Fails `requests` with `error`; nothing when there are none.
        static func failing(_ requests: [RequestID], with error: any Error) -> RequestAction {
            switch requests.count {
            case 0: .none
            case 1: .fail(requests[0], error)
            default: .failAll(requests, error)
            }
        }
    }

    /// A new connection to open; the owner opens it the way `request` asked (its connect
    /// function, its call's events and timeouts), though it may end up serving another request.
    package struct Creation: Hashable, Sendable {
        package let connection: ConnectionID
        package let address: Address
        package let request: RequestID
    }

    package enum ConnectionAction: Sendable {
        case none
        case create(Creation)
        case close(ConnectionID)
        /// Stop an attempt that no request needs any more; the pool has forgotten it, and closes
        /// it should it connect anyway.
        case cancelConnect(ConnectionID)
        case batch(ConnectionBatch)

        mutating func add(_ other: ConnectionAction) {
            switch (self, other) {
            case (_, .none):
                return
            case (.none, _):
                self = other
            default:
                var batch = ConnectionBatch()
                batch.add(self)
                batch.add(other)
                self = .batch(batch)
            }
        }
    }

    /// Several connection actions from one event; performed in any order.
    package struct ConnectionBatch: Sendable {
        package var create: [Creation] = []
        package var close: [ConnectionID] = []
        package var cancelConnect: [ConnectionID] = []

        package init(create: [Creation] = [], close: [ConnectionID] = [], cancelConnect: [ConnectionID] = []) {
            self.create = create
            self.close = close
            self.cancelConnect = cancelConnect
        }

        mutating func add(_ action: ConnectionAction) {
            switch action {
            case .none: break
            case .create(let creation): create.append(creation)
            case .close(let id): close.append(id)
            case .cancelConnect(let id): cancelConnect.append(id)
            case .batch(let other):
                create += other.create
                close += other.close
                cancelConnect += other.cancelConnect
            }
        }
    }

    /// The one idle-eviction timer. It is armed when the first connection goes idle and re-armed
    /// when it fires; it is never moved on the request path (that would cost a task per request),
    /// so it may fire early — when the connection it was armed for was reused — but never late.
    package enum TimerAction: Hashable, Sendable {
        case none
        case schedule(at: ContinuousClock.Instant)
        case cancel
    }
}
