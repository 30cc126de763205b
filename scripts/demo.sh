#!/usr/bin/env bash
# The whole story on a fresh machine with no Xero account: start the built-in Xero sandbox, connect, import
# settlements, preview, send, watch Xero refuse a read-only user, diagnose, reconnect, send again.
# Uses a throw-away lmb home, so it never touches yours. Exits non-zero if any step does not behave as shown.
set -uo pipefail
cd "$(dirname "$0")/.."
lmb=$PWD/.build/debug/lmb
export LMB_HOME=$(mktemp -d)
say() { printf '\n\033[1m» %s\033[0m\n' "$*"; }
fail() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }
expect_code() { [ "$1" = "$2" ] || fail "expected exit $2, got $1"; }

say "Start the Xero sandbox (identity + accounting + fault scenarios) on 127.0.0.1"
"$lmb" sandbox --port-file "$LMB_HOME/port" > "$LMB_HOME/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill -INT $sandbox_pid 2>/dev/null; wait $sandbox_pid 2>/dev/null; rm -rf "$LMB_HOME"' EXIT
for _ in $(seq 100); do [ -s "$LMB_HOME/port" ] && break; sleep 0.1; done
[ -s "$LMB_HOME/port" ] || fail "the sandbox did not start"
export LMB_XERO_BASE_URL="http://127.0.0.1:$(cat "$LMB_HOME/port")"
control() { curl -sf -X POST "$LMB_XERO_BASE_URL/_sandbox/$1" -d "$2" > /dev/null || fail "sandbox control $1"; }
echo "sandbox at $LMB_XERO_BASE_URL"

# lmb connect prints Xero's sign-in URL and waits for the browser to come back to it; here curl plays the browser.
connect() {
    "$lmb" "$@" --client-id demo-app --port 0 > "$LMB_HOME/connect.out" 2> "$LMB_HOME/connect.err" &
    local pid=$! url=""
    for _ in $(seq 100); do url=$(grep -o 'http://127[^ ]*/identity/connect/authorize[^ ]*' "$LMB_HOME/connect.err"); [ -n "$url" ] && break; sleep 0.1; done
    [ -n "$url" ] || fail "lmb $1 printed no sign-in URL"
    echo "(the demo plays your browser: it signs in at the URL lmb printed and follows Xero's redirect back to lmb)"
    curl -s "$(curl -s -o /dev/null -w '%{redirect_url}' "$url")" > /dev/null
    wait $pid || fail "lmb $1 failed: $(cat "$LMB_HOME/connect.err")"
    cat "$LMB_HOME/connect.out"
}

say "Connect: OAuth 2.0 with PKCE, as a user with the Standard role"
connect connect
"$lmb" status

say "Import four settlements; each is checked to add up to its deposit, to the cent"
"$lmb" import fixtures/v2-us.txt fixtures/v2-de-comma.txt fixtures/v1-ca.txt fixtures/v2-negative.txt || fail "import"
"$lmb" settlements

say "Preview: the invoice settlement 20000000002 becomes (a negative settlement becomes a bill)"
"$lmb" preview 20000000002

say "Send them all: one batch, exactly once, as drafts"
"$lmb" send --all; expect_code $? 0
say "Sending again posts nothing twice"
"$lmb" send 10000000001; expect_code $? 0

say "Now the Xero user loses permission (the sandbox plays a Read-only role) and a new settlement arrives"
control scenario '{"scenario":"user-role-readonly"}'
"$lmb" import fixtures/v2-reserves.txt
"$lmb" send 80000000008; code=$?
echo "exit code $code (77: a person must act)"; expect_code $code 77

say "lmb diagnose finds the cause"
"$lmb" diagnose; expect_code $? 77

say "Fix it: the user gets the Standard role back, and lmb reconnects"
control scenario '{"scenario":"healthy"}'
connect reconnect

say "Send again"
"$lmb" send 80000000008; expect_code $? 0
"$lmb" diagnose --quiet; expect_code $? 0

say "What the sandbox's Xero now holds"
show_invoices='
import json, sys
for i in json.load(sys.stdin)["invoices"]:
    row = (i["InvoiceNumber"], i["Type"], i["Status"], i["Total"], i["CurrencyCode"], i["Contact"]["Name"])
    print("  %-18s %s  %-6s %10.2f %s  %s" % row)
'
curl -sf "$LMB_XERO_BASE_URL/_sandbox/state" | python3 -c "$show_invoices" || fail "reading the sandbox state"
say "Stop the sandbox"
kill -INT $sandbox_pid; wait $sandbox_pid; trap 'rm -rf "$LMB_HOME"' EXIT
echo "done"
