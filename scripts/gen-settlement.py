#!/usr/bin/env python3
"""Writes a synthetic Amazon Flat File V2 settlement of N transaction rows that adds up exactly.

Usage: gen-settlement.py ROWS OUTPUT [--id ID]
Rows cycle through the combinations a real US settlement holds (orders, refunds, fees, withheld tax,
reserves) with deterministic pseudo-random amounts; the summary row carries their exact sum.
"""
import random
import sys

HEADER = ("settlement-id settlement-start-date settlement-end-date deposit-date total-amount currency "
          "transaction-type order-id merchant-order-id adjustment-id shipment-id marketplace-name amount-type "
          "amount-description amount fulfillment-id posted-date posted-date-time order-item-code "
          "merchant-order-item-id merchant-adjustment-item-id sku quantity-purchased promotion-id").split()

KINDS = [
    ("Order", "ItemPrice", "Principal", 500, 9000),
    ("Order", "ItemPrice", "Tax", 20, 700),
    ("Order", "ItemPrice", "Shipping", 0, 900),
    ("Order", "ItemWithheldTax", "MarketplaceFacilitatorTax-Principal", -700, -20),
    ("Order", "ItemFees", "Commission", -1400, -75),
    ("Order", "ItemFees", "FBAPerUnitFulfillmentFee", -900, -250),
    ("Order", "Promotion", "Shipping", -500, -10),
    ("Refund", "ItemPrice", "Principal", -2500, -500),
    ("Refund", "ItemFees", "RefundCommission", -300, -20),
]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = int(sys.argv[1])
    out = sys.argv[2]
    sid = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--id" else "90000000001"
    rng = random.Random(42)
    total = 0
    with open(out, "w", newline="\n") as f:
        f.write("\t".join(HEADER) + "\n")
        # The summary row is written last into a placeholder of fixed width, after the sum is known.
        summary_at = f.tell()
        f.write(" " * 160 + "\n")
        for i in range(rows):
            tt, at, ad, lo, hi = KINDS[i % len(KINDS)]
            cents = rng.randint(lo, hi)
            total += cents
            day = 1 + (i * 14 // max(rows, 1))
            order = f"111-{i:07d}-{(i * 7919) % 10000000:07d}"
            amount = f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"
            f.write("\t".join([sid, "", "", "", "", "", tt, order, order, "", f"S{i % 997}", "Amazon.com", at, ad,
                               amount, "AFN", f"2024-10-{day:02d}", f"2024-10-{day:02d} 12:00:00 UTC", str(40000000000000 + i), f"MOI-{i}", "",
                               f"SKU-{i % 5000}", "1", ""]) + "\n")
        t = f"{'-' if total < 0 else ''}{abs(total) // 100}.{abs(total) % 100:02d}"
        summary = "\t".join([sid, "2024-10-01 00:00:00 UTC", "2024-10-15 00:00:00 UTC", "2024-10-17 00:00:00 UTC", t, "USD"]
                            + [""] * 18)
        f.seek(summary_at)
        f.write(summary.ljust(160))


if __name__ == "__main__":
    main()
