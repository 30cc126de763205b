#!/usr/bin/env bash
# The whole story on a fresh machine with no Amazon or Xero account: start the built-in sandbox (Amazon's Login with
# Amazon, Reports API and S3 downloads beside Xero's identity and accounting APIs), let Amazon make settlement reports,
# connect lmb to both sides, fetch, preview, send with `lmb sync`; then watch Amazon withdraw a role and Xero refuse a
# read-only user, each with its typed error, `lmb diagnose` and the fix.
# Uses a throw-away lmb home, so it never touches yours. Exits non-zero if any step does not behave as shown.
set -uo pipefail
cd "$(dirname "$0")/.."
lmb=$PWD/.build/debug/lmb
export LMB_HOME=$(mktemp -d)
say() { printf '\n\033[1m» %s\033[0m\n' "$*"; }
fail() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }
expect_code() { [ "$1" = "$2" ] || fail "expected exit $2, got $1"; }

say "Start the sandbox on 127.0.0.1: Amazon (LWA, Reports API, downloads), Shopify Payments, eBay and Xero (identity, accounting), with fault scenarios"
"$lmb" sandbox --port-file "$LMB_HOME/port" > "$LMB_HOME/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill -INT $sandbox_pid 2>/dev/null; wait $sandbox_pid 2>/dev/null; rm -rf "$LMB_HOME"' EXIT
for _ in $(seq 100); do [ -s "$LMB_HOME/port" ] && break; sleep 0.1; done
[ -s "$LMB_HOME/port" ] || fail "the sandbox did not start"
base="http://127.0.0.1:$(cat "$LMB_HOME/port")"
export LMB_XERO_BASE_URL=$base LMB_AMAZON_BASE_URL=$base LMB_SHOPIFY_BASE_URL=$base
control() { curl -sf -X POST "$base/_sandbox/$1" -d "$2" > /dev/null || fail "sandbox control $1"; }
# Amazon makes a settlement report at the end of each settlement period; the sandbox's control API plays that part.
amazon_report() {
    local file=$1 query=${2:-}
    curl -sf -X POST "$base/_sandbox/amazon/reports${query:+?$query}" --data-binary "@$file" > /dev/null || fail "posting $file"
    echo "  Amazon made a settlement report from $file${query:+ ($query)}"
}
echo "sandbox at $base"

say "Amazon has three settlement reports: one gzipped in Cp1252 as EU reports come, and one settlement regenerated in a second report"
amazon_report fixtures/v2-us.txt
amazon_report fixtures/v2-fr-crlf-bom.txt "compression=GZIP&charset=Cp1252"
amazon_report fixtures/v2-us.txt "compression=GZIP"
amazon_report fixtures/v2-negative.txt

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

say "Connect to Xero: OAuth 2.0 with PKCE, as a user with the Standard role"
connect connect
"$lmb" status

say "Connect the Amazon selling account: the client secret and refresh token come from the environment, never the command line"
amazon_secret="amzn1.oa2-cs.v1.demo-$RANDOM$RANDOM"
LMB_AMAZON_CLIENT_SECRET="$amazon_secret" LMB_AMAZON_REFRESH_TOKEN="Atzr|IwEBI-demo-$RANDOM$RANDOM" \
    "$lmb" amazon connect --client-id amzn1.application-oa2-client.demo --region eu || fail "amazon connect"
"$lmb" amazon status

say "Shopify Payments paid out a payout (a charge, a refund, a chargeback with its fee); connect the shop with its Admin API token from the environment"
paid=$(date -u -d '-3 days' +%F); sold=$(date -u -d '-5 days' +%F)
cat > "$LMB_HOME/shopify.csv" <<CSV
Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,Presentment Currency,Currency,VAT
$sold 10:00:00 -0400,charge,#1001,visa,online,paid,$paid,623721858,$paid,"1,050.00",30.75,"1,019.25",#22345678901234,card,1050.00,USD,USD,
$sold 11:00:00 -0400,refund,#1000,visa,online,paid,$paid,623721858,$paid,-20.00,0.00,-20.00,#22345678901233,card,20.00,USD,USD,
$sold 12:00:00 -0400,dispute,#0999,master,online,paid,$paid,623721858,$paid,-10.00,15.00,-25.00,,,10.00,USD,USD,
$paid 02:00:00 -0400,payout,,,,paid,$paid,623721858,$paid,-974.25,0.00,-974.25,,,,,USD,
CSV
curl -sf -X POST "$base/_sandbox/shopify/payouts" --data-binary "@$LMB_HOME/shopify.csv" > /dev/null || fail "posting the Shopify payout"
LMB_SHOPIFY_ACCESS_TOKEN=shpat_sandboxlegacy00000000000000000 "$lmb" shopify connect --shop demo-shop.myshopify.com || fail "shopify connect"

say "eBay paid out a UK payout (a sale less its final value fees, a Promoted Listings fee, a refund, a postage label, a transfer in); connect the seller"
ebay_payout='{"marketplaceId":"EBAY_GB","payouts":[{"payoutId":"6000123456","currency":"GBP","transactions":[
 {"transactionType":"SALE","bookingEntry":"CREDIT","orderId":"12-34567-89012","totalFeeBasisAmount":{"value":"120.0","currency":"GBP"},
  "ebayCollectedTaxAmount":{"value":"24.0","currency":"GBP"},
  "orderLineItems":[{"lineItemId":"1","marketplaceFees":[{"feeType":"FINAL_VALUE_FEE_FIXED_PER_ORDER","amount":{"value":"0.3","currency":"GBP"}},
                                                        {"feeType":"FINAL_VALUE_FEE","amount":{"value":"15.48","currency":"GBP"}}]}]},
 {"transactionType":"NON_SALE_CHARGE","bookingEntry":"DEBIT","feeType":"AD_FEE","amount":{"value":"6.0","currency":"GBP"}},
 {"transactionType":"REFUND","bookingEntry":"DEBIT","orderId":"12-34567-89000","amount":{"value":"10.0","currency":"GBP"},"totalFeeBasisAmount":{"value":"11.29","currency":"GBP"},
  "orderLineItems":[{"lineItemId":"2","marketplaceFees":[{"feeType":"FINAL_VALUE_FEE","amount":{"value":"1.29","currency":"GBP"}}]}]},
 {"transactionType":"SHIPPING_LABEL","bookingEntry":"DEBIT","amount":{"value":"3.2","currency":"GBP"}},
 {"transactionType":"TRANSFER","bookingEntry":"CREDIT","amount":{"value":"2.0","currency":"GBP"},"transactionMemo":"TRANSFER_FROM"}]}]}'
curl -sf -X POST "$base/_sandbox/ebay/payouts" -d "$ebay_payout" > /dev/null || fail "posting the eBay payout"
# The app's keyset (App ID, Cert ID, RuName) as the eBay developer portal shows it; the sandbox's is fixed.
ebay_config=$(curl -sf "$base/_sandbox/ebay/config") || fail "reading the sandbox's eBay keyset"
ebay_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <<< "$ebay_config"; }
# lmb ebay connect prints eBay's consent address and waits for the address eBay redirects to, pasted: curl plays the
# seller's browser, and the demo pastes where it was sent.
mkfifo "$LMB_HOME/paste"
LMB_EBAY_BASE_URL=$base LMB_EBAY_CLIENT_SECRET=$(ebay_field client_secret) "$lmb" ebay connect --client-id "$(ebay_field client_id)" \
    --ru-name "$(ebay_field ru_name)" --site EBAY_GB --no-browser < "$LMB_HOME/paste" > "$LMB_HOME/ebay.out" 2> "$LMB_HOME/ebay.err" &
ebay_pid=$!
exec 7> "$LMB_HOME/paste"
url=""
for _ in $(seq 100); do url=$(grep -o 'http://127[^ ]*/oauth2/authorize[^ ]*' "$LMB_HOME/ebay.err"); [ -n "$url" ] && break; sleep 0.1; done
[ -n "$url" ] || fail "lmb ebay connect printed no consent address"
echo "(the demo plays the seller: it agrees at the address lmb printed and pastes the address eBay redirects to)"
echo "$(curl -s -o /dev/null -w '%{redirect_url}' "$url")" >&7
exec 7>&-
wait $ebay_pid || fail "lmb ebay connect failed: $(cat "$LMB_HOME/ebay.err")"
cat "$LMB_HOME/ebay.out"
export LMB_EBAY_BASE_URL=$base

say "Fetch: list the reports, download each document once, import it exactly as lmb import does (the rows must add up)"
"$lmb" fetch; expect_code $? 0
say "Fetching again downloads nothing"
"$lmb" fetch; expect_code $? 0
"$lmb" settlements

say "Preview: the invoice settlement 30000000003 (fetched gzipped, in Cp1252) becomes"
"$lmb" preview 30000000003
say "The Shopify payout is one settlement beside the Amazon ones: SHP-<payout id>, contact Shopify Payments, total = the deposit"
"$lmb" preview SHP-623721858; expect_code $? 0
say "The eBay payout beside them: EBAY-<payout id>, contact eBay UK, the sale's gross rebuilt and each fee on its own line, total = the payout"
"$lmb" preview EBAY-6000123456; expect_code $? 0

say "lmb sync — the one line for cron: fetch, then send everything ready to the organisation the Amazon account is bound to"
"$lmb" sync; expect_code $? 0
say "Again: nothing new, nothing sent twice"
"$lmb" sync; expect_code $? 0

say "The Amazon side goes wrong: the app loses its Finance and Accounting role while a new settlement arrives"
control scenario '{"scenario":"amazon-role-missing"}'
amazon_report fixtures/v2-split-two-months.txt
"$lmb" sync; code=$?
echo "exit code $code (77: a person must act)"; expect_code $code 77
"$lmb" diagnose; expect_code $? 77

say "Fix it as the runbook says: tick the role, Authorize app again, and give lmb the new refresh token; sync carries on"
control scenario '{"scenario":"healthy"}'
LMB_AMAZON_CLIENT_SECRET="$amazon_secret" LMB_AMAZON_REFRESH_TOKEN="Atzr|IwEBI-demo-new-$RANDOM$RANDOM" \
    "$lmb" amazon connect --client-id amzn1.application-oa2-client.demo --region eu || fail "amazon connect again"
"$lmb" sync; expect_code $? 0

say "The Xero side goes wrong: the Xero user becomes Read-only while a new settlement arrives"
control scenario '{"scenario":"user-role-readonly"}'
amazon_report fixtures/v2-reserves.txt
"$lmb" sync; code=$?
echo "exit code $code (77: a person must act)"; expect_code $code 77

say "lmb diagnose finds the cause"
"$lmb" diagnose; expect_code $? 77

say "Fix it: the user gets the Standard role back, and lmb reconnects"
control scenario '{"scenario":"healthy"}'
connect reconnect

say "Sync again"
"$lmb" sync; expect_code $? 0
"$lmb" diagnose --quiet; expect_code $? 0

say "What the sandbox's Xero now holds"
show_invoices='
import json, sys
for i in json.load(sys.stdin)["invoices"]:
    row = (i["InvoiceNumber"], i["Type"], i["Status"], i["Total"], i["CurrencyCode"], i["Contact"]["Name"])
    print("  %-18s %s  %-6s %10.2f %s  %s" % row)
'
curl -sf "$base/_sandbox/state" | python3 -c "$show_invoices" || fail "reading the sandbox state"
say "What lmb asked of Amazon"
count_requests='
import json, sys
from collections import Counter
kinds = Counter()
for r in json.load(sys.stdin)["amazon"]["requests"]:
    p = r["path"]
    kind = "Login with Amazon" if p.startswith("/auth/") else "getReports" if p.endswith("/reports") else \
        "getReportDocument" if "/documents/" in p else "document download" if p.startswith("/tortuga") else p
    kinds[(kind, r["status"])] += 1
for (kind, status), n in sorted(kinds.items()):
    print("  %-20s HTTP %d  x %d" % (kind, status, n))
'
curl -sf "$base/_sandbox/state" | python3 -c "$count_requests" || fail "reading the sandbox state"
say "The report: per settlement, what Amazon kept from sales to the deposit (one HTML file; no network needed to read it)"
"$lmb" report --out "${TMPDIR:-/tmp}/lmb-demo-report.html"; expect_code $? 0

say "Stop the sandbox"
kill -INT $sandbox_pid; wait $sandbox_pid; trap 'rm -rf "$LMB_HOME"' EXIT
echo "done"
