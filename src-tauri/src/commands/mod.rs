//! The commands the UI calls, one module per area: each takes typed arguments, runs one core
//! call off the async runtime, and turns a core error into a [`CommandError`].

pub mod admin;
pub mod backups;
pub mod catalogue_csv;
pub mod checkout;
pub mod orders;
pub mod settings;
pub mod storefront;

use std::sync::Arc;

use flagshop::Shop;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

/// What the UI receives when a command fails: a stable code to branch on and a message to show.
#[derive(Debug, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// The input the message is about (`title`, `sku`, `price`, …), for an editor to show it
    /// next to that field.
    pub field: Option<String>,
    /// With `field`, the position of the variant it belongs to in what was sent.
    pub variant: Option<usize>,
}

/// The kinds of failure the UI tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    UnknownProduct,
    UnknownSku,
    UnknownCollection,
    NotForSale,
    QuantityUnavailable,
    UnknownImage,
    UnknownOrder,
    UnknownCustomer,
    Invalid,
    /// The order cannot make this move (e.g. fulfil before it is paid): the message says why.
    Forbidden,
    /// Stripe refused, or could not be reached: the message says what to do.
    Payment,
    /// Another program is writing to the shop: try again in a moment.
    Busy,
    /// Anything the shopper cannot act on: the database, the disk, a bug.
    Internal,
}

impl From<flagshop::Error> for CommandError {
    fn from(e: flagshop::Error) -> CommandError {
        use flagshop::Error as E;
        let code = match &e {
            E::UnknownProduct(_) => ErrorCode::UnknownProduct,
            E::UnknownSku(_) => ErrorCode::UnknownSku,
            E::UnknownCollection(_) => ErrorCode::UnknownCollection,
            E::NotForSale(_) => ErrorCode::NotForSale,
            E::QuantityUnavailable { .. } | E::NotEnoughStock { .. } => {
                ErrorCode::QuantityUnavailable
            }
            E::UnknownImage(_) => ErrorCode::UnknownImage,
            E::UnknownOrder(_) => ErrorCode::UnknownOrder,
            E::UnknownCustomer(_) => ErrorCode::UnknownCustomer,
            E::Invalid(_)
            | E::InvalidField { .. }
            | E::DuplicateSku(_)
            | E::DuplicateHandle(_)
            | E::Money(_) => ErrorCode::Invalid,
            // A file that cannot be read or written is the machine's trouble, not the owner's
            // choice of image.
            E::Media(flagshop::MediaError::Read { .. } | flagshop::MediaError::Write { .. }) => {
                ErrorCode::Internal
            }
            E::Media(_) => ErrorCode::Invalid,
            E::Forbidden { .. } => ErrorCode::Forbidden,
            E::Payment(_) => ErrorCode::Payment,
            E::Busy => ErrorCode::Busy,
            // Every variant by name: a new one must be placed here before it compiles.
            E::Internal(_)
            | E::DataDir { .. }
            | E::OpenDatabase { .. }
            | E::DatabaseTooNew { .. }
            | E::DiskFull { .. }
            | E::Corrupt { .. }
            | E::Database(_)
            | E::Migration(_) => ErrorCode::Internal,
        };
        if code == ErrorCode::Internal {
            tracing::error!(error = %e, "command failed");
        }
        let (field, variant) = match &e {
            E::InvalidField { field, variant, .. } => (Some(*field), *variant),
            E::DuplicateSku(_) => (Some("sku"), None),
            E::DuplicateHandle(_) => (Some("handle"), None),
            _ => (None, None),
        };
        CommandError {
            code,
            message: e.to_string(),
            field: field.map(str::to_owned),
            variant,
        }
    }
}

/// Runs `call` on the blocking pool: SQLite must not stall the async runtime.
pub(crate) async fn on_shop<T: Send + 'static>(
    shop: &Arc<Shop>,
    call: impl FnOnce(&Shop) -> Result<T, flagshop::Error> + Send + 'static,
) -> Result<T, CommandError> {
    let shop = Arc::clone(shop);
    tauri::async_runtime::spawn_blocking(move || call(&shop))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "command task failed");
            CommandError {
                code: ErrorCode::Internal,
                message: "something went wrong; please try again".to_owned(),
                field: None,
                variant: None,
            }
        })?
        .map_err(CommandError::from)
}

pub(crate) type Shared<'a> = State<'a, Arc<Shop>>;

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn core_errors_keep_their_message_and_get_a_code() {
        let e = CommandError::from(flagshop::Error::QuantityUnavailable {
            sku: "UA-SNK-3X5-NYL".into(),
            requested: 4,
            available: 3,
        });
        assert_eq!(e.code, ErrorCode::QuantityUnavailable);
        assert_eq!(
            e.message,
            "only 3 of \"UA-SNK-3X5-NYL\" available (asked for 4)"
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "quantity_unavailable");
        let e = CommandError::from(flagshop::Error::UnknownSku("X".into()));
        assert_eq!(e.code, ErrorCode::UnknownSku);
    }

    #[test]
    fn field_errors_say_which_field_of_which_variant() {
        let e = CommandError::from(flagshop::Error::InvalidField {
            field: "price",
            variant: Some(2),
            message: "price of \"PL-1\" is negative (-$1.00)".into(),
        });
        assert_eq!(e.code, ErrorCode::Invalid);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "price");
        assert_eq!(json["variant"], 2);
        let e = CommandError::from(flagshop::Error::DuplicateSku("PL-1".into()));
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Invalid, Some("sku"))
        );
        let json =
            serde_json::to_value(CommandError::from(flagshop::Error::UnknownSku("X".into())))
                .unwrap();
        assert_eq!(
            (&json["field"], &json["variant"]),
            (&Value::Null, &Value::Null)
        );
    }

    /// What went wrong in the program is not shown as the user's mistake.
    #[test]
    fn failures_that_are_not_bad_input_are_internal_or_busy() {
        let corrupt = tempfile::tempdir().unwrap();
        let shop = Shop::open_blank(corrupt.path()).unwrap();
        shop.set_setting(flagshop::SettingKey::Pricing, "{not json")
            .unwrap();
        let e = CommandError::from(shop.pricing_rules().unwrap_err());
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(
            e.message.contains("stored pricing settings are malformed"),
            "{}",
            e.message
        );
        assert_eq!(
            CommandError::from(flagshop::Error::Busy).code,
            ErrorCode::Busy
        );
        let unreadable = flagshop::MediaError::Read {
            file: "flag.png".into(),
            source: std::io::Error::other("disk gone"),
        };
        assert_eq!(
            CommandError::from(flagshop::Error::Media(unreadable)).code,
            ErrorCode::Internal
        );
        let not_an_image = flagshop::MediaError::NotAnImage {
            file: "notes.txt".into(),
        };
        assert_eq!(
            CommandError::from(flagshop::Error::Media(not_an_image)).code,
            ErrorCode::Invalid
        );
    }
}
