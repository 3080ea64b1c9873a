#!/usr/bin/env bash
# Launches the built app (target/release/flagshop-desktop). Unless STRIPE_API_BASE points it at
# a Stripe server already, it starts a local Stripe emulator (localstripe, empty, on a free port)
# for the app's test payments, and stops it when the app closes.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${STRIPE_API_BASE:-}" ]; then
  # --exit-with-stdin: the emulator leaves when this script does, however it ends.
  # FLAGSHOP_STRIPE_MODE=today: the emulator behaves as today's Stripe, and the app drives it so.
  today=()
  if [ "${FLAGSHOP_STRIPE_MODE:-}" = today ]; then
    today=(--today)
    export STRIPE_SERVER_KIND=stripe
  fi
  coproc EMULATOR {
    exec .venv/localstripe/bin/python scripts/localstripe_server.py --quiet --exit-with-stdin "${today[@]}"
  }
  read -r port <&"${EMULATOR[0]}"
  export STRIPE_API_BASE="http://127.0.0.1:$port"
  # localstripe takes any test key; these are the demo's own.
  export STRIPE_SECRET_KEY=sk_test_flagshop_demo
  export STRIPE_PUBLISHABLE_KEY=pk_test_flagshop_demo
  # The emulator delivers its events, signed, to the app's webhook listener.
  export STRIPE_WEBHOOK_SECRET=whsec_flagshop_demo
  STRIPE_WEBHOOK_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export STRIPE_WEBHOOK_PORT
  python3 - <<PY
import urllib.parse, urllib.request
form = {"url": "http://127.0.0.1:$STRIPE_WEBHOOK_PORT/", "secret": "$STRIPE_WEBHOOK_SECRET"}
urllib.request.urlopen("$STRIPE_API_BASE/_config/webhooks/flagshop",
                       urllib.parse.urlencode(form).encode(), timeout=20)
PY
  echo "Test payments: local Stripe emulator at $STRIPE_API_BASE"
fi

target/release/flagshop-desktop
