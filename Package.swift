// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Courier",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Courier", targets: ["Courier"]),
        .library(name: "CourierTestServer", targets: ["CourierTestServer"]),
        .executable(name: "courier-demo", targets: ["CourierDemo"]),
    ],
    targets: [
        // C shims: only what Swift cannot reach through Glibc.
        .systemLibrary(name: "CCourierSystem"),
        .systemLibrary(name: "CCourierOpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCourierZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCourierBrotli", providers: [.apt(["libbrotli-dev"])]),

        .target(name: "CourierCore", swiftSettings: swiftSettings),
        .target(
            name: "CourierTransport",
            dependencies: ["CourierCore", "CCourierSystem", "CCourierOpenSSL", "CCourierZlib", "CCourierBrotli"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierHTTP2",
            dependencies: ["CourierCore", "CourierTransport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierWebSocket",
            dependencies: ["CourierCore", "CourierTransport", "CCourierZlib", "CCourierOpenSSL"],
            swiftSettings: swiftSettings
        ),
        .target(name: "CourierCache", dependencies: ["CourierCore"], swiftSettings: swiftSettings),
        .target(
            name: "Courier",
            dependencies: ["CourierCore", "CourierTransport", "CourierHTTP2", "CourierWebSocket", "CourierCache"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CourierTestServer",
            dependencies: ["CourierCore", "CourierTransport", "CourierHTTP2", "CourierWebSocket", "CCourierSystem"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CourierDemo",
            dependencies: ["Courier", "CourierTestServer"],
            swiftSettings: swiftSettings
        ),
        // `make autobahn`'s client for the Autobahn|Testsuite fuzzing server (scripts/autobahn.sh).
        .executableTarget(name: "CourierAutobahn", dependencies: ["Courier"], swiftSettings: swiftSettings),
        // libFuzzer targets for the wire parsers; scripts/fuzz.sh builds them with -DFUZZING and
        // the fuzzer sanitizer. A plain build makes a replay tool (see Fuzz/README.md).
        .systemLibrary(name: "CCourierFuzzer"),
        .executableTarget(
            name: "CourierFuzz",
            dependencies: [
                "CourierCore", "CourierTransport", "CourierHTTP2", "CourierCache", "CourierWebSocket", "CCourierFuzzer",
            ],
            swiftSettings: swiftSettings
        ),

        // Writes, replaces and removes disk-cache entries until killed: the crash-safety test
        // (CourierCacheTests, ProcessWideDiskCacheCrashTests) runs it and kills it mid-write.
        .executableTarget(
            name: "CourierCacheTorture", dependencies: ["CourierCache", "CourierCore", "CourierTestServer"],
            swiftSettings: swiftSettings),

        .testTarget(name: "CourierCoreTests", dependencies: ["CourierCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CourierCacheTests", dependencies: ["CourierCache", "CourierCore", "CourierTestServer"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CourierTransportTests",
            dependencies: ["CourierTransport", "CourierTestServer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CourierHTTP2Tests", dependencies: ["CourierHTTP2", "CourierTransport", "CourierTestServer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CourierWebSocketTests", dependencies: ["CourierWebSocket", "CourierCore", "CourierTransport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CourierTestServerTests",
            dependencies: ["CourierTestServer", "CourierHTTP2", "CourierTransport", "CourierWebSocket"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CourierTests",
            dependencies: ["Courier", "CourierCache", "CourierTestServer", "CourierTransport", "CourierWebSocket"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
