import CCourierSystem
import Glibc

/// Starts a detached pthread for a reactor loop. Not Dispatch and not the cooperative pool:
/// the loop blocks in `epoll_wait`, which must never happen on a shared pool thread.
enum ReactorThread {
    private final class Body {
        let name: String
        let run: () -> Void

        init(name: String, run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Throws when the system refuses another thread (`EAGAIN`), rather than trapping.
    static func start(name: String, _ run: @escaping () -> Void) throws(SocketError) {
        let body = Unmanaged.passRetained(Body(name: name, run: run)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                _ = pthread_setname_np(pthread_self(), String(body.name.prefix(15)))
                body.run()
                return nil
            }, body)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(body).release()
            throw SocketError(errno: result, operation: "pthread_create")
        }
        pthread_detach(thread)
    }
}
