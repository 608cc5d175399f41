import CourierCore
import CourierTransport

/// Flattened views of an action, so a test states exactly what it expects.
extension ConnectionPoolState.Action {
    var waits: Bool {
        if case .wait = request { return true }
        return false
    }

    var leases: [ConnectionPoolState.Lease] {
        switch request {
        case .lease(let lease): [lease]
        case .leaseAll(let leases): leases
        case .none, .wait, .fail, .failAll: []
        }
    }

    var leased: [RequestID] { leases.map(\.request) }

    var failed: [RequestID] {
        switch request {
        case .fail(let id, _): [id]
        case .failAll(let ids, _): ids
        case .none, .wait, .lease, .leaseAll: []
        }
    }

    var error: (any Error)? {
        switch request {
        case .fail(_, let error), .failAll(_, let error): error
        case .none, .wait, .lease, .leaseAll: nil
        }
    }

    var batch: ConnectionPoolState.ConnectionBatch {
        switch connection {
        case .none: ConnectionPoolState.ConnectionBatch()
        case .create(let creation): ConnectionPoolState.ConnectionBatch(create: [creation])
        case .close(let id): ConnectionPoolState.ConnectionBatch(close: [id])
        case .cancelConnect(let id): ConnectionPoolState.ConnectionBatch(cancelConnect: [id])
        case .batch(let batch): batch
        }
    }

    var created: [ConnectionPoolState.Creation] { batch.create }
    var createdFor: [RequestID] { created.map(\.request) }
    var closed: [ConnectionID] { batch.close }
    var cancelled: [ConnectionID] { batch.cancelConnect }

    /// Nothing at all to do.
    var isEmpty: Bool {
        if case .none = request, case .none = connection, case .none = timer { return true }
        return false
    }
}
