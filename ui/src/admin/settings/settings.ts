// What the Settings screen shows and sends, kept out of the components so it can be tested on
// its own. Every rule about the values themselves is the core's: these only word and shape.
import type { ApiError } from '../../lib/api';
import { formatMoney } from '../../lib/money';
import type {
  BackupCounts,
  BackupInfo,
  ConfigSource,
  DiscountCodeForm,
  DiscountCodeInfo,
  DiscountState,
  StripeConfigUpdate,
  StripeStatus,
} from '../../lib/settingsApi';
import { plural, sentence } from '../../lib/text';

/** Messages to show next to fields: `field`, or `field.row` for a row of a list. */
export type FieldErrors = Record<string, string>;

/** An error as messages next to its field, or for the whole section (`form`) when it names none. */
export function fieldErrors(error: ApiError): FieldErrors {
  if (!error.field) return { form: sentence(error.message) };
  const key = error.variant === null ? error.field : `${error.field}.${error.variant}`;
  return { [key]: sentence(error.message) };
}

/** `10% off` or `$5.00 off`. */
export function discountLabel(code: DiscountCodeInfo, currency: string): string {
  return code.percent ? `${code.value_text}% off` : `${formatMoney(code.value, currency)} off`;
}

const day = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

function showDay(iso: string): string {
  return day.format(new Date(`${iso}T00:00:00Z`));
}

/** `Dec 1, 2026 – Dec 31, 2026`, `From Dec 1, 2026`, `Until Dec 31, 2026` or `No end date`. */
export function validity(code: DiscountCodeInfo): string {
  const { starts_on: from, ends_on: to } = code;
  if (from && to) return `${showDay(from)} – ${showDay(to)}`;
  if (from) return `From ${showDay(from)}`;
  if (to) return `Until ${showDay(to)}`;
  return 'No end date';
}

/** `3 / 100` or `3` when there is no limit. */
export function uses(code: DiscountCodeInfo): string {
  return code.usage_limit === null ? String(code.times_used) : `${code.times_used} / ${code.usage_limit}`;
}

export const stateLabels: Record<DiscountState, string> = {
  active: 'Active',
  scheduled: 'Scheduled',
  ended: 'Ended',
  used_up: 'Used up',
};

export function emptyDiscount(): DiscountCodeForm {
  return { code: '', percent: true, value: '', starts_on: '', ends_on: '', usage_limit: '' };
}

export function discountForm(code: DiscountCodeInfo): DiscountCodeForm {
  return {
    code: code.code,
    percent: code.percent,
    value: code.value_text,
    starts_on: code.starts_on ?? '',
    ends_on: code.ends_on ?? '',
    usage_limit: code.usage_limit === null ? '' : String(code.usage_limit),
  };
}

/** The environment variable behind each Stripe value, to name it when it wins. */
export const stripeVariables = {
  api_base: 'STRIPE_API_BASE',
  secret_key: 'STRIPE_SECRET_KEY',
  publishable_key: 'STRIPE_PUBLISHABLE_KEY',
  webhook_secret: 'STRIPE_WEBHOOK_SECRET',
} as const;

export function sourceLabel(source: ConfigSource | null): string {
  switch (source) {
    case 'environment':
      return 'From the environment';
    case 'settings':
      return 'Saved in Settings';
    case 'default':
      return 'Default';
    default:
      return 'Not set';
  }
}

/** "Test payments: local Stripe emulator" or "Stripe (test mode)". */
export function serverLabel(status: StripeStatus): string {
  return status.emulator ? 'Test payments: local Stripe emulator' : 'Stripe (test mode)';
}

/** What the owner typed in the Stripe form. Secrets start empty and are never filled in. */
export interface StripeInputs {
  api_base: string;
  secret_key: string;
  publishable_key: string;
  webhook_secret: string;
}

export function stripeInputs(status: StripeStatus): StripeInputs {
  return {
    api_base: status.api_base_source === 'settings' ? status.api_base : '',
    secret_key: '',
    publishable_key: status.publishable_key_source === 'settings' ? (status.publishable_key ?? '') : '',
    webhook_secret: '',
  };
}

/**
 * The change to send: only what the owner changed, never a value the environment sets (it
 * would win anyway), and a secret only when one was typed (an empty box keeps the saved one).
 */
export function stripeUpdate(inputs: StripeInputs, status: StripeStatus): StripeConfigUpdate {
  const update: StripeConfigUpdate = {};
  const before = stripeInputs(status);
  if (status.api_base_source !== 'environment' && inputs.api_base.trim() !== before.api_base) {
    update.api_base = inputs.api_base.trim();
  }
  if (status.secret_key_source !== 'environment' && inputs.secret_key.trim()) {
    update.secret_key = inputs.secret_key.trim();
  }
  if (
    status.publishable_key_source !== 'environment' &&
    inputs.publishable_key.trim() !== before.publishable_key
  ) {
    update.publishable_key = inputs.publishable_key.trim();
  }
  if (status.webhook_secret_source !== 'environment' && inputs.webhook_secret.trim()) {
    update.webhook_secret = inputs.webhook_secret.trim();
  }
  return update;
}

/** Why a backup was made, as the core names it (`manual`, `daily`, `before restore`…), as a label. */
export function reasonLabel(reason: string): string {
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

/** When a backup was made, in the owner's locale and time zone: "Dec 3, 2026, 3:04 PM". */
export function backupDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** A file's size as a file manager shows it (1 KB = 1000 bytes): "845 KB", "1.2 MB". */
export function fileSize(bytes: number): string {
  if (bytes >= 1e9) return `${oneDecimal.format(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${oneDecimal.format(bytes / 1e6)} MB`;
  if (bytes >= 1e3) return `${whole.format(bytes / 1e3)} KB`;
  return plural(bytes, 'byte', 'bytes');
}

/** What a backup holds, in the list: "46 products · 12 orders · 118 images". */
export function backupContents(counts: BackupCounts): string {
  return [
    plural(counts.products, 'product', 'products'),
    plural(counts.orders, 'order', 'orders'),
    plural(counts.images, 'image', 'images'),
  ].join(' · ');
}

/** The notice after Back up now: "Backed up: 46 products, 12 orders, 1.2 MB". */
export function backedUp(backup: BackupInfo): string {
  const { counts } = backup.manifest;
  return `Backed up: ${plural(counts.products, 'product', 'products')}, ${plural(counts.orders, 'order', 'orders')}, ${fileSize(backup.size)}`;
}
