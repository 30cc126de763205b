import CBuildInfo

/// Which lmb this is: the release, and the commit it was built from.
public enum LMBVersion {
    public static let current = "0.1.0"
    /// 12 hex digits ("-dirty" when the tree had changes), or "unknown" when not built from a git checkout.
    public static let commit = String(cString: lmb_build_commit())
    /// What `lmb --version` prints: `lmb 0.1.0 (commit 1a2b3c4d5e6f)`.
    public static let description = "lmb \(current) (commit \(commit))"
}
