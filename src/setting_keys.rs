//! Every key of the `settings` table, named once: code reads and writes settings through
//! [`SettingKey`], never through a string of its own.

/// A row of the `settings` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKey {
    /// The shop's name, shown in the storefront's header.
    ShopName,
    /// The ISO code every price is in.
    Currency,
    /// The low-stock threshold new variants start with.
    LowStockDefault,
    /// How long an unpaid order holds its stock.
    ReservationSeconds,
    /// Shipping rates and tax (JSON).
    Pricing,
    /// The demo catalogue was loaded once: never again, even into an emptied shop.
    DemoSeeded,
    StripeApiBase,
    StripeSecretKey,
    StripePublishableKey,
    StripeWebhookSecret,
    StripeWebhookPort,
    StripeJsUrl,
    /// Where the next catch-up with Stripe's events starts.
    StripeEventsSyncedUntil,
    /// This shop's prefix of idempotency keys, and the database path it was made for.
    StripeIdempotencyPrefix,
    StripeIdempotencyPrefixPath,
    /// The folder backups go to; `backups/` in the data folder when unset.
    BackupDir,
    /// How many daily, weekly and monthly backups are kept.
    BackupKeepDaily,
    BackupKeepWeekly,
    BackupKeepMonthly,
}

impl SettingKey {
    pub const fn as_str(self) -> &'static str {
        match self {
            SettingKey::ShopName => "shop_name",
            SettingKey::Currency => "currency",
            SettingKey::LowStockDefault => "low_stock_default",
            SettingKey::ReservationSeconds => "reservation_seconds",
            SettingKey::Pricing => "pricing",
            SettingKey::DemoSeeded => "demo_seeded",
            SettingKey::StripeApiBase => "stripe.api_base",
            SettingKey::StripeSecretKey => "stripe.secret_key",
            SettingKey::StripePublishableKey => "stripe.publishable_key",
            SettingKey::StripeWebhookSecret => "stripe.webhook_secret",
            SettingKey::StripeWebhookPort => "stripe.webhook_port",
            SettingKey::StripeJsUrl => "stripe.js_url",
            SettingKey::StripeEventsSyncedUntil => "stripe.events_synced_until",
            SettingKey::StripeIdempotencyPrefix => "stripe.idempotency_prefix",
            SettingKey::StripeIdempotencyPrefixPath => "stripe.idempotency_prefix_path",
            SettingKey::BackupDir => "backup.dir",
            SettingKey::BackupKeepDaily => "backup.keep_daily",
            SettingKey::BackupKeepWeekly => "backup.keep_weekly",
            SettingKey::BackupKeepMonthly => "backup.keep_monthly",
        }
    }
}

impl std::fmt::Display for SettingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bound in SQL as its name.
impl rusqlite::ToSql for SettingKey {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}
