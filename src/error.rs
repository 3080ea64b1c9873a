//! The core's one error type: each variant says what went wrong in words a shop owner can act on.

use std::path::PathBuf;

use crate::media::MediaError;
use crate::money::MoneyError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the shop database {path}: {source}")]
    OpenDatabase {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the shop database {path} was written by a newer Flagshop (schema version {found}; \
         this version knows up to {supported}): update Flagshop to open it"
    )]
    DatabaseTooNew {
        path: PathBuf,
        found: usize,
        supported: usize,
    },
    #[error("unknown product \"{0}\"")]
    UnknownProduct(String),
    #[error("unknown SKU \"{0}\"")]
    UnknownSku(String),
    /// The product is a draft or archived, so it cannot go in the cart.
    #[error("\"{0}\" is not for sale")]
    NotForSale(String),
    /// A cart quantity above the stock that can still be sold.
    #[error("only {available} of \"{sku}\" available (asked for {requested})")]
    QuantityUnavailable {
        sku: String,
        requested: i64,
        available: i64,
    },
    #[error("unknown collection \"{0}\"")]
    UnknownCollection(String),
    #[error("a product with handle \"{0}\" already exists")]
    DuplicateHandle(String),
    #[error("SKU \"{0}\" is already used by another variant")]
    DuplicateSku(String),
    /// Input that breaks a rule of the catalogue or the stock; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// Input that breaks a rule about one field of a product or of one of its variants, so that
    /// an editor can show the message next to it: `field` is the field's name as it crosses IPC
    /// (`title`, `sku`, `price`, `compare_at_price`, …), `variant` the variant's position in
    /// what was sent, if the field is a variant's.
    #[error("{message}")]
    InvalidField {
        field: &'static str,
        variant: Option<usize>,
        message: String,
    },
    #[error(
        "cannot remove {remove} of \"{sku}\": only {available} available \
         ({on_hand} on hand, {reserved} reserved for orders)"
    )]
    NotEnoughStock {
        sku: String,
        remove: i64,
        on_hand: i64,
        reserved: i64,
        available: i64,
    },
    #[error("unknown order \"{0}\"")]
    UnknownOrder(String),
    #[error("no customer with email \"{0}\"")]
    UnknownCustomer(String),
    /// An order action its state does not allow, e.g. fulfilling an unpaid order; `reason`
    /// says why, in words the owner can act on.
    #[error("order {order} {reason}")]
    Forbidden { order: String, reason: String },
    #[error("unknown image \"{0}\"")]
    UnknownImage(String),
    #[error(transparent)]
    Media(MediaError),
    /// A write found no space left. `folder` is where it wrote, when the failing call knew it;
    /// the front ends fill in the shop's folder otherwise ([`Error::in_folder`]).
    #[error(
        "the disk is full{}: free some space, then try again (nothing was half written)",
        folder.as_ref().map(|f| format!(" (writing in {})", f.display())).unwrap_or_default()
    )]
    DiskFull { folder: Option<PathBuf> },
    /// SQLite found the shop file damaged. `path` and the newest backup that verifies are filled
    /// in by [`crate::backups::diagnose`], which the front ends call on this error.
    #[error(
        "the shop file {} is damaged ({detail}). {}",
        path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "shop.db".to_owned()),
        match backup {
            Some(b) => format!("The newest backup that verifies is {b}: restore it with `flagshop backup restore {b} --yes` or from the app's Settings → Backups."),
            None => "No backup that verifies was found next to it.".to_owned(),
        }
    )]
    Corrupt {
        path: Option<PathBuf>,
        detail: String,
        backup: Option<String>,
    },
    #[error(transparent)]
    Payment(#[from] crate::payments::PaymentError),
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A failure that is not the user's input: a broken installation, stored data that does
    /// not read back, a task or a socket that failed. Shown as something to report, not to fix.
    #[error("{0}")]
    Internal(String),
    /// Another connection held the write lock for longer than the busy timeout.
    #[error(
        "the shop is busy: another Flagshop program (the app, or a flagshop command) is writing \
         to it; try again when it has finished"
    )]
    Busy,
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Error::Busy
            }
            Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull { folder: None },
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                Error::Corrupt {
                    path: None,
                    detail: e.to_string(),
                    backup: None,
                }
            }
            _ => Error::Database(e),
        }
    }
}

impl From<MediaError> for Error {
    fn from(e: MediaError) -> Error {
        match &e {
            MediaError::Write { file, source }
                if source.kind() == std::io::ErrorKind::StorageFull =>
            {
                Error::DiskFull {
                    folder: std::path::Path::new(file).parent().map(|p| p.to_owned()),
                }
            }
            _ => Error::Media(e),
        }
    }
}

impl Error {
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::Internal(message.into())
    }

    /// This error, with `folder` (the shop's) named where the failing call could not say where
    /// it was writing.
    /// A disk I/O error on a disk with no space left is the full disk (SQLite reports a write
    /// into its WAL index that way), and is said so.
    pub fn in_folder(self, folder: &std::path::Path) -> Error {
        match self {
            Error::DiskFull { folder: None } => Error::DiskFull {
                folder: Some(folder.to_owned()),
            },
            Error::Database(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure)
                    && no_space_left(folder) =>
            {
                Error::DiskFull {
                    folder: Some(folder.to_owned()),
                }
            }
            other => other,
        }
    }

    /// An I/O failure at `path`, as the owner should read it.
    pub(crate) fn io(path: &std::path::Path, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::StorageFull {
            let folder = if path.is_dir() {
                Some(path)
            } else {
                path.parent()
            };
            return Error::DiskFull {
                folder: folder.map(|f| f.to_owned()),
            };
        }
        Error::invalid(format!("{}: {e}", path.display()))
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid(message.into())
    }

    pub(crate) fn forbidden(order: &str, reason: impl Into<String>) -> Error {
        Error::Forbidden {
            order: order.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Whether the disk holding `folder` has no space left for an ordinary user's write.
#[cfg(unix)]
fn no_space_left(folder: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(folder.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is a valid NUL-terminated string and `stats` a plain struct that statvfs
    // fills in; nothing is kept past the call.
    unsafe {
        let mut stats: libc::statvfs = std::mem::zeroed();
        libc::statvfs(path.as_ptr(), &mut stats) == 0 && stats.f_bavail == 0
    }
}

#[cfg(not(unix))]
fn no_space_left(_folder: &std::path::Path) -> bool {
    false
}
