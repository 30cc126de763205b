import Foundation
import Testing

extension EndToEnd {
    @Suite("Release: install and uninstall, the systemd and launchd units, the dist tarball")
    struct Release {
        @Test("make install-files puts lmb, its man page and completions where each is looked for; make uninstall leaves the prefix as it was")
        func installAndUninstall() async throws {
            let prefix = try E2E.newHome()
            // Something of the user's is already there: uninstall must leave it and the folders it is in.
            try FileManager.default.createDirectory(atPath: prefix + "/share/man/man1", withIntermediateDirectories: true)
            try Data("the user's own page".utf8).write(to: URL(fileURLWithPath: prefix + "/share/man/man1/other.1"))
            let before = try ReleaseFiles.listing(prefix)

            let install = ["make", "-s", "install-files", "PREFIX=\(prefix)", "LMB_BINARY=\(E2E.binary.path)"]
            let installed = try await ReleaseFiles.run(install, in: E2E.packageRoot.path)
            #expect(installed.status == 0, "\(installed.stderr)")
            for path in ReleaseFiles.installed {
                #expect(FileManager.default.fileExists(atPath: prefix + "/" + path), "\(path) is not installed")
            }
            #expect(try ReleaseFiles.text(prefix, "share/zsh/site-functions/_lmb").hasPrefix("#compdef lmb"))
            #expect(try ReleaseFiles.text(prefix, "share/fish/vendor_completions.d/lmb.fish").contains("complete -c 'lmb'"))
            #expect(try ReleaseFiles.text(prefix, "share/bash-completion/completions/lmb").contains("-F _lmb lmb"))
            #expect(try ReleaseFiles.text(prefix, "share/man/man1/lmb.1").contains(".Dt LMB 1"))
            let version = try await ReleaseFiles.run([prefix + "/bin/lmb", "--version"])
            #expect(version.stdout.hasPrefix("lmb "), "\(version.stderr)")

            // Installing again (an upgrade) keeps the record of the folders the first install made.
            #expect(try await ReleaseFiles.run(install, in: E2E.packageRoot.path).status == 0)
            let uninstalled = try await ReleaseFiles.run(["make", "-s", "uninstall", "PREFIX=\(prefix)"], in: E2E.packageRoot.path)
            #expect(uninstalled.status == 0, "\(uninstalled.stderr)")
            #expect(try ReleaseFiles.listing(prefix) == before)
            #expect(try ReleaseFiles.text(prefix, "share/man/man1/other.1") == "the user's own page")
        }

        @Test("the systemd units parse, and run `lmb sync --quiet` daily as the instance's user, LMB_HOME set, sandboxed, 75 retried")
        func systemdUnits() async throws {
            let folder = E2E.packageRoot.appendingPathComponent("packaging/systemd").path
            let service = try UnitFile(path: folder + "/lmb-sync@.service")
            let timer = try UnitFile(path: folder + "/lmb-sync@.timer")
            let failed = try UnitFile(path: folder + "/lmb-sync-failed@.service")

            #expect(service["Service", "Type"] == ["oneshot"])
            #expect(service["Service", "User"] == ["%i"])
            let home = try #require(service["Service", "Environment"].first { $0.hasPrefix("LMB_HOME=") }?.dropFirst(9))
            #expect(service["Service", "ReadWritePaths"] == [String(home)])
            for (key, value) in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"), ("ProtectHome", "read-only")] {
                #expect(service["Service", key] == [value], "\(key)")
            }
            // 75 is temporary: retried; the codes that need a person are not; a failure that stays mails someone.
            #expect(service["Service", "Restart"] == ["on-failure"])
            let noRetry = Set(service["Service", "RestartPreventExitStatus"].flatMap { $0.split(separator: " ").map(String.init) })
            #expect(noRetry == ["64", "65", "66", "74", "77", "78"])
            #expect(service["Unit", "OnFailure"] == ["lmb-sync-failed@%i.service"])
            #expect(timer["Timer", "OnCalendar"].count == 1)
            #expect(timer["Timer", "RandomizedDelaySec"].count == 1)
            #expect(timer["Install", "WantedBy"] == ["timers.target"])

            let sync = try #require(service["Service", "ExecStart"].first).split(separator: " ").map(String.init)
            #expect(sync.first == ReleaseFiles.unitsBinary && Array(sync.dropFirst()) == ["sync", "--quiet"])
            try await ReleaseFiles.expectCommand(sync.dropFirst())
            #expect(try #require(failed["Service", "ExecStart"].first).contains(ReleaseFiles.unitsBinary + " diagnose"))
            try await ReleaseFiles.expectCommand(["diagnose"])

            if let analyze = ReleaseFiles.which("systemd-analyze") {
                // systemd's own reading, with the units pointing at the lmb under test, for the user running the tests.
                let scratch = try E2E.newHome()
                let user = ProcessInfo.processInfo.userName
                for name in ["lmb-sync@.service", "lmb-sync@.timer", "lmb-sync-failed@.service"] {
                    let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
                    try text.replacingOccurrences(of: ReleaseFiles.unitsBinary, with: E2E.binary.path)
                        .write(toFile: scratch + "/" + name, atomically: true, encoding: .utf8)
                }
                let units = ["lmb-sync@\(user).service", "lmb-sync@\(user).timer", "lmb-sync-failed@\(user).service"].map { scratch + "/" + $0 }
                let verified = try await ReleaseFiles.run([analyze, "verify", "--man=no"] + units)
                #expect(verified.status == 0, "\(verified.stderr)")
                #expect(!verified.stderr.contains("lmb-sync"), "\(verified.stderr)")
            }
        }

        @Test("the launchd agent parses and runs `lmb sync --quiet` every morning with LMB_HOME set and a log for failures")
        func launchdAgent() async throws {
            let path = E2E.packageRoot.appendingPathComponent("packaging/launchd/local.lmb.sync.plist").path
            if let plutil = ReleaseFiles.which("plutil") {
                let lint = try await ReleaseFiles.run([plutil, "-lint", path])
                #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let agent = try #require(try PropertyListSerialization.propertyList(from: data, format: nil) as? [String: Any])
            #expect(agent["Label"] as? String == "local.lmb.sync")
            let program = try #require(agent["ProgramArguments"] as? [String])
            #expect(program == [ReleaseFiles.unitsBinary, "sync", "--quiet"])
            try await ReleaseFiles.expectCommand(program.dropFirst())
            #expect((agent["EnvironmentVariables"] as? [String: String])?["LMB_HOME"]?.hasSuffix("/.local/share/lmb") == true)
            #expect((agent["StartCalendarInterval"] as? [String: Int])?["Hour"] != nil)
            #expect((agent["StandardErrorPath"] as? String)?.hasSuffix(".log") == true)
        }

        @Test("the dist tarball runs on its own: checksums hold, --version names the commit, import and preview with an empty environment, no Swift runtime in ldd",
              .enabled(if: ReleaseFiles.distRequested,
                       "no tarball in dist/: run `make dist && LMB_TEST_DIST=1 swift test --filter Release` (the static release build takes minutes, so CI skips this)"))
        func distTarball() async throws {
            let tarball = try #require(ReleaseFiles.newestTarball(), "LMB_TEST_DIST=1, but dist/ holds no lmb-*-linux-\(ReleaseFiles.arch).tar.gz: run make dist")
            let dist = tarball.deletingLastPathComponent().path
            let download = try await ReleaseFiles.run(["sha256sum", "--check", "--ignore-missing", "SHA256SUMS"], in: dist)
            #expect(download.status == 0, "\(download.stdout)\(download.stderr)")

            let scratch = try E2E.newHome()
            #expect(try await ReleaseFiles.run(["tar", "-xzf", tarball.path, "-C", scratch]).status == 0)
            let name = tarball.lastPathComponent.replacingOccurrences(of: ".tar.gz", with: "")
            let root = scratch + "/" + name
            let contents = try await ReleaseFiles.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], in: root)
            #expect(contents.status == 0, "\(contents.stdout)\(contents.stderr)")
            for path in ReleaseFiles.installed.filter({ $0 != "share/doc/lmb/LICENSE" }) + ["LICENSE", "README.md", "install.sh",
                 "packaging/systemd/lmb-sync@.service", "packaging/systemd/lmb-sync@.timer", "packaging/launchd/local.lmb.sync.plist"] {
                #expect(FileManager.default.fileExists(atPath: root + "/" + path), "\(path) is not in the tarball")
            }

            // An empty environment: no PATH, no HOME, no LD_LIBRARY_PATH pointing at a Swift toolchain.
            let lmb = root + "/bin/lmb"
            let version = try await ReleaseFiles.run(["env", "-i", lmb, "--version"])
            let said = version.stdout.trimmingCharacters(in: .newlines)
            let release = name.replacingOccurrences(of: "lmb-", with: "").replacingOccurrences(of: "-linux-\(ReleaseFiles.arch)", with: "")
            #expect(said.wholeMatch(of: /lmb (\d+\.\d+\.\d+) \(commit [0-9a-f]{12}\)/)?.1 == Substring(release), "\(said) \(version.stderr)")
            let home = try E2E.newHome()
            let imported = try await ReleaseFiles.run(["env", "-i", lmb, "import", "--home", home, E2E.fixture("v2-us.txt")])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("imported settlement 10000000001"))
            let preview = try await ReleaseFiles.run(["env", "-i", lmb, "preview", "--home", home, "10000000001"])
            #expect(preview.status == 0, "\(preview.stderr)")
            #expect(preview.stdout.contains("AMZ-10000000001") && preview.stdout.contains("documents 40.92 USD"), "\(preview.stdout)")

            let ldd = try await ReleaseFiles.run(["ldd", lmb])
            #expect(ldd.status == 0)
            let runtime = ldd.stdout.split(separator: "\n").filter { line in
                ["libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime", "not found"].contains { line.contains($0) }
            }
            #expect(runtime.isEmpty, "needs at run time: \(runtime)")

            // The tarball's own install.sh installs from its folder and uninstalls without a trace.
            let prefix = try E2E.newHome()
            #expect(try await ReleaseFiles.run([root + "/install.sh", prefix]).status == 0)
            #expect(FileManager.default.isExecutableFile(atPath: prefix + "/bin/lmb"))
            #expect(try await ReleaseFiles.run([root + "/install.sh", "--uninstall", prefix]).status == 0)
            #expect(try ReleaseFiles.listing(prefix).isEmpty)
        }
    }
}

/// What the release tests share: the installed layout, running tools other than lmb, and finding the tarball.
enum ReleaseFiles {
    /// Where `make install-files` puts each file under the prefix.
    static let installed = ["bin/lmb", "share/man/man1/lmb.1", "share/bash-completion/completions/lmb",
                            "share/zsh/site-functions/_lmb", "share/fish/vendor_completions.d/lmb.fish", "share/doc/lmb/LICENSE"]
    /// The lmb the systemd units and the launchd agent run (the default PREFIX).
    static let unitsBinary = "/usr/local/bin/lmb"

    /// The architecture as `uname -m` names it, which is how `make dist` names the tarball.
    static var arch: String {
        #if arch(arm64)
        "aarch64"
        #else
        "x86_64"
        #endif
    }

    static var distRequested: Bool { ProcessInfo.processInfo.environment["LMB_TEST_DIST"] == "1" || newestTarball() != nil }

    static func newestTarball() -> URL? {
        let dist = E2E.packageRoot.appendingPathComponent("dist")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dist.path)) ?? []
        return names.filter { $0.hasPrefix("lmb-") && $0.hasSuffix("-linux-\(arch).tar.gz") }
            .map { dist.appendingPathComponent($0) }
            .max { modified($0) < modified($1) }
    }

    private static func modified(_ url: URL) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// Every path under a folder, folders with a trailing slash, sorted.
    static func listing(_ folder: String) throws -> [String] {
        let url = URL(fileURLWithPath: folder)
        guard let walk = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isDirectoryKey]) else { return [] }
        return try walk.compactMap { $0 as? URL }.map { item in
            let relative = String(item.standardizedFileURL.path.dropFirst(url.standardizedFileURL.path.count + 1))
            return try item.resourceValues(forKeys: [.isDirectoryKey]).isDirectory == true ? relative + "/" : relative
        }.sorted()
    }

    static func text(_ folder: String, _ path: String) throws -> String {
        try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool found on PATH (or at an absolute path) to completion, off the cooperative pool; output goes through
    /// files, so a large output can never block it.
    static func run(_ arguments: [String], in directory: String? = nil) async throws -> LMBRun {
        try await E2E.offPool {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lmb-release-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
            try Data().write(to: out)
            try Data().write(to: err)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return LMBRun(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                          stderr: try String(contentsOf: err, encoding: .utf8))
        }
    }

    /// The subcommands `lmb --help` lists.
    static func subcommands() async throws -> Set<String> {
        let help = try await E2E.run(["--help"]).stdout
        // The section runs to the first blank line; a name is indented two spaces, a wrapped description further.
        let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first?.components(separatedBy: "\n\n").first ?? ""
        return Set(section.split(separator: "\n").compactMap { line in
            line.wholeMatch(of: /\ {2}([a-z][a-z-]*)(\ {2}.*)?/).map { String($0.1) }
        })
    }

    /// Expects `lmb COMMAND FLAGS…` to be a command the built lmb has, taking those flags.
    static func expectCommand<C: Collection<String>>(_ command: C) async throws {
        let name = try #require(command.first)
        let known = try await subcommands()
        if !known.contains(name) && name == "sync" && !syncInSources {
            // `lmb sync` comes with issue 14's fetch and sync work; until it is merged the units name a command this
            // lmb lacks. Once Sources/lmb declares it, the check below holds for it like for any other.
            withKnownIssue("lmb sync is not in this tree yet") { #expect(known.contains(name)) }
            return
        }
        #expect(known.contains(name), "lmb --help lists no \(name): \(known.sorted())")
        let help = try await E2E.run([name, "--help"]).stdout
        for flag in command.dropFirst() { #expect(help.contains(flag), "lmb \(name) takes no \(flag)") }
    }

    /// Whether the sources declare an `lmb sync` command.
    static var syncInSources: Bool {
        let sources = E2E.packageRoot.appendingPathComponent("Sources/lmb")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".swift") }.contains { file in
            let text = (try? String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.contains("commandName: \"sync\"") || text.contains(/struct Sync\b/)
        }
    }
}

/// A systemd unit file read the way systemd reads one: `[Section]` headers, `Key=Value` lines, `#` and `;` comments,
/// a trailing backslash continuing a line. Anything else is an error naming the line.
struct UnitFile {
    private var entries: [(section: String, key: String, value: String)] = []

    init(path: String) throws {
        var section = "", pending = ""
        for (number, raw) in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = pending + raw.trimmingCharacters(in: .whitespaces)
            pending = ""
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasSuffix("\\") { pending = String(line.dropLast()) + " "; continue }
            if line.hasPrefix("[") && line.hasSuffix("]") { section = String(line.dropFirst().dropLast()); continue }
            guard !section.isEmpty, let equals = line.firstIndex(of: "=") else {
                throw UnitFileError(description: "\(path):\(number + 1): neither [Section] nor Key=Value: \(line)")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            line = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            entries.append((section, key, line))
        }
    }

    /// Every value a key has in a section, in order.
    subscript(section: String, key: String) -> [String] {
        entries.filter { $0.section == section && $0.key == key }.map(\.value)
    }
}

struct UnitFileError: Error, CustomStringConvertible {
    let description: String
}
