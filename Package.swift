// swift-tools-version:6.1
import PackageDescription

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
            name: "LMBCore",
            dependencies: [
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
        .executableTarget(
            name: "lmb-fuzz",
            dependencies: ["LMBCore"],
            path: "Sources/LMBFuzz"
        ),
        .testTarget(name: "LMBCoreTests", dependencies: [
            "LMBCore", "XeroSandbox", "CZlib", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "XeroSandboxTests", dependencies: ["XeroSandbox"]),
        .testTarget(name: "EndToEndTests", dependencies: ["lmb", "XeroSandbox"]),
    ],
    swiftLanguageModes: [.v6]
)
