#!/usr/bin/env bash
# Lays out lmb as it is installed under a prefix: bin/lmb, the man page, and the bash, zsh and fish completions each
# where that shell looks for them. The man page and completions are generated from the binary itself, so they always
# match its commands. `make install-files` installs such a tree and `make dist` packs one.
#
#   scripts/layout.sh tree BINARY DIR            the tree in DIR, with LICENSE and install.sh beside bin/ and share/
#   scripts/layout.sh man BINARY                 the man page, on stdout
#   scripts/layout.sh completion SHELL BINARY    the completion script for bash, zsh or fish, on stdout
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."

# Paths given on the command line are relative to where the script was called from.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
die() { echo "layout: $*" >&2; exit 1; }

# Where a prefix keeps each file; install.sh reads the same paths from the tree.
man_page=share/man/man1/lmb.1
bash_completion=share/bash-completion/completions/lmb
zsh_completion=share/zsh/site-functions/_lmb
fish_completion=share/fish/vendor_completions.d/lmb.fish

require_binary() {
    [ -x "$1" ] && [ -f "$1" ] ||
        die "$1 is not a built lmb: run make release first, or name one with LMB_BINARY=.build/debug/lmb"
}

# ArgumentParser's generate-manual tool, built once into .build-tools from the swift-argument-parser checkout that
# lmb resolved. The GenerateManual plugin runs the same tool, but first builds every product for release.
manual_tool() {
    local checkout=""
    for candidate in .build-dist/checkouts/swift-argument-parser .build/checkouts/swift-argument-parser; do
        [ -f "$candidate/Tools/generate-manual/GenerateManual.swift" ] && { checkout=$candidate; break; }
    done
    if [ -z "$checkout" ]; then
        swift package resolve >&2
        checkout=.build/checkouts/swift-argument-parser
    fi
    local scratch=$PWD/.build-tools/argument-parser
    mkdir -p .build-tools
    # Its warnings are swift-argument-parser's, not lmb's: shown only when the build fails.
    swift build --package-path "$checkout" --scratch-path "$scratch" --product generate-manual > "$scratch.log" 2>&1 ||
        { cat "$scratch.log" >&2; die "could not build generate-manual from $checkout"; }
    echo "$scratch/debug/generate-manual"
}

man_page() {
    require_binary "$1"
    local tool date
    tool=$(manual_tool)
    # The page is dated by the commit, not the clock, so that building it twice gives the same file.
    date=$(git log -1 --format=%cs 2>/dev/null || date +%Y-%m-%d)
    "$tool" "$1" --date "$date" --output-directory -
}

completion() {
    case $1 in bash | zsh | fish) ;; *) die "no completion for shell '$1' (bash, zsh or fish)" ;; esac
    require_binary "$2"
    "$2" --generate-completion-script "$1"
}

tree() {
    local binary=$1 dir=$2
    require_binary "$binary"
    local file
    for file in bin/lmb $man_page $bash_completion $zsh_completion $fish_completion; do mkdir -p "$dir/$(dirname "$file")"; done
    install -m 0755 "$binary" "$dir/bin/lmb"
    man_page "$binary" > "$dir/$man_page"
    completion bash "$binary" > "$dir/$bash_completion"
    completion zsh "$binary" > "$dir/$zsh_completion"
    completion fish "$binary" > "$dir/$fish_completion"
    install -m 0644 LICENSE "$dir/LICENSE"
    install -m 0755 scripts/install.sh "$dir/install.sh"
    chmod 0644 "$dir/$man_page" "$dir/$bash_completion" "$dir/$zsh_completion" "$dir/$fish_completion"
}

case ${1:-} in
    tree) [ $# = 3 ] || die "usage: layout.sh tree BINARY DIR"; tree "$(absolute "$2")" "$(absolute "$3")" ;;
    man) [ $# = 2 ] || die "usage: layout.sh man BINARY"; man_page "$(absolute "$2")" ;;
    completion) [ $# = 3 ] || die "usage: layout.sh completion SHELL BINARY"; completion "$2" "$(absolute "$3")" ;;
    *) die "usage: layout.sh tree BINARY DIR | man BINARY | completion SHELL BINARY" ;;
esac
