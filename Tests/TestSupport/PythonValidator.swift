import Foundation

/// The project's virtualenv (`.venv`, made by `make deps`): the tests that read with a Python library skip without it.
public enum ProjectPython {
    /// The package's root: this file is Tests/TestSupport/PythonValidator.swift.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// ../shared beside the checkout: Xero's OpenAPI description, Amazon's models, sample files.
    public static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// The virtualenv's python when it can import `module`; nil otherwise.
    public static func venv(importing module: String) -> String? {
        let venv = packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: venv)
        p.arguments = ["-c", "import \(module)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? venv : nil
    }
}

/// One of the validators in scripts/: it reads a JSON file of exchanges and checks each against a model from
/// ../shared, printing `ok   NAME` or `FAIL NAME` per exchange.
public struct PythonValidator: Sendable {
    public let script: String
    public let model: URL
    /// The virtualenv's python, when it has the module the script needs.
    public let python: String?

    /// Xero's accounting API (openapi-core): PUT /Invoices bodies and the sandbox's answers.
    public static let xeroOpenAPI = PythonValidator(script: "validate_openapi.py", model: "xero-openapi/xero_accounting.yaml", module: "openapi_core")
    /// Amazon's Reports API 2021-06-30 (jsonschema): the Amazon emulator's answers.
    public static let amazonReports = PythonValidator(script: "validate_spapi.py", model: "amazon-spapi/reports_2021-06-30.json", module: "jsonschema")

    init(script: String, model: String, module: String) {
        self.script = script
        self.model = ProjectPython.shared.appendingPathComponent(model)
        self.python = ProjectPython.venv(importing: module)
    }

    /// False when ../shared or the virtualenv's module is missing: the suite that needs it skips.
    public var available: Bool { FileManager.default.fileExists(atPath: model.path) && python != nil }

    /// Runs the script on a file of exchanges: its exit status and everything it printed.
    public func validate(exchanges: URL) throws -> (status: Int32, output: String) {
        guard let python else { throw Unavailable(script: script) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [ProjectPython.packageRoot.appendingPathComponent("scripts/" + script).path, model.path, exchanges.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var script: String
        public var description: String { "\(script) needs the project's .venv (make deps)" }
    }
}
