#!/usr/bin/env bash
# The desktop app's start-up time and memory, on the release build under Xvfb (1280×800):
#
#   first start     an empty data dir: the app creates the shop and loads the demo catalogue
#                   (44 products on sale) before the window shows it;
#   existing shop   a shop made beforehand with the demo catalogue, 10,000 copies of its products
#                   (`flagshop demo bulk`) and every thumbnail already made (`flagshop media
#                   rebuild`), as a shop that has been opened before.
#
# "Start" is from the app process's start (its start time in /proc) to the first moment the
# catalogue grid is rendered with the images of the first screen loaded: at least 8 cards in the
# grid, and every image in the viewport (at least 4) complete — the e2e test's GRID_READY. The
# page is polled through WebDriver (tauri-driver + WebKitWebDriver) every 10 ms or so, and the
# page's own clock (performance.timeOrigin + now()) says when the condition first held. Each run
# has a fresh WebKit profile (XDG_DATA_HOME, XDG_CACHE_HOME, XDG_CONFIG_HOME in a temp dir).
#
# Memory: resident set (VmRSS) and proportional set (Pss, which shares shared pages out instead
# of counting them in every process) summed over the app and its children (WebKitWebProcess,
# WebKitNetworkProcess): 3 s after the grid is ready, and 3 s after scrolling a screen at a time
# (every 50 ms or so) from the first product to the last (existing shop only).
#
# Usage: scripts/bench-desktop.sh [RUNS]   (default 5; prints every run and the medians)
# Builds nothing: run `npm --prefix ui run build && cargo build --release -p flagshop-desktop
# -p flagshop` first. Environment: APP, CLI (the binaries; default target/release/...),
# PRODUCTS=10000 (copies in the existing shop), WORK=target/bench-desktop.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${1:-5}
APP=${APP:-$ROOT/target/release/flagshop-desktop}
CLI=${CLI:-$ROOT/target/release/flagshop}
PRODUCTS=${PRODUCTS:-10000}
WORK=${WORK:-$ROOT/target/bench-desktop}

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

for tool in Xvfb tauri-driver WebKitWebDriver python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
for bin in "$APP" "$CLI"; do
    [ -x "$bin" ] || { echo "error: $bin is missing; build the release first" >&2; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
SHOP=$WORK/shop-$PRODUCTS
log "making the existing shop: demo catalogue + $PRODUCTS products, thumbnails made"
"$CLI" --data-dir "$SHOP" init >/dev/null
"$CLI" --data-dir "$SHOP" demo bulk --products "$PRODUCTS" >&2
"$CLI" --data-dir "$SHOP" media rebuild >&2

log "$RUNS runs of each"
exec python3 - "$APP" "$SHOP" "$WORK" "$RUNS" <<'PY'
import json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

APP, SHOP, WORK, RUNS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
CLK_TCK = os.sysconf("SC_CLK_TCK")
BOOT = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime"))

GRID_READY = """
    const cards = document.querySelectorAll("ul[aria-label='Products'] > li");
    const seen = [...document.querySelectorAll('main img')].filter(img => {
        const r = img.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight;
    });
    return {
        ready: cards.length >= 8 && seen.length >= 4
            && seen.every(img => img.complete && img.naturalWidth > 0),
        now: performance.timeOrigin + performance.now(),
        origin: performance.timeOrigin,
    };"""

# One screen down, and where the list stands (as of the last frame: the page updates the grid on
# the scroll event, which comes with the next frame).
SCROLL = """
    scrollBy(0, innerHeight);
    const cards = document.querySelectorAll("ul[aria-label='Products'] > li");
    const last = cards[cards.length - 1];
    return {
        cards: cards.length,
        last: Number(last?.getAttribute('aria-posinset')),
        total: Number(last?.getAttribute('aria-setsize')),
        end: document.body.innerText.includes('That’s everything.'),
    };"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")["value"]
    except Exception as e:
        raise SystemExit(f"WebDriver {method} {path}: {e}")


def wait_listening(port, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def children():
    """Parent pid -> child pids, for every process."""
    tree = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            tree.setdefault(ppid, []).append(int(pid))
    return tree


def descendants(root):
    tree, out, todo = children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, []))
    return out


def name(pid):
    return open(f"/proc/{pid}/comm").read().strip()


def app_pid(driver_pid):
    deadline = time.time() + 10
    while time.time() < deadline:
        for pid in descendants(driver_pid):
            try:
                if name(pid) == os.path.basename(APP)[:15]:
                    return pid
            except OSError:
                pass
        time.sleep(0.01)
    raise SystemExit("the app process did not appear")


def started_at(pid):
    """The process's start, seconds since the epoch (to 1/CLK_TCK s)."""
    ticks = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
    return BOOT + ticks / CLK_TCK


def memory(pid):
    """(RSS MiB, PSS MiB, {process name: RSS MiB}) of the app and its children."""
    rss = pss = 0
    parts = {}
    for p in descendants(pid):
        try:
            status = dict(l.split(":", 1) for l in open(f"/proc/{p}/status"))
            r = int(status["VmRSS"].split()[0])
            s = sum(int(l.split()[1]) for l in open(f"/proc/{p}/smaps_rollup")
                    if l.startswith("Pss:"))
        except (OSError, KeyError):
            continue
        rss += r
        pss += s
        parts[name(p)] = parts.get(name(p), 0) + r / 1024
    return rss / 1024, pss / 1024, parts


def run(data_dir, scroll):
    profile = tempfile.mkdtemp(dir=WORK, prefix="profile-")
    port, native = free_port(), free_port()
    env = dict(os.environ, DISPLAY=DISPLAY, WEBKIT_DISABLE_DMABUF_RENDERER="1",
               WEBKIT_DISABLE_COMPOSITING_MODE="1", FLAGSHOP_DATA_DIR=data_dir,
               XDG_DATA_HOME=f"{profile}/data", XDG_CACHE_HOME=f"{profile}/cache",
               XDG_CONFIG_HOME=f"{profile}/config", RUST_LOG="warn")
    log = open(f"{profile}/tauri-driver.log", "w")
    driver = subprocess.Popen(["tauri-driver", "--port", str(port), "--native-port", str(native)],
                              env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        wait_listening(port)
        wait_listening(native)
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": APP}}}}
        session = request(port, "POST", "/session", caps, timeout=60)["sessionId"]
        pid = app_pid(driver.pid)
        start = started_at(pid)
        polls = 0
        deadline = time.time() + 60
        while True:
            state = request(port, "POST", f"/session/{session}/execute/sync",
                            {"script": GRID_READY, "args": []})
            polls += 1
            if state["ready"]:
                break
            if time.time() > deadline:
                raise SystemExit("the grid was not ready within 60 s")
            time.sleep(0.005)
        result = {
            "start_ms": state["now"] - start * 1000,
            "page_ms": state["origin"] - start * 1000,
            "ready_at_first_poll": polls == 1,
        }
        time.sleep(3)
        result["idle"] = memory(pid)
        if scroll:
            t0 = time.time()
            steps = 0
            most = 0
            while True:
                s = request(port, "POST", f"/session/{session}/execute/sync",
                            {"script": SCROLL, "args": []})
                steps += 1
                most = max(most, s["cards"])
                if s["end"] and s["last"] == s["total"]:
                    break
                if time.time() - t0 > 900:
                    raise SystemExit("scrolling did not reach the end within 15 min")
                time.sleep(0.05)
            result["scroll"] = {"seconds": time.time() - t0, "screens": steps,
                                "products": s["total"], "most_cards_in_dom": most}
            time.sleep(3)
            result["scrolled"] = memory(pid)
        try:
            request(port, "DELETE", f"/session/{session}")
        except Exception:
            pass
        return result
    finally:
        driver.send_signal(signal.SIGTERM)
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
        log.close()


def median(values):
    return statistics.median(values)


# A private X display.
number = next(n for n in range(140, 400) if not os.path.exists(f"/tmp/.X{n}-lock")
              and not os.path.exists(f"/tmp/.X11-unix/X{n}"))
DISPLAY = f":{number}"
xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        time.sleep(0.05)
    first, existing = [], []
    for i in range(RUNS):
        fresh = tempfile.mkdtemp(dir=WORK, prefix="fresh-shop-")
        r = run(fresh, scroll=False)
        shutil.rmtree(fresh)
        first.append(r)
        print(f"run {i + 1} first start:    {r['start_ms']:6.0f} ms (page from {r['page_ms']:4.0f} ms)"
              f"{' [ready at the first poll]' if r['ready_at_first_poll'] else ''};"
              f" idle RSS {r['idle'][0]:4.0f} MiB, PSS {r['idle'][1]:4.0f} MiB", flush=True)
        r = run(SHOP, scroll=True)
        existing.append(r)
        parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["scrolled"][2].items()))
        print(f"run {i + 1} existing shop:  {r['start_ms']:6.0f} ms (page from {r['page_ms']:4.0f} ms)"
              f"{' [ready at the first poll]' if r['ready_at_first_poll'] else ''};"
              f" idle RSS {r['idle'][0]:4.0f} MiB, PSS {r['idle'][1]:4.0f} MiB;"
              f" scrolled {r['scroll']['products']} products in {r['scroll']['seconds']:.0f} s"
              f" ({r['scroll']['screens']} screens, at most {r['scroll']['most_cards_in_dom']} cards"
              f" in the DOM): RSS {r['scrolled'][0]:4.0f} MiB, PSS {r['scrolled'][1]:4.0f} MiB"
              f" ({parts})", flush=True)
    print()
    print(f"median of {RUNS}:")
    print(f"  first start (new shop, demo loaded):   {median([r['start_ms'] for r in first]):6.0f} ms")
    print(f"  existing shop ({existing[0]['scroll']['products']} products on sale):"
          f" {median([r['start_ms'] for r in existing]):6.0f} ms")
    print(f"  idle, first start:     RSS {median([r['idle'][0] for r in first]):4.0f} MiB,"
          f" PSS {median([r['idle'][1] for r in first]):4.0f} MiB")
    print(f"  idle, existing shop:   RSS {median([r['idle'][0] for r in existing]):4.0f} MiB,"
          f" PSS {median([r['idle'][1] for r in existing]):4.0f} MiB")
    print(f"  after scrolling to the end: RSS {median([r['scrolled'][0] for r in existing]):4.0f} MiB,"
          f" PSS {median([r['scrolled'][1] for r in existing]):4.0f} MiB")
finally:
    xvfb.terminate()
    xvfb.wait()
PY
