/// The dispatcher's admission rules, free of concurrency so they can be tested step by step.
struct DispatcherState {
    enum Admission: Equatable {
        case run
        case wait
    }

    private struct Waiter {
        let id: UInt64
        let host: String
        let perHost: Bool
    }

    let maxRequests: Int
    let maxRequestsPerHost: Int
    private(set) var runningCount = 0
    private var runningPerHost: [String: Int] = [:]
    private var queue: [Waiter] = []
    /// Index of the queue's first live element; the array is compacted lazily.
    private var head = 0

    init(maxRequests: Int, maxRequestsPerHost: Int) {
        self.maxRequests = maxRequests
        self.maxRequestsPerHost = maxRequestsPerHost
    }

    var queuedCount: Int { queue.count - head }

    /// A new call: runs now if limits allow and no call to the same host is queued ahead of it.
    /// `perHost` false exempts the call from `maxRequestsPerHost` (a call that may share an
    /// HTTP/2 connection; the pool bounds its connections instead). Such a call overtakes no one:
    /// while `maxRequests` has room, every queued call waits for its host's limit.
    mutating func admit(_ id: UInt64, host: String, perHost: Bool = true) -> Admission {
        let overtakes = perHost && queue[head...].contains { $0.host == host }
        if canRun(host: host, perHost: perHost) && !overtakes {
            start(host: host, perHost: perHost)
            return .run
        }
        queue.append(Waiter(id: id, host: host, perHost: perHost))
        return .wait
    }

    /// A call ended; returns the waiters to start, in queue order. `perHost` as it was admitted.
    mutating func finish(host: String, perHost: Bool = true) -> [UInt64] {
        precondition(runningCount > 0, "finished() without a matching admit()")
        runningCount -= 1
        if perHost {
            let remaining = runningPerHost[host, default: 0] - 1
            runningPerHost[host] = remaining > 0 ? remaining : nil
        }
        return promote()
    }

    /// A waiter gave up; returns whether it was still queued.
    mutating func cancel(_ id: UInt64) -> Bool {
        guard let index = queue[head...].firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: index)
        return true
    }

    private func canRun(host: String, perHost: Bool) -> Bool {
        runningCount < maxRequests && (!perHost || runningPerHost[host, default: 0] < maxRequestsPerHost)
    }

    private mutating func start(host: String, perHost: Bool) {
        runningCount += 1
        if perHost { runningPerHost[host, default: 0] += 1 }
    }

    /// OkHttp's promotion: walk the queue in order, starting every call whose host has room.
    private mutating func promote() -> [UInt64] {
        var started: [UInt64] = []
        var index = head
        while index < queue.count && runningCount < maxRequests {
            let waiter = queue[index]
            if canRun(host: waiter.host, perHost: waiter.perHost) {
                start(host: waiter.host, perHost: waiter.perHost)
                started.append(waiter.id)
                if index == head {
                    head += 1
                } else {
                    queue.remove(at: index)
                    continue
                }
            }
            index += 1
        }
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return started
    }
}
