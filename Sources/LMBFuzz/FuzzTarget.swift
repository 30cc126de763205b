import Foundation
import LMBFuzzHarness

// Built with `make fuzz` (-sanitize=fuzzer -DLMB_FUZZ): libFuzzer drives LLVMFuzzerTestOneInput.
// Built normally: `lmb-fuzz FILE…` replays inputs (a crash the fuzzer saved, a corpus) through the same harness.

let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-fuzz-\(getpid()).txt").path

#if LMB_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    FuzzHarness.run(Data(bytes: bytes, count: count), scratch: scratch)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

// SwiftPM links an executable's entry point as `<module>_main`; hand it to libFuzzer's driver.
@_cdecl("lmb_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { bytes, size in fuzzOneInput(bytes, size) }
}
#else
@main
struct ReplayFuzzInputs {
    static func main() throws {
        let paths = CommandLine.arguments.dropFirst()
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let files = isDirectory.boolValue ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { url.appendingPathComponent($0) } : [url]
            for file in files { FuzzHarness.run(try Data(contentsOf: file), scratch: scratch) }
        }
        print("replayed \(paths.count) path(s) without a crash")
    }
}
#endif
