// The Settings screen's door to the shell, beside the storefront's (./api) and the back
// office's (./adminApi): the same error handling, typed with the generated bindings. Stripe
// secrets only travel in (StripeConfigUpdate); what comes back is a StripeStatus, masked.
import { call } from './api';
import type { BackupCounts } from './bindings/BackupCounts';
import type { BackupInfo } from './bindings/BackupInfo';
import type { BackupSettings } from './bindings/BackupSettings';
import type { ConfigSource } from './bindings/ConfigSource';
import type { DiscountCodeForm } from './bindings/DiscountCodeForm';
import type { DiscountCodeInfo } from './bindings/DiscountCodeInfo';
import type { DiscountState } from './bindings/DiscountState';
import type { Manifest } from './bindings/Manifest';
import type { PricingForm } from './bindings/PricingForm';
import type { Restored } from './bindings/Restored';
import type { ShippingRateForm } from './bindings/ShippingRateForm';
import type { StoreSettings } from './bindings/StoreSettings';
import type { StoreSettingsUpdate } from './bindings/StoreSettingsUpdate';
import type { StripeConfigUpdate } from './bindings/StripeConfigUpdate';
import type { StripeStatus } from './bindings/StripeStatus';
import type { Verification } from './bindings/Verification';

export const settingsApi = {
  store: () => call('store_settings', {}),
  saveStore: (update: StoreSettingsUpdate) => call('save_store_settings', { update }),
  pricing: () => call('pricing_settings', {}),
  savePricing: (form: PricingForm) => call('save_pricing_settings', { form }),
  discountCodes: () => call('discount_codes', {}),
  /** Saves a code (`isNew`: refused if it exists) and returns every code. */
  saveDiscountCode: (form: DiscountCodeForm, isNew: boolean) =>
    call('save_discount_code', { form, new: isNew }),
  endDiscountCode: (code: string) => call('end_discount_code', { code }),
  deleteDiscountCode: (code: string) => call('delete_discount_code', { code }),
  stripe: () => call('stripe_settings', {}),
  saveStripe: (update: StripeConfigUpdate) => call('save_stripe_settings', { update }),
  /** What the Stripe server said, in a sentence; throws an ApiError when it refused or was unreachable. */
  testStripeConnection: () => call('test_stripe_connection', {}),
  backupSettings: () => call('backup_settings', {}),
  saveBackupSettings: (update: BackupSettings) => call('save_backup_settings', { update }),
  /** The backups in the backup folder, newest first. */
  backups: () => call('list_backups', {}),
  /** Backs the shop up now (a few seconds) and returns the new backup. */
  createBackup: () => call('create_backup', {}),
  /** Checks the backup at `path` through and through, changing nothing. */
  verifyBackup: (path: string) => call('verify_backup', { path }),
  /** Replaces the shop with the backup at `path`, after backing up the shop as it is. */
  restoreBackup: (path: string) => call('restore_backup', { path }),
};

export type {
  BackupCounts,
  BackupInfo,
  BackupSettings,
  ConfigSource,
  DiscountCodeForm,
  DiscountCodeInfo,
  DiscountState,
  Manifest,
  PricingForm,
  Restored,
  ShippingRateForm,
  StoreSettings,
  StoreSettingsUpdate,
  StripeConfigUpdate,
  StripeStatus,
  Verification,
};
