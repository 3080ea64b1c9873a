//! How long one 480-px thumbnail takes, through the same call as `flagshop media thumb`
//! (read the file, check it, decode, resize, encode, write atomically).
//!
//! The inputs are made here rather than committed: a 4000×3000 photo-like JPEG at quality 90
//! (a phone photo), a 2000×2000 PNG with a soft alpha edge (a cut-out), and the Snake Island
//! flag SVG from `assets/images`. Run with `cargo bench --bench thumbnails`; the side-by-side
//! comparison with vipsthumbnail and ImageMagick on real photographs is
//! `scripts/bench-thumbnails.sh`.

use std::hint::black_box;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use flagshop::MediaLimits;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

const WIDTH: u32 = 480;

/// A cheap deterministic noise source (xorshift), so the pictures carry sensor-like grain and
/// the codecs work about as hard as on a real photo.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn grain(&mut self) -> i32 {
        (self.next() % 13) as i32 - 6
    }
}

fn clamp(v: f32) -> u8 {
    v.clamp(0.0, 255.0) as u8
}

/// A photo-like scene: a sky gradient, a horizon, soft blobs, hard edges and grain.
fn photo(width: u32, height: u32) -> RgbImage {
    let mut noise = Noise(0x9E37_79B9);
    let (w, h) = (width as f32, height as f32);
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let mut rgb = if fy < 0.55 {
            [90.0 + 120.0 * fy, 140.0 + 80.0 * fy, 230.0 - 40.0 * fy]
        } else {
            let ripple = (fx * 40.0 + fy * 90.0).sin() * 18.0;
            [60.0 + ripple, 110.0 + 60.0 * fy + ripple, 50.0]
        };
        // A few soft round shapes (leaves, faces) and a sharp-edged block (a building).
        for (cx, cy, r, tint) in [
            (0.3, 0.5, 0.12, [200.0, 80.0, 60.0]),
            (0.7, 0.35, 0.08, [240.0, 220.0, 90.0]),
            (0.55, 0.75, 0.15, [120.0, 70.0, 160.0]),
        ] {
            let d = ((fx - cx).powi(2) + (fy - cy).powi(2) * 0.56).sqrt() / r;
            if d < 1.0 {
                let k = 1.0 - d * d;
                for c in 0..3 {
                    rgb[c] = rgb[c] * (1.0 - k) + tint[c] * k;
                }
            }
        }
        if (0.8..0.9).contains(&fx) && (0.2..0.7).contains(&fy) {
            let stripe = if (y / 24) % 2 == 0 { 40.0 } else { 0.0 };
            rgb = [180.0 - stripe, 180.0 - stripe, 175.0 - stripe];
        }
        let g = noise.grain() as f32;
        Rgb([clamp(rgb[0] + g), clamp(rgb[1] + g), clamp(rgb[2] + g)])
    })
}

/// A photo cut out with a soft circular alpha mask, as a shop owner's product PNG.
fn cut_out(size: u32) -> RgbaImage {
    let base = photo(size, size);
    let r = size as f32 / 2.0;
    RgbaImage::from_fn(size, size, |x, y| {
        let d = ((x as f32 + 0.5 - r).powi(2) + (y as f32 + 0.5 - r).powi(2)).sqrt() / r;
        let alpha = ((0.95 - d) / 0.15).clamp(0.0, 1.0);
        let [red, green, blue] = base.get_pixel(x, y).0;
        Rgba([red, green, blue, (alpha * 255.0) as u8])
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a bench input");
    path
}

fn inputs(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&photo(4000, 3000))
        .expect("encode the photo");
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(cut_out(2000))
        .write_to(&mut png, ImageFormat::Png)
        .expect("encode the cut-out");
    let svg = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/images/ua-snake-island.svg");
    vec![
        ("jpeg_4000x3000_q90", write(dir, "photo.jpg", &jpeg)),
        (
            "png_2000x2000_alpha",
            write(dir, "cut-out.png", png.get_ref()),
        ),
        ("svg_ua_snake_island", svg),
    ]
}

fn thumbnails(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("the output directory");
    let limits = MediaLimits::default();
    let mut group = c.benchmark_group(format!("thumbnail_{WIDTH}"));
    // Each photo takes tens of milliseconds: flat sampling fits 10 samples in the short window.
    group.sampling_mode(SamplingMode::Flat);
    for (name, input) in inputs(dir.path()) {
        group.bench_function(name, |b| {
            b.iter(|| {
                flagshop::media::thumbnail_file(black_box(&input), WIDTH, &out, &limits)
                    .expect("a thumbnail")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = thumbnails
}
criterion_main!(benches);
