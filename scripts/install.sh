#!/usr/bin/env bash
# Installs lmb under a prefix — bin/lmb, its man page, its bash, zsh and fish completions each where that shell looks,
# and the licence — and records every file it wrote and every directory it had to create in
# PREFIX/share/doc/lmb/install-manifest.txt, so that --uninstall removes exactly those and leaves the prefix as it was.
#
#   install.sh [--from TREE] PREFIX     TREE is a tree scripts/layout.sh made; by default the folder this script is
#                                       in, as in the release tarball: ./install.sh ~/.local
#   install.sh --binary LMB PREFIX      lays out the tree from a built lmb first (in a checkout: make install-files)
#   install.sh --uninstall PREFIX       make uninstall
#
# The manifest lives in share/doc/lmb, not share/lmb: with PREFIX=~/.local, ~/.local/share/lmb is lmb's own home.
# Plain bash 3.2 and POSIX tools, so that it also runs on macOS.
set -euo pipefail

manifest_path=share/doc/lmb/install-manifest.txt

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { die "usage: install.sh [--from TREE | --binary LMB] PREFIX | --uninstall PREFIX"; }

# What a tree holds, and where each file goes under the prefix: "source destination mode".
files() {
    cat <<'EOF'
bin/lmb bin/lmb 0755
share/man/man1/lmb.1 share/man/man1/lmb.1 0644
share/bash-completion/completions/lmb share/bash-completion/completions/lmb 0644
share/zsh/site-functions/_lmb share/zsh/site-functions/_lmb 0644
share/fish/vendor_completions.d/lmb.fish share/fish/vendor_completions.d/lmb.fish 0644
LICENSE share/doc/lmb/LICENSE 0644
EOF
}

# Creates PREFIX/DIR one level at a time, writing each level it made to the record (with a trailing slash).
make_dir() {
    local prefix=$1 dir=$2 record=$3 path="" part
    local IFS=/
    for part in $dir; do
        path=${path:+$path/}$part
        if [ ! -d "$prefix/$path" ]; then
            mkdir "$prefix/$path"
            echo "$path/" >> "$record"
        fi
    done
}

install_tree() {
    local tree=$1 prefix=$2 source destination mode
    for source in $(files | cut -d' ' -f1); do
        [ -f "$tree/$source" ] || die "$tree has no $source: is it a tree scripts/layout.sh made?"
    done
    mkdir -p "$prefix"
    local record
    record=$(mktemp)
    # An earlier install's record is kept: the directories it created are still lmb's to remove.
    [ -f "$prefix/$manifest_path" ] && cat "$prefix/$manifest_path" > "$record"
    make_dir "$prefix" "$(dirname "$manifest_path")" "$record"
    while read -r source destination mode; do
        make_dir "$prefix" "$(dirname "$destination")" "$record"
        install -m "$mode" "$tree/$source" "$prefix/$destination"
        echo "$destination" >> "$record"
        echo "installed $prefix/$destination"
    done <<< "$(files)"
    sort -u "$record" > "$prefix/$manifest_path"
    rm -f "$record"
    echo "recorded in $prefix/$manifest_path (install.sh --uninstall $prefix removes exactly these)"
}

uninstall() {
    local prefix=$1 manifest=$1/$manifest_path entry directories
    [ -f "$manifest" ] || die "no $manifest: nothing of lmb's is recorded as installed under $prefix"
    { grep -v '/$' "$manifest" || true; } | while read -r entry; do
        rm -f "$prefix/$entry" && echo "removed $prefix/$entry"
    done
    # Deepest directories first; one that now holds something else is left where it is.
    directories=$({ grep '/$' "$manifest" || true; } | awk -F/ '{ print NF, $0 }' | sort -rn | cut -d' ' -f2-)
    rm -f "$manifest"
    while read -r entry; do
        [ -n "$entry" ] && [ -d "$prefix/$entry" ] || continue
        rmdir "$prefix/$entry" 2>/dev/null || echo "kept $prefix/$entry: something else is in it"
    done <<< "$directories"
}

tree=$(cd "$(dirname "$0")" && pwd)
case ${1:-} in
    --uninstall) [ $# = 2 ] || usage; uninstall "$2"; exit ;;
    --from) [ $# = 3 ] || usage; tree=$2; shift 2 ;;
    --binary)
        [ $# = 3 ] || usage
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        "$(dirname "$0")/layout.sh" tree "$2" "$scratch"
        tree=$scratch
        shift 2
        ;;
    -*) usage ;;
esac
[ $# = 1 ] || usage
install_tree "$tree" "$1"
