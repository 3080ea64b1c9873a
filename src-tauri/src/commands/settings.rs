//! The back office's Settings: the store, taxes and shipping, discount codes, and the Stripe
//! keys. Forms arrive as typed and are checked in the core; Stripe secrets only ever travel
//! into the core, never back: what comes back is a [`StripeStatus`] with the key masked.

use std::sync::Arc;

use flagshop::payments::{ServerKind, StripeConfigUpdate, StripeStatus};
use flagshop::{
    DiscountCodeForm, DiscountCodeInfo, PricingForm, Shop, StoreSettings, StoreSettingsUpdate,
};

use super::{CommandError, Shared, on_shop};

#[tauri::command]
pub async fn store_settings(shop: Shared<'_>) -> Result<StoreSettings, CommandError> {
    on_shop(&shop, |shop| shop.store_settings()).await
}

#[tauri::command]
pub async fn save_store_settings(
    shop: Shared<'_>,
    update: StoreSettingsUpdate,
) -> Result<StoreSettings, CommandError> {
    on_shop(&shop, move |shop| shop.save_store_settings(&update)).await
}

#[tauri::command]
pub async fn pricing_settings(shop: Shared<'_>) -> Result<PricingForm, CommandError> {
    on_shop(&shop, |shop| shop.pricing_form()).await
}

#[tauri::command]
pub async fn save_pricing_settings(
    shop: Shared<'_>,
    form: PricingForm,
) -> Result<PricingForm, CommandError> {
    on_shop(&shop, move |shop| shop.save_pricing_form(&form)).await
}

#[tauri::command]
pub async fn discount_codes(shop: Shared<'_>) -> Result<Vec<DiscountCodeInfo>, CommandError> {
    on_shop(&shop, |shop| shop.discount_codes()).await
}

/// Saves a code (a new one when `new`), then lists them all.
#[tauri::command]
pub async fn save_discount_code(
    shop: Shared<'_>,
    form: DiscountCodeForm,
    new: bool,
) -> Result<Vec<DiscountCodeInfo>, CommandError> {
    on_shop(&shop, move |shop| {
        shop.save_discount_form(&form, new)?;
        shop.discount_codes()
    })
    .await
}

/// Ends a code now, then lists them all.
#[tauri::command]
pub async fn end_discount_code(
    shop: Shared<'_>,
    code: String,
) -> Result<Vec<DiscountCodeInfo>, CommandError> {
    on_shop(&shop, move |shop| {
        shop.end_discount_code(&code)?;
        shop.discount_codes()
    })
    .await
}

/// Deletes a code, then lists the others.
#[tauri::command]
pub async fn delete_discount_code(
    shop: Shared<'_>,
    code: String,
) -> Result<Vec<DiscountCodeInfo>, CommandError> {
    on_shop(&shop, move |shop| {
        shop.delete_discount_code(&code)?;
        shop.discount_codes()
    })
    .await
}

/// The Stripe server and keys in use, the secrets masked.
#[tauri::command]
pub async fn stripe_settings(shop: Shared<'_>) -> Result<StripeStatus, CommandError> {
    on_shop(&shop, |shop| shop.stripe_status()).await
}

/// Saves the Stripe keys the owner typed (live keys refused) and returns the new status.
#[tauri::command]
pub async fn save_stripe_settings(
    shop: Shared<'_>,
    update: StripeConfigUpdate,
) -> Result<StripeStatus, CommandError> {
    save_stripe(&shop, update).await
}

/// Asks the configured Stripe server whether it accepts the key, and says what answered.
#[tauri::command]
pub async fn test_stripe_connection(shop: Shared<'_>) -> Result<String, CommandError> {
    let client = on_shop(&shop, |shop| shop.stripe_client()).await?;
    client
        .account_check()
        .await
        .map_err(flagshop::Error::from)?;
    let server = match client.server_kind() {
        ServerKind::Emulator => "the local Stripe emulator",
        ServerKind::Stripe => "Stripe (test mode)",
    };
    Ok(format!(
        "Connected to {server} at {}: the secret key was accepted.",
        client.base_url()
    ))
}

async fn save_stripe(
    shop: &Arc<Shop>,
    update: StripeConfigUpdate,
) -> Result<StripeStatus, CommandError> {
    on_shop(shop, move |shop| shop.save_stripe_config(&update)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_sent_back_never_holds_a_secret() {
        let dir = tempfile::tempdir().unwrap();
        let shop = Arc::new(Shop::open_blank(dir.path()).unwrap());
        let update = StripeConfigUpdate {
            api_base: Some("http://127.0.0.1:8420".into()),
            secret_key: Some("sk_test_51TopSecretKeyValue1234".into()),
            publishable_key: Some("pk_test_51PublicKey".into()),
            webhook_secret: Some("whsec_SigningSecretValue".into()),
        };
        let status = tauri::async_runtime::block_on(save_stripe(&shop, update)).unwrap();
        let json = serde_json::to_string(&status).unwrap();
        // Unless the environment sets its own key, the saved one is the one in use.
        if status.secret_key_source == Some(flagshop::payments::ConfigSource::Settings) {
            assert_eq!(status.secret_key_masked.as_deref(), Some("sk_test_…1234"));
        }
        for secret in ["TopSecretKeyValue", "SigningSecretValue", "whsec_"] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        let read_back = tauri::async_runtime::block_on(on_shop(&shop, |s| s.stripe_status()));
        let json = serde_json::to_string(&read_back.unwrap()).unwrap();
        assert!(!json.contains("TopSecretKeyValue"), "{json}");
    }
}
