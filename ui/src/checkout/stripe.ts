// Stripe.js, loaded from the address the shop is configured with (Stripe's own, or the stand-in
// a local emulator serves). Card numbers are typed into its card field and go from the page
// straight to the Stripe server: the backend only ever sees the payment method's id.

/** The part of Stripe.js the checkout uses. */
export interface StripeJs {
  elements(): { create(type: 'card', options?: object): CardElement };
  createPaymentMethod?(data: {
    type: 'card';
    card: CardElement;
    billing_details?: object;
  }): Promise<{ paymentMethod?: { id: string }; error?: StripeJsError } | undefined>;
  createToken(card: CardElement): Promise<{ token?: { card?: { id: string } }; error?: StripeJsError }>;
  /**
   * Stripe's call for a PaymentIntent confirmed on the server that needs the customer (3-D
   * Secure): https://docs.stripe.com/js/payment_intents/handle_next_action. The local
   * emulator's stand-in lacks it.
   */
  handleNextAction?(options: {
    clientSecret: string;
  }): Promise<{ paymentIntent?: { status: string }; error?: StripeJsError }>;
  confirmCardPayment(
    clientSecret: string,
  ): Promise<{ paymentIntent?: { status: string }; error?: StripeJsError }>;
}

export interface CardElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}

export interface StripeJsError {
  message?: string;
  code?: string;
  decline_code?: string;
}

declare global {
  interface Window {
    Stripe?: (publishableKey: string) => StripeJs;
  }
}

let loading: Promise<void> | null = null;

/** Loads Stripe.js from `url` once, and makes a client for `publishableKey`. */
export async function loadStripe(url: string, publishableKey: string): Promise<StripeJs> {
  if (!window.Stripe) await load(url);
  // Read again: loading the script is what defines it.
  const Stripe = window.Stripe as Window['Stripe'];
  if (!Stripe) throw new Error(`${url} did not provide Stripe.js.`);
  return Stripe(publishableKey);
}

function load(url: string): Promise<void> {
  loading ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => {
      loading = null;
      reject(new Error(`Stripe.js could not be loaded from ${url}.`));
    };
    document.head.append(script);
  });
  return loading;
}

/**
 * A payment method for the card typed into `card`. Stripe.js creates a PaymentMethod; the local
 * emulator's stand-in cannot, so there the card is tokenised and its card id used, which the
 * emulator accepts as a payment method just the same.
 */
export async function paymentMethodFor(
  stripe: StripeJs,
  card: CardElement,
  billingDetails: { name: string; email: string },
): Promise<string> {
  const created = await stripe.createPaymentMethod?.({
    type: 'card',
    card,
    billing_details: billingDetails,
  });
  if (created?.error) throw new Error(created.error.message ?? 'The card was not accepted.');
  if (created?.paymentMethod) return created.paymentMethod.id;
  const { token, error } = await stripe.createToken(card);
  if (error || !token?.card) throw new Error(error?.message ?? 'The card was not accepted.');
  return token.card.id;
}

/**
 * Lets the customer answer what the bank asks for (3-D Secure) on a PaymentIntent the server
 * confirmed: `handleNextAction` with Stripe.js, `confirmCardPayment` with the emulator's
 * stand-in, which has only that. Resolves once Stripe.js is done, whatever the customer did:
 * the outcome is read back from Stripe by the core, not from here.
 */
export async function authenticate(stripe: StripeJs, clientSecret: string): Promise<void> {
  if (typeof stripe.handleNextAction === 'function') {
    await stripe.handleNextAction({ clientSecret });
  } else {
    await stripe.confirmCardPayment(clientSecret);
  }
}
