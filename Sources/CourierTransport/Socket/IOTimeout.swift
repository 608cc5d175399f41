package import CourierCore

/// How long one read or write of a call may wait: its own timeout (`readTimeout` or
/// `writeTimeout`, counted afresh for each wait) and the call's deadline (`callTimeout`, fixed
/// when the call started), whichever comes first.
///
/// A wait on the reactor is not enough to enforce either: a peer that never lets the socket run
/// dry (an endless body, a flood of interim responses) never makes a read wait, so every pass of
/// a read or write loop also calls ``check()``.
package struct IOTimeout: Sendable {
    package var timeout: Duration?
    package var callDeadline: ContinuousClock.Instant?

    package init(_ timeout: Duration?, callDeadline: ContinuousClock.Instant? = nil) {
        self.timeout = timeout
        self.callDeadline = callDeadline
    }

    /// The deadline for a wait that starts now.
    package var deadline: ContinuousClock.Instant? {
        guard let timeout else { return callDeadline }
        let own = ContinuousClock.now + timeout
        guard let callDeadline else { return own }
        return min(own, callDeadline)
    }

    /// Whether the call's deadline is behind us; decides which timeout an expired wait reports.
    package var callDeadlinePassed: Bool {
        guard let callDeadline else { return false }
        return ContinuousClock.now >= callDeadline
    }

    /// Throws `CancellationError` if the task was cancelled and `ReactorError.timedOut` once the
    /// call's deadline has passed.
    package func check() throws {
        try Task.checkCancellation()
        if callDeadlinePassed { throw ReactorError.timedOut }
    }
}

extension CallContext {
    /// The timeout for each read of this call's responses.
    package var readTimeout: IOTimeout { IOTimeout(settings.readTimeout, callDeadline: deadline) }

    /// The timeout for each write of this call's requests.
    package var writeTimeout: IOTimeout { IOTimeout(settings.writeTimeout, callDeadline: deadline) }
}
