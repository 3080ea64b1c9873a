#!/usr/bin/env bash
# Fails when the UI computes a business rule the core decides (issue #16): what is left to
# refund, line totals, whether an order is paid or may move, low stock. The core sends those as
# facts and allowed actions (Order.actions, OrderLine.total, Order.net_payment, StockLevel.low,
# Variant.low, stockDirections); the UI shows them. Tests and their fakes are not checked.
set -euo pipefail
cd "$(dirname "$0")/../ui/src"

rules=(
  'arithmetic on amount_refunded:amount_refunded[[:space:]]*[-+*/]|[-+*/][[:space:]]*[[:alnum:]_.?]*amount_refunded'
  'a line total worked out:unit_price[[:space:]]*\*|\*[[:space:]]*[[:alnum:]_.?]*unit_price'
  'a payment status compared:payment_status[[:space:]]*[!=]=|[!=]=[[:space:]]*[[:alnum:]_.?]*payment_status|includes\([[:alnum:]_.?]*payment_status'
  'the low-stock rule:available[[:space:]]*<=?[[:space:]]*[[:alnum:]_.?]*low_stock_threshold'
)

failed=0
for rule in "${rules[@]}"; do
  what=${rule%%:*}
  pattern=${rule#*:}
  if hits=$(grep -rnE --include='*.ts' --include='*.svelte' \
      --exclude='*.test.ts' --exclude-dir=test --exclude-dir=bindings "$pattern" .); then
    echo "error: the UI decides what the core decides ($what):" >&2
    echo "$hits" | sed 's/^/  ui\/src\//' >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] && echo "ui rules: none computed in the UI"
exit "$failed"
