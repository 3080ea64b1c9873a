"""Self-check of `localstripe_server.py --today` (today's Stripe on top of localstripe).

Starts the server with `--today --port 0 --exit-with-stdin --async-delay 0.3`, talks to it as a
Stripe client does (form-encoded POSTs, `Authorization: Bearer sk_test_x`,
`Stripe-Version: 2026-09-30.endive`, Idempotency-Key), and checks every rule of
scripts/stripe_today.py: PaymentIntents, test PaymentMethods and card numbers, 3-D Secure,
idempotency, refunds, disputes, events and their pagination, signed webhooks, the stand-in
Stripe.js, DELETE /_config/data. Also checks that without --today the server is still plain
localstripe (a PaymentIntent with `description` is refused).

Standard library only. If `node` is installed, the stand-in Stripe.js is also run against
the server in a tiny DOM stand-in (createPaymentMethod, handleNextAction, the 3-D Secure
modal's buttons); without node that part is skipped.

    .venv/localstripe/bin/python scripts/check_stripe_today.py     (or any python3 >= 3.8)

Exits 0 when everything holds, 1 with a message naming the first mismatch.
"""

import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "localstripe", "bin", "python")
SERVER = os.path.join(ROOT, "scripts", "localstripe_server.py")
API_VERSION = "2026-09-30.endive"
DELAY = 0.3
SECRET = "sk_test_x"
PUBLISHABLE = "pk_test_x"
WEBHOOK_SECRET = "whsec_check"


class CheckFailed(Exception):
    pass


def expect(condition, message, *details):
    if not condition:
        raise CheckFailed(message + "".join("\n    " + _show(d) for d in details))


def expect_eq(actual, wanted, what):
    expect(actual == wanted, f"{what}: expected {wanted!r}, got {actual!r}")


def _show(value):
    text = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) < 1500 else text[:1500] + "..."


def wait_for(what, probe, timeout=6.0):
    """Polls `probe` until it returns something truthy (the timed changes take DELAY s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Server, HTTP client, webhook sink
# ---------------------------------------------------------------------------------------------

class Server:
    """The wrapper as a child process; it dies with our end of its stdin."""

    def __init__(self, *flags):
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [PYTHON, SERVER, "--port", "0", "--exit-with-stdin", "--quiet", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log)
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            self.log.seek(0)
            raise CheckFailed(f"server did not print its port (got {line!r}); stderr:\n"
                              + self.log.read().decode(errors="replace")[-3000:])
        self.base = f"http://127.0.0.1:{line}"

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise CheckFailed("server did not exit when its stdin closed")


def encode(params, prefix=""):
    """Stripe's form encoding: a[b]=v, a[0]=v. A list of (key, value) pairs is sent as is."""
    if isinstance(params, list) and not prefix:
        return params
    pairs = []
    items = (params.items() if isinstance(params, dict) else
             ((str(i), v) for i, v in enumerate(params)))
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, (dict, list)):
            pairs.extend(encode(value, name))
        elif value is not None:
            pairs.append((name, "true" if value is True else "false" if value is False
                          else str(value)))
    return pairs


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.body = json.loads(raw) if raw else None
        except ValueError:
            self.body = raw.decode(errors="replace")

    @property
    def error(self):
        return (self.body or {}).get("error") or {} if isinstance(self.body, dict) else {}


class Client:
    def __init__(self, base, key=SECRET):
        self.base = base
        self.key = key

    def request(self, method, path, params=None, idempotency_key=None, key="default"):
        key = self.key if key == "default" else key
        data = urllib.parse.urlencode(encode(params or {}))
        url = self.base + path
        body = None
        if method == "GET" and data:
            url += "?" + data
        elif method != "GET":
            body = data.encode()
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        req.add_header("Stripe-Version", API_VERSION)
        if key:
            req.add_header("Authorization", "Bearer " + key)
        if idempotency_key:
            req.add_header("Idempotency-Key", idempotency_key)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, params=None, **kw):
        return self.request("GET", path, params, **kw)

    def post(self, path, params=None, **kw):
        return self.request("POST", path, params, **kw)

    def ok(self, method, path, params=None, **kw):
        r = self.request(method, path, params, **kw)
        expect(r.status == 200, f"{method} {path} {params}: expected 200, got {r.status}",
               r.body)
        return r.body

    def events(self, **params):
        """Every event, newest first, paging with starting_after."""
        found, after = [], None
        while True:
            page = self.ok("GET", "/v1/events", {"limit": 100, "starting_after": after,
                                                 **params})
            found += page["data"]
            if not page["has_more"]:
                return found
            after = page["data"][-1]["id"]

    def events_about(self, object_id, type_=None):
        return [e for e in self.events() if e["data"]["object"].get("id") == object_id
                and (type_ is None or e["type"] == type_)]


class WebhookSink:
    """Collects webhook deliveries: (headers, raw body)."""

    def __init__(self):
        self.deliveries = []
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.deliveries.append((dict(self.headers), raw))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, type_):
        return [(h, raw) for h, raw in list(self.deliveries)
                if json.loads(raw).get("type") == type_]

    def stop(self):
        self.server.shutdown()


def verify_signature(headers, raw, secret):
    """Stripe's scheme: t=...,v1=HMAC-SHA256(secret, "t.body"); at most 300 s old.
    https://docs.stripe.com/webhooks#verify-manually"""
    header = headers.get("Stripe-Signature", "")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    expect("t" in parts and "v1" in parts, f"bad Stripe-Signature header {header!r}")
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw,
                        hashlib.sha256).hexdigest()
    expect(hmac.compare_digest(expected, parts["v1"]), "webhook signature does not verify")
    expect(time.time() - int(parts["t"]) <= 300, "webhook signature too old")


# ---------------------------------------------------------------------------------------------
# Helpers for payments
# ---------------------------------------------------------------------------------------------

def card_intent(c, pm, amount=2000, confirm=True, **extra):
    """A card-only PaymentIntent (payment_method_types[]=card), confirmed with `pm`."""
    params = {"amount": amount, "currency": "usd", "payment_method_types": ["card"],
              "payment_method": pm, "confirm": confirm, **extra}
    return c.post("/v1/payment_intents", params, idempotency_key=os.urandom(8).hex())


def paid_intent(c, pm="pm_card_visa", amount=2000):
    r = card_intent(c, pm, amount)
    expect(r.status == 200 and r.body["status"] == "succeeded",
           f"payment with {pm} did not succeed", r.status, r.body)
    return r.body


def card_pm(c, number, key=None):
    params = {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                       "cvc": "123"}}
    if key:
        params["key"] = key
        return c.post("/v1/payment_methods", params, key=None)
    return c.post("/v1/payment_methods", params)


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

def check_plain_mode():
    """Without --today the wrapper is plain localstripe."""
    server = Server()
    try:
        c = Client(server.base)
        r = c.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                           "description": "an order",
                                           "payment_method": "pm_card_visa"})
        expect(r.status == 400, "plain mode: a PaymentIntent with description must be refused",
               r.status, r.body)
        r = c.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                           "payment_method": "pm_card_visa", "confirm": True})
        expect(r.status == 200 and isinstance(r.body.get("latest_charge"), dict)
               and "charges" in r.body, "plain mode: PaymentIntent not in localstripe's shape",
               r.body)
        js = c.get("/js.stripe.com/v3/")
        expect(js.status == 200 and "handleNextAction" not in js.body,
               "plain mode: Stripe.js must be localstripe's own")
    finally:
        server.stop()


def check_payment_intents(c):
    """https://docs.stripe.com/api/payment_intents, https://docs.stripe.com/upgrades#2023-08-16"""
    r = c.post("/v1/payment_intents", {"amount": 1500, "currency": "usd",
                                       "description": "Order #1",
                                       "metadata": {"order_id": "1"}})
    expect(r.status == 200, "create PaymentIntent with description", r.status, r.body)
    pi = r.body
    expect_eq(pi["automatic_payment_methods"], {"enabled": True, "allow_redirects": "always"},
              "automatic_payment_methods by default")
    for field, wanted in (("status", "requires_payment_method"), ("description", "Order #1"),
                          ("metadata", {"order_id": "1"}), ("latest_charge", None),
                          ("amount_received", 0), ("next_action", None),
                          ("last_payment_error", None), ("object", "payment_intent")):
        expect_eq(pi.get(field), wanted, f"new PaymentIntent {field}")
    expect("charges" not in pi, "PaymentIntent must not have `charges` (2022-11-15)")
    expect(pi["client_secret"].startswith(pi["id"] + "_secret_"), "client_secret", pi)
    expect(isinstance(pi["created"], int) and isinstance(pi["payment_method_types"], list),
           "created / payment_method_types", pi)

    before = len(c.ok("GET", "/v1/payment_intents", {"limit": 100})["data"])
    r = c.post("/v1/payment_intents", {"amount": 1500, "currency": "usd", "confirm": True,
                                       "payment_method": "pm_card_visa"})
    expect(r.status == 400 and r.error.get("type") == "invalid_request_error",
           "confirm=true without return_url on automatic payment methods must be a 400",
           r.status, r.body)
    message = r.error.get("message", "")
    expect("return_url" in message and "allow_redirects" in message and "never" in message,
           "return_url error must be phrased as Stripe does", message)
    after = len(c.ok("GET", "/v1/payment_intents", {"limit": 100})["data"])
    expect_eq(after, before, "a refused create-and-confirm creates no PaymentIntent")

    pi = c.ok("POST", "/v1/payment_intents", {
        "amount": 1500, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa",
        "return_url": "https://shop.example/return"})
    expect_eq(pi["status"], "succeeded", "create+confirm with return_url")
    expect(isinstance(pi["latest_charge"], str) and pi["latest_charge"].startswith("ch_"),
           "latest_charge must be an id", pi)
    expect(pi["payment_method"].startswith("pm_") and pi["payment_method"] != "pm_card_visa",
           "pm_card_visa becomes a new PaymentMethod id", pi)
    expect_eq(pi["amount_received"], 1500, "amount_received")

    # /confirm: refused without return_url, fine with it.
    pi = c.ok("POST", "/v1/payment_intents", {"amount": 700, "currency": "eur",
                                              "payment_method": "pm_card_visa"})
    expect_eq(pi["status"], "requires_confirmation", "intent with a payment method")
    r = c.post(f"/v1/payment_intents/{pi['id']}/confirm")
    expect(r.status == 400 and "return_url" in r.error.get("message", ""),
           "/confirm without return_url must be refused", r.status, r.body)
    pi = c.ok("POST", f"/v1/payment_intents/{pi['id']}/confirm",
              {"return_url": "https://shop.example/return"})
    expect_eq(pi["status"], "succeeded", "/confirm with return_url")

    # allow_redirects=never and payment_method_types[]=card need no return_url.
    pi = c.ok("POST", "/v1/payment_intents", {
        "amount": 900, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    expect_eq(pi["status"], "succeeded", "allow_redirects=never without return_url")
    expect_eq(pi["automatic_payment_methods"], {"enabled": True, "allow_redirects": "never"},
              "automatic_payment_methods with allow_redirects=never")
    pi = c.ok("POST", "/v1/payment_intents", [
        ("amount", "900"), ("currency", "usd"), ("payment_method_types[]", "card"),
        ("confirm", "true"), ("payment_method", "pm_card_mastercard"),
        ("expand[]", "payment_method"), ("expand[]", "latest_charge")])
    expect_eq(pi["status"], "succeeded", "payment_method_types[]=card without return_url")
    expect_eq(pi["automatic_payment_methods"], None, "no automatic payment methods with types")
    expect_eq(pi["payment_method_types"], ["card"], "payment_method_types")
    expect_eq(pi["payment_method"]["card"]["brand"], "mastercard", "expanded card.brand")
    expect_eq(pi["payment_method"]["card"]["last4"], "4444", "expanded card.last4")
    expect_eq(pi["latest_charge"]["object"], "charge", "expand[]=latest_charge")
    expect("refunds" not in pi["latest_charge"], "charge.refunds only when expanded")

    got = c.ok("GET", f"/v1/payment_intents/{pi['id']}",
               [("expand[0]", "payment_method")])
    expect_eq(got["payment_method"]["card"]["last4"], "4444", "GET with expand[0]")
    expect(isinstance(got["latest_charge"], str), "latest_charge unexpanded is an id")

    got = c.ok("POST", f"/v1/payment_intents/{pi['id']}",
               {"metadata": {"note": "x"}, "description": "changed"})
    expect_eq(got["metadata"], {"note": "x"}, "update metadata")
    expect_eq(got["description"], "changed", "update description")

    pi = c.ok("POST", "/v1/payment_intents", {"amount": 500, "currency": "usd"})
    canceled = c.ok("POST", f"/v1/payment_intents/{pi['id']}/cancel",
                    {"cancellation_reason": "abandoned"})
    expect_eq(canceled["status"], "canceled", "cancel")
    expect(canceled["canceled_at"], "canceled_at set", canceled)
    r = c.post(f"/v1/payment_intents/{pi['id']}/cancel")
    expect(r.status == 400 and r.error.get("code") == "payment_intent_unexpected_state",
           "cancel of a canceled intent", r.body)
    expect(c.events_about(pi["id"], "payment_intent.canceled"), "payment_intent.canceled")

    r = c.get("/v1/payment_intents/pi_nope")
    expect(r.status == 404 and r.error.get("code") == "resource_missing", "unknown intent",
           r.body)
    r = c.get("/v1/payment_intents", key=None)
    expect_eq(r.status, 401, "no API key")


DECLINES = [
    ("pm_card_visa_chargeDeclined", "4000000000000002", "card_declined", "generic_decline",
     "Your card was declined."),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "4000000000009995", "card_declined",
     "insufficient_funds", "Your card has insufficient funds."),
    ("pm_card_visa_chargeDeclinedLostCard", "4000000000009987", "card_declined", "lost_card",
     "Your card was declined."),
    ("pm_card_chargeDeclinedExpiredCard", "4000000000000069", "expired_card", None,
     "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "4000000000000127", "incorrect_cvc", None,
     "Your card's security code is incorrect."),
    ("pm_card_chargeDeclinedProcessingError", "4000000000000119", "processing_error", None,
     "An error occurred while processing your card. Try again in a little bit."),
    ("pm_card_chargeCustomerFail", "4000000000000341", "card_declined", None,
     "Your card was declined."),
]


def check_decline(c, pm, code, decline_code, message, label):
    r = card_intent(c, pm)
    err = r.error
    expect(r.status == 402 and err.get("type") == "card_error", f"{label}: 402 card_error",
           r.status, r.body)
    expect_eq(err.get("code"), code, f"{label}: code")
    if decline_code:
        expect_eq(err.get("decline_code"), decline_code, f"{label}: decline_code")
    expect("decline_code" in err, f"{label}: decline_code present", err)
    expect_eq(err.get("message"), message, f"{label}: message")
    expect(str(err.get("charge", "")).startswith("ch_"), f"{label}: charge id", err)
    pi = err.get("payment_intent") or {}
    expect_eq(pi.get("status"), "requires_payment_method", f"{label}: intent status")
    expect_eq((pi.get("last_payment_error") or {}).get("code"), code,
              f"{label}: last_payment_error")
    stored = c.ok("GET", f"/v1/payment_intents/{pi['id']}")
    expect_eq(stored["status"], "requires_payment_method", f"{label}: stored intent status")
    charge = c.ok("GET", f"/v1/charges/{err['charge']}")
    expect_eq((charge["status"], charge["failure_code"]), ("failed", code), f"{label}: charge")
    types = [e["type"] for e in c.events_about(pi["id"])]
    expect("payment_intent.payment_failed" in types, f"{label}: payment_failed event", types)
    expect(c.events_about(err["charge"], "charge.failed"), f"{label}: charge.failed event")
    return pi


def check_test_payment_methods(c):
    """https://docs.stripe.com/testing#declined-payments"""
    for pm, _, code, decline_code, message in DECLINES:
        pi = check_decline(c, pm, code, decline_code, message, pm)
        # Real Stripe lets the same intent be confirmed again with another card.
        retried = c.ok("POST", f"/v1/payment_intents/{pi['id']}/confirm",
                       {"payment_method": "pm_card_visa"})
        expect_eq(retried["status"], "succeeded", f"{pm}: retry with pm_card_visa")
        expect_eq(retried["last_payment_error"], None, f"{pm}: retry clears the error")
    for pm in ("pm_card_visa", "pm_card_mastercard", "pm_card_createDispute",
               "pm_card_refundFail", "pm_card_pendingRefund"):
        paid_intent(c, pm)


def check_card_numbers(c):
    """The same behaviours for card numbers sent to POST /v1/payment_methods."""
    for number, brand in (("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
                          ("4000000000000259", "visa"), ("4000000000005126", "visa"),
                          ("4000000000007726", "visa")):
        pm = card_pm(c, number).body
        expect_eq((pm["card"]["brand"], pm["card"]["last4"]), (brand, number[-4:]),
                  f"card {number}")
        paid_intent(c, pm["id"])
    for _, number, code, decline_code, message in DECLINES:
        pm = card_pm(c, number).body
        check_decline(c, pm["id"], code, decline_code, message, number)
    for number in ("4000002500003155", "4000000000003220", "4000002760003184"):
        pm = card_pm(c, number).body
        r = card_intent(c, pm["id"])
        expect(r.status == 200 and r.body["status"] == "requires_action",
               f"{number}: requires_action", r.body)
    # Stripe.js creates PaymentMethods with the publishable key.
    r = card_pm(c, "4242424242424242", key=PUBLISHABLE)
    expect(r.status == 200 and r.body["id"].startswith("pm_"), "PaymentMethod with pk_", r.body)
    # Attaching verifies the card: decline cards fail there, 4000000000000341 only on charge.
    customer = c.ok("POST", "/v1/customers", {"email": "b@example.com"})["id"]
    for pm, wanted in (("pm_card_visa", 200), ("pm_card_chargeCustomerFail", 200),
                       ("pm_card_visa_chargeDeclinedInsufficientFunds", 402)):
        r = c.post(f"/v1/payment_methods/{pm}/attach", {"customer": customer})
        expect_eq(r.status, wanted, f"attach {pm}")
        if wanted == 402:
            expect_eq((r.error.get("type"), r.error.get("decline_code")),
                      ("card_error", "insufficient_funds"), f"attach {pm}")
    r = card_pm(c, "4242424242424241")
    expect(r.status == 402 and r.error.get("code") == "incorrect_number",
           "a number failing the Luhn check", r.status, r.body)


def check_three_d_secure(c):
    """https://docs.stripe.com/testing#regulatory-cards"""
    for pm in ("pm_card_threeDSecure2Required", "pm_card_authenticationRequired"):
        for success in (True, False):
            pi = card_intent(c, pm).body
            expect_eq(pi["status"], "requires_action", f"{pm}: status")
            expect_eq(pi["next_action"]["type"], "use_stripe_sdk", f"{pm}: next_action.type")
            expect(isinstance(pi["next_action"]["use_stripe_sdk"], dict), "use_stripe_sdk", pi)
            expect(c.events_about(pi["id"], "payment_intent.requires_action"),
                   f"{pm}: payment_intent.requires_action event")
            wrong = Client(c.base, key=None).post(
                f"/v1/payment_intents/{pi['id']}/_authenticate?success=true",
                {"key": PUBLISHABLE, "client_secret": pi["id"] + "_secret_wrong"})
            expect_eq(wrong.status, 404, "authenticate with a wrong client_secret")
            done = Client(c.base, key=None).post(
                f"/v1/payment_intents/{pi['id']}/_authenticate?success={str(success).lower()}",
                {"key": PUBLISHABLE, "client_secret": pi["client_secret"]})
            expect_eq(done.status, 200, f"{pm}: authenticate")
            pi = done.body
            if success:
                expect_eq(pi["status"], "succeeded", f"{pm}: after Complete authentication")
                expect(str(pi["latest_charge"]).startswith("ch_"), "charge after 3DS", pi)
            else:
                expect_eq(pi["status"], "requires_payment_method", f"{pm}: after failure")
                expect_eq(pi["last_payment_error"]["code"],
                          "payment_intent_authentication_failure", f"{pm}: failure code")
                expect(c.events_about(pi["id"], "payment_intent.payment_failed"),
                       "payment_failed after failed authentication")
                retried = c.ok("POST", f"/v1/payment_intents/{pi['id']}/confirm",
                               {"payment_method": "pm_card_visa"})
                expect_eq(retried["status"], "succeeded", "retry after failed 3DS")


def check_idempotency(c):
    """https://docs.stripe.com/api/idempotent_requests"""
    key = "order-7-" + os.urandom(4).hex()
    params = {"amount": 3100, "currency": "usd", "payment_method_types": ["card"],
              "payment_method": "pm_card_visa", "confirm": True, "metadata": {"order_id": "7"}}
    first = c.post("/v1/payment_intents", params, idempotency_key=key)
    expect_eq(first.status, 200, "first idempotent request")
    again = c.post("/v1/payment_intents", params, idempotency_key=key)
    expect(again.status == 200 and again.raw == first.raw, "replay must give the same body")
    expect_eq(again.headers.get("Idempotent-Replayed"), "true", "Idempotent-Replayed header")
    created = c.events_about(first.body["id"], "payment_intent.created")
    expect_eq(len(created), 1, "a replay creates no second event")
    expect_eq(created[0]["request"]["idempotency_key"], key, "event request.idempotency_key")
    expect(str(created[0]["request"]["id"]).startswith("req_"), "event request.id", created[0])

    other = c.post("/v1/payment_intents", {**params, "amount": 3200}, idempotency_key=key)
    expect(other.status == 400 and other.error.get("type") == "idempotency_error",
           "same key, other parameters", other.status, other.body)
    expect(other.error.get("message", "").startswith(
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with."), "idempotency_error message", other.body)
    path = c.post("/v1/refunds", {"payment_intent": first.body["id"]}, idempotency_key=key)
    expect(path.status == 400 and path.error.get("type") == "idempotency_error",
           "same key, other path", path.status, path.body)
    fresh = c.post("/v1/payment_intents", params, idempotency_key=key, key="sk_test_other")
    expect(fresh.status == 200 and fresh.body["id"] != first.body["id"],
           "keys are per account (secret key)")

    key = "decline-" + os.urandom(4).hex()
    declined = c.post("/v1/payment_intents", {**params, "payment_method":
                                              "pm_card_visa_chargeDeclined"},
                      idempotency_key=key)
    replay = c.post("/v1/payment_intents", {**params, "payment_method":
                                            "pm_card_visa_chargeDeclined"},
                    idempotency_key=key)
    expect(declined.status == replay.status == 402 and declined.raw == replay.raw
           and replay.headers.get("Idempotent-Replayed") == "true", "a decline is replayed")

    key = "refused-" + os.urandom(4).hex()
    auto = {"amount": 900, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True}
    refused = c.post("/v1/payment_intents", auto, idempotency_key=key)
    expect_eq(refused.status, 400, "refused request")
    ok = c.post("/v1/payment_intents", {**auto, "return_url": "https://x.example/r"},
                idempotency_key=key)
    expect(ok.status == 200 and ok.headers.get("Idempotent-Replayed") is None,
           "a request refused before it ran saves nothing", ok.status, ok.body)


def check_refunds(c):
    """https://docs.stripe.com/api/refunds, https://docs.stripe.com/testing#refunds"""
    pi = paid_intent(c, amount=5000)
    r1 = c.ok("POST", "/v1/refunds", {"payment_intent": pi["id"], "amount": 2000,
                                      "metadata": {"why": "damaged"}},
              idempotency_key=os.urandom(8).hex())
    for field, wanted in (("object", "refund"), ("amount", 2000), ("currency", "usd"),
                          ("charge", pi["latest_charge"]), ("payment_intent", pi["id"]),
                          ("status", "succeeded"), ("metadata", {"why": "damaged"}),
                          ("failure_reason", None)):
        expect_eq(r1.get(field), wanted, f"refund {field}")
    expect(r1["id"].startswith("re_") and "reason" in r1 and "created" in r1, "refund", r1)
    charge = c.ok("GET", f"/v1/charges/{pi['latest_charge']}")
    expect_eq((charge["amount_refunded"], charge["refunded"]), (2000, False), "partial refund")
    too_much = c.post("/v1/refunds", {"payment_intent": pi["id"], "amount": 4000})
    expect(too_much.status == 400 and too_much.error.get("code") == "amount_too_large",
           "refund above what is left", too_much.body)
    expect_eq(too_much.error.get("message"),
              "Refund amount ($40.00) is greater than unrefunded amount on charge ($30.00)",
              "amount_too_large message")
    r2 = c.ok("POST", "/v1/refunds", {"charge": pi["latest_charge"]})
    expect_eq(r2["amount"], 3000, "default refund amount: all that is left")
    charge = c.ok("GET", f"/v1/charges/{pi['latest_charge']}", {"expand": ["refunds"]})
    expect_eq((charge["amount_refunded"], charge["refunded"]), (5000, True), "full refund")
    expect_eq([r["id"] for r in charge["refunds"]["data"]], [r2["id"], r1["id"]],
              "expanded charge.refunds")
    again = c.post("/v1/refunds", {"payment_intent": pi["id"]})
    expect(again.status == 400 and again.error.get("code") == "charge_already_refunded",
           "refund of a fully refunded charge", again.body)
    expect_eq(c.ok("GET", f"/v1/refunds/{r1['id']}")["amount"], 2000, "GET /v1/refunds/{id}")
    page = c.ok("GET", "/v1/refunds", {"payment_intent": pi["id"], "limit": 1})
    expect(page["object"] == "list" and page["has_more"] and
           [r["id"] for r in page["data"]] == [r2["id"]], "refund list, newest first", page)
    expect(c.events_about(r1["id"], "refund.created"), "refund.created")
    refunded = c.events_about(charge["id"], "charge.refunded")
    expect(len(refunded) == 2 and refunded[0]["data"]["object"]["object"] == "charge",
           "charge.refunded events carry the charge", refunded)
    unpaid = c.ok("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    expect_eq(c.post("/v1/refunds", {"payment_intent": unpaid["id"]}).status, 400,
              "refund of an unpaid intent")

    pending_pi = paid_intent(c, "pm_card_pendingRefund")
    pending = c.ok("POST", "/v1/refunds", {"payment_intent": pending_pi["id"]})
    expect_eq(pending["status"], "pending", "pm_card_pendingRefund: refund starts pending")
    wait_for("pending refund to succeed",
             lambda: c.ok("GET", f"/v1/refunds/{pending['id']}")["status"] == "succeeded")
    types = [e["type"] for e in c.events_about(pending["id"])]
    expect("refund.updated" in types and "charge.refund.updated" in types,
           "events of a settled pending refund", types)

    number_pm = card_pm(c, "4000000000005126").body
    failing_pi = paid_intent(c, number_pm["id"], amount=1200)
    failing = c.ok("POST", "/v1/refunds", {"payment_intent": failing_pi["id"]})
    expect_eq(failing["status"], "succeeded", "4000000000005126: refund starts succeeded")
    expect_eq(c.ok("GET", f"/v1/charges/{failing_pi['latest_charge']}")["amount_refunded"],
              1200, "amount_refunded before the failure")
    failed = wait_for("refund to fail", lambda: (lambda r: r if r["status"] == "failed"
                                                 else None)(
        c.ok("GET", f"/v1/refunds/{failing['id']}")))
    expect(failed["failure_reason"], "failure_reason of a failed refund", failed)
    expect_eq(c.ok("GET", f"/v1/charges/{failing_pi['latest_charge']}")["amount_refunded"],
              0, "amount_refunded drops back after the failure")
    types = [e["type"] for e in c.events_about(failing["id"])]
    for wanted in ("refund.failed", "refund.updated", "charge.refund.updated"):
        expect(wanted in types, f"{wanted} after a failed refund", types)


def check_disputes(c):
    """https://docs.stripe.com/testing#disputes, https://docs.stripe.com/api/disputes"""
    def dispute_of(pi):
        return wait_for(f"dispute of {pi['id']}", lambda: c.ok(
            "GET", "/v1/disputes", {"payment_intent": pi["id"]})["data"])[0]

    pi = paid_intent(c, "pm_card_createDispute", amount=4200)
    dispute = dispute_of(pi)
    for field, wanted in (("object", "dispute"), ("amount", 4200), ("currency", "usd"),
                          ("charge", pi["latest_charge"]), ("payment_intent", pi["id"]),
                          ("reason", "fraudulent"), ("status", "needs_response"),
                          ("is_charge_refundable", False), ("livemode", False)):
        expect_eq(dispute.get(field), wanted, f"dispute {field}")
    details = dispute["evidence_details"]
    expect_eq(details["due_by"], dispute["created"] + 7 * 24 * 3600, "evidence due_by")
    expect_eq((details["has_evidence"], details["past_due"], details["submission_count"]),
              (False, False, 0), "evidence_details")
    expect(dispute["id"].startswith("du_"), "dispute id", dispute)
    expect_eq(c.ok("GET", f"/v1/charges/{pi['latest_charge']}")["disputed"], True,
              "charge.disputed")
    expect(c.events_about(dispute["id"], "charge.dispute.created"), "charge.dispute.created")
    expect_eq(c.ok("GET", f"/v1/disputes/{dispute['id']}")["id"], dispute["id"], "GET dispute")
    expect_eq([d["id"] for d in c.ok("GET", "/v1/disputes",
                                     {"charge": pi["latest_charge"]})["data"]],
              [dispute["id"]], "disputes by charge")
    expect_eq(c.post("/v1/refunds", {"payment_intent": pi["id"]}).error.get("code"),
              "charge_disputed", "refund of a disputed charge")
    closed = c.ok("POST", f"/v1/disputes/{dispute['id']}/close")
    expect_eq(closed["status"], "lost", "closing a dispute accepts it")
    expect(c.events_about(dispute["id"], "charge.dispute.closed"), "charge.dispute.closed")

    for evidence, outcome in (("winning_evidence", "won"), ("losing_evidence", "lost")):
        pm = card_pm(c, "4000000000000259").body
        pi = paid_intent(c, pm["id"])
        dispute = dispute_of(pi)
        updated = c.ok("POST", f"/v1/disputes/{dispute['id']}",
                       {"evidence": {"uncategorized_text": evidence}})
        expect_eq(updated["status"], "under_review", f"{evidence}: under_review")
        expect_eq(updated["evidence_details"]["submission_count"], 1, "submission_count")
        expect(c.events_about(dispute["id"], "charge.dispute.updated"),
               "charge.dispute.updated")
        wait_for(f"dispute {outcome}", lambda: c.ok(
            "GET", f"/v1/disputes/{dispute['id']}")["status"] == outcome)
        expect(c.events_about(dispute["id"], "charge.dispute.closed"),
               f"charge.dispute.closed when {outcome}")


def check_events(c):
    """https://docs.stripe.com/api/events/list, https://docs.stripe.com/api/pagination"""
    pi = paid_intent(c)
    recent = c.ok("GET", "/v1/events", {"limit": 3})
    expect_eq((recent["object"], recent["url"]), ("list", "/v1/events"), "events envelope")
    expect_eq([e["type"] for e in recent["data"]],
              ["payment_intent.succeeded", "charge.succeeded", "payment_intent.created"],
              "newest first, stable within one second")
    event = recent["data"][0]
    for field, wanted in (("object", "event"), ("api_version", API_VERSION),
                          ("livemode", False), ("pending_webhooks", 0)):
        expect_eq(event.get(field), wanted, f"event {field}")
    expect(event["id"].startswith("evt_") and isinstance(event["created"], int)
           and set(event["request"]) == {"id", "idempotency_key"}, "event fields", event)
    expect_eq(event["data"]["object"]["id"], pi["id"], "event data.object")
    expect(isinstance(event["data"]["object"]["latest_charge"], str),
           "event snapshots are in today's shape", event)
    for bad in (0, 101):
        expect_eq(c.get("/v1/events", {"limit": bad}).status, 400, f"limit={bad}")
    expect_eq(c.get("/v1/events", {"starting_after": "evt_nope"}).status, 400,
              "unknown starting_after")

    burst = c.ok("POST", "/_config/events/burst", {"count": 150, "payment_intent": pi["id"]})
    expect_eq((burst["count"], burst["type"]), (150, "payment_intent.created"), "burst")
    c.ok("POST", "/_config/events/burst", {"count": 5})
    newest = paid_intent(c)
    everything = c.events()
    ids = [e["id"] for e in everything]
    expect_eq(len(ids), len(set(ids)), "no event twice across pages")
    created = [e["created"] for e in everything]
    expect(created == sorted(created, reverse=True), "pages newest first")
    expect_eq(everything[0]["data"]["object"]["id"], newest["id"], "newest event first")
    position = ids.index(burst["newest"])
    expect_eq(ids.index(burst["oldest"]), position + 149, "burst events are consecutive")
    page = c.ok("GET", "/v1/events", {"starting_after": burst["newest"], "limit": 100})
    expect_eq([e["id"] for e in page["data"]], ids[position + 1:position + 101],
              "starting_after gives the older page")
    expect(page["has_more"], "has_more on a middle page")
    page = c.ok("GET", "/v1/events", {"ending_before": burst["oldest"], "limit": 5})
    oldest = ids.index(burst["oldest"])
    expect_eq([e["id"] for e in page["data"]], ids[oldest - 5:oldest],
              "ending_before gives the newer page, newest first")
    expect(page["has_more"], "has_more towards newer events")
    page = c.ok("GET", "/v1/events", {"ending_before": ids[2], "limit": 5})
    expect_eq(([e["id"] for e in page["data"]], page["has_more"]), (ids[:2], False),
              "ending_before near the newest event")
    last = c.ok("GET", "/v1/events", {"starting_after": ids[-3], "limit": 10})
    expect_eq(([e["id"] for e in last["data"]], last["has_more"]), (ids[-2:], False),
              "last page")

    typed = c.events(type="charge.succeeded")
    expect(typed and all(e["type"] == "charge.succeeded" for e in typed), "type filter")
    both = c.events(types=["refund.created", "charge.dispute.created"])
    expect({e["type"] for e in both} == {"refund.created", "charge.dispute.created"},
           "types[] filter", sorted({e["type"] for e in both}))
    wild = c.events(type="charge.dispute.*")
    expect({e["type"] for e in wild} >= {"charge.dispute.created", "charge.dispute.closed"}
           and all(e["type"].startswith("charge.dispute.") for e in wild), "type wildcard")
    now = everything[0]["created"]
    expect(all(e["created"] >= now for e in c.events(created={"gte": now})), "created[gte]")
    expect(all(e["created"] < now for e in c.events(created={"lt": now})), "created[lt]")
    expect_eq(len(c.events(created={"gt": now + 1000})), 0, "created[gt] in the future")


def check_webhooks(c, sink):
    """Signed deliveries of ours and of localstripe's own events.
    https://docs.stripe.com/webhooks#verify-events"""
    pi = paid_intent(c)
    customer = c.ok("POST", "/v1/customers", {"email": "a@example.com"})

    def delivered(type_, object_id):
        return [(h, raw) for h, raw in sink.of_type(type_)
                if json.loads(raw)["data"]["object"]["id"] == object_id]

    for type_, object_id in (("payment_intent.succeeded", pi["id"]),
                             ("customer.created", customer["id"])):
        headers, raw = wait_for(f"webhook {type_}", lambda: delivered(type_, object_id))[0]
        verify_signature(headers, raw, WEBHOOK_SECRET)
        expect_eq(json.loads(raw)["api_version"], API_VERSION, f"webhook {type_} api_version")
    for type_ in ("refund.created", "charge.refunded", "charge.dispute.created",
                  "charge.dispute.closed", "refund.failed", "payment_intent.payment_failed"):
        expect(sink.of_type(type_), f"a {type_} webhook was delivered")


def check_stripe_js(c):
    """The stand-in Stripe.js: https://docs.stripe.com/js/payment_intents/handle_next_action"""
    r = c.get("/js.stripe.com/v3/", key=None)
    expect(r.status == 200 and "javascript" in r.headers.get("Content-Type", ""),
           "Stripe.js is served", r.status)
    js = r.raw.decode()
    for needle in ("handleNextAction", "createPaymentMethod", "Complete authentication",
                   "Fail authentication", "threeds-complete", "threeds-fail"):
        expect(needle in js, f"Stripe.js lacks {needle}")
    node = shutil.which("node")
    if node:
        run_stripe_js_in_node(node, c)
        return "in node"
    return "served (node not installed: not run)"


NODE_HARNESS = r"""
// A DOM just big enough for localstripe's fake Stripe.js; buttons are "clicked" by text.
const [base, pi3ds, piFail, choice] = process.argv.slice(2);
const made = [];
function element(tag) {
  const el = Object.assign(Object.create(window.Element.prototype), {tag, children: [], style: {}, attributes: {}, listeners: {}, value: '',
    textContent: '', parent: null,
    setAttribute(k, v) { this.attributes[k] = v; },
    getAttribute(k) { return this.attributes[k]; },
    appendChild(c) { c.parent = this; this.children.push(c); return c; },
    append(...cs) { cs.forEach(c => this.appendChild(c)); },
    addEventListener(type, fn) { this.listeners[type] = fn; },
    remove() { if (this.parent) { this.parent.children = this.parent.children.filter(c => c !== this); } },
    focus() {},
  });
  made.push(el);
  return el;
}
globalThis.window = globalThis;
window.Element = function DomElement() {};
globalThis.document = {
  currentScript: {src: base + '/js.stripe.com/v3/'},
  getElementsByTagName: () => [],
  createElement: element,
  querySelector: () => element('div'),
  body: element('body'),
};
function shown(el) {
  while (el && el !== document.body) {
    if (!el.parent || !el.parent.children.includes(el)) { return false; }
    el = el.parent;
  }
  return el === document.body;
}
function clickWhenShown(text) {
  const timer = setInterval(() => {
    const b = made.find(el => el.tag === 'button' && el.textContent === text && shown(el));
    if (b) { clearInterval(timer); b.listeners.click(); }
  }, 10);
}
(async () => {
  const source = await (await fetch(base + '/js.stripe.com/v3/')).text();
  new Function(source.replace('const LOCALSTRIPE_BASE_API', 'var LOCALSTRIPE_BASE_API'))();
  const stripe = Stripe('pk_test_x');
  const elements = stripe.elements();
  const card = elements.create('card');
  card.mount(element('div'));
  card._inputs.number.value = '4000 0025 0000 3155';
  card._inputs.exp_month.value = '12';
  card._inputs.exp_year.value = '34';
  card._inputs.cvc.value = '123';
  const out = {};
  out.created = await stripe.createPaymentMethod({type: 'card', card,
                                                  billing_details: {name: 'Ada'}});
  clickWhenShown('Complete authentication');
  out.completed = await stripe.handleNextAction({clientSecret: pi3ds});
  clickWhenShown('Fail authentication');
  out.failed = await stripe.confirmCardPayment(piFail);
  out.modalGone = !made.some(el => el.attributes['data-testid'] === 'threeds-modal' && shown(el));
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""


def run_stripe_js_in_node(node, c):
    """Drives the stand-in Stripe.js: a PaymentMethod from the card Element, then the 3-D
    Secure modal's two buttons."""
    secrets = []
    for _ in range(2):
        pi = card_intent(c, "pm_card_threeDSecure2Required").body
        expect_eq(pi["status"], "requires_action", "3DS intent for Stripe.js")
        secrets.append(pi["client_secret"])
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(NODE_HARNESS)
    try:
        run = subprocess.run([node, f.name, c.base, *secrets], capture_output=True, text=True,
                             timeout=30)
    finally:
        os.unlink(f.name)
    expect(run.returncode == 0, "Stripe.js in node failed", run.stdout, run.stderr)
    try:
        out = json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise CheckFailed("Stripe.js in node printed no result:\n" + run.stdout + run.stderr)
    pm = out["created"].get("paymentMethod") or {}
    expect_eq((pm.get("card") or {}).get("last4"), "3155", "createPaymentMethod last4")
    expect_eq(pm["billing_details"]["name"], "Ada", "createPaymentMethod billing_details")
    expect_eq((out["completed"].get("paymentIntent") or {}).get("status"), "succeeded",
              "handleNextAction + Complete authentication")
    error = out["failed"].get("error") or {}
    expect_eq(error.get("code"), "payment_intent_authentication_failure",
              "confirmCardPayment + Fail authentication")
    expect(error.get("message") and error.get("payment_intent", {}).get("status") ==
           "requires_payment_method", "failure result", out["failed"])
    expect(out["modalGone"], "the modal closes after a click")
    # The PaymentMethod made in the page pays like the number typed (3-D Secure card).
    expect_eq(card_intent(c, pm["id"]).body["status"], "requires_action",
              "PaymentMethod from Stripe.js keeps its card's behaviour")


def check_flush(c):
    """DELETE /_config/data empties localstripe's store and ours (idempotency keys, timers)."""
    key = "flush-" + os.urandom(4).hex()
    before = c.post("/v1/payment_intents", {"amount": 100, "currency": "usd"},
                    idempotency_key=key).body
    pi = paid_intent(c, "pm_card_pendingRefund")
    c.ok("POST", "/v1/refunds", {"payment_intent": pi["id"]})
    r = c.request("DELETE", "/_config/data", key=None)
    expect_eq(r.status, 200, "DELETE /_config/data")
    time.sleep(DELAY * 3)
    expect_eq(c.ok("GET", "/v1/events")["data"], [], "no events after the flush")
    for path in ("/v1/refunds", "/v1/disputes", "/v1/payment_intents"):
        expect_eq(c.ok("GET", path)["data"], [], f"{path} after the flush")
    after = c.post("/v1/payment_intents", {"amount": 100, "currency": "usd"},
                   idempotency_key=key)
    expect(after.status == 200 and after.body["id"] != before["id"]
           and after.headers.get("Idempotent-Replayed") is None,
           "idempotency keys are gone after the flush")


CHECKS = [
    ("PaymentIntents", check_payment_intents),
    ("test PaymentMethods", check_test_payment_methods),
    ("card numbers", check_card_numbers),
    ("3-D Secure", check_three_d_secure),
    ("idempotency", check_idempotency),
    ("refunds", check_refunds),
    ("disputes", check_disputes),
    ("events", check_events),
]


def main():
    if not os.path.exists(PYTHON):
        print(f"FAIL: {PYTHON} is missing; run scripts/localstripe.sh", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        check_plain_mode()
        print("ok   plain mode: localstripe unchanged")
        server = Server("--today", "--async-delay", str(DELAY))
        sink = WebhookSink()
        try:
            c = Client(server.base)
            r = c.request("POST", "/_config/webhooks/check",
                          {"url": sink.url, "secret": WEBHOOK_SECRET}, key=None)
            expect_eq(r.status, 200, "register webhook")
            for name, check in CHECKS:
                check(c)
                print(f"ok   {name}")
            check_webhooks(c, sink)
            print("ok   webhooks")
            how = check_stripe_js(c)
            print(f"ok   stand-in Stripe.js ({how})")
            check_flush(c)
            print("ok   DELETE /_config/data")
        finally:
            sink.stop()
            server.stop()
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print(f"all checks passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
