#!/usr/bin/env bash
# The main job on the project's own fixtures: import settlements, list them, preview one invoice,
# one bill, and one that needs mapping. Uses a throw-away lmb home, so it never touches yours.
set -uo pipefail
cd "$(dirname "$0")/.."
lmb=.build/debug/lmb
export LMB_HOME=$(mktemp -d)
trap 'rm -rf "$LMB_HOME"' EXIT
say() { printf '\n\033[1m» %s\033[0m\n' "$*"; }

say "Import the fixture settlements (each is checked to add up to its deposit)"
$lmb import fixtures/v2-us.txt fixtures/v2-de-comma.txt fixtures/v1-ca.txt fixtures/v2-negative.txt fixtures/v2-unmapped.txt
say "Importing the same file again changes nothing"
$lmb import fixtures/v2-us.txt
say "A file that does not add up is refused, loudly (exit 65), and nothing is stored"
$lmb import fixtures/bad-does-not-add-up.txt; echo "exit code $?"
say "The settlements and where each stands"
$lmb settlements
say "Preview: the invoice settlement 20000000002 becomes"
$lmb preview 20000000002
say "A negative settlement becomes a bill"
$lmb preview 60000000006
say "The exact request body sending will PUT (lmb preview --json)"
$lmb preview 10000000001 --json | head -30
say "A settlement with a row no rule covers is never guessed: it needs mapping"
$lmb preview 90000000009; echo "exit code $?"
