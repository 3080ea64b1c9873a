#!/usr/bin/env bash
# Installs what Flagshop needs on a Debian/Ubuntu machine, and only what is missing, so it is
# safe to run again. Usage: scripts/setup.sh [run|test]
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-run}

# Debian packages: a C toolchain for the bundled SQLite, and WebKitGTK with friends for the
# desktop app (Tauri's Linux prerequisites).
packages=(build-essential pkg-config file libssl-dev libwebkit2gtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
# The Stripe emulator (localstripe) the demo and the payment tests use lives in a Python venv.
packages+=(python3 python3-venv)
if [ "$purpose" = test ]; then
  # The end-to-end test: a headless X server, WebKit's WebDriver, `import` for screenshots,
  # and xdotool to press the menu bar's shortcuts as a keyboard would.
  packages+=(xvfb xauth webkit2gtk-driver imagemagick xdotool)
  # The PostgreSQL reservation prototype (prototypes/postgres-reservations) starts a
  # throwaway cluster with Debian's server binaries.
  packages+=(postgresql)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing; install it from https://rustup.rs and run again" >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "setup: Node.js 20 or newer (with npm) is missing; install it from https://nodejs.org and run again" >&2
  exit 1
fi
if [ "$purpose" = test ]; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
  if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked
  fi
fi
# localstripe, the Stripe emulator the demo and the payment tests start, in .venv/localstripe.
scripts/localstripe.sh

# The UI's packages, exactly as locked, whenever the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  npm ci --prefix ui --no-audit --no-fund
fi
