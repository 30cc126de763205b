#!/usr/bin/env bash
# make dist: dist/lmb-<version>-linux-<arch>.tar.gz, built from the committed tree with the Swift runtime and
# Foundation linked in (-static-stdlib), and of ICU's data only what lmb reads (scripts/icu_data.py), so that it runs
# on a Debian or Ubuntu host with only libcurl, libsqlite3 and libssl from apt. The tarball holds bin/lmb (stripped),
# the man page and completions under share/ (the layout of a prefix), packaging/ (systemd and launchd units), LICENSE,
# README.md, install.sh, and SHA256SUMS of those files; dist/SHA256SUMS lists the tarballs themselves.
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

for tool in python3 ar nm objcopy objdump strip; do
    command -v $tool >/dev/null || die "$tool is needed (python3, and binutils' ar, nm, objcopy, objdump and strip)"
done

# Foundation links all of ICU's data (34 MB: every locale's names, collation, every code page's converter, word-break
# dictionaries) while lmb reads the root and English data, time zones, Unicode properties and the Shift_JIS and
# Windows-1252 converters. scripts/icu_data.py makes that subset (6 MB) from the toolchain's own archive, and the link
# reads it instead: --wrap sends ICU's one reference to the package to the subset's symbol.
resources=$(swift -print-target-info | python3 -c 'import json, sys; print(json.load(sys.stdin)["paths"]["runtimeResourcePath"])')
icu_archive=${resources}_static/linux/lib_FoundationICU.a
[ -f "$icu_archive" ] || die "no $icu_archive: this toolchain does not link ICU as lib_FoundationICU.a; see scripts/icu_data.py"
mkdir -p "$scratch/icu"
icu_object=$(cd "$scratch/icu" && pwd)/icudata.o
icu_symbol=$(scripts/icu_data.py "$icu_archive" "$icu_object")

# A scratch path of its own, so that the static build never fights the debug build in .build. --manifest-cache none:
# SwiftPM would otherwise reuse the manifest, and the commit in it, from the last time Package.swift changed.
echo "building lmb $version (commit $expected_commit) for release, Swift runtime linked statically, in $scratch"
swift build -c release --product lmb --scratch-path "$scratch" --manifest-cache none --static-swift-stdlib \
    -Xlinker "--wrap=$icu_symbol" -Xlinker "$icu_object"
built=$scratch/release/lmb
nm "$built" > "$scratch/icu/symbols"
grep -q " __wrap_$icu_symbol\$" "$scratch/icu/symbols" && ! grep -q " $icu_symbol\$" "$scratch/icu/symbols" ||
    die "$built does not hold the ICU data subset as its only ICU data"
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
