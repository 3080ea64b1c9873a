//! Flagshop's core: the catalogue, stock, money and media of one shop, kept in one SQLite file.
//!
//! Front ends (the CLI, the desktop shell) open a [`Shop`] on a data directory and call its
//! methods; every rule about prices and stock lives here, once.

pub mod backups;
mod cart;
mod catalogue;
pub mod checkout;
pub mod clock;
mod customers;
mod db;
mod demo;
mod disputes;
mod error;
mod files;
mod inventory;
pub mod lab;
pub mod logs;
pub mod media;
mod money;
mod orders;
mod oversold;
pub mod payments;
mod pricing;
mod refunds;
mod reports;
pub mod reservations;
mod setting_keys;
mod settings;
mod shop;
pub mod shopify_csv;
pub mod test_orders;
pub mod webhooks;

pub use cart::{Cart, CartLine};
pub use catalogue::{
    Collection, NewProduct, NewVariant, Product, ProductEdit, ProductId, ProductImage, ProductPage,
    ProductQuery, ProductStatus, ProductSummary, ProductUpdate, Variant, VariantEdit, VariantId,
    VariantUpdate, WeightUnit,
};
pub use customers::{CustomerDetail, CustomerSummary};
pub use disputes::OrderDispute;
pub use error::Error;
pub use inventory::{LedgerEntry, StockCheck, StockLevel, StockMismatch, StockReason};
pub use media::{MediaError, MediaLimits, THUMB_WIDTHS, Thumbnail};
pub use money::{Currency, Money, MoneyError};
pub use orders::{
    Address, CancelPreview, CustomerDetails, Order, OrderActions, OrderEvent, OrderLine,
    OrderQuery, OrderSummary, OrdersExportSummary, PaymentStatus,
};
pub use pricing::{DiscountCode, PricingRules, ShippingRate, Totals};
pub use reports::{CHART_DAYS, DailySales, Dashboard};
pub use setting_keys::SettingKey;
pub use settings::{
    DiscountCodeForm, DiscountCodeInfo, DiscountState, PricingForm, ShippingRateForm,
    StoreSettings, StoreSettingsUpdate,
};
pub use shop::{AppLock, Shop, ShopInfo, default_data_dir};
