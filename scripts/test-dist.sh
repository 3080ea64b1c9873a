#!/usr/bin/env bash
# The package as an owner gets it. Checks the .deb that `make dist` made: its contents (the
# app, the flagshop CLI, the .desktop entry in Office;Finance, icons in every size, the
# WebKitGTK dependencies) and its version against the CLI's. As root (as in CI) it then
# installs it with apt-get, starts flagshop-desktop from PATH under Xvfb with a fresh HOME
# (never the tester's own shop), waits for the window and the demo shop it creates, removes
# the package, and checks that the shop's data is still there. Without root it says so and
# stops after the contents.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/target/dist
mkdir -p "$out"

deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || { echo "test-dist: no .deb in target/release/bundle/deb: run make dist" >&2; exit 1; }
echo "test-dist: $deb"
fail() { echo "test-dist: FAILED: $*" >&2; exit 1; }

package=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
depends=$(dpkg-deb -f "$deb" Depends)
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ "$version" = "$cargo_version" ] || fail "package version $version is not Flagshop's $cargo_version"
grep -q libwebkit2gtk-4.1 <<<"$depends" || fail "Depends lacks WebKitGTK: $depends"

# Paths as absolute ones, whether the archive writes them as ./usr/… or usr/….
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|^\([^/]\)|/\1|')
for path in /usr/bin/flagshop-desktop /usr/bin/flagshop; do
  grep -qx "$path" <<<"$contents" || fail "$path is not in the package"
done
for size in 32x32 64x64 128x128 256x256@2 512x512; do
  grep -q "/usr/share/icons/hicolor/${size%@2}" <<<"$contents" \
    || grep -q "/usr/share/icons/hicolor/${size}" <<<"$contents" \
    || fail "no ${size} icon"
done
desktop=$(grep '^/usr/share/applications/.*\.desktop$' <<<"$contents" | head -1)
[ -n "$desktop" ] || fail "no .desktop entry"
entry=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*${desktop#/}")
grep -q '^Categories=.*Office' <<<"$entry" || fail "the .desktop entry is not in Office: $entry"
grep -q '^Categories=.*Finance' <<<"$entry" || fail "the .desktop entry is not in Finance: $entry"
grep -q '^Exec=flagshop-desktop' <<<"$entry" || fail "the .desktop entry does not start flagshop-desktop"
echo "test-dist: contents ok ($package $version; depends: $depends)"

if [ "$(id -u)" -ne 0 ]; then
  echo "test-dist: not root, so the package was not installed: its contents were checked with dpkg-deb only"
  exit 0
fi

apt-get install -y -qq "./$deb" >/dev/null
command -v flagshop-desktop >/dev/null || fail "flagshop-desktop is not on PATH after installing"
[ "$(flagshop --version)" = "flagshop $version" ] || fail "flagshop --version says $(flagshop --version)"

home=$(mktemp -d)
display=:$((200 + RANDOM % 200))
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=
cleanup() {
  [ -n "$app" ] && kill "$app" 2>/dev/null || true
  kill "$xvfb" 2>/dev/null || true
}
trap cleanup EXIT
sleep 1
( cd "$home" && env -i PATH="$PATH" HOME="$home" DISPLAY="$display" \
    WEBKIT_DISABLE_DMABUF_RENDERER=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 \
    flagshop-desktop >"$out/app.log" 2>&1 ) &
app=$!
shop="$home/.local/share/flagshop"
for _ in $(seq 1 120); do
  if [ -f "$shop/shop.db" ] && DISPLAY="$display" xdotool search --name '^Flagshop$' >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
[ -f "$shop/shop.db" ] || fail "the app made no shop in $shop (see $out/app.log)"
DISPLAY="$display" xdotool search --name '^Flagshop$' >/dev/null || fail "no Flagshop window"
products=$(HOME="$home" flagshop products list --json | grep -c '"handle"')
[ "$products" -ge 40 ] || fail "the installed app's shop has $products products, not the demo"
sleep 4 # the first screen's images
import -display "$display" -window root "$out/installed-app.png"
echo "test-dist: the installed app opened its demo shop ($products products); see $out/installed-app.png"

kill "$app"; wait "$app" 2>/dev/null || true; app=
apt-get remove -y -qq "$package" >/dev/null
! command -v flagshop-desktop >/dev/null || fail "flagshop-desktop is still on PATH after removing the package"
[ -f "$shop/shop.db" ] || fail "removing the package removed the shop"
echo "test-dist: removed the package; the shop's data is still in $shop"
