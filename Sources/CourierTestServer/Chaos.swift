public import CourierCore

extension TestServer {
    /// A seeded mix of misbehaviour for a server started with ``TestServer/init(host:tls:chaos:)``:
    /// each request gets a normal response, or one that is reset, stalled, truncated, corrupted
    /// or trickled. Use it to check that a client ends every call with a complete response or a
    /// precise error, whatever the server does.
    ///
    /// What the server does for a request is a pure function of the seed and the request target
    /// (``plan(for:)``), never of timing or arrival order, so a failing call is reproduced from
    /// the seed and its target alone. Print ``seed`` in a test so that a failure can be replayed.
    ///
    /// HTTP/1.1 only: a chaos server never offers `h2` by ALPN nor accepts h2c, since its faults
    /// are byte-level tricks on one exchange per connection. HTTP/2 faults are ``HTTP2Policy``
    /// and ``HTTP2Options``.
    ///
    /// Every answer is a 200 (the head alone for HEAD requests). The body of a complete response
    /// is ``body(of:)``: a pseudo-random pattern chosen by the seed and the target, 0 bytes to
    /// ``maxBodySize``, so a client can check it byte for byte.
    ///
    /// ```swift
    /// let chaos = TestServer.Chaos(seed: 42)
    /// print("chaos seed \(chaos.seed)")
    /// let server = try await TestServer(chaos: chaos)
    /// let plan = chaos.plan(for: "/item/7")          // what the server will do
    /// let expected = chaos.body(of: plan)             // the bytes a complete response carries
    /// ```
    ///
    /// Requests to a chaos server are counted (``TestServer/requestCount``) but not kept for
    /// ``TestServer/takeRequest(timeout:)``: a long run would otherwise hold all of them in memory.
    public struct Chaos: Sendable, CustomStringConvertible {
        /// Relative weights of the faults: each request draws one with the probability of its
        /// weight over the sum of all. A weight of 0 turns a fault off; at least one must be
        /// positive, and none negative.
        public struct Weights: Sendable {
            /// A complete response; the connection stays open.
            public var normal = 70
            /// A complete response, then the connection closed without `Connection: close`.
            public var closeAfterResponse = 4
            /// A complete response sent in small pieces with pauses.
            public var trickle = 5
            /// A reset before the head, in the head or in the body.
            public var reset = 6
            /// No answer, or a stall in the body.
            public var stall = 3
            /// A close in the body.
            public var truncate = 6
            /// A malformed response.
            public var corrupt = 6

            public init() {}

            var total: Int { normal + closeAfterResponse + trickle + reset + stall + truncate + corrupt }
        }

        /// Bodies start at a random offset of the pattern, up to this far in, so responses of the
        /// same size differ and one served for the wrong request fails the check.
        static let patternSlack = 64 << 10

        /// Reproduces the run: the same seed gives every target the same plan and body.
        public let seed: UInt64
        /// The largest body a response carries.
        public let maxBodySize: Int
        public var weights: Weights
        /// How long a stall lasts at most: the server closes the connection after it, if the
        /// client has not closed it first.
        public var stallLimit: Duration
        /// Random bytes drawn from the seed; each body is a slice of them.
        let pattern: [UInt8]

        /// - Parameter seed: reproduces a run; random by default (print it).
        /// - Parameter maxBodySize: the largest body; sizes are drawn log-uniformly up to it, so
        ///   small bodies are common and large ones still occur.
        public init(
            seed: UInt64 = .random(in: 0 ... .max),
            weights: Weights = Weights(),
            maxBodySize: Int = 256 << 10,
            stallLimit: Duration = .seconds(30)
        ) {
            precondition(maxBodySize >= 0, "maxBodySize must not be negative")
            self.seed = seed
            self.weights = weights
            self.maxBodySize = maxBodySize
            self.stallLimit = stallLimit
            var random = SplitMix64(seed: seed)
            var pattern = [UInt8](repeating: 0, count: maxBodySize + Chaos.patternSlack)
            var word: UInt64 = 0
            for index in pattern.indices {
                if index % 8 == 0 { word = random.next() }
                pattern[index] = UInt8(truncatingIfNeeded: word >> (index % 8 * 8))
            }
            self.pattern = pattern
        }

        public var description: String { "TestServer.Chaos(seed: \(seed))" }

        /// What the server does for a request to `target` (path and query, as sent).
        public func plan(for target: String) -> Plan {
            var planner = ChaosPlanner(chaos: self, target: target)
            return planner.draw()
        }

        /// The body a complete response to `plan` carries.
        public func body(of plan: Plan) -> ByteBuffer {
            ByteBuffer(storage: pattern, range: plan.bodyOffset..<(plan.bodyOffset + plan.bodySize))
        }
    }
}
