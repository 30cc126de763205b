import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

extension EndToEnd {
    @Suite("lmb sandbox — the built binary")
    struct SandboxCommandE2ETests {
        @Test("serves on 127.0.0.1, prints what to export, and stops cleanly on Ctrl-C")
        func foreground() async throws {
            let dir = try E2E.newHome()
            let portFile = dir + "/port"
            let process = Process()
            process.executableURL = E2E.binary
            process.arguments = ["sandbox", "--port-file", portFile, "--scenario", "organisation-offline"]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let port = try await E2E.portFile(portFile)
            #expect(!port.isEmpty)
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/_sandbox/state")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let state = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(state?["scenario"] as? String == "organisation-offline")
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(printed.contains("export LMB_XERO_BASE_URL=http://127.0.0.1:\(port)"))
            #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("sandbox stopped"))
        }

        @Test("a port already taken is one line and exit 74: this machine refused the port, no retry will fix it")
        func portTaken() async throws {
            let dir = try E2E.newHome()
            let blocker = try LMBProcess(["sandbox", "--port-file", dir + "/port"], home: dir)
            defer { blocker.process.interrupt() }
            let port = try await E2E.portFile(dir + "/port")
            let started = Date()
            let r = try await E2E.run(["sandbox", "--port", port], home: dir)
            #expect(r.status == 74)
            #expect(r.stderr.contains("cannot listen on 127.0.0.1:\(port)"), "\(r.stderr)")
            #expect(Date().timeIntervalSince(started) < 5, "the refusal waited for a timeout instead of the bind's error")
        }
    }
}
