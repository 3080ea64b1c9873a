//! Product images: checking what shop owners drop in, storing originals by content hash, and
//! making the thumbnails the storefront shows.
//!
//! Layout under the data directory:
//! - `media/originals/<first two hex digits>/<sha256>`: the bytes as imported;
//! - `media/thumbs/<width>/<sha256>.jpg|png`: thumbnails, made once, remade when missing.
//!
//! A hostile file is refused before it costs much: the size is checked before reading, the
//! pixel count from the header before decoding, and the decoder runs with `image::Limits`.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use fast_image_resize::images::Image;
use fast_image_resize::{IntoImageView, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use rayon::prelude::*;
use rusqlite::{Connection, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::catalogue::{self, Product, ProductId};
use crate::{Error, Shop};

/// The widths the storefront asks for: grid cards, product pages, zoom.
pub const THUMB_WIDTHS: [u32; 3] = [160, 480, 1200];

/// The width an SVG counts as when stored: vectors have no pixels of their own, and this covers
/// the largest thumbnail at twice its size.
const SVG_WIDTH: u32 = 2400;

const JPEG_QUALITY: u8 = 85;

/// How big an image may be. The defaults suit phone photos with room to spare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaLimits {
    pub max_pixels: u64,
    pub max_bytes: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            max_pixels: 50_000_000,
            max_bytes: 50 * 1024 * 1024,
        }
    }
}

/// Why an image was refused or could not be made. Every message starts with the file's name.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{file}: cannot read the file: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: not an image (expected JPEG, PNG, WebP, GIF or SVG)")]
    NotAnImage { file: String },
    #[error("{file}: {size} bytes is more than the limit of {limit} bytes")]
    TooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}: {width}×{height} pixels is more than the limit of {limit} pixels")]
    TooManyPixels {
        file: String,
        width: u32,
        height: u32,
        limit: u64,
    },
    #[error("{file}: corrupt or truncated {format} image ({reason})")]
    Corrupt {
        file: String,
        format: &'static str,
        reason: String,
    },
    #[error("{file}: cannot write: {source}")]
    Write {
        file: String,
        source: std::io::Error,
    },
}

/// A thumbnail on disk, ready to be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub path: PathBuf,
    pub content_type: &'static str,
}

/// What `thumbnail_file` wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThumbnailOutput {
    pub output: PathBuf,
    pub width: u32,
    pub height: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
    Webp,
    Gif,
    Svg,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Webp => "WebP",
            Format::Gif => "GIF",
            Format::Svg => "SVG",
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Format::Jpeg => Some(ImageFormat::Jpeg),
            Format::Png => Some(ImageFormat::Png),
            Format::Webp => Some(ImageFormat::WebP),
            Format::Gif => Some(ImageFormat::Gif),
            Format::Svg => None,
        }
    }
}

/// An image that passed the checks: its format and its size as displayed (after EXIF rotation).
#[derive(Clone, Copy, Debug)]
struct Checked {
    format: Format,
    width: u32,
    height: u32,
}

/// An encoded thumbnail in memory.
struct Encoded {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    extension: &'static str,
}

impl Shop {
    /// Imports image files and appends them to a product's gallery. Every file is checked and
    /// fully decoded first; if any is refused, nothing is stored. An image already stored (same
    /// bytes) is not stored again, and one already in this gallery is not added twice.
    pub fn add_product_images(
        &self,
        handle: &str,
        files: &[PathBuf],
        alt: &str,
    ) -> Result<Product, Error> {
        let limits = MediaLimits::default();
        let product = catalogue::product_id(&self.conn(), handle)?;
        let images = files
            .par_iter()
            .map(|file| {
                let name = file.display().to_string();
                let bytes = read_limited(file, &limits)?;
                let checked = check(&name, &bytes, &limits, true)?;
                Ok((bytes, checked))
            })
            .collect::<Result<Vec<_>, MediaError>>()?;
        self.store_images(product, &images, alt)?;
        tracing::info!(handle, count = files.len(), "images imported");
        catalogue::load_product(&self.conn(), product)
    }

    /// Imports one image from its bytes (a file dropped into the window) and appends it to a
    /// product's gallery, with the checks of [`Shop::add_product_images`]; `name` is the file's
    /// name, for messages.
    pub fn add_product_image_bytes(
        &self,
        handle: &str,
        name: &str,
        bytes: Vec<u8>,
        alt: &str,
    ) -> Result<Product, Error> {
        let product = catalogue::product_id(&self.conn(), handle)?;
        let checked = check(name, &bytes, &MediaLimits::default(), true)?;
        self.store_images(product, &[(bytes, checked)], alt)?;
        tracing::info!(handle, name, "image imported");
        catalogue::load_product(&self.conn(), product)
    }

    /// Changes the text that describes one of a product's images to those who cannot see it.
    pub fn set_image_alt(&self, handle: &str, hash: &str, alt: &str) -> Result<Product, Error> {
        let conn = self.conn();
        let product = catalogue::product_id(&conn, handle)?;
        let changed = conn
            .prepare_cached(
                "UPDATE product_images SET alt = ?3 WHERE product_id = ?1 AND hash = ?2",
            )?
            .execute(params![product.0, hash, alt.trim()])?;
        if changed == 0 {
            return Err(Error::UnknownImage(hash.to_owned()));
        }
        catalogue::load_product(&conn, product)
    }

    /// Puts a product's images in the order of `hashes`, which names each of them once; the
    /// first is the one the catalogue shows.
    pub fn reorder_images(&self, handle: &str, hashes: &[String]) -> Result<Product, Error> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let product = catalogue::product_id(&tx, handle)?;
        let mut current: Vec<String> = tx
            .prepare_cached("SELECT hash FROM product_images WHERE product_id = ?1")?
            .query_map([product.0], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        current.sort();
        let mut wanted = hashes.to_vec();
        wanted.sort();
        if current != wanted {
            return Err(Error::invalid(format!(
                "the new order of the images of \"{handle}\" must name each of its {} images once",
                current.len()
            )));
        }
        for (position, hash) in hashes.iter().enumerate() {
            tx.prepare_cached(
                "UPDATE product_images SET position = ?3 WHERE product_id = ?1 AND hash = ?2",
            )?
            .execute(params![product.0, hash, position as i64])?;
        }
        tx.commit()?;
        catalogue::load_product(&conn, product)
    }

    /// Takes an image out of a product's gallery. The stored original stays: another product
    /// may show the same file.
    pub fn remove_image(&self, handle: &str, hash: &str) -> Result<Product, Error> {
        let conn = self.conn();
        let product = catalogue::product_id(&conn, handle)?;
        let removed = conn
            .prepare_cached("DELETE FROM product_images WHERE product_id = ?1 AND hash = ?2")?
            .execute(params![product.0, hash])?;
        if removed == 0 {
            return Err(Error::UnknownImage(hash.to_owned()));
        }
        tracing::info!(handle, hash, "image removed");
        catalogue::load_product(&conn, product)
    }

    /// Stores checked images and appends them to a product's gallery: all of them, or none
    /// (the originals this call wrote are removed again on failure).
    fn store_images(
        &self,
        product: ProductId,
        images: &[(Vec<u8>, Checked)],
        alt: &str,
    ) -> Result<(), Error> {
        let store = self.media_dir();
        let mut written = Vec::new();
        let result = (|| {
            let mut rows = Vec::new();
            for (bytes, checked) in images {
                let (hash, created) = store_original(&store, bytes)?;
                written.extend(created);
                rows.push((hash, *checked));
            }
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            for (hash, checked) in &rows {
                insert_image(&tx, product, hash, checked, alt)?;
            }
            tx.commit()?;
            Ok::<_, Error>(())
        })();
        if let Err(e) = result {
            // Leave the store as it was: remove the originals this import created.
            for path in written {
                let _ = fs::remove_file(path);
            }
            return Err(e);
        }
        Ok(())
    }

    /// The thumbnail of the stored image `hash` at `width` (one of [`THUMB_WIDTHS`]), made now
    /// if it is missing.
    pub fn thumbnail(&self, hash: &str, width: u32) -> Result<Thumbnail, Error> {
        if !is_hash(hash) || !THUMB_WIDTHS.contains(&width) {
            return Err(Error::UnknownImage(hash.to_owned()));
        }
        let dir = self.media_dir().join("thumbs").join(width.to_string());
        for (extension, content_type) in [("jpg", "image/jpeg"), ("png", "image/png")] {
            let path = dir.join(format!("{hash}.{extension}"));
            if path.is_file() {
                return Ok(Thumbnail { path, content_type });
            }
        }
        let original = original_path(&self.media_dir(), hash);
        let bytes = fs::read(&original).map_err(|_| Error::UnknownImage(hash.to_owned()))?;
        let encoded = make_thumbnail(hash, &bytes, width, &MediaLimits::default())?;
        let path = dir.join(format!("{hash}.{}", encoded.extension));
        write_atomically(&path, &encoded.bytes)?;
        Ok(Thumbnail {
            content_type: content_type(encoded.extension),
            path,
        })
    }

    /// Makes every missing thumbnail of every stored image, on all cores, calling `progress`
    /// with (done, total) after each. Returns how many were made; a failure is logged and
    /// counted, and the rest go on.
    pub fn generate_thumbnails(
        &self,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<ThumbnailRun, Error> {
        let hashes: Vec<String> = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare("SELECT DISTINCT hash FROM product_images ORDER BY hash")?;
            stmt.query_map([], |row| row.get(0))?
                .collect::<Result<_, _>>()?
        };
        let jobs: Vec<(&str, u32)> = hashes
            .iter()
            .flat_map(|h| THUMB_WIDTHS.map(|w| (h.as_str(), w)))
            .collect();
        let total = jobs.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let failed = jobs
            .par_iter()
            .filter(|(hash, width)| {
                let result = self.thumbnail(hash, *width);
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    total,
                );
                if let Err(e) = &result {
                    tracing::warn!(hash, width, error = %e, "thumbnail failed");
                }
                result.is_err()
            })
            .count();
        Ok(ThumbnailRun { total, failed })
    }

    fn media_dir(&self) -> PathBuf {
        self.data_dir().join("media")
    }
}

/// The outcome of [`Shop::generate_thumbnails`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThumbnailRun {
    pub total: usize,
    pub failed: usize,
}

/// Writes a thumbnail of `input`, at most `width` pixels wide, into `out_dir`, named after the
/// input's stem (`photo.jpg` → `out_dir/photo.jpg`, or `.png` when it has transparency).
pub fn thumbnail_file(
    input: &Path,
    width: u32,
    out_dir: &Path,
    limits: &MediaLimits,
) -> Result<ThumbnailOutput, MediaError> {
    let name = input.display().to_string();
    let bytes = read_limited(input, limits)?;
    let encoded = make_thumbnail(&name, &bytes, width.max(1), limits)?;
    let stem = input
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy());
    let output = out_dir.join(format!("{stem}.{}", encoded.extension));
    write_atomically(&output, &encoded.bytes)?;
    Ok(ThumbnailOutput {
        output,
        width: encoded.width,
        height: encoded.height,
    })
}

/// An image given as bytes (the demo catalogue's, embedded in the binary), checked and stored
/// once, ready to be linked to any number of products.
pub(crate) struct StoredImage {
    hash: String,
    checked: Checked,
}

/// Checks and stores an image given as bytes; `name` is what error messages call it.
pub(crate) fn store_bytes(data_dir: &Path, name: &str, bytes: &[u8]) -> Result<StoredImage, Error> {
    let checked = check(name, bytes, &MediaLimits::default(), true)?;
    let (hash, _) = store_original(&data_dir.join("media"), bytes)?;
    Ok(StoredImage { hash, checked })
}

/// Appends a stored image to a product's gallery, inside the caller's transaction.
pub(crate) fn link_image(
    tx: &Connection,
    product: ProductId,
    image: &StoredImage,
    alt: &str,
) -> Result<(), Error> {
    insert_image(tx, product, &image.hash, &image.checked, alt)
}

/// Puts an imported image at `position` in a product's gallery, remembering where it came
/// from, inside the caller's transaction. The same bytes already in the gallery only gain the
/// source.
pub(crate) fn link_imported_image(
    tx: &Connection,
    product: ProductId,
    image: &StoredImage,
    alt: &str,
    position: i64,
    source: &str,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO product_images (product_id, hash, width, height, alt, position, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (product_id, hash) DO UPDATE SET source = coalesce(source, excluded.source)",
    )?
    .execute(params![
        product.0,
        image.hash,
        image.checked.width,
        image.checked.height,
        alt.trim(),
        position,
        source
    ])?;
    Ok(())
}

fn insert_image(
    tx: &Connection,
    product: ProductId,
    hash: &str,
    checked: &Checked,
    alt: &str,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO product_images (product_id, hash, width, height, alt, position)
         VALUES (?1, ?2, ?3, ?4, ?5,
                 (SELECT coalesce(max(position) + 1, 0) FROM product_images WHERE product_id = ?1))
         ON CONFLICT (product_id, hash) DO NOTHING",
    )?
    .execute(params![
        product.0,
        hash,
        checked.width,
        checked.height,
        alt.trim()
    ])?;
    Ok(())
}

fn read_limited(path: &Path, limits: &MediaLimits) -> Result<Vec<u8>, MediaError> {
    let file = path.display().to_string();
    let read_error = |source| MediaError::Read {
        file: file.clone(),
        source,
    };
    let size = fs::metadata(path).map_err(read_error)?.len();
    if size > limits.max_bytes {
        return Err(MediaError::TooLarge {
            file,
            size,
            limit: limits.max_bytes,
        });
    }
    fs::read(path).map_err(read_error)
}

/// Recognises the format from the bytes, never from the file name.
fn sniff(bytes: &[u8]) -> Option<Format> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Some(Format::Jpeg),
        Ok(ImageFormat::Png) => Some(Format::Png),
        Ok(ImageFormat::WebP) => Some(Format::Webp),
        Ok(ImageFormat::Gif) => Some(Format::Gif),
        _ => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]);
            let head = head.trim_start_matches('\u{feff}').trim_start();
            let xml =
                head.starts_with("<?xml") || head.starts_with("<svg") || head.starts_with("<!--");
            (xml && head.contains("<svg")).then_some(Format::Svg)
        }
    }
}

/// Checks an image: its format, its size from the header (before any pixel is decoded), and
/// with `full`, that it decodes completely.
fn check(
    name: &str,
    bytes: &[u8],
    limits: &MediaLimits,
    full: bool,
) -> Result<Checked, MediaError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(MediaError::TooLarge {
            file: name.to_owned(),
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let format = sniff(bytes).ok_or_else(|| MediaError::NotAnImage {
        file: name.to_owned(),
    })?;
    let corrupt = |reason: String| MediaError::Corrupt {
        file: name.to_owned(),
        format: format.name(),
        reason,
    };
    if format == Format::Svg {
        let tree = parse_svg(bytes).map_err(corrupt)?;
        let size = tree.size();
        let height = (SVG_WIDTH as f32 * size.height() / size.width())
            .round()
            .max(1.0) as u32;
        return Ok(Checked {
            format,
            width: SVG_WIDTH,
            height,
        });
    }
    let (width, height) = reader(bytes, format, limits)
        .into_dimensions()
        .map_err(|e| corrupt(e.to_string()))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            file: name.to_owned(),
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    if format == Format::Jpeg && !ends_with_eoi(bytes) {
        // Decoders quietly fill a cut-off JPEG with grey; a shop must not publish that.
        return Err(corrupt(
            "the data ends before the end-of-image marker".into(),
        ));
    }
    let (width, height) = if full {
        let image = decode(name, bytes, format, limits, None)?;
        (image.width(), image.height())
    } else {
        (width, height)
    };
    Ok(Checked {
        format,
        width,
        height,
    })
}

/// A JPEG ends with the EOI marker, possibly followed by padding some cameras add.
fn ends_with_eoi(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

fn reader<'a>(
    bytes: &'a [u8],
    format: Format,
    limits: &MediaLimits,
) -> ImageReader<Cursor<&'a [u8]>> {
    let mut reader = ImageReader::with_format(
        Cursor::new(bytes),
        format
            .image_format()
            .expect("raster formats map to image's formats"),
    );
    reader.limits(decoder_limits(limits));
    reader
}

/// The second guard: even if a header lies, the decoder may not allocate past the pixel limit.
fn decoder_limits(limits: &MediaLimits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8).max(64 * 1024 * 1024));
    l
}

fn parse_svg(bytes: &[u8]) -> Result<resvg::usvg::Tree, String> {
    // No external files or fonts: an SVG from the internet must not read the disk.
    let options = resvg::usvg::Options {
        resources_dir: None,
        ..resvg::usvg::Options::default()
    };
    resvg::usvg::Tree::from_data(bytes, &options).map_err(|e| e.to_string())
}

/// Decodes a raster image upright (EXIF orientation applied). With `at_least_width`, a JPEG is
/// scaled down while decoding (DCT scaling) to the smallest size still at least that wide.
fn decode(
    name: &str,
    bytes: &[u8],
    format: Format,
    limits: &MediaLimits,
    at_least_width: Option<u32>,
) -> Result<DynamicImage, MediaError> {
    let corrupt = |reason: String| MediaError::Corrupt {
        file: name.to_owned(),
        format: format.name(),
        reason,
    };
    if let (Format::Jpeg, Some(width)) = (format, at_least_width)
        && let Some(image) = decode_jpeg_scaled(bytes, width).map_err(corrupt)?
    {
        return Ok(image);
    }
    let mut decoder = reader(bytes, format, limits)
        .into_decoder()
        .map_err(|e| corrupt(e.to_string()))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| corrupt(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The fast path for photos: jpeg-decoder's IDCT scaling decodes a 4000-pixel photo at 1/2,
/// 1/4 or 1/8 size directly, skipping most of the work. `None` for pixel formats it leaves to
/// the general decoder (CMYK).
fn decode_jpeg_scaled(bytes: &[u8], at_least_width: u32) -> Result<Option<DynamicImage>, String> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| e.to_string())?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let info = decoder.info().ok_or("no frame header")?;
    // The requested width is after rotation: for a quarter turn it is the stored height.
    let turned = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (src_w, src_h) = (u32::from(info.width), u32::from(info.height));
    let target = at_least_width.min(if turned { src_h } else { src_w });
    // The decoder picks the smallest scale that reaches the request on either axis, so the
    // axis we do not care about asks for the impossible.
    let target = target.min(u32::from(u16::MAX)) as u16;
    let (req_w, req_h) = if turned {
        (u16::MAX, target)
    } else {
        (target, u16::MAX)
    };
    let (w, h) = decoder.scale(req_w, req_h).map_err(|e| e.to_string())?;
    let pixels = decoder.decode().map_err(|e| e.to_string())?;
    let info = decoder.info().ok_or("no frame header")?;
    let (w, h) = (u32::from(w), u32::from(h));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => {
            image::RgbImage::from_raw(w, h, pixels).map(DynamicImage::from)
        }
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(w, h, pixels).map(DynamicImage::from)
        }
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return Ok(None),
    };
    let mut image = image.ok_or("decoded size does not match the header")?;
    image.apply_orientation(orientation);
    Ok(Some(image))
}

/// Makes a thumbnail at most `width` wide (never wider than the source), keeping the aspect
/// ratio: Lanczos3 with premultiplied alpha, JPEG for opaque images, PNG when there is
/// transparency and for vector art.
fn make_thumbnail(
    name: &str,
    bytes: &[u8],
    width: u32,
    limits: &MediaLimits,
) -> Result<Encoded, MediaError> {
    let checked = check(name, bytes, limits, false)?;
    let target_w = width.min(checked.width);
    let target_h = ((u64::from(checked.height) * u64::from(target_w)
        + u64::from(checked.width) / 2)
        / u64::from(checked.width))
    .max(1) as u32;
    let write_error = |e: image::ImageError| MediaError::Write {
        file: name.to_owned(),
        source: std::io::Error::other(e),
    };
    if checked.format == Format::Svg {
        let rgba = render_svg(name, bytes, target_w, target_h)?;
        return encode_png(&DynamicImage::ImageRgba8(rgba))
            .map_err(write_error)
            .map(|bytes| Encoded {
                bytes,
                width: target_w,
                height: target_h,
                extension: "png",
            });
    }
    let source = decode(name, bytes, checked.format, limits, Some(target_w))?;
    // Dimensions from the decoded image: EXIF may have turned it since the header was read.
    let target_h = ((u64::from(source.height()) * u64::from(target_w)
        + u64::from(source.width()) / 2)
        / u64::from(source.width()))
    .max(1) as u32;
    let target_w = target_w.min(source.width());
    let resized = resize(name, &source, target_w, target_h)?;
    let (bytes, extension) = if has_transparency(&resized) {
        (encode_png(&resized).map_err(write_error)?, "png")
    } else {
        (encode_jpeg(&resized).map_err(write_error)?, "jpg")
    };
    Ok(Encoded {
        bytes,
        width: target_w,
        height: target_h,
        extension,
    })
}

fn resize(
    name: &str,
    source: &DynamicImage,
    width: u32,
    height: u32,
) -> Result<DynamicImage, MediaError> {
    if (source.width(), source.height()) == (width, height) {
        return Ok(source.clone());
    }
    // fast_image_resize handles 8-bit gray, gray+alpha, RGB and RGBA; anything else (16-bit)
    // is brought to 8-bit RGBA first.
    let source = match source {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => std::borrow::Cow::Borrowed(source),
        other => std::borrow::Cow::Owned(DynamicImage::ImageRgba8(other.to_rgba8())),
    };
    let pixel_type = source.pixel_type().expect("8-bit images have a pixel type");
    let mut dst = Image::new(width, height, pixel_type);
    Resizer::new()
        .resize(source.as_ref(), &mut dst, &ResizeOptions::new())
        .map_err(|e| MediaError::Corrupt {
            file: name.to_owned(),
            format: "image",
            reason: e.to_string(),
        })?;
    let buffer = dst.into_vec();
    let image = match source.as_ref() {
        DynamicImage::ImageLuma8(_) => {
            image::GrayImage::from_raw(width, height, buffer).map(DynamicImage::from)
        }
        DynamicImage::ImageLumaA8(_) => {
            image::GrayAlphaImage::from_raw(width, height, buffer).map(DynamicImage::from)
        }
        DynamicImage::ImageRgb8(_) => {
            image::RgbImage::from_raw(width, height, buffer).map(DynamicImage::from)
        }
        _ => image::RgbaImage::from_raw(width, height, buffer).map(DynamicImage::from),
    };
    Ok(image.expect("the resizer fills a buffer of the requested size"))
}

fn has_transparency(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageLumaA8(img) => img.pixels().any(|p| p.0[1] < 255),
        DynamicImage::ImageRgba8(img) => img.pixels().any(|p| p.0[3] < 255),
        other => other.color().has_alpha(),
    }
}

fn render_svg(
    name: &str,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<image::RgbaImage, MediaError> {
    let corrupt = |reason: String| MediaError::Corrupt {
        file: name.to_owned(),
        format: "SVG",
        reason,
    };
    let tree = parse_svg(bytes).map_err(corrupt)?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| corrupt(format!("cannot render at {width}×{height}")))?;
    let size = tree.size();
    let transform = resvg::tiny_skia::Transform::from_scale(
        width as f32 / size.width(),
        height as f32 / size.height(),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    image::RgbaImage::from_raw(width, height, pixmap.take_demultiplied())
        .ok_or_else(|| corrupt("rendered size mismatch".into()))
}

fn encode_jpeg(image: &DynamicImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    let rgb;
    let image = match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => image,
        other => {
            rgb = DynamicImage::ImageRgb8(other.to_rgb8());
            &rgb
        }
    };
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).encode_image(image)?;
    Ok(out)
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(
        image.as_bytes(),
        image.width(),
        image.height(),
        image.color().into(),
    )?;
    Ok(out)
}

fn content_type(extension: &str) -> &'static str {
    match extension {
        "png" => "image/png",
        _ => "image/jpeg",
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The stored original of an image, and the file extension its format takes (for copies that
/// leave the media store, such as an export's images folder).
pub(crate) fn original_file(data_dir: &Path, hash: &str) -> Result<(PathBuf, &'static str), Error> {
    let path = original_path(&data_dir.join("media"), hash);
    use std::io::Read as _;
    let mut head = Vec::with_capacity(1024);
    fs::File::open(&path)
        .and_then(|file| file.take(1024).read_to_end(&mut head))
        .map_err(|source| MediaError::Read {
            file: path.display().to_string(),
            source,
        })?;
    let extension = match sniff(&head) {
        Some(Format::Jpeg) => "jpg",
        Some(Format::Png) => "png",
        Some(Format::Webp) => "webp",
        Some(Format::Gif) => "gif",
        Some(Format::Svg) => "svg",
        None => "bin",
    };
    Ok((path, extension))
}

fn original_path(media_dir: &Path, hash: &str) -> PathBuf {
    media_dir.join("originals").join(&hash[..2]).join(hash)
}

/// Stores the original under its hash. Returns the hash, and the path if this call created it
/// (an image already stored is not written again).
fn store_original(media_dir: &Path, bytes: &[u8]) -> Result<(String, Option<PathBuf>), MediaError> {
    let hash = sha256_hex(bytes);
    let path = original_path(media_dir, &hash);
    if path.is_file() {
        return Ok((hash, None));
    }
    write_atomically(&path, bytes)?;
    Ok((hash, Some(path)))
}

/// Writes to a temporary file beside `path`, then renames: readers see the whole file or none.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    let write_error = |source| MediaError::Write {
        file: path.display().to_string(),
        source,
    };
    let dir = path.parent().expect("media paths have a parent directory");
    fs::create_dir_all(dir).map_err(write_error)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    tmp.write_all(bytes).map_err(write_error)?;
    // Temporary files are private (0600); the images we write are ordinary files (0644), so a
    // web server or another account can serve what `media thumb` made.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(write_error)?;
    }
    tmp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats_from_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a..."), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(
            sniff(b"\xEF\xBB\xBF <?xml version=\"1.0\"?><svg/>"),
            Some(Format::Svg)
        );
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some(Format::Svg)
        );
        assert_eq!(sniff(b"hello, this is text"), None);
        assert_eq!(sniff(b"<html><body></body></html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn hashes_are_64_lower_hex() {
        assert!(is_hash(&sha256_hex(b"flag")));
        assert!(!is_hash("../../etc/passwd"));
        assert!(!is_hash(&sha256_hex(b"flag").to_uppercase()));
    }
}
