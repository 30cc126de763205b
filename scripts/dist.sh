#!/usr/bin/env bash
# make dist: dist/lmb-<version>-linux-<arch>.tar.gz, built from the committed tree with the Swift runtime and
# Foundation linked in (-static-stdlib), so that it runs on a Debian or Ubuntu host with only libcurl, libsqlite3 and
# libssl from apt. The tarball holds bin/lmb (stripped), the man page and completions under share/ (the layout of a
# prefix), packaging/ (systemd and launchd units), LICENSE, README.md, install.sh, and SHA256SUMS of those files;
# dist/SHA256SUMS lists the tarballs themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "dist: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || die "this builds the Linux tarball; on macOS, make install PREFIX=… builds and installs"
scratch=${DIST_SCRATCH:-.build-dist}
version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/LMBCore/Version.swift)
[ -n "$version" ] || die "no version found in Sources/LMBCore/Version.swift"
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || die "not a git checkout: a release names the commit it was built from"
expected_commit=$commit
if [ -n "$(git status --porcelain)" ]; then
    [ -n "${LMB_DIST_DIRTY:-}" ] || die "the tree has uncommitted changes: commit them (a release names its commit), or set LMB_DIST_DIRTY=1 for a test build"
    expected_commit=$commit-dirty
fi
name=lmb-$version-linux-$(uname -m)

# A scratch path of its own, so that the static build never fights the debug build in .build. --manifest-cache none:
# SwiftPM would otherwise reuse the manifest, and the commit in it, from the last time Package.swift changed.
echo "building lmb $version (commit $expected_commit) for release, Swift runtime linked statically, in $scratch"
swift build -c release --product lmb --scratch-path "$scratch" --manifest-cache none --static-swift-stdlib
built=$scratch/release/lmb
# What ships is stripped: the symbol table and DWARF are most of the built binary and no user reads them; $built,
# kept in the scratch path, is the one to read a crash against.
binary=$scratch/lmb-stripped
strip --strip-all -o "$binary" "$built"

said=$("$binary" --version)
[ "$said" = "lmb $version (commit $expected_commit)" ] || die "the built lmb says '$said', not lmb $version (commit $expected_commit)"
runtime=$(ldd "$binary" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|not found' || true)
[ -z "$runtime" ] || die "the binary still needs these at run time: $runtime"

stage=$scratch/stage/$name
rm -rf "$scratch/stage"
scripts/layout.sh tree "$binary" "$stage"
install -m 0644 README.md "$stage/README.md"
cp -R packaging "$stage/packaging"
(cd "$stage" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)

# The same tree gives the same bytes: sorted, owned by nobody in particular, dated by the commit, gzip without a name.
mkdir -p dist
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$(git log -1 --format=%ct)" \
    -C "$scratch/stage" -cf - "$name" | gzip -9n > "dist/$name.tar.gz"
(cd dist && sha256sum lmb-*.tar.gz > SHA256SUMS)

echo
echo "dist/$name.tar.gz  $(du -h "dist/$name.tar.gz" | cut -f1)  (lmb itself $(du -h "$binary" | cut -f1), $(du -h "$built" | cut -f1) before strip)"
echo "$said"
echo "ldd bin/lmb:"
ldd "$binary" | sed 's/^/  /'
