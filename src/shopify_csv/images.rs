//! The images a product CSV names, brought into the media store: `http(s)` URLs downloaded
//! (a few at a time, each with a timeout and the media pipeline's size limit), other sources
//! read as files relative to the CSV. Every image passes the checks a dropped file passes. One
//! that cannot be had is listed, its product imports all the same, and it waits in
//! `pending_images` for "retry images". No network must never hang an import: a host that
//! cannot be reached once is not asked again in the same run.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior, params};

use super::import::{ImageFailure, ImportPhase, ImportProgress};
use super::plan::PlannedProduct;
use crate::catalogue::ProductId;
use crate::media::{self, MediaLimits};
use crate::{Error, Shop};

/// Downloads at once: enough to hide a slow server's latency, few enough to be polite.
const WORKERS: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most one download may take, from asking to the last byte, unless the import says.
pub(crate) const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// One image to bring in.
#[derive(Clone, Debug)]
pub(crate) struct ImageJob {
    pub product: ProductId,
    pub handle: String,
    /// As the CSV wrote it: the key that links a variant to its image.
    pub source: String,
    /// Where to get it: the URL, or the file's path.
    pub location: String,
    pub position: i64,
    pub alt: String,
}

/// What a run of downloads brought.
#[derive(Clone, Debug, Default, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Fetched {
    #[ts(type = "number")]
    pub added: usize,
    pub failed: Vec<ImageFailure>,
}

/// The images of `planned` that product `id` does not have yet.
pub(crate) fn missing(
    conn: &Connection,
    id: ProductId,
    planned: &PlannedProduct,
    base_dir: Option<&Path>,
) -> Result<Vec<ImageJob>, Error> {
    let mut stored = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM product_images WHERE product_id = ?1 AND source = ?2)",
    )?;
    let mut jobs = Vec::new();
    for (position, image) in planned.images.iter().enumerate() {
        if stored.query_row(params![id.0, image.source], |row| row.get(0))? {
            continue;
        }
        jobs.push(ImageJob {
            product: id,
            handle: planned.handle.clone(),
            source: image.source.clone(),
            location: locate(&image.source, base_dir),
            position: position as i64,
            alt: image.alt.clone(),
        });
    }
    Ok(jobs)
}

/// A URL stays a URL; a path is taken relative to the CSV's folder.
fn locate(source: &str, base_dir: Option<&Path>) -> String {
    if is_url(source) {
        return source.to_owned();
    }
    let path = Path::new(source.strip_prefix("file://").unwrap_or(source));
    match base_dir {
        Some(dir) if path.is_relative() => dir.join(path).display().to_string(),
        _ => path.display().to_string(),
    }
}

/// Whether an image source is a URL to download (else a file path).
pub(crate) fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Brings in every job, `WORKERS` at a time, reporting progress after each.
pub(crate) fn fetch_all(
    shop: &Shop,
    jobs: &[ImageJob],
    timeout: Duration,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Fetched {
    let total = jobs.len();
    if total == 0 {
        return Fetched::default();
    }
    let agent = agent(timeout);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let unreachable: Mutex<HashMap<String, String>> = Mutex::new(HashMap::new());
    let fetched = Mutex::new(Fetched::default());
    progress(ImportProgress {
        phase: ImportPhase::Images,
        done: 0,
        total,
    });
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(total) {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = bring_in(shop, &agent, timeout, job, &unreachable);
                    let mut fetched = fetched.lock().unwrap_or_else(|e| e.into_inner());
                    match result {
                        Ok(()) => fetched.added += 1,
                        Err(message) => {
                            if let Err(e) = remember_pending(shop, job, &message) {
                                tracing::warn!(error = %e, "cannot remember a pending image");
                            }
                            fetched.failed.push(ImageFailure {
                                handle: job.handle.clone(),
                                source: job.source.clone(),
                                message,
                            });
                        }
                    }
                    drop(fetched);
                    progress(ImportProgress {
                        phase: ImportPhase::Images,
                        done: done.fetch_add(1, Ordering::Relaxed) + 1,
                        total,
                    });
                }
            });
        }
    });
    let mut fetched = fetched.into_inner().unwrap_or_else(|e| e.into_inner());
    fetched
        .failed
        .sort_by(|a, b| (&a.handle, &a.source).cmp(&(&b.handle, &b.source)));
    tracing::info!(
        added = fetched.added,
        failed = fetched.failed.len(),
        "import images fetched"
    );
    fetched
}

impl Shop {
    /// Tries again every image an import could not bring in ("retry images").
    pub fn retry_pending_images(
        &self,
        timeout: Duration,
        progress: &(dyn Fn(ImportProgress) + Sync),
    ) -> Result<Fetched, Error> {
        let jobs: Vec<ImageJob> = self
            .read()?
            .prepare(
                "SELECT p.product_id, pr.handle, p.source, p.location, p.position, p.alt
                 FROM pending_images p JOIN products pr ON pr.id = p.product_id
                 ORDER BY p.product_id, p.position",
            )?
            .query_map([], |row| {
                Ok(ImageJob {
                    product: ProductId(row.get(0)?),
                    handle: row.get(1)?,
                    source: row.get(2)?,
                    location: row.get(3)?,
                    position: row.get(4)?,
                    alt: row.get(5)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(fetch_all(self, &jobs, timeout, progress))
    }

    /// How many imported images are still waiting to be fetched.
    pub fn pending_image_count(&self) -> Result<i64, Error> {
        Ok(self
            .read()?
            .query_row("SELECT count(*) FROM pending_images", [], |row| row.get(0))?)
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("Flagshop/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Downloads or reads one image, checks it, stores it and links it to its product.
fn bring_in(
    shop: &Shop,
    agent: &ureq::Agent,
    timeout: Duration,
    job: &ImageJob,
    unreachable: &Mutex<HashMap<String, String>>,
) -> Result<(), String> {
    let limits = MediaLimits::default();
    let bytes = if is_url(&job.location) {
        download(agent, timeout, &job.location, &limits, unreachable)?
    } else {
        read_file(Path::new(&job.location), &limits)?
    };
    let stored =
        media::store_bytes(shop.data_dir(), &job.source, &bytes).map_err(|e| e.to_string())?;
    let link = || -> Result<(), Error> {
        let mut conn = shop.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        media::link_imported_image(
            &tx,
            job.product,
            &stored,
            &job.alt,
            job.position,
            &job.source,
        )?;
        tx.execute(
            "DELETE FROM pending_images WHERE product_id = ?1 AND source = ?2",
            params![job.product.0, job.source],
        )?;
        tx.commit()?;
        Ok(())
    };
    link().map_err(|e| e.to_string())
}

fn download(
    agent: &ureq::Agent,
    timeout: Duration,
    url: &str,
    limits: &MediaLimits,
    unreachable: &Mutex<HashMap<String, String>>,
) -> Result<Vec<u8>, String> {
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or(rest))
        .unwrap_or(url)
        .to_ascii_lowercase();
    if let Some(reason) = unreachable
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&host)
    {
        return Err(reason.clone());
    }
    let mut response = match agent.get(url).call() {
        Ok(response) => response,
        Err(e) => {
            // A host that cannot be found or connected to will not be there for the next
            // image either; a slow answer is about one image.
            let (reason, host_down) = match e {
                ureq::Error::HostNotFound => (format!("{host} cannot be found"), true),
                ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
                    (format!("{host} did not answer"), true)
                }
                ureq::Error::ConnectionFailed | ureq::Error::Io(_) => {
                    (format!("cannot reach {host} ({e})"), true)
                }
                ureq::Error::Timeout(_) => (
                    format!("no answer within {} s", timeout.as_secs_f32()),
                    false,
                ),
                other => (format!("the download failed ({other})"), false),
            };
            if host_down {
                unreachable
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(host, reason.clone());
            }
            return Err(reason);
        }
    };
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    response
        .body_mut()
        .with_config()
        .limit(limits.max_bytes)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                format!("larger than the limit of {} bytes", limits.max_bytes)
            }
            ureq::Error::Timeout(_) => {
                format!("the download took longer than {} s", timeout.as_secs_f32())
            }
            other => format!("the download failed ({other})"),
        })
}

fn read_file(path: &Path, limits: &MediaLimits) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > limits.max_bytes {
        return Err(format!(
            "{} bytes is more than the limit of {} bytes",
            size, limits.max_bytes
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn remember_pending(shop: &Shop, job: &ImageJob, message: &str) -> Result<(), Error> {
    shop.conn()
        .prepare_cached(
            "INSERT INTO pending_images (product_id, source, location, position, alt, error,
                                         tried_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, shop_now())
             ON CONFLICT (product_id, source) DO UPDATE SET
                 location = excluded.location, position = excluded.position, alt = excluded.alt,
                 error = excluded.error, attempts = attempts + 1, tried_at = excluded.tried_at",
        )?
        .execute(params![
            job.product.0,
            job.source,
            job.location,
            job.position,
            job.alt,
            message
        ])?;
    Ok(())
}
