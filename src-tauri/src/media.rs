//! The `media://` protocol: product thumbnails streamed from the shop's thumbnail cache.
//!
//! URLs are `media://localhost/thumb/<width>/<sha256 hex>` (`http://media.localhost/...` on
//! Windows). Only a known width and a well-formed hash reach the core, which makes a missing
//! thumbnail on the fly; anything else is a 404, so no other file can be read through it.

use std::sync::Arc;

use flagshop::{Shop, THUMB_WIDTHS};
use tauri::http::{Method, Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

/// A thumbnail's bytes never change for its URL (the hash names the original), so the webview
/// may keep it for as long as it likes.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// Answers one request on the blocking pool: reading files (and making a thumbnail) must not
/// stall the webview's event loop.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let shop = Arc::clone(&ctx.app_handle().state::<Arc<Shop>>());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    tauri::async_runtime::spawn_blocking(move || {
        responder.respond(respond(&shop, &method, &path));
    });
}

/// The response to a request for `path`.
pub fn respond(shop: &Shop, method: &Method, path: &str) -> Response<Vec<u8>> {
    if method != Method::GET && method != Method::HEAD {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let Some((width, hash)) = parse_thumb_path(path) else {
        return status(StatusCode::NOT_FOUND);
    };
    let thumbnail = match shop.thumbnail(hash, width) {
        Ok(thumbnail) => thumbnail,
        Err(flagshop::Error::UnknownImage(_)) => return status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(hash, width, error = %e, "thumbnail failed");
            return status(StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    match std::fs::read(&thumbnail.path) {
        Ok(bytes) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, thumbnail.content_type)
            .header(header::CACHE_CONTROL, CACHE_FOREVER)
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(if method == Method::HEAD {
                Vec::new()
            } else {
                bytes
            })
            .expect("a status, two known headers and a body make a valid response"),
        Err(e) => {
            tracing::error!(path = %thumbnail.path.display(), error = %e, "thumbnail unreadable");
            status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// `/thumb/<width>/<hash>` with a width the shop makes and a SHA-256 in lower-case hex.
fn parse_thumb_path(path: &str) -> Option<(u32, &str)> {
    let rest = path.strip_prefix("/thumb/")?;
    let (width, hash) = rest.split_once('/')?;
    let width: u32 = width.parse().ok()?;
    let well_formed = hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (THUMB_WIDTHS.contains(&width) && well_formed).then_some((width, hash))
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .body(Vec::new())
        .expect("a status alone makes a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn only_known_widths_and_well_formed_hashes_are_thumbnail_paths() {
        assert_eq!(
            parse_thumb_path(&format!("/thumb/480/{HASH}")),
            Some((480, HASH))
        );
        for bad in [
            format!("/thumb/481/{HASH}"),
            format!("/thumb/480/{}", HASH.to_uppercase()),
            format!("/thumb/480/{}", &HASH[1..]),
            format!("/thumb/480/{HASH}/x"),
            format!("/thumb/480/../../{}", &HASH[6..]),
            format!("/original/{HASH}"),
            "/thumb/480/".to_owned(),
            "/".to_owned(),
        ] {
            assert_eq!(parse_thumb_path(&bad), None, "{bad}");
        }
    }

    #[test]
    fn unknown_images_and_malformed_paths_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let shop = Shop::open_blank(dir.path()).unwrap();
        for path in [format!("/thumb/480/{HASH}"), "/thumb/480/../shop.db".into()] {
            let response = respond(&shop, &Method::GET, &path);
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(response.body().is_empty());
        }
        let response = respond(&shop, &Method::POST, &format!("/thumb/480/{HASH}"));
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn demo_thumbnails_are_served_with_their_type_and_cached_forever() {
        let dir = tempfile::tempdir().unwrap();
        let shop = Shop::open(dir.path()).unwrap();
        let image = shop
            .product("ukraine-snake-island-flag")
            .unwrap()
            .images
            .into_iter()
            .next()
            .expect("the demo flag has an image");
        let response = respond(&shop, &Method::GET, &format!("/thumb/480/{}", image.hash));
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = &response.headers()[header::CONTENT_TYPE];
        assert!(
            ["image/png", "image/jpeg"].contains(&content_type.to_str().unwrap()),
            "{content_type:?}"
        );
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_FOREVER);
        assert!(response.body().len() > 100);
    }
}
