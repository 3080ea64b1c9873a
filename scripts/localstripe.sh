#!/usr/bin/env bash
# Installs localstripe (a third-party Stripe-compatible test server, from PyPI) into
# .venv/localstripe, only if it is not there yet, so it is safe to run again.
# Start it with: .venv/localstripe/bin/python scripts/localstripe_server.py [--port PORT]
set -euo pipefail
cd "$(dirname "$0")/.."

# The version whose behaviour ../shared/notes/stripe.md describes and the tests rely on.
version=1.15.10
venv=.venv/localstripe

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import localstripe' >/dev/null 2>&1 \
  && [ "$("$venv/bin/python" -m pip show localstripe 2>/dev/null | sed -n 's/^Version: //p')" = "$version" ]; then
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "localstripe: python3 is missing; install it (Debian: python3 python3-venv) and run again" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "localstripe: creating $venv"
  python3 -m venv "$venv"
fi
echo "localstripe: installing localstripe $version into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "localstripe==$version"
