// swift-tools-version:6.1
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

// The commit `lmb --version` names, read by SwiftPM from git (no build plugin, no shell) and handed to CBuildInfo
// as a C string. SwiftPM caches an evaluated manifest until Package.swift changes (swift-package-manager#8202), so
// `make dist` and `make install` build with `--manifest-cache none`; a plain `swift build` may name an older commit.
let buildCommit = Context.gitInformation.map {
    String($0.currentCommit.prefix(12)) + ($0.hasUncommittedChanges ? "-dirty" : "")
} ?? "unknown"

let package = Package(
    name: "lmb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "lmb", targets: ["lmb"]),
        .library(name: "LMBCore", targets: ["LMBCore"]),
        .library(name: "XeroSandbox", targets: ["XeroSandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CBuildInfo",
            cSettings: [.define("LMB_BUILD_COMMIT", to: "\"\(buildCommit)\"")]
        ),
        .target(
            name: "LMBCore",
            dependencies: [
                "CBuildInfo",
                "CCrypto",
                "CCurl",
                "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "XeroSandbox",
            dependencies: ["CCrypto", "CZlib", .product(name: "FlyingFox", package: "FlyingFox")]
        ),
        .executableTarget(
            name: "lmb",
            dependencies: [
                "LMBCore",
                "XeroSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fuzz harness: what `make fuzz` runs under libFuzzer and `make test` replays fuzz/ through.
        .target(name: "LMBFuzzHarness", dependencies: ["LMBCore"]),
        .executableTarget(
            name: "lmb-fuzz",
            dependencies: ["LMBFuzzHarness"],
            path: "Sources/LMBFuzz"
        ),
        // What more than one test target needs: the seeded random generator, the project's Python validators.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LMBCoreTests", dependencies: [
            "LMBCore", "LMBFuzzHarness", "TestSupport", "XeroSandbox", "CZlib",
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "XeroSandboxTests", dependencies: ["XeroSandbox", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["lmb", "XeroSandbox", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
