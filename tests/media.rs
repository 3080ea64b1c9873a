//! Images through the real codecs: import, validation of hostile files, thumbnails.

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{blank_shop, flag, variant};
use flagshop::{Error, MediaError, MediaLimits, Shop, THUMB_WIDTHS};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A photo-like picture: smooth gradients with some texture, so codecs work as on a photo.
fn photo(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let t = ((x * 7 + y * 13) % 31) as u8;
        Rgb([
            (x * 255 / width) as u8 ^ t,
            (y * 255 / height) as u8,
            128 + t,
        ])
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(
        &DynamicImage::ImageRgb8(photo(width, height)),
        ImageFormat::Jpeg,
    )
}

/// A white disc on a fully transparent (black) background.
fn disc_png(size: u32) -> Vec<u8> {
    let r = size as f32 / 2.0;
    let image = RgbaImage::from_fn(size, size, |x, y| {
        let d = ((x as f32 + 0.5 - r).powi(2) + (y as f32 + 0.5 - r).powi(2)).sqrt();
        if d < r * 0.8 {
            Rgba([255, 255, 255, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    encode(&DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

/// Inserts an EXIF APP1 segment with the given orientation right after a JPEG's SOI marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD right after the header
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A tiny PNG whose header claims 100000×100000 pixels: a decompression bomb's calling card.
fn bomb_png() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn shop_with_product() -> (tempfile::TempDir, Shop) {
    let (dir, shop) = blank_shop();
    shop.create_product(&flag(
        "pl",
        "Poland",
        vec![variant("PL", &["3x5 ft"], 100, 1)],
    ))
    .unwrap();
    (dir, shop)
}

/// Every file under the data directory's media store, with its contents.
fn media_files(shop: &Shop) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&shop.data_dir().join("media"), &mut out);
    out
}

fn thumb(bytes: &[u8], name: &str, width: u32) -> (PathBuf, DynamicImage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), name, bytes);
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let result =
        flagshop::media::thumbnail_file(&input, width, &out, &MediaLimits::default()).unwrap();
    let image = image::open(&result.output).unwrap();
    assert_eq!(
        (image.width(), image.height()),
        (result.width, result.height)
    );
    (result.output, image, dir)
}

#[test]
fn each_accepted_format_imports_with_its_size() {
    let (dir, shop) = shop_with_product();
    let gif = {
        let mut out = Vec::new();
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        for colour in [[200, 0, 0, 255], [0, 0, 200, 255]] {
            let frame = RgbaImage::from_pixel(30, 20, Rgba(colour));
            encoder.encode_frame(image::Frame::new(frame)).unwrap();
        }
        drop(encoder);
        out
    };
    let files = [
        write(dir.path(), "a.jpg", &jpeg(64, 48)),
        write(dir.path(), "b.png", &disc_png(40)),
        write(
            dir.path(),
            "c.webp",
            &encode(&DynamicImage::ImageRgb8(photo(50, 25)), ImageFormat::WebP),
        ),
        write(dir.path(), "d.gif", &gif),
        write(
            dir.path(),
            "e.svg",
            br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200"><rect width="300" height="200" fill="#0057b7"/></svg>"##,
        ),
    ];
    let product = shop
        .add_product_images("pl", &files, "Poland flag")
        .unwrap();
    let sizes: Vec<(u32, u32)> = product.images.iter().map(|i| (i.width, i.height)).collect();
    assert_eq!(
        sizes,
        [(64, 48), (40, 40), (50, 25), (30, 20), (2400, 1600)]
    );
    assert!(product.images.iter().all(|i| i.alt == "Poland flag"));
    for image in &product.images {
        for width in THUMB_WIDTHS {
            let t = shop.thumbnail(&image.hash, width).unwrap();
            assert!(t.path.is_file());
        }
    }
}

#[test]
fn gif_thumbnails_show_the_first_frame() {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        for colour in [[200, 0, 0, 255], [0, 0, 200, 255]] {
            let frame = RgbaImage::from_pixel(30, 20, Rgba(colour));
            encoder.encode_frame(image::Frame::new(frame)).unwrap();
        }
    }
    let (_, image, _dir) = thumb(&out, "anim.gif", 15);
    let p = image.to_rgb8().get_pixel(7, 5).0;
    assert!(p[0] > 150 && p[2] < 60, "first frame is red, got {p:?}");
}

#[test]
fn thumbnail_keeps_the_aspect_ratio_at_the_requested_width() {
    let (path, image, _dir) = thumb(&jpeg(1600, 1200), "photo.jpg", 400);
    assert_eq!((image.width(), image.height()), (400, 300));
    assert_eq!(path.file_name().unwrap(), "photo.jpg");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "an ordinary, readable file");
    }
    assert_eq!(
        image::guess_format(&std::fs::read(&path).unwrap()).unwrap(),
        ImageFormat::Jpeg
    );
}

#[test]
fn small_images_are_never_enlarged() {
    let (_, image, _dir) = thumb(&jpeg(100, 50), "small.jpg", 400);
    assert_eq!((image.width(), image.height()), (100, 50));
}

#[test]
fn exif_orientation_is_applied() {
    // Stored 300×200, left half red and right half blue; orientation 6 means "turn 90° clockwise
    // to display", so the displayed image is 200×300 with red on top.
    let stored = RgbImage::from_fn(300, 200, |x, _| {
        if x < 150 {
            Rgb([220, 0, 0])
        } else {
            Rgb([0, 0, 220])
        }
    });
    let bytes = with_exif_orientation(
        &encode(&DynamicImage::ImageRgb8(stored), ImageFormat::Jpeg),
        6,
    );
    let (_, image, _dir) = thumb(&bytes, "turned.jpg", 100);
    assert_eq!((image.width(), image.height()), (100, 150));
    let rgb = image.to_rgb8();
    let top = rgb.get_pixel(50, 10).0;
    let bottom = rgb.get_pixel(50, 140).0;
    assert!(top[0] > 150 && top[2] < 80, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 80,
        "bottom should be blue: {bottom:?}"
    );

    let (dir, shop) = shop_with_product();
    let file = write(dir.path(), "turned.jpg", &bytes);
    let product = shop.add_product_images("pl", &[file], "").unwrap();
    assert_eq!(
        (product.images[0].width, product.images[0].height),
        (200, 300)
    );
}

#[test]
fn transparency_is_kept_without_dark_edges() {
    let (path, image, _dir) = thumb(&disc_png(400), "disc.png", 100);
    assert_eq!(path.extension().unwrap(), "png");
    let rgba = image.to_rgba8();
    assert_eq!(rgba.get_pixel(0, 0).0[3], 0, "corners stay transparent");
    assert_eq!(rgba.get_pixel(50, 50).0, [255, 255, 255, 255]);
    // Edge pixels are partly transparent; without premultiplied alpha the black of the
    // transparent pixels would bleed in and make them grey.
    let edges: Vec<[u8; 4]> = rgba
        .pixels()
        .map(|p| p.0)
        .filter(|p| p[3] > 20 && p[3] < 235)
        .collect();
    assert!(!edges.is_empty(), "the disc has soft edges");
    for p in edges {
        assert!(
            p[0] > 230 && p[1] > 230 && p[2] > 230,
            "dark edge pixel {p:?}"
        );
    }
}

#[test]
fn opaque_png_becomes_a_jpeg_thumbnail() {
    let png = encode(
        &DynamicImage::ImageRgba8(RgbaImage::from_pixel(50, 50, Rgba([9, 9, 9, 255]))),
        ImageFormat::Png,
    );
    let (path, _, _dir) = thumb(&png, "opaque.png", 20);
    assert_eq!(path.extension().unwrap(), "jpg");
}

#[test]
fn the_same_input_gives_byte_identical_thumbnails() {
    let bytes = jpeg(900, 600);
    let (a, _, _d1) = thumb(&bytes, "p.jpg", 480);
    let (b, _, _d2) = thumb(&bytes, "p.jpg", 480);
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    let svg = include_bytes!("../assets/images/ua-snake-island.svg");
    let (a, image, _d3) = thumb(svg, "f.svg", 160);
    let (b, _, _d4) = thumb(svg, "f.svg", 160);
    assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    assert_eq!((image.width(), image.height()), (160, 107));
}

fn refusal(bytes: &[u8], name: &str) -> MediaError {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), name, bytes);
    flagshop::media::thumbnail_file(&input, 160, dir.path(), &MediaLimits::default()).unwrap_err()
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let err = refusal(&bomb_png(), "bomb.png");
    assert!(
        matches!(
            err,
            MediaError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("bomb.png: 100000×100000 pixels is more than the limit of 50000000 pixels"),
        "{err}"
    );
}

#[test]
fn truncated_and_corrupt_files_are_errors_not_panics() {
    let whole = jpeg(400, 300);
    let err = refusal(&whole[..whole.len() / 2], "cut.jpg");
    assert!(
        matches!(err, MediaError::Corrupt { format: "JPEG", .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("cut.jpg: corrupt or truncated JPEG image"),
        "{err}"
    );

    let mut png = encode(&DynamicImage::ImageRgb8(photo(200, 200)), ImageFormat::Png);
    let middle = png.len() / 2;
    for b in &mut png[middle..middle + 64] {
        *b = !*b;
    }
    let err = refusal(&png, "broken.png");
    assert!(
        matches!(err, MediaError::Corrupt { format: "PNG", .. }),
        "{err}"
    );

    let err = refusal(b"\x89PNG\r\n\x1a\n", "header-only.png");
    assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");
}

#[test]
fn a_text_file_named_jpg_is_not_an_image() {
    let err = refusal(b"these are my notes, not a photo\n", "notes.jpg");
    assert!(matches!(err, MediaError::NotAnImage { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("notes.jpg: not an image (expected JPEG, PNG, WebP, GIF or SVG)")
    );
    let err = refusal(b"<svg><unclosed", "bad.svg");
    assert!(
        matches!(err, MediaError::Corrupt { format: "SVG", .. }),
        "{err}"
    );
}

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "big.jpg", &jpeg(64, 64));
    let limits = MediaLimits {
        max_bytes: 100,
        ..MediaLimits::default()
    };
    let err = flagshop::media::thumbnail_file(&input, 32, dir.path(), &limits).unwrap_err();
    assert!(
        matches!(err, MediaError::TooLarge { limit: 100, .. }),
        "{err}"
    );
}

#[test]
fn the_same_photo_imported_twice_is_stored_once() {
    let (dir, shop) = shop_with_product();
    let bytes = jpeg(120, 80);
    let a = write(dir.path(), "a.jpg", &bytes);
    let b = write(dir.path(), "copy-of-a.jpg", &bytes);
    shop.add_product_images("pl", std::slice::from_ref(&a), "")
        .unwrap();
    let product = shop.add_product_images("pl", &[b, a], "").unwrap();
    assert_eq!(product.images.len(), 1);
    let originals: Vec<_> = media_files(&shop)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains("originals"))
        .collect();
    assert_eq!(originals.len(), 1);
}

#[test]
fn a_failed_import_changes_nothing() {
    let (dir, shop) = shop_with_product();
    shop.add_product_images("pl", &[write(dir.path(), "first.png", &disc_png(30))], "")
        .unwrap();
    let images_before = shop.product("pl").unwrap().images;
    let files_before = media_files(&shop);

    let good = write(dir.path(), "good.jpg", &jpeg(80, 60));
    let bad = write(dir.path(), "bad.jpg", b"not an image at all");
    let err = shop
        .add_product_images("pl", &[good.clone(), bad], "")
        .unwrap_err();
    assert!(
        matches!(err, Error::Media(MediaError::NotAnImage { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("bad.jpg"), "{err}");
    assert_eq!(shop.product("pl").unwrap().images, images_before);
    assert_eq!(media_files(&shop), files_before);

    let err = shop.add_product_images("nope", &[good], "").unwrap_err();
    assert!(matches!(err, Error::UnknownProduct(_)));
    assert_eq!(media_files(&shop), files_before);
}

#[test]
fn thumbnails_are_made_once_and_remade_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let hash = shop.product("ukraine-snake-island-flag").unwrap().images[0]
        .hash
        .clone();
    let first = shop.thumbnail(&hash, 480).unwrap();
    assert_eq!(first.content_type, "image/png");
    let made = std::fs::metadata(&first.path).unwrap().modified().unwrap();
    let again = shop.thumbnail(&hash, 480).unwrap();
    assert_eq!(again, first);
    assert_eq!(
        std::fs::metadata(&again.path).unwrap().modified().unwrap(),
        made
    );
    std::fs::remove_file(&first.path).unwrap();
    let remade = shop.thumbnail(&hash, 480).unwrap();
    assert!(remade.path.is_file());
    let image = image::open(&remade.path).unwrap();
    assert_eq!(image.width(), 480);

    for (hash, width) in [
        (hash.as_str(), 500),
        ("../../shop.db", 480),
        (&"0".repeat(64), 160),
    ] {
        assert!(
            matches!(shop.thumbnail(hash, width), Err(Error::UnknownImage(_))),
            "{hash} {width}"
        );
    }
}

#[test]
fn bulk_generation_makes_every_thumbnail_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::open(dir.path()).unwrap();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let run = shop
        .generate_thumbnails(&|done, total| {
            assert!(done <= total);
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!(run.failed, 0);
    assert!(run.total >= 40 * 3, "{run:?}");
    assert_eq!(calls.into_inner(), run.total);
    let thumbs = media_files(&shop)
        .into_keys()
        .filter(|p| p.to_string_lossy().contains("thumbs"))
        .count();
    assert_eq!(thumbs, run.total);
}

fn flagshop_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flagshop"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_thumb_writes_a_thumbnail_per_file_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let photo = write(dir.path(), "photo.jpg", &jpeg(1000, 750));
    let out = dir.path().join("OUT");
    let result = flagshop_cli(&[
        "media",
        "thumb",
        "--width",
        "400",
        "--out-dir",
        out.to_str().unwrap(),
        photo.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let image = image::open(out.join("photo.jpg")).unwrap();
    assert_eq!((image.width(), image.height()), (400, 300));

    let bad = write(dir.path(), "bad.jpg", b"nope");
    let disc = write(dir.path(), "disc.png", &disc_png(300));
    let result = flagshop_cli(&[
        "media",
        "thumb",
        "--width",
        "100",
        "--out-dir",
        out.to_str().unwrap(),
        "--json",
        photo.to_str().unwrap(),
        bad.to_str().unwrap(),
        disc.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(result.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (lines[0]["width"].as_u64(), lines[0]["height"].as_u64()),
        (Some(100), Some(75))
    );
    assert!(lines[1]["error"].as_str().unwrap().contains("not an image"));
    assert!(lines[2]["output"].as_str().unwrap().ends_with("disc.png"));
    assert_eq!(
        String::from_utf8(result.stderr).unwrap(),
        "error: 1 of 3 file(s) failed\n"
    );
}

#[test]
fn cli_refuses_hostile_files_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let whole = jpeg(300, 200);
    for (name, bytes) in [
        ("bomb.png", bomb_png()),
        ("cut.jpg", whole[..whole.len() / 3].to_vec()),
        ("notes.jpg", b"hello".to_vec()),
    ] {
        let file = write(dir.path(), name, &bytes);
        let data = dir.path().join("shop");
        let result = flagshop_cli(&[
            "--data-dir",
            data.to_str().unwrap(),
            "media",
            "add",
            "ukraine-snake-island-flag",
            file.to_str().unwrap(),
        ]);
        assert_eq!(result.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8(result.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(name),
            "{stderr}"
        );
    }
}

#[test]
fn images_dropped_as_bytes_are_checked_and_added_to_the_gallery() {
    let (_dir, shop) = shop_with_product();
    let product = shop
        .add_product_image_bytes("pl", "front.jpg", jpeg(64, 48), "Front")
        .unwrap();
    assert_eq!(product.images.len(), 1);
    assert_eq!(
        (product.images[0].width, product.images[0].height),
        (64, 48)
    );
    assert_eq!(product.images[0].alt, "Front");
    let err = shop
        .add_product_image_bytes("pl", "notes.txt", b"hello".to_vec(), "")
        .unwrap_err();
    assert!(
        matches!(err, Error::Media(MediaError::NotAnImage { ref file }) if file == "notes.txt"),
        "{err:?}"
    );
    assert_eq!(shop.product("pl").unwrap().images.len(), 1);
}

#[test]
fn gallery_images_can_be_reordered_described_and_removed() {
    let (_dir, shop) = shop_with_product();
    shop.add_product_image_bytes("pl", "a.jpg", jpeg(64, 48), "")
        .unwrap();
    let product = shop
        .add_product_image_bytes("pl", "b.png", disc_png(40), "")
        .unwrap();
    let (a, b) = (
        product.images[0].hash.clone(),
        product.images[1].hash.clone(),
    );
    let product = shop.reorder_images("pl", &[b.clone(), a.clone()]).unwrap();
    let order: Vec<&str> = product.images.iter().map(|i| i.hash.as_str()).collect();
    assert_eq!(order, [b.as_str(), a.as_str()]);
    let summary = &shop.list_products(&Default::default()).unwrap().items[0];
    assert_eq!(
        summary.image.as_ref().unwrap().hash,
        b,
        "the first image is the card's"
    );
    assert!(shop.reorder_images("pl", std::slice::from_ref(&a)).is_err());

    let product = shop.set_image_alt("pl", &a, " Poland, waving ").unwrap();
    assert_eq!(product.images[1].alt, "Poland, waving");

    let product = shop.remove_image("pl", &b).unwrap();
    assert_eq!(product.images.len(), 1);
    assert!(matches!(
        shop.remove_image("pl", &b),
        Err(Error::UnknownImage(_))
    ));
    // The original stays in the store: the thumbnail can still be made.
    assert!(shop.thumbnail(&b, 160).is_ok());
}
