//! Settings → Backups: where backups go and how many are kept, the list, Back up now, and
//! restoring (the app restores itself: the CLI refuses while the app has the shop open).

use flagshop::backups::{BackupInfo, BackupSettings, Restored, Verification};

use super::{CommandError, Shared, on_shop};

#[tauri::command]
pub async fn backup_settings(shop: Shared<'_>) -> Result<BackupSettings, CommandError> {
    on_shop(&shop, |shop| shop.backup_settings()).await
}

#[tauri::command]
pub async fn save_backup_settings(
    shop: Shared<'_>,
    update: BackupSettings,
) -> Result<BackupSettings, CommandError> {
    on_shop(&shop, move |shop| shop.save_backup_settings(&update)).await
}

/// The backups in the backup folder, newest first.
#[tauri::command]
pub async fn list_backups(shop: Shared<'_>) -> Result<Vec<BackupInfo>, CommandError> {
    on_shop(&shop, |shop| shop.list_backups()).await
}

/// Backs the shop up now, into the backup folder.
#[tauri::command]
pub async fn create_backup(shop: Shared<'_>) -> Result<BackupInfo, CommandError> {
    on_shop(&shop, |shop| shop.create_backup(None, "manual")).await
}

/// Checks the backup at `path` through and through, changing nothing: what Restore shows
/// before the owner confirms.
#[tauri::command]
pub async fn verify_backup(shop: Shared<'_>, path: String) -> Result<Verification, CommandError> {
    on_shop(&shop, move |shop| shop.verify_backup(path.as_ref())).await
}

/// Replaces the shop with the backup at `path`, after backing up the shop as it is.
#[tauri::command]
pub async fn restore_backup(shop: Shared<'_>, path: String) -> Result<Restored, CommandError> {
    on_shop(&shop, move |shop| shop.restore_backup(path.as_ref())).await
}
