import { describe, expect, it, vi } from 'vitest';

import { authenticate, paymentMethodFor, type CardElement, type StripeJs } from './stripe';

const card: CardElement = { mount: () => {}, destroy: () => {} };
const details = { name: 'Olena', email: 'olena@example.com' };

function stripe(overrides: Partial<StripeJs>): StripeJs {
  return {
    elements: () => ({ create: () => card }),
    createToken: async () => ({ error: { message: 'no token here' } }),
    confirmCardPayment: async () => ({}),
    ...overrides,
  };
}

describe('paymentMethodFor', () => {
  it("uses Stripe.js's PaymentMethod when it makes one", async () => {
    const js = stripe({ createPaymentMethod: async () => ({ paymentMethod: { id: 'pm_123' } }) });
    expect(await paymentMethodFor(js, card, details)).toBe('pm_123');
  });

  it("uses the token's card with the emulator's stand-in, which makes no PaymentMethod", async () => {
    const js = stripe({
      createPaymentMethod: async () => undefined,
      createToken: async () => ({ token: { card: { id: 'card_abc' } } }),
    });
    expect(await paymentMethodFor(js, card, details)).toBe('card_abc');
  });

  it("passes Stripe's refusal on", async () => {
    const js = stripe({
      createPaymentMethod: async () => ({ error: { message: 'Your card number is incomplete.' } }),
    });
    await expect(paymentMethodFor(js, card, details)).rejects.toThrow(
      'Your card number is incomplete.',
    );
  });
});

describe('authenticate', () => {
  it("hands the client secret to Stripe.js's handleNextAction when it has one", async () => {
    const handleNextAction = vi.fn(async () => ({ paymentIntent: { status: 'succeeded' } }));
    const confirmCardPayment = vi.fn(async () => ({}));
    await authenticate(stripe({ handleNextAction, confirmCardPayment }), 'pi_3_secret_9');
    expect(handleNextAction).toHaveBeenCalledWith({ clientSecret: 'pi_3_secret_9' });
    expect(confirmCardPayment).not.toHaveBeenCalled();
  });

  it("confirms the card payment with the emulator's stand-in, which lacks handleNextAction", async () => {
    const confirmCardPayment = vi.fn(async () => ({}));
    await authenticate(stripe({ confirmCardPayment }), 'pi_3_secret_9');
    expect(confirmCardPayment).toHaveBeenCalledWith('pi_3_secret_9');
  });
});
