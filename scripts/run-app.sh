#!/usr/bin/env bash
# Launches the built app (target/release/flagshop-desktop). Unless STRIPE_API_BASE points it at
# a Stripe server already, it starts a local Stripe emulator (localstripe, empty, on a free port)
# for the app's test payments, and stops it when the app closes.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${STRIPE_API_BASE:-}" ]; then
  # --exit-with-stdin: the emulator leaves when this script does, however it ends.
  coproc EMULATOR {
    exec .venv/localstripe/bin/python scripts/localstripe_server.py --quiet --exit-with-stdin
  }
  read -r port <&"${EMULATOR[0]}"
  export STRIPE_API_BASE="http://127.0.0.1:$port"
  # localstripe takes any test key; these are the demo's own.
  export STRIPE_SECRET_KEY=sk_test_flagshop_demo
  export STRIPE_PUBLISHABLE_KEY=pk_test_flagshop_demo
  echo "Test payments: local Stripe emulator at $STRIPE_API_BASE"
fi

target/release/flagshop-desktop
