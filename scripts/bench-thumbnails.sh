#!/usr/bin/env bash
# Thumbnail throughput, side by side, in one run on the same files:
#   flagshop media thumb   (one process, rayon over files)
#   vipsthumbnail          (libvips; one process over all files with vips' own threads, and
#                           small batches in parallel processes with xargs -P: the faster of
#                           the two is the reference)
#   convert -thumbnail     (ImageMagick 6, one process per file in parallel with xargs -P; and
#                           for reference with -define jpeg:size=, its shrink-on-load hint)
#
# Inputs are real photographs shipped in scikit-image's data module, upscaled to 4000×3000 with
# phone-like sensor grain and saved as JPEG q90 (Pillow), plus 2000×2000 PNG cut-outs with a soft
# circular alpha mask. They are made under target/bench-thumbs/input and never committed.
#
# Every tool writes what flagshop writes: JPEG at quality 85 for the photos, PNG for the
# cut-outs (which have transparency).
#
# Usage: scripts/bench-thumbnails.sh
# Environment: WIDTHS="480 160" (default 480), RUNS=3 (timed runs; the best is kept),
#              JPEGS=24 PNGS=8 (the image set), JOBS=$(nproc) (parallel processes for xargs),
#              VIPS_BATCH=4 (files per vipsthumbnail process under xargs).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/target/bench-thumbs
INPUT=$WORK/input
OUT=$WORK/out
VENV=$ROOT/target/bench-venv
WIDTHS=${WIDTHS:-480}
RUNS=${RUNS:-3}
JPEGS=${JPEGS:-24}
PNGS=${PNGS:-8}
JOBS=${JOBS:-$(nproc)}
VIPS_BATCH=${VIPS_BATCH:-4}

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# --- tools, installed only when missing -------------------------------------------------------
# ImageMagick's own binary, not a wrapper that may stand in front of it on PATH.
IM_CONVERT=/usr/bin/convert-im6.q16
missing=()
command -v vipsthumbnail >/dev/null || missing+=(libvips-tools)
[ -x "$IM_CONVERT" ] || missing+=(imagemagick)
[ -x /usr/bin/time ] || missing+=(time)
command -v hyperfine >/dev/null || missing+=(hyperfine)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! "$VENV/bin/python" -c 'import skimage, PIL' 2>/dev/null; then
    log "creating $VENV with scikit-image and Pillow"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q scikit-image pillow
fi
PY=$VENV/bin/python

# --- the image set -----------------------------------------------------------------------------
stamp="$INPUT/.set-$JPEGS-$PNGS-v2"
if [ ! -e "$stamp" ]; then
    log "making $JPEGS JPEGs (4000×3000 q90) and $PNGS PNGs (2000×2000 with alpha) in $INPUT"
    rm -rf "$INPUT"
    mkdir -p "$INPUT"
    "$PY" - "$INPUT" "$JPEGS" "$PNGS" <<'EOF'
import sys
import numpy as np
from PIL import Image, ImageEnhance, ImageOps
from skimage import data

out, jpegs, pngs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Colour photographs that ship inside scikit-image (no download).
names = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "retina",
         "immunohistochemistry"]
photos = [(n, Image.fromarray(getattr(data, n)()).convert("RGB")) for n in names]
rng = np.random.default_rng(20261127)

def crop_to(img, aspect, variant):
    """A crop of the given aspect, shifted by variant so each copy is a different picture."""
    w, h = img.size
    if w / h > aspect:
        cw, ch = int(h * aspect), h
    else:
        cw, ch = w, int(w / aspect)
    cw, ch = int(cw * (1 - 0.08 * (variant % 2))), int(ch * (1 - 0.08 * (variant % 2)))
    x = (w - cw) * ((variant * 37) % 100) // 100
    y = (h - ch) * ((variant * 61) % 100) // 100
    return img.crop((x, y, x + cw, y + ch))

def vary(img, variant):
    if variant % 2:
        img = ImageOps.mirror(img)
    img = ImageEnhance.Color(img).enhance(0.85 + 0.1 * (variant % 4))
    return ImageEnhance.Brightness(img).enhance(0.92 + 0.05 * (variant % 3))

def grain(img, sigma):
    """Sensor-like noise: an upscaled small photo is far smoother than a phone's 12 MP frame."""
    a = np.asarray(img, dtype=np.float32)
    luma = rng.normal(0, sigma, a.shape[:2])[..., None]
    chroma = rng.normal(0, sigma / 2, a.shape)
    return Image.fromarray(np.clip(a + luma + chroma, 0, 255).astype(np.uint8))

for i in range(jpegs):
    name, src = photos[i % len(photos)]
    variant = i // len(photos)
    img = vary(crop_to(src, 4 / 3, variant), variant).resize((4000, 3000), Image.LANCZOS)
    path = f"{out}/photo-{i:02d}-{name}.jpg"
    grain(img, 5.0).save(path, quality=90)

size = 2000
yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
d = np.hypot(xx + 0.5 - size / 2, yy + 0.5 - size / 2) / (size / 2)
mask = Image.fromarray((np.clip((0.95 - d) / 0.15, 0, 1) * 255).astype(np.uint8))
for i in range(pngs):
    name, src = photos[(i + 3) % len(photos)]
    img = vary(crop_to(src, 1.0, i), i).resize((size, size), Image.LANCZOS)
    img = grain(img, 2.0).convert("RGBA")
    img.putalpha(mask)
    img.save(f"{out}/cutout-{i:02d}-{name}.png")
EOF
    touch "$stamp"
fi
mapfile -t FILES < <(find "$INPUT" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | sort)
N=${#FILES[@]}
log "$N input files, $(du -sh "$INPUT" | cut -f1) in all"

# --- our binary --------------------------------------------------------------------------------
log "cargo build --release --bin flagshop"
cargo build --release --quiet --bin flagshop
FLAGSHOP=$ROOT/target/release/flagshop

# --- helpers that run one file each (for xargs -P) ---------------------------------------------
mkdir -p "$WORK/bin"
# vipsthumbnail over a few files: JPEG q85 for photos, PNG for cut-outs; one vips worker thread
# per process, since xargs -P already keeps every core busy. Batches of VIPS_BATCH files spread
# the start-up of a vips process (tens of ms) while xargs still balances the load.
cat >"$WORK/bin/vips-some" <<'EOF'
#!/bin/sh
out=$1 width=$2; shift 2
jpgs= pngs=
for f; do
    case $f in
        *.png) pngs="$pngs $f" ;;
        *) jpgs="$jpgs $f" ;;
    esac
done
export VIPS_CONCURRENCY=1
# The lists are split on purpose: the bench paths have no spaces.
if [ -n "$jpgs" ]; then vipsthumbnail $jpgs --size "${width}x" -o "$out/%s.jpg[Q=85]"; fi
if [ -n "$pngs" ]; then vipsthumbnail $pngs --size "${width}x" -o "$out/%s.png"; fi
EOF
cat >"$WORK/bin/im-one" <<EOF
#!/bin/sh
out=\$1 width=\$2; shift 2
for f; do
    base=\$(basename "\$f"); stem=\${base%.*}
    case \$f in
        *.png) dest="\$out/\$stem.png" ;;
        *) dest="\$out/\$stem.jpg" ;;
    esac
    # With IM_JPEG_SIZE=1, tell the JPEG decoder the size wanted so libjpeg scales while
    # decoding (ImageMagick's own shrink-on-load); plain \`convert -thumbnail\` does not.
    hint=
    case \$f in *.jpg) [ -n "\${IM_JPEG_SIZE:-}" ] && hint="-define jpeg:size=\$((width * 2))x" ;; esac
    MAGICK_THREAD_LIMIT=1 $IM_CONVERT \$hint "\$f" -thumbnail "\${width}x" -quality 85 "\$dest"
done
EOF
chmod +x "$WORK/bin/vips-some" "$WORK/bin/im-one"

LIST=$WORK/files.txt
printf '%s\n' "${FILES[@]}" >"$LIST"
JPG_FILES=$(grep '\.jpg$' "$LIST" | tr '\n' ' ')
PNG_FILES=$(grep '\.png$' "$LIST" | tr '\n' ' ')

# name|command (the command writes into $OUT/<key>, which each run starts empty)
commands() {
    local w=$1
    echo "flagshop|$FLAGSHOP media thumb --width $w --out-dir $OUT/flagshop ${FILES[*]} >/dev/null"
    echo "vips-batch|vipsthumbnail $JPG_FILES --size ${w}x -o '$OUT/vips-batch/%s.jpg[Q=85]' && vipsthumbnail $PNG_FILES --size ${w}x -o '$OUT/vips-batch/%s.png'"
    echo "vips-xargs|xargs -a $LIST -n $VIPS_BATCH -P $JOBS $WORK/bin/vips-some $OUT/vips-xargs $w"
    echo "magick-xargs|xargs -a $LIST -n 1 -P $JOBS $WORK/bin/im-one $OUT/magick-xargs $w"
    echo "magick-hint|IM_JPEG_SIZE=1 xargs -a $LIST -n 1 -P $JOBS $WORK/bin/im-one $OUT/magick-hint $w"
}

label() {
    case $1 in
        flagshop) echo "flagshop media thumb (rayon, 1 process)" ;;
        vips-batch) echo "vipsthumbnail (1 process, vips threads)" ;;
        vips-xargs) echo "vipsthumbnail (xargs -P$JOBS, $VIPS_BATCH files each)" ;;
        magick-xargs) echo "convert -thumbnail (xargs -P$JOBS, 1 file each)" ;;
        magick-hint) echo "convert -define jpeg:size=… -thumbnail (xargs -P$JOBS)" ;;
    esac
}

peak_rss_mb() {
    # The largest single process: with xargs -P, $JOBS such processes run at once.
    /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }'
}

log "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for w in $WIDTHS; do
    results=$WORK/results-$w.txt
    : >"$results"
    while IFS='|' read -r key cmd; do
        log "width $w: $(label "$key")"
        prep="rm -rf $OUT/$key && mkdir -p $OUT/$key"
        hyperfine --style basic --command-name "$key" --warmup 1 --runs "$RUNS" --prepare "$prep" \
            --export-json "$WORK/$key-$w.json" "$cmd" >&2
        made=$(find "$OUT/$key" -type f | wc -l)
        [ "$made" = "$N" ] || { echo "$key wrote $made of $N thumbnails" >&2; exit 1; }
        eval "$prep"
        rss=$(peak_rss_mb "$cmd")
        best=$("$PY" -c 'import json,sys; print(min(json.load(open(sys.argv[1]))["results"][0]["times"]))' "$WORK/$key-$w.json")
        echo "$key $best $rss" >>"$results"
    done < <(commands "$w")

    echo
    echo "Width $w px, $N files ($(grep -c "\.jpg$" "$LIST") JPEG 4000×3000 q90, $(grep -c "\.png$" "$LIST") PNG 2000×2000 RGBA), best of $RUNS:"
    "$PY" - "$results" "$N" "$JOBS" "$VIPS_BATCH" <<'EOF'
import sys
path, n, jobs, batch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = {}
for line in open(path):
    key, best, rss = line.split()
    rows[key] = (float(best), int(rss))
labels = {
    "flagshop": "flagshop media thumb (rayon, 1 process)",
    "vips-batch": "vipsthumbnail (1 process, vips threads)",
    "vips-xargs": f"vipsthumbnail (xargs -P{jobs}, {batch} files each)",
    "magick-xargs": f"convert -thumbnail (xargs -P{jobs}, 1 file each)",
    "magick-hint": f"convert -define jpeg:size=… -thumbnail (xargs -P{jobs})",
}
rate = {k: n / t for k, (t, _) in rows.items()}
vips = max(rate["vips-batch"], rate["vips-xargs"])
magick = rate["magick-xargs"]
print("| tool | time (s) | images/s | × best vipsthumbnail | × ImageMagick | peak RSS (MB) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for k, (t, rss) in rows.items():
    print(f"| {labels[k]} | {t:.2f} | {rate[k]:.1f} | {rate[k] / vips:.2f} | {rate[k] / magick:.2f} | {rss} |")
ours = rate["flagshop"]
print()
print(f"flagshop: {ours / vips:.2f}× the best vipsthumbnail (goal ≥ 1), "
      f"{ours / magick:.2f}× ImageMagick (goal ≥ 3).")
print("Peak RSS is the largest single process; with xargs -P that many run at once.")
print("× ImageMagick is against plain `convert -thumbnail`, as the goal is stated.")
EOF
done
