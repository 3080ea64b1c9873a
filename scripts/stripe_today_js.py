"""Today's Stripe.js methods, appended in --today mode to localstripe's fake Stripe.js.

localstripe serves a stand-in Stripe.js at /js.stripe.com/v3/ (card Element, createToken,
confirmCardPayment through its /_authenticate endpoint). It lacks what a page built on
today's Stripe.js calls; this script adds, on every `Stripe(pk)` object:

- createPaymentMethod({type: 'card', card: cardElement, billing_details})
  -> {paymentMethod} | {error}: makes a real PaymentMethod on the server from the number
  typed into localstripe's card Element (POST /v1/payment_methods with the publishable key).
  https://docs.stripe.com/js/payment_methods/create_payment_method
- handleNextAction({clientSecret}) -> {paymentIntent} | {error}: for an intent in
  requires_action, shows an in-page 3-D Secure modal (plain DOM, buttons "Complete
  authentication" / "Fail authentication", data-testid threeds-complete / threeds-fail) and
  ends the challenge through localstripe's POST /v1/payment_intents/{id}/_authenticate.
  Failure resolves {error: {code: 'payment_intent_authentication_failure', message,
  payment_intent}}. https://docs.stripe.com/js/payment_intents/handle_next_action
- confirmCardPayment(clientSecret, data?, options?): confirms with the publishable key and
  client_secret (creating the PaymentMethod from an Element if given), then handles 3-D
  Secure the same way; an intent already in requires_action goes straight to the modal.
  https://docs.stripe.com/js/payment_intents/confirm_card_payment
- handleCardAction(clientSecret): the older name of handleNextAction.
  https://docs.stripe.com/js/payment_intents/handle_card_action
- retrievePaymentIntent(clientSecret) -> {paymentIntent} | {error}.
  https://docs.stripe.com/js/payment_intents/retrieve_payment_intent
"""

TODAY_STRIPE_JS = r"""
// ---- Today's Stripe.js methods (scripts/stripe_today_js.py, localstripe_server.py --today) ----
(function () {
  'use strict';
  const base = LOCALSTRIPE_BASE_API;
  const localstripeStripe = window.Stripe;

  // Stripe's form encoding: a[b][c]=v, a[0]=v.
  function encodeForm(value, prefix, out) {
    out = out || [];
    if (value === null || value === undefined) {
      return out;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => encodeForm(item, `${prefix}[${i}]`, out));
    } else if (typeof value === 'object') {
      Object.keys(value).forEach(key => {
        encodeForm(value[key], prefix ? `${prefix}[${key}]` : key, out);
      });
    } else {
      out.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(value)));
    }
    return out;
  }

  async function call(method, path, params) {
    try {
      const form = encodeForm(params).join('&');
      const response = method === 'GET'
        ? await fetch(`${base}${path}?${form}`)
        : await fetch(`${base}${path}`, {
          method,
          headers: {'Content-Type': 'application/x-www-form-urlencoded'},
          body: form,
        });
      const body = await response.json().catch(() => ({}));
      return {ok: response.ok && !body.error, body};
    } catch (err) {
      return {ok: false, body: {error: {type: 'api_connection_error',
                                        message: String(err && err.message || err)}}};
    }
  }

  function intentId(clientSecret) {
    const match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    return match && match[1];
  }

  function badClientSecret(clientSecret) {
    return {error: {type: 'invalid_request_error', code: 'invalid_client_secret',
                    message: 'Invalid value for clientSecret: it should be a client secret ' +
                             `of the form \${id}_secret_\${secret}. You specified: ${clientSecret}.`}};
  }

  // The card typed into localstripe's card Element, or a plain {number, exp_month, ...}.
  function cardFrom(card) {
    const inputs = card && card._inputs;
    const raw = inputs
      ? {number: inputs.number.value, exp_month: inputs.exp_month.value,
         exp_year: inputs.exp_year.value, cvc: inputs.cvc.value,
         postal_code: inputs.postal_code.value}
      : (card || {});
    const digits = v => String(v === undefined || v === null ? '' : v).replace(/\D/g, '');
    let year = digits(raw.exp_year);
    if (year.length === 2) {
      year = '20' + year;
    }
    return {number: digits(raw.number), exp_month: digits(raw.exp_month), exp_year: year,
            cvc: digits(raw.cvc), postal_code: raw.postal_code || ''};
  }

  // Like Stripe's own 3-D Secure test page, in the page itself: two buttons, no iframe.
  function openThreeDSModal() {
    return new Promise(resolve => {
      const overlay = document.createElement('div');
      overlay.setAttribute('data-testid', 'threeds-modal');
      overlay.setAttribute('role', 'dialog');
      overlay.setAttribute('aria-modal', 'true');
      overlay.setAttribute('aria-label', '3D Secure authentication');
      Object.assign(overlay.style, {
        position: 'fixed', top: '0', left: '0', right: '0', bottom: '0',
        background: 'rgba(0, 0, 0, 0.5)', display: 'flex', alignItems: 'center',
        justifyContent: 'center', zIndex: '2147483647',
      });
      const box = document.createElement('div');
      Object.assign(box.style, {
        background: '#fff', color: '#111', padding: '24px', borderRadius: '8px',
        maxWidth: '380px', fontFamily: 'sans-serif', textAlign: 'center',
      });
      const title = document.createElement('h2');
      title.textContent = '3D Secure test authentication';
      const text = document.createElement('p');
      text.textContent = 'localstripe stands in for the bank here. Complete or fail the ' +
                         'authentication of this test payment.';
      box.append(title, text);
      const finish = result => {
        overlay.remove();
        resolve(result);
      };
      const button = (label, testId, result, color) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = label;
        b.setAttribute('data-testid', testId);
        Object.assign(b.style, {margin: '6px', padding: '8px 14px', background: color,
                                color: '#fff', border: 'none', borderRadius: '4px',
                                cursor: 'pointer'});
        b.addEventListener('click', () => finish(result));
        box.appendChild(b);
        return b;
      };
      const complete = button('Complete authentication', 'threeds-complete', true, '#2e7d32');
      button('Fail authentication', 'threeds-fail', false, '#c62828');
      overlay.appendChild(box);
      document.body.appendChild(overlay);
      complete.focus();
    });
  }

  function intentResult(ok, body) {
    if (!ok) {
      return {error: body.error || {message: 'Unknown error'}};
    }
    if (body.status === 'requires_payment_method' && body.last_payment_error) {
      return {error: Object.assign({}, body.last_payment_error, {payment_intent: body})};
    }
    return {paymentIntent: body};
  }

  async function createPaymentMethod(apiKey, a, b, c) {
    const data = typeof a === 'string'
      ? Object.assign({type: a, card: b}, c || {})
      : Object.assign({}, a);
    if (data.type !== 'card') {
      return {error: {type: 'invalid_request_error',
                      message: 'localstripe: only type "card" is supported.'}};
    }
    const card = cardFrom(data.card);
    if (!card.number) {
      return {error: {type: 'validation_error', code: 'incomplete_number',
                      message: 'Your card number is incomplete.'}};
    }
    const billing = Object.assign({}, data.billing_details || {});
    if (card.postal_code && !(billing.address && billing.address.postal_code)) {
      billing.address = Object.assign({}, billing.address || {},
                                      {postal_code: card.postal_code});
    }
    const {ok, body} = await call('POST', '/v1/payment_methods', {
      key: apiKey, payment_user_agent: 'localstripe', type: 'card',
      card: {number: card.number, exp_month: card.exp_month, exp_year: card.exp_year,
             cvc: card.cvc},
      billing_details: billing, metadata: data.metadata,
    });
    return ok ? {paymentMethod: body} : {error: body.error || {message: 'Unknown error'}};
  }

  async function retrievePaymentIntent(apiKey, clientSecret) {
    const id = intentId(clientSecret);
    if (!id) {
      return badClientSecret(clientSecret);
    }
    const {ok, body} = await call('GET', `/v1/payment_intents/${id}`,
                                  {key: apiKey, client_secret: clientSecret});
    return ok ? {paymentIntent: body} : {error: body.error};
  }

  async function handleNextAction(apiKey, clientSecret) {
    const retrieved = await retrievePaymentIntent(apiKey, clientSecret);
    if (retrieved.error || retrieved.paymentIntent.status !== 'requires_action') {
      return retrieved;
    }
    const success = await openThreeDSModal();
    const id = intentId(clientSecret);
    const {ok, body} = await call('POST',
                                  `/v1/payment_intents/${id}/_authenticate?success=${success}`,
                                  {key: apiKey, client_secret: clientSecret});
    return intentResult(ok, body);
  }

  async function confirmCardPayment(apiKey, clientSecret, data, options) {
    const retrieved = await retrievePaymentIntent(apiKey, clientSecret);
    if (retrieved.error) {
      return retrieved;
    }
    if (retrieved.paymentIntent.status === 'requires_action') {
      return handleNextAction(apiKey, clientSecret);
    }
    const params = {key: apiKey, client_secret: clientSecret};
    const pm = data && data.payment_method;
    if (typeof pm === 'string') {
      params.payment_method = pm;
    } else if (pm) {
      const created = await createPaymentMethod(apiKey, Object.assign({type: 'card'}, pm));
      if (created.error) {
        return created;
      }
      params.payment_method = created.paymentMethod.id;
    }
    if (data && data.return_url) {
      params.return_url = data.return_url;
    }
    const id = intentId(clientSecret);
    const {ok, body} = await call('POST', `/v1/payment_intents/${id}/confirm`, params);
    if (ok && body.status === 'requires_action' && !(options && options.handleActions === false)) {
      return handleNextAction(apiKey, clientSecret);
    }
    return intentResult(ok, body);
  }

  window.Stripe = function (apiKey, options) {
    const stripe = localstripeStripe(apiKey, options);
    stripe.createPaymentMethod = (a, b, c) => createPaymentMethod(apiKey, a, b, c);
    stripe.retrievePaymentIntent = clientSecret => retrievePaymentIntent(apiKey, clientSecret);
    stripe.handleNextAction = params => handleNextAction(apiKey, (params || {}).clientSecret);
    stripe.handleCardAction = clientSecret => handleNextAction(apiKey, clientSecret);
    stripe.confirmCardPayment = (clientSecret, data, options) =>
      confirmCardPayment(apiKey, clientSecret, data, options);
    return stripe;
  };
  console.log('localstripe: today\'s Stripe.js methods added (createPaymentMethod, ' +
              'handleNextAction, confirmCardPayment, retrievePaymentIntent).');
})();
"""
