import Glibc

/// The client's command line: `--url`, `--agent` (the name the reports go under) and
/// `--case-timeout` in seconds.
struct AutobahnArguments {
    var url = "ws://127.0.0.1:9001"
    var agent = "Courier"
    var caseTimeout: Duration = .seconds(120)

    init(_ arguments: ArraySlice<String>) {
        var arguments = arguments
        while let name = arguments.popFirst() {
            guard let value = arguments.popFirst() else { Self.usage("\(name) needs a value") }
            switch name {
            case "--url": url = value
            case "--agent": agent = value
            case "--case-timeout":
                guard let seconds = Int(value), seconds > 0 else { Self.usage("bad --case-timeout \(value)") }
                caseTimeout = .seconds(seconds)
            default: Self.usage("unknown option \(name)")
            }
        }
    }

    private static func usage(_ problem: String) -> Never {
        print("CourierAutobahn: \(problem)")
        print("usage: CourierAutobahn [--url ws://127.0.0.1:9001] [--agent Courier] [--case-timeout seconds]")
        exit(64)
    }
}
