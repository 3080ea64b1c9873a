#!/usr/bin/env bash
# Exporting a 100,000-product catalogue as Shopify's product CSV, and importing it back: time
# and peak memory (maximum resident set, from /usr/bin/time -v) of the release CLI.
#
#   shop      the demo catalogue plus PRODUCTS copies of its products (`flagshop demo bulk`),
#             made once under WORK and kept;
#   export    `flagshop products export` of every product (images copied beside the file
#             once each: the copies share the demo's images);
#   dry run   `flagshop products import --dry-run` of that file into a blank shop.
#
# Goal (issue 12): the export stays under 200 MB RSS, however big the catalogue.
# Usage: scripts/bench-catalogue-csv.sh   Builds nothing: run `cargo build --release -p flagshop`
# first. Environment: CLI (default target/release/flagshop), PRODUCTS=100000,
# WORK=target/bench-catalogue-csv.
set -euo pipefail

cd "$(dirname "$0")/.."
CLI=${CLI:-$PWD/target/release/flagshop}
PRODUCTS=${PRODUCTS:-100000}
WORK=${WORK:-$PWD/target/bench-catalogue-csv}
SHOP=$WORK/shop-$PRODUCTS

if [ ! -f "$SHOP/shop.db" ]; then
    echo "making a shop of $PRODUCTS extra products in $SHOP (once)…"
    rm -rf "$SHOP"
    "$CLI" --data-dir "$SHOP" init >/dev/null
    "$CLI" --data-dir "$SHOP" demo bulk --products "$PRODUCTS"
fi

measure() { # what, then the command
    local what=$1 log
    shift
    log=$(mktemp)
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log"; rm -f "$log"; return 1; }
    awk -v what="$what" '
        /Elapsed \(wall clock\)/ { wall = $NF }
        /Maximum resident set size/ { rss = $NF }
        END { printf "%-28s %10s wall   %8.1f MB max RSS\n", what, wall, rss / 1024 }' "$log"
    rm -f "$log"
}

rm -rf "$WORK/out" "$WORK/blank"
mkdir -p "$WORK/out"
measure "export $(("$PRODUCTS" + 46)) products" \
    "$CLI" --data-dir "$SHOP" products export --out "$WORK/out/products.csv"
ls -l "$WORK/out/products.csv" | awk '{ printf "%-28s %10.1f MB\n", "file", $5 / 1e6 }'
"$CLI" --data-dir "$WORK/blank" init --blank >/dev/null
measure "dry run of that file" \
    "$CLI" --data-dir "$WORK/blank" products import --dry-run "$WORK/out/products.csv"
