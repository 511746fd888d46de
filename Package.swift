// swift-tools-version:6.0
import PackageDescription

// The emulator path is built for speed (shared/design.md, "Swift for a hot loop"):
// -Ounchecked, no exclusivity checks, no LLVM function merging (it folds look-alike
// handlers behind extra jumps). Whole-module optimisation is SwiftPM's release default.
let hot: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked",
                  "-Xfrontend", "-disable-llvm-merge-functions-pass"],
                 .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]
let plain: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "swemu",
    products: [
        .executable(name: "swemu", targets: ["swemu"]),
        .executable(name: "swemu-difftest", targets: ["swemu-difftest"]),
    ],
    targets: [
        .target(name: "CPU", swiftSettings: hot),
        .target(name: "Translator", dependencies: ["CPU"], swiftSettings: hot),
        .target(name: "DeviceModel", swiftSettings: hot),
        .target(name: "Machine", dependencies: ["CPU", "Translator", "DeviceModel"], swiftSettings: hot),
        .target(name: "Frontends", dependencies: ["Machine", "CHost"], swiftSettings: plain),
        .target(name: "CHost"),
        .target(name: "COracle"),
        .executableTarget(name: "swemu", dependencies: ["Machine", "Frontends", "CHost"], swiftSettings: hot),
        .executableTarget(name: "swemu-difftest", dependencies: ["CPU", "Translator", "COracle"], swiftSettings: hot),
        .testTarget(name: "CPUTests", dependencies: ["CPU"], swiftSettings: plain),
        .testTarget(name: "TranslatorTests", dependencies: ["Translator", "CPU"], swiftSettings: plain),
        .testTarget(name: "MachineTests", dependencies: ["Machine"], swiftSettings: plain),
        .testTarget(name: "DeviceModelTests", dependencies: ["DeviceModel"], swiftSettings: plain),
        .testTarget(name: "FrontendsTests", dependencies: ["Frontends"], swiftSettings: plain),
    ]
)
