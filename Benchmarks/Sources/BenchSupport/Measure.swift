import Glibc
import Synchronization

/// What one benchmark run prints: a single line the runner script parses.
public struct Measurement {
    public let requests: Int
    public let bytes: Int
    public let wallSeconds: Double
    /// The process's counters before and after the timed part.
    public let start: ProcessSample
    public let end: ProcessSample
    public let peakRSSBytes: Int

    public init(requests: Int, bytes: Int, wallSeconds: Double, start: ProcessSample, end: ProcessSample) {
        self.requests = requests
        self.bytes = bytes
        self.wallSeconds = wallSeconds
        self.start = start
        self.end = end
        self.peakRSSBytes = BenchSupport.peakRSSBytes()
    }

    public var line: String {
        let requestCount = Double(max(requests, 1))
        let cpuSeconds = end.cpuSeconds - start.cpuSeconds
        let rate = Double(requests) / wallSeconds
        let cpuMicros = cpuSeconds * 1e6 / requestCount
        let megabytesPerSecond = Double(bytes) / wallSeconds / 1e6
        let cpuPerGiB = cpuSeconds / (Double(bytes) / Double(1 << 30))
        let switches = Double(end.contextSwitches - start.contextSwitches) / requestCount
        let allocations = end.allocations.flatMap { end in start.allocations.map { Double(end - $0) } }
        return "RESULT requests=\(requests) bytes=\(bytes) wall=\(rounded(wallSeconds)) cpu=\(rounded(cpuSeconds))"
            + " rps=\(Int(rate)) cpu_us_per_req=\(rounded(cpuMicros)) mb_per_s=\(Int(megabytesPerSecond))"
            + " cpu_s_per_gib=\(rounded(bytes > 0 ? cpuPerGiB : 0)) peak_rss_mib=\(peakRSSBytes >> 20)"
            + " switches_per_req=\(rounded(switches))"
            + " allocs_per_req=\(allocations.map { rounded($0 / requestCount) } ?? "nan")"
    }
}

func rounded(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}

/// Counters of the whole process (every thread) at one moment.
public struct ProcessSample: Sendable {
    /// User + system CPU time, from getrusage.
    public let cpuSeconds: Double
    /// Voluntary and involuntary context switches: each time one of the process's threads
    /// went to sleep or was descheduled. Thread hand-offs (a hop to another thread that was
    /// asleep) show up here, so per request it counts hops.
    public let contextSwitches: Int
    /// Heap allocations so far, when `MallocCounter` is preloaded.
    public let allocations: UInt64?

    public static func now() -> ProcessSample {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ProcessSample(
            cpuSeconds: user + system,
            contextSwitches: usage.ru_nvcsw + usage.ru_nivcsw,
            allocations: allocationCounter.map { $0() }
        )
    }
}

/// `bench_allocation_count` from a preloaded `libMallocCounter.so`, if there is one.
private let allocationCounter: (@convention(c) () -> UInt64)? = {
    guard let symbol = dlsym(nil, "bench_allocation_count") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
}()

/// Peak resident set size in bytes: VmHWM, which starts afresh at exec. (`ru_maxrss` would
/// include the launching process's memory, copied in by fork.)
public func peakRSSBytes() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return (Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
    }
    return 0
}

public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// Arguments: URL MODE COUNT [CONCURRENCY]; MODE is `sequential`, `concurrent`, `handshake`
/// (sequential, each request on a new connection: `Connection: close`), `download` (GETs of a
/// large body, streamed and counted) or `upload` (POSTs of a 256 MiB streamed body). `BENCH_CA` names a PEM
/// file of the root to trust for https URLs; `BENCH_HTTP2=1` lets a client negotiate HTTP/2.
public struct BenchArguments: Sendable {
    public let url: String
    public let mode: String
    public let count: Int
    public let concurrency: Int
    /// The trust root for https, from `BENCH_CA`.
    public let certificateAuthorityPath: String?
    /// Whether the client may use HTTP/2 (otherwise it is held to HTTP/1.1 where it can be).
    public let allowsHTTP2: Bool

    /// The size of each upload.
    public static let uploadSize = 256 << 20
    /// What an upload is made of: this chunk, repeated.
    public static let uploadChunk = [UInt8](repeating: 0x55, count: 64 << 10)

    /// Whether every request asks for its own connection.
    public var closesConnections: Bool { mode == "handshake" }

    public init() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 4 else {
            print("usage: \(arguments[0]) URL sequential|concurrent|download COUNT [CONCURRENCY]")
            exit(2)
        }
        url = arguments[1]
        mode = arguments[2]
        count = Int(arguments[3]) ?? 1
        concurrency = arguments.count > 4 ? Int(arguments[4]) ?? 64 : 64
        certificateAuthorityPath = getenv("BENCH_CA").map { String(cString: $0) }
        allowsHTTP2 = getenv("BENCH_HTTP2").map { String(cString: $0) } == "1"
    }
}

/// An environment variable's value, or nil.
public func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// Hands out request numbers to workers until `total` have been taken.
public final class Counter: Sendable {
    private let next = Atomic<Int>(0)
    private let total: Int

    public init(total: Int) {
        self.total = total
    }

    public func take() -> Bool {
        next.wrappingAdd(1, ordering: .relaxed).oldValue < total
    }
}
