// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// A path dependency's identity is its folder's name, which depends on where the repository was cloned.
let courierIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

// Peers live here, outside the library's target graph: the root package stays dependency-free.
let package = Package(
    name: "CourierBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        // Preloaded into a client to count its allocations; never linked.
        .library(name: "MallocCounter", type: .dynamic, targets: ["MallocCounter"])
    ],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "BenchSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "MallocCounter"),
        .executableTarget(
            name: "CourierBench",
            dependencies: ["BenchSupport", .product(name: "Courier", package: courierIdentity)],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "AHCBench",
            dependencies: [
                "BenchSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "URLSessionBench",
            dependencies: ["BenchSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
