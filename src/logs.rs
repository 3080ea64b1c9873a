//! The desktop app's log: one file a day in the platform's log folder (the last 7 kept), at the
//! level `RUST_LOG` asks for (Flagshop's own `info` otherwise), and the same lines on stderr.
//!
//! Stripe secrets never reach it: nothing in Flagshop logs them, and as a second lock every
//! line is scanned on its way to the file and to stderr, and anything shaped like a Stripe
//! secret (`sk_…`, `rk_…`, `whsec_…`) is masked — a dependency logging a request header at
//! `trace` cannot leak a key either.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::Error;

/// Days of logs kept.
const KEEP_FILES: usize = 7;
/// What is logged when `RUST_LOG` says nothing.
const DEFAULT_FILTER: &str = "warn,flagshop=info,flagshop_desktop=info";

/// The folder the app's log goes to: `FLAGSHOP_LOG_DIR`, else the platform's place for logs
/// (`~/.local/state/flagshop/logs` on Linux).
pub fn log_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLAGSHOP_LOG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "flagshop")
        .map(|dirs| {
            dirs.state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .join("logs")
        })
        .unwrap_or_else(|| PathBuf::from(".flagshop-logs"))
}

/// Keeps the log writing; lines still queued are written when it is dropped.
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Sends every `tracing` event of the process to a daily file in `dir` and to stderr. Call
/// once, first thing.
pub fn init_app_logging(dir: &Path) -> Result<LogGuard, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::DataDir {
        path: dir.to_owned(),
        source,
    })?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("flagshop")
        .filename_suffix("log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| Error::internal(format!("cannot log to {}: {e}", dir.display())))?;
    let (file, worker) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Masked(file)),
        )
        .with(tracing_subscriber::fmt::layer().with_writer(Masked(io::stderr)))
        .try_init()
        .map_err(|e| Error::internal(format!("logging is already set up: {e}")))?;
    Ok(LogGuard { _worker: worker })
}

/// A writer that masks Stripe secrets in what passes through it.
struct Masked<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Masked<M> {
    type Writer = MaskedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskedWriter(self.0.make_writer())
    }
}

struct MaskedWriter<W>(W);

impl<W: Write> Write for MaskedWriter<W> {
    /// The formatter hands over one whole line at a time, so a secret is never split across
    /// two calls.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .write_all(mask_secrets(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Prefixes of Stripe's secret keys and webhook signing secrets.
const SECRET_PREFIXES: [&str; 5] = ["sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_"];

/// `text` with every Stripe secret cut down to its prefix: `sk_test_51H…` → `sk_test_…`.
pub fn mask_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = SECRET_PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|at| (at, *p)))
        .min_by_key(|(at, _)| *at)
    {
        out.push_str(&rest[..at + prefix.len()]);
        let secret = &rest[at + prefix.len()..];
        let end = secret
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(secret.len());
        if end > 0 {
            out.push('…');
        }
        rest = &secret[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::mask_secrets;

    #[test]
    fn secrets_are_cut_to_their_prefix() {
        assert_eq!(
            mask_secrets("key=sk_test_51HxYZ, hook whsec_abc123; rk_live_Q9 end"),
            "key=sk_test_…, hook whsec_…; rk_live_… end"
        );
        assert_eq!(mask_secrets("Bearer sk_live_X"), "Bearer sk_live_…");
        assert_eq!(mask_secrets("no secrets here"), "no secrets here");
        assert_eq!(mask_secrets("pk_test_public stays"), "pk_test_public stays");
    }
}
