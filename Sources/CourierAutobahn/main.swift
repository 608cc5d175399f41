import Courier
import Glibc

/// `make autobahn`'s client (scripts/autobahn.sh): the Autobahn|Testsuite fuzzing server's client
/// protocol, played by Courier. It asks the server how many cases its spec selected, runs each
/// one by echoing every message back unchanged, then asks the server to write its reports. The
/// server grades each case (index.json); this program only reports cases it had to abandon.
///
///     CourierAutobahn --url ws://127.0.0.1:9001 --agent Courier --case-timeout 120

let arguments = AutobahnArguments(CommandLine.arguments.dropFirst())
var configuration = HTTPClient.Configuration()
// 9.x sends messages of up to 16 MiB; compression stays offered so 12.x and 13.x test it.
configuration.webSocket.maxMessageSize = 64 << 20
configuration.webSocket.compression = true
// Echoing a 16 MiB message to a server busy checking the previous one can take more than 10 s.
configuration.writeTimeout = .seconds(60)
let client = HTTPClient(configuration: configuration)
let driver = AutobahnDriver(client: client, base: arguments.url, agent: arguments.agent)

do {
    let count = try await driver.caseCount()
    report("Autobahn: \(count) cases")
    var abandoned: [String] = []
    for index in stride(from: 1, through: count, by: 1) {
        let id = try await driver.caseID(index)
        let outcome = await driver.run(case: index, timeout: arguments.caseTimeout)
        report("case \(index) (\(id)): \(outcome)")
        switch outcome {
        case .timedOut, .hung: abandoned.append(id)
        case .closedNormally, .failed: break
        }
    }
    try await driver.updateReports()
    await client.shutdown()
    if !abandoned.isEmpty {
        report("Autobahn: cases abandoned after \(arguments.caseTimeout): \(abandoned)")
        exit(1)
    }
} catch {
    report("Autobahn: the fuzzing server's protocol failed: \(error)")
    exit(2)
}

/// Writes `line` to standard output at once, unbuffered, so that the log of a run that stalls
/// shows where.
func report(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { bytes in _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
}
