"""Today's Stripe on top of localstripe: what `localstripe_server.py --today` switches on.

localstripe (1.15.10) answers in Stripe's 2017 dialect. Our app speaks API version
2026-09-30.endive (async-stripe 1.0.0-rc.10), so in today's mode this module wraps
localstripe -- aiohttp middlewares in front of it, a few patched localstripe classes,
and a handful of routes answered here -- to behave like today's Stripe wherever the app
depends on it. Every rule below names the Stripe documentation it follows.

Middlewares, outermost first (localstripe's own three stay where they were):
    request_context  Request-Id / Stripe-Version headers; remembers the request for events
    idempotency      Idempotency-Key replay and conflicts, per secret key
    (localstripe error_middleware)
    today_router     the routes below; anything else falls through to localstripe
    (localstripe auth_middleware, save_store_middleware)

Routes answered here in today's mode (everything else is plain localstripe, whose
objects are exported in today's shape where they are PaymentIntents, Charges or Events):
    POST   /v1/payment_intents                   create (confirm=true too)
    GET    /v1/payment_intents                   list, newest first
    GET    /v1/payment_intents/{id}              retrieve (secret key, or pk_ + client_secret)
    POST   /v1/payment_intents/{id}              update
    POST   /v1/payment_intents/{id}/confirm      confirm (secret key, or pk_ + client_secret)
    POST   /v1/payment_intents/{id}/cancel       cancel
    POST   /v1/payment_intents/{id}/_authenticate  localstripe's 3-D Secure endpoint
                                                 (?success=true|false, client_secret), answered
                                                 the way today's Stripe ends a challenge
    POST   /v1/payment_methods                   create (secret key, or pk_ as Stripe.js does)
    POST   /v1/payment_methods/{id}/attach       attach; decline cards fail as card_error
    GET    /v1/charges                           list, newest first (?payment_intent=)
    POST   /v1/refunds, GET /v1/refunds, GET|POST /v1/refunds/{id}
    GET    /v1/disputes, GET|POST /v1/disputes/{id}, POST /v1/disputes/{id}/close
    GET    /v1/events                            list, newest first, full pagination
    GET    /js.stripe.com/v3/                    localstripe's fake Stripe.js + today's methods
                                                 (createPaymentMethod, handleNextAction, ...)
    DELETE /_config/data                         empties localstripe's store and ours

Test helper (not Stripe; no auth, like localstripe's other /_config routes):
    POST /_config/events/burst   form: count=N (1..1000), payment_intent=pi_... (optional),
                                 type=... (optional), deliver=true|false (default false)
        Records N extra harmless events, so a test can put many events between two
        catch-ups of GET /v1/events. Each event is of `type` (default:
        `payment_intent.created` carrying the current snapshot of `payment_intent` when given,
        else `customer.updated` about a customer that no order refers to). With deliver=true
        they also go to the registered webhooks. Answers
        {"object": "event_burst", "count", "type", "oldest": evt_..., "newest": evt_...}.

Timed transitions (pending refund settles, refund fails, dispute opens, dispute is decided)
happen --async-delay seconds after their cause (default 1.0).
"""

import asyncio
import contextvars
import copy
import datetime
import fnmatch
import inspect
import json
import logging
import os
import re
import time
from dataclasses import dataclass

from aiohttp import web

from localstripe import server as ls_server
from localstripe.errors import UserError
from localstripe.resources import (
    BalanceTransaction, Charge, Customer, Event, PaymentIntent, PaymentMethod, StripeObject, random_id,
    store)
from localstripe.webhooks import schedule_webhook

from stripe_today_js import TODAY_STRIPE_JS

# What async-stripe 1.0.0-rc.10 pins; events carry it.
# https://docs.stripe.com/api/versioning
API_VERSION = "2026-09-30.endive"

log = logging.getLogger("stripe_today")


class _State:
    """Everything today's mode keeps beside localstripe's store."""

    def __init__(self, async_delay):
        self.async_delay = async_delay
        # (secret key, Idempotency-Key) -> _SavedResponse
        self.idempotency = {}
        # Bumped by DELETE /_config/data so that timers started before it do nothing.
        self.generation = 0
        self.tasks = set()


_state = _State(1.0)

# The request an event comes from, for the event's `request` field.
# https://docs.stripe.com/api/events/object#event_object-request
_current_request = contextvars.ContextVar("stripe_request", default=None)


# ---------------------------------------------------------------------------------------------
# Errors in Stripe's shape
# ---------------------------------------------------------------------------------------------

class StripeError(UserError):
    """An error body as Stripe writes it (type, code, message, param, ...).

    localstripe's UserError always says `invalid_request_error`; declines must say
    `card_error` and idempotency conflicts `idempotency_error`.
    https://docs.stripe.com/api/errors
    """

    def __init__(self, status, type, message, **fields):
        super().__init__(status, message, {k: v for k, v in fields.items() if v is not None})
        self.body["error"]["type"] = type


def doc_url(code):
    """Stripe links every error code to its page. https://docs.stripe.com/error-codes"""
    return "https://docs.stripe.com/error-codes/" + code.replace("_", "-") if code else None


def invalid_request(message, code=None, param=None, status=400):
    """A 400 invalid_request_error. https://docs.stripe.com/api/errors"""
    return StripeError(status, "invalid_request_error", message,
                       code=code, param=param, doc_url=doc_url(code))


def no_such(kind, id, param="id"):
    """Stripe's 404 for an unknown id. https://docs.stripe.com/error-codes#resource-missing"""
    return invalid_request(f"No such {kind}: '{id}'", "resource_missing", param, status=404)


def retrieve(cls, id, kind, param="id"):
    """localstripe's lookup, with Stripe's 404 body instead of localstripe's 'Not Found'."""
    if not isinstance(id, str) or not id:
        raise no_such(kind, id, param)
    try:
        return cls._api_retrieve(id)
    except UserError as e:
        if e.code == 404:
            raise no_such(kind, id, param) from None
        raise


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

# Sent by Stripe.js beside the real parameters; never part of an API call's meaning.
_CLIENT_FIELDS = ("key", "payment_user_agent", "referrer", "time_on_page", "guid", "muid",
                  "sid", "use_stripe_sdk")


async def read_params(request):
    """The request's parameters, nested the way localstripe nests form keys.

    POST: form (or JSON) body; GET/DELETE: query string. `metadata[a]=1` becomes a dict,
    `expand[]=x` / `expand[0]=x` a list. Stripe.js's own fields (key, ...) are taken out
    and the publishable key is kept on the request.
    """
    if request.method == "POST":
        data = await ls_server.get_post_data(request, remove_auth=False)
    else:
        data = ls_server.unflatten_data(request.query)
    params = dict(data) if data else {}
    fields = {name: params.pop(name) for name in _CLIENT_FIELDS if name in params}
    key = fields.get("key")
    request["publishable_key"] = key if isinstance(key, str) and key.startswith("pk_") else None
    return params


def check_known(params, allowed):
    """Stripe refuses parameters it does not know.
    https://docs.stripe.com/error-codes#parameter-unknown"""
    for name in params:
        if name not in allowed:
            raise invalid_request(f"Received unknown parameter: {name}", "parameter_unknown", name)


def as_int(params, name, default=None, minimum=None, maximum=None):
    """An integer parameter. https://docs.stripe.com/error-codes#parameter-invalid-integer"""
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid_request(f"Invalid integer: {value}", "parameter_invalid_integer",
                              name) from None
    if minimum is not None and number < minimum:
        raise invalid_request(f"This value must be greater than or equal to {minimum}.",
                              "parameter_invalid_integer", name)
    if maximum is not None and number > maximum:
        raise invalid_request(f"This value must be less than or equal to {maximum}.",
                              "parameter_invalid_integer", name)
    return number


def as_bool(params, name, default=None):
    """A boolean parameter ("true"/"false" in a form). https://docs.stripe.com/api/errors"""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid_request(f"Invalid boolean: {value}", "parameter_invalid_string", name)


def as_str(params, name, choices=None):
    """A string parameter; an empty string means 'unset', as in Stripe's form encoding.
    https://docs.stripe.com/api/metadata (empty value unsets)"""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid_request(f"Invalid string: {value!r}", "parameter_invalid_string", name)
    if choices is not None and value not in choices:
        raise invalid_request(
            f"Invalid {name}: must be one of {', '.join(choices)}", "parameter_invalid_string",
            name)
    return value


def as_dict(params, name):
    """A hash parameter such as metadata[...] or automatic_payment_methods[...]."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid hash: {value!r}", "parameter_invalid_string", name)
    return value


def as_list(params, name):
    """An array parameter (`x[]=a` or `x[0]=a`); a lone string counts as one item."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise invalid_request(f"Invalid array: {value!r}", "parameter_invalid_string", name)
    return value


def updated_metadata(current, changes):
    """Merges metadata the way Stripe does: keys are added or replaced, an empty value removes
    its key. https://docs.stripe.com/api/metadata"""
    metadata = dict(current or {})
    for key, value in (changes or {}).items():
        if value == "" or value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    return metadata


def expand_list(params):
    """`expand[]` as a list of dotted paths. https://docs.stripe.com/api/expanding_objects"""
    return [path for path in (as_list(params, "expand") or []) if isinstance(path, str)]


# ---------------------------------------------------------------------------------------------
# Expansion
# ---------------------------------------------------------------------------------------------

def expand_fields(obj, paths):
    """Replaces ids by objects along each dotted path, at most 4 levels deep.
    https://docs.stripe.com/api/expanding_objects"""
    for path in paths or []:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid_request("You cannot expand more than 4 levels of a property.",
                                  param="expand")
        _expand_path(obj, parts, path)
    return obj


def _expand_path(obj, parts, path):
    if obj is None:
        return
    if isinstance(obj, list):
        for item in obj:
            _expand_path(item, parts, path)
        return
    key, rest = parts[0], parts[1:]
    if not isinstance(obj, dict) or key not in obj:
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    if isinstance(obj[key], str):
        obj[key] = _export_by_id(obj[key], path)
    if rest:
        _expand_path(obj[key], rest, path)


def _export_by_id(id, path):
    cls = StripeObject._get_class_for_id(id)
    if cls is None:
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
    return cls._api_retrieve(id)._export()


# ---------------------------------------------------------------------------------------------
# Lists and pagination
# ---------------------------------------------------------------------------------------------

def stored(cls):
    """Objects of `cls` in the order they were created (localstripe's store keeps it)."""
    return [obj for obj in store.values() if isinstance(obj, cls)]


def created_filter(params):
    """`created` as a timestamp or with gt/gte/lt/lte.
    https://docs.stripe.com/api/events/list#list_events-created"""
    created = params.get("created")
    if created is None or created == "":
        return lambda obj: True
    if not isinstance(created, dict):
        exact = as_int(params, "created")
        return lambda obj: obj.created == exact
    tests = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
             "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
    bounds = []
    for op, value in created.items():
        if op not in tests:
            raise invalid_request(f"Received unknown parameter: created[{op}]",
                                  "parameter_unknown", f"created[{op}]")
        bounds.append((tests[op], as_int(created, op)))
    return lambda obj: all(test(obj.created, bound) for test, bound in bounds)


def paginate(objects, params, url, kind, export, matches=lambda obj: True):
    """A Stripe list envelope over `objects` (oldest first), answered newest first.

    `limit` 1..100 (default 10); `starting_after` gives the page after that object (older),
    `ending_before` the page before it (newer, still newest first inside the page); the
    cursor object's position counts even when filters leave it out; `has_more` says whether
    more objects lie beyond the page in the direction of travel.
    https://docs.stripe.com/api/pagination
    """
    limit = as_int(params, "limit", default=10, minimum=1, maximum=100)
    starting_after = as_str(params, "starting_after")
    ending_before = as_str(params, "ending_before")
    if starting_after and ending_before:
        raise invalid_request("You may only specify one of these parameters: ending_before, "
                              "starting_after.", param="ending_before")
    position = {obj.id: i for i, obj in enumerate(objects)}
    newest_first = [obj for obj in reversed(objects) if matches(obj)]
    if starting_after:
        cursor = _cursor_position(position, starting_after, kind, "starting_after")
        candidates = [obj for obj in newest_first if position[obj.id] < cursor]
        page = candidates[:limit]
    elif ending_before:
        cursor = _cursor_position(position, ending_before, kind, "ending_before")
        candidates = [obj for obj in newest_first if position[obj.id] > cursor]
        page = candidates[-limit:]
    else:
        candidates = newest_first
        page = candidates[:limit]
    item_expand = [p[len("data."):] for p in expand_list(params) if p.startswith("data.")]
    return {"object": "list", "url": url, "has_more": len(candidates) > len(page),
            "data": [export(obj, item_expand) for obj in page]}


def _cursor_position(position, id, kind, param):
    if id not in position:
        raise invalid_request(f"No such {kind}: '{id}'", "resource_missing", param)
    return position[id]


# ---------------------------------------------------------------------------------------------
# Events and webhooks
# ---------------------------------------------------------------------------------------------


def _today_event_init(self, type, data, previous_attributes=None):
    """An event in today's envelope, for localstripe's events and ours alike.

    `data.object` is a deep snapshot, `data.previous_attributes` the changed fields' old
    values, `request` the API request that caused it ({id: null} for automatic changes).
    https://docs.stripe.com/api/events/object
    """
    StripeObject.__init__(self)
    self.type = type
    self.data = {"object": copy.deepcopy(data._export())}
    if previous_attributes:
        self.data["previous_attributes"] = copy.deepcopy(previous_attributes)
    self.api_version = API_VERSION
    self.pending_webhooks = 0
    self.request = dict(_current_request.get() or {"id": None, "idempotency_key": None})


def emit(type, obj, previous_attributes=None):
    """Records an event and delivers it with localstripe's own webhook code (signed
    `Stripe-Signature: t=...,v1=HMAC-SHA256(secret, "t.body")`), like localstripe's events.
    https://docs.stripe.com/webhooks#verify-events"""
    event = Event(type, obj, previous_attributes)
    schedule_webhook(event)
    return event


def later(callback, *args):
    """Runs `callback(*args)` --async-delay seconds from now, outside any request (so its
    events have `request.id: null`), unless DELETE /_config/data came in between.
    https://docs.stripe.com/api/events/object#event_object-request"""
    generation = _state.generation

    async def run():
        await asyncio.sleep(_state.async_delay)
        if generation != _state.generation:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("today's Stripe: a timed change failed")
        store.dump_to_disk()

    task = asyncio.get_running_loop().create_task(run(), context=contextvars.Context())
    _state.tasks.add(task)
    task.add_done_callback(_state.tasks.discard)


def list_events(request, params):
    """GET /v1/events: newest first, filters `type` (with `*` wildcards) or `types[]`
    (up to 20), `created[...]`; paginated.
    https://docs.stripe.com/api/events/list"""
    check_known(params, {"created", "delivery_success", "ending_before", "expand", "limit",
                         "starting_after", "type", "types"})
    type_ = as_str(params, "type")
    types = as_list(params, "types")
    if type_ and types:
        raise invalid_request("You may only specify one of these parameters: type, types.",
                              param="types")
    if types and len(types) > 20:
        raise invalid_request("You may pass at most 20 types.", param="types")
    patterns = types or ([type_] if type_ else None)
    in_period = created_filter(params)

    def matches(event):
        wanted = patterns is None or any(fnmatch.fnmatchcase(event.type, p) for p in patterns)
        return wanted and in_period(event)

    return paginate(stored(Event), params, "/v1/events", "event",
                    lambda event, expand: event._export(), matches)


class _Snapshot:
    """A ready-made `data.object` for the burst helper's synthetic events."""

    def __init__(self, obj):
        self._obj = obj

    def _export(self, expand=None):
        return self._obj


def burst_events(request, params):
    """POST /_config/events/burst: test helper, see the module docstring. Not Stripe."""
    count = as_int(params, "count", minimum=1, maximum=1000)
    if count is None:
        raise invalid_request("Missing required param: count.", "parameter_missing", "count")
    pi_id = as_str(params, "payment_intent")
    deliver = as_bool(params, "deliver", default=False)
    if pi_id:
        subject = retrieve(PaymentIntent, pi_id, "payment_intent", "payment_intent")
        type_ = as_str(params, "type") or "payment_intent.created"
    else:
        subject = _Snapshot({"id": "cus_burst" + random_id(10), "object": "customer",
                             "created": int(time.time()), "livemode": False, "metadata": {},
                             "description": "burst helper: no order refers to this customer"})
        type_ = as_str(params, "type") or "customer.updated"
    events = [(emit if deliver else Event)(type_, subject) for _ in range(count)]
    return {"object": "event_burst", "count": count, "type": type_,
            "oldest": events[0].id, "newest": events[-1].id}


# ---------------------------------------------------------------------------------------------
# Test cards and test PaymentMethods
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Decline:
    """A card error: `code`, `decline_code` and the customer-facing `message`.
    https://docs.stripe.com/declines/codes"""
    code: str
    decline_code: str
    message: str


# https://docs.stripe.com/testing#declined-payments ; wording: https://docs.stripe.com/declines/codes
GENERIC_DECLINE = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT_FUNDS = Decline("card_declined", "insufficient_funds",
                             "Your card has insufficient funds.")
LOST_CARD = Decline("card_declined", "lost_card", "Your card was declined.")
STOLEN_CARD = Decline("card_declined", "stolen_card", "Your card was declined.")
EXPIRED_CARD = Decline("expired_card", "expired_card", "Your card has expired.")
INCORRECT_CVC = Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.")
PROCESSING_ERROR = Decline("processing_error", "processing_error",
                           "An error occurred while processing your card. "
                           "Try again in a little bit.")
# An off-session payment that would need 3-D Secure is declined instead.
# https://docs.stripe.com/testing#authentication-and-setup
AUTHENTICATION_REQUIRED = Decline("authentication_required", "authentication_required",
                                  "Your card was declined. This transaction requires "
                                  "authentication.")


@dataclass(frozen=True)
class CardBehaviour:
    """What a test card does when a PaymentIntent is confirmed with it, and afterwards."""
    authenticate: bool = False  # 3-D Secure challenge first (requires_action)
    decline: Decline = None  # the charge is declined (after authentication, if any)
    dispute: bool = False  # the charge succeeds, then a fraudulent dispute opens
    refund: str = "succeeded"  # refunds: succeeded | pending (then succeeded) | fails


SUCCEEDS = CardBehaviour()

# https://docs.stripe.com/testing#cards, #declined-payments, #regulatory-cards (3-D Secure),
# #disputes, #refunds
CARD_BEHAVIOURS = {
    "4242424242424242": SUCCEEDS,
    "5555555555554444": SUCCEEDS,
    "4000000000000002": CardBehaviour(decline=GENERIC_DECLINE),
    "4000000000009995": CardBehaviour(decline=INSUFFICIENT_FUNDS),
    "4000000000009987": CardBehaviour(decline=LOST_CARD),
    "4000000000009979": CardBehaviour(decline=STOLEN_CARD),
    "4000000000000069": CardBehaviour(decline=EXPIRED_CARD),
    "4000000000000127": CardBehaviour(decline=INCORRECT_CVC),
    "4000000000000119": CardBehaviour(decline=PROCESSING_ERROR),
    # "Attaching this card to a Customer object succeeds, but attempts to charge fail."
    "4000000000000341": CardBehaviour(decline=GENERIC_DECLINE),
    "4000002500003155": CardBehaviour(authenticate=True),
    "4000000000003220": CardBehaviour(authenticate=True),
    "4000002760003184": CardBehaviour(authenticate=True),
    "4000000000003063": CardBehaviour(authenticate=True),
    "4000008260003178": CardBehaviour(authenticate=True, decline=INSUFFICIENT_FUNDS),
    "4000008400001629": CardBehaviour(authenticate=True, decline=GENERIC_DECLINE),
    "4000000000000259": CardBehaviour(dispute=True),
    "4000000000005126": CardBehaviour(refund="fails"),
    "4000000000007726": CardBehaviour(refund="pending"),
}

# Test PaymentMethod ids and the card each stands for.
# https://docs.stripe.com/testing?testing-method=payment-methods
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_refundFail": "4000000000005126",
    "pm_card_pendingRefund": "4000000000007726",
}


def behaviour_of(payment_method):
    """The test behaviour of a PaymentMethod (any other card number simply succeeds)."""
    return CARD_BEHAVIOURS.get(getattr(payment_method, "_card_number", None), SUCCEEDS)


def behaviour_of_charge(charge):
    return behaviour_of(store.get("payment_method:" + (charge.payment_method or "")))


def card_brand(number):
    """The brand a card number belongs to. https://docs.stripe.com/testing#cards"""
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("51", "52", "53", "54", "55") or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in ("34", "37"):
        return "amex"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    return "unknown"


def luhn_valid(number):
    """Card numbers carry a Luhn check digit; Stripe refuses a wrong one (4242424242424241).
    https://docs.stripe.com/testing#invalid-data"""
    total = 0
    for i, digit in enumerate(int(c) for c in reversed(number)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_details(number):
    """The `card` fields today's PaymentMethod has beyond localstripe's.
    https://docs.stripe.com/api/payment_methods/object#payment_method_object-card"""
    brand = card_brand(number)
    return {"brand": brand, "display_brand": brand, "country": "US",
            "networks": {"available": [brand], "preferred": None},
            "checks": {"address_line1_check": None, "address_postal_code_check": None,
                       "cvc_check": "pass"},
            "generated_from": None, "regulated_status": "unregulated", "wallet": None}


def _billing_details(given):
    """billing_details with every field present, null when unknown.
    https://docs.stripe.com/api/payment_methods/object#payment_method_object-billing_details"""
    given = given or {}
    address = given.get("address") or {}
    return {"address": {k: address.get(k) for k in ("city", "country", "line1", "line2",
                                                    "postal_code", "state")},
            "email": given.get("email"), "name": given.get("name"), "phone": given.get("phone")}


_original_payment_method_init = PaymentMethod.__init__


def _today_payment_method_init(self, *args, **kwargs):
    """localstripe's PaymentMethod, with the real brand (Mastercard is not Visa) and today's
    card and billing_details fields. https://docs.stripe.com/api/payment_methods/object"""
    _original_payment_method_init(self, *args, **kwargs)
    if self.type == "card":
        self.card.update(_card_details(self._card_number))
    self.billing_details = _billing_details(self.billing_details)
    self.allow_redisplay = "unspecified"


def _test_payment_method(cls, id):
    """Every test PaymentMethod id becomes a fresh PaymentMethod of its card, as Stripe does.
    https://docs.stripe.com/testing?testing-method=payment-methods"""
    number = TEST_PAYMENT_METHODS.get(id)
    if number is None:
        return None
    year = datetime.date.today().year + 4
    return PaymentMethod(type="card", card={"number": number, "exp_month": "12",
                                            "exp_year": str(year), "cvc": "123"})


def find_payment_method(id, param="payment_method"):
    """A PaymentMethod by id (a test id makes a new one). https://docs.stripe.com/testing"""
    return retrieve(PaymentMethod, id, "PaymentMethod", param)


def create_payment_method(params, param="payment_method_data"):
    """A card PaymentMethod from form data, refusing a number that fails the Luhn check
    (402 card_error incorrect_number). https://docs.stripe.com/api/payment_methods/create
    https://docs.stripe.com/testing#invalid-data"""
    params = {k: v for k, v in params.items() if k in ("type", "card", "billing_details",
                                                       "metadata", "sepa_debit")}
    card = params.get("card")
    if isinstance(card, dict) and isinstance(card.get("number"), str):
        card["number"] = re.sub(r"[\s-]", "", card["number"])
        if not card["number"].isdigit() or not luhn_valid(card["number"]):
            raise StripeError(402, "card_error", "Your card number is incorrect.",
                              code="incorrect_number", param="number",
                              doc_url=doc_url("incorrect_number"))
    try:
        return PaymentMethod._api_create(**params)
    except UserError as e:
        if e.code == 400 and e.body["error"].get("message") == "Bad request":
            raise invalid_request("Invalid card details: type=card needs card[number], "
                                  "card[exp_month], card[exp_year] and card[cvc].",
                                  "parameter_invalid_string", param) from None
        raise


def attach_payment_method(request, params, id):
    """POST /v1/payment_methods/{id}/attach: attaching verifies the card with the bank, so the
    decline cards already fail here, as a card_error; 4000000000000341 attaches and fails only
    when charged. https://docs.stripe.com/api/payment_methods/attach
    https://docs.stripe.com/testing#declined-payments"""
    check_known(params, {"customer", "expand"})
    pm = find_payment_method(id, "payment_method")
    customer = as_str(params, "customer")
    if customer is None:
        raise invalid_request("Missing required param: customer.", "parameter_missing",
                              "customer")
    retrieve(Customer, customer, "customer", "customer")
    behaviour = behaviour_of(pm)
    if (behaviour.decline and not behaviour.authenticate
            and pm._card_number != "4000000000000341"):
        decline = behaviour.decline
        raise StripeError(402, "card_error", decline.message, code=decline.code,
                          decline_code=decline.decline_code, doc_url=doc_url(decline.code))
    pm.customer = customer
    return export(pm, expand_list(params))


def handle_create_payment_method(request, params):
    """POST /v1/payment_methods, with a secret key or, as Stripe.js does, a publishable key.
    https://docs.stripe.com/api/payment_methods/create"""
    check_known(params, {"type", "card", "billing_details", "metadata", "expand",
                         "allow_redisplay", "sepa_debit"})
    return export(create_payment_method(params, "card"), expand_list(params))


# ---------------------------------------------------------------------------------------------
# Today's shapes of localstripe's PaymentIntent and Charge
# ---------------------------------------------------------------------------------------------

def export(obj, expand=None):
    return obj._export(expand=expand)


def export_payment_intent(pi, expand=None):
    """A PaymentIntent as today's API writes it: `latest_charge` an id (no `charges` list
    since 2022-11-15), `payment_method` an id, both expandable.
    https://docs.stripe.com/api/payment_intents/object
    https://docs.stripe.com/upgrades#2022-11-15"""
    status = pi.status
    charge = pi.latest_charge
    obj = {
        "id": pi.id, "object": "payment_intent", "amount": pi.amount,
        "amount_capturable": pi.amount if status == "requires_capture" else 0,
        "amount_details": {"tip": {}},
        "amount_received": pi.amount if status == "succeeded" else 0,
        "application": None, "application_fee_amount": None,
        "automatic_payment_methods": getattr(pi, "automatic_payment_methods", None),
        "canceled_at": getattr(pi, "canceled_at", None),
        "cancellation_reason": getattr(pi, "cancellation_reason", None),
        "capture_method": pi.capture_method, "client_secret": pi.client_secret,
        "confirmation_method": "automatic", "created": pi.created, "currency": pi.currency,
        "customer": pi.customer, "description": getattr(pi, "description", None),
        "last_payment_error": _last_payment_error(pi),
        "latest_charge": charge.id if charge is not None else None,
        "livemode": False, "metadata": dict(pi.metadata or {}), "next_action": pi.next_action,
        "on_behalf_of": None, "payment_method": pi.payment_method,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None,
                                            "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": list(getattr(pi, "payment_method_types", None) or ["card"]),
        "processing": None, "receipt_email": getattr(pi, "receipt_email", None),
        "review": None, "setup_future_usage": None, "shipping": None,
        "statement_descriptor": None, "statement_descriptor_suffix": None, "status": status,
        "transfer_data": None, "transfer_group": None,
    }
    return expand_fields(obj, expand)


def _last_payment_error(pi):
    """Ours when today's mode set it, else what localstripe computed (e.g. async failures).
    https://docs.stripe.com/api/payment_intents/object#payment_intent_object-last_payment_error"""
    if getattr(pi, "_today_error", None) is not None:
        return copy.deepcopy(pi._today_error)
    return PaymentIntent.last_payment_error.fget(pi)


def export_charge(charge, expand=None):
    """A Charge as today's API writes it: `refunds` only when expanded (2022-11-15),
    `amount_refunded`/`refunded` from today's refunds, `disputed`, `outcome`,
    `payment_method_details`. https://docs.stripe.com/api/charges/object"""
    expand = list(expand or [])
    pm = store.get("payment_method:" + (charge.payment_method or ""))
    refunded = amount_refunded(charge)
    obj = {
        "id": charge.id, "object": "charge", "amount": charge.amount,
        "amount_captured": charge.amount if charge.captured and charge.status == "succeeded"
        else 0,
        "amount_refunded": refunded, "application": None, "application_fee": None,
        "application_fee_amount": None, "balance_transaction": charge.balance_transaction,
        "billing_details": getattr(pm, "billing_details", None) or _billing_details(None),
        "captured": charge.captured, "created": charge.created, "currency": charge.currency,
        "customer": charge.customer, "description": charge.description,
        "disputed": any(d.charge == charge.id for d in stored(TodayDispute)),
        "failure_balance_transaction": None, "failure_code": charge.failure_code,
        "failure_message": charge.failure_message, "fraud_details": {}, "livemode": False,
        "metadata": dict(charge.metadata or {}), "on_behalf_of": None,
        "outcome": getattr(charge, "_outcome", None), "paid": charge.status == "succeeded",
        "payment_intent": charge.payment_intent, "payment_method": charge.payment_method,
        "payment_method_details": _payment_method_details(pm),
        "receipt_email": charge.receipt_email, "receipt_number": charge.receipt_number,
        "receipt_url": None, "refunded": charge.amount > 0 and refunded >= charge.amount,
        "review": None, "shipping": None, "source_transfer": None,
        "statement_descriptor": charge.statement_descriptor,
        "statement_descriptor_suffix": None, "status": charge.status,
        "transfer_data": None, "transfer_group": None,
    }
    if "refunds" in expand:
        expand.remove("refunds")
        refunds = [r for r in stored(TodayRefund) if r.charge == charge.id]
        obj["refunds"] = paginate(refunds, {"limit": 100}, f"/v1/charges/{charge.id}/refunds",
                                  "refund", export)
    return expand_fields(obj, expand)


def _payment_method_details(pm):
    """https://docs.stripe.com/api/charges/object#charge_object-payment_method_details"""
    card = getattr(pm, "card", None)
    if not isinstance(card, dict):
        return None
    fields = ("brand", "checks", "country", "exp_month", "exp_year", "fingerprint", "funding",
              "last4", "network", "wallet")
    details = {k: card.get(k) for k in fields}
    details["network"] = card.get("brand")
    return {"card": details, "type": "card"}


# ---------------------------------------------------------------------------------------------
# PaymentIntents
# ---------------------------------------------------------------------------------------------

PI_CREATE_PARAMS = {
    "amount", "automatic_payment_methods", "capture_method", "confirm", "confirmation_method",
    "currency", "customer", "description", "error_on_requires_action", "expand", "mandate_data",
    "metadata", "off_session", "payment_method", "payment_method_data", "payment_method_options",
    "payment_method_types", "radar_options", "receipt_email", "return_url", "setup_future_usage",
    "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_group"}
PI_CONFIRM_PARAMS = {
    "capture_method", "client_secret", "error_on_requires_action", "expand", "mandate_data",
    "off_session", "payment_method", "payment_method_data", "payment_method_options",
    "payment_method_types", "radar_options", "receipt_email", "return_url",
    "setup_future_usage", "shipping"}
PI_UPDATE_PARAMS = {
    "amount", "capture_method", "currency", "customer", "description", "expand", "metadata",
    "payment_method", "payment_method_data", "payment_method_options", "payment_method_types",
    "receipt_email", "setup_future_usage", "shipping", "statement_descriptor",
    "statement_descriptor_suffix", "transfer_group"}

# https://docs.stripe.com/payments/paymentintents/lifecycle
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")

# Stripe's own wording. https://docs.stripe.com/upgrades#2023-08-16
RETURN_URL_REQUIRED = (
    "A `return_url` must be specified because this Payment Intent is configured to "
    "automatically accept the payment methods enabled in the Dashboard, some of which may "
    "require a full page redirect to succeed. If you do not want to accept redirect-based "
    "payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
    "Payment Intents.")


def payment_method_settings(params):
    """`payment_method_types` and `automatic_payment_methods` of a new PaymentIntent.

    Since 2023-08-16, an intent created without payment_method_types has automatic payment
    methods enabled, redirects allowed ("always") unless allow_redirects=never.
    https://docs.stripe.com/upgrades#2023-08-16
    https://docs.stripe.com/api/payment_intents/create#create_payment_intent-automatic_payment_methods
    """
    types = as_list(params, "payment_method_types")
    automatic = as_dict(params, "automatic_payment_methods")
    if types and automatic is not None:
        raise invalid_request("You may only specify one of these parameters: "
                              "automatic_payment_methods, payment_method_types.",
                              param="automatic_payment_methods")
    if types:
        return types, None
    automatic = automatic or {}
    enabled = as_bool(automatic, "enabled", default=True)
    if not enabled:
        return ["card"], None
    redirects = as_str(automatic, "allow_redirects", ("always", "never")) or "always"
    return ["card"], {"enabled": True, "allow_redirects": redirects}


def create_payment_intent(request, params):
    """POST /v1/payment_intents. https://docs.stripe.com/api/payment_intents/create"""
    check_known(params, PI_CREATE_PARAMS)
    amount = as_int(params, "amount", minimum=1)
    currency = as_str(params, "currency")
    if amount is None:
        raise invalid_request("Missing required param: amount.", "parameter_missing", "amount")
    if currency is None:
        raise invalid_request("Missing required param: currency.", "parameter_missing",
                              "currency")
    types, automatic = payment_method_settings(params)
    confirm = as_bool(params, "confirm", default=False)
    if confirm:
        # A create-and-confirm that cannot start creates nothing.
        # https://docs.stripe.com/api/payment_intents/create#create_payment_intent-confirm
        if not params.get("payment_method") and not as_dict(params, "payment_method_data"):
            raise missing_payment_method()
        require_return_url(automatic, as_str(params, "return_url"))
    pm_id = as_str(params, "payment_method")
    pm = find_payment_method(pm_id) if pm_id else None
    pi = PaymentIntent(amount=amount, currency=currency.lower(),
                       customer=as_str(params, "customer"),
                       payment_method=pm.id if pm else None,
                       metadata=updated_metadata({}, as_dict(params, "metadata")),
                       capture_method=as_str(params, "capture_method",
                                             ("automatic", "automatic_async", "manual")))
    pi.description = as_str(params, "description")
    pi.receipt_email = as_str(params, "receipt_email")
    pi.payment_method_types = types
    pi.automatic_payment_methods = automatic
    pi.canceled_at = pi.cancellation_reason = pi._today_error = None
    emit("payment_intent.created", pi)
    if confirm:
        confirm_intent(pi, {k: v for k, v in params.items() if k in PI_CONFIRM_PARAMS
                            and k != "payment_method"})
    elif pm is None and as_dict(params, "payment_method_data"):
        pi.payment_method = create_payment_method(params["payment_method_data"]).id
    return export(pi, expand_list(params))


def find_payment_intent(request, params, id):
    """A PaymentIntent for a secret key, or for a publishable key with its client_secret.
    https://docs.stripe.com/api/payment_intents/retrieve#retrieve_payment_intent-client_secret"""
    pi = retrieve(PaymentIntent, id, "payment_intent", "intent")
    if request.get("secret_key") is None and params.get("client_secret") != pi.client_secret:
        raise no_such("payment_intent", id, "intent")
    return pi


def retrieve_payment_intent(request, params, id):
    """GET /v1/payment_intents/{id}. https://docs.stripe.com/api/payment_intents/retrieve"""
    check_known(params, {"client_secret", "expand"})
    return export(find_payment_intent(request, params, id), expand_list(params))


def list_payment_intents(request, params):
    """GET /v1/payment_intents, newest first. https://docs.stripe.com/api/payment_intents/list"""
    check_known(params, {"created", "customer", "ending_before", "expand", "limit",
                         "starting_after"})
    customer = as_str(params, "customer")
    in_period = created_filter(params)
    return paginate(stored(PaymentIntent), params, "/v1/payment_intents", "payment_intent",
                    export, lambda pi: in_period(pi) and customer in (None, pi.customer))


def update_payment_intent(request, params, id):
    """POST /v1/payment_intents/{id}: metadata/description always; amount, currency,
    payment_method... only before the payment is done. Clears last_payment_error.
    https://docs.stripe.com/api/payment_intents/update"""
    check_known(params, PI_UPDATE_PARAMS)
    pi = retrieve(PaymentIntent, id, "payment_intent", "intent")
    always = {"metadata", "description", "receipt_email", "expand", "shipping"}
    if pi.status in ("succeeded", "canceled", "processing") and set(params) - always:
        raise unexpected_state(pi, "update")
    if "metadata" in params:
        pi.metadata = updated_metadata(pi.metadata, as_dict(params, "metadata"))
    if "description" in params:
        pi.description = as_str(params, "description")
    if "receipt_email" in params:
        pi.receipt_email = as_str(params, "receipt_email")
    if as_int(params, "amount", minimum=1) is not None:
        pi.amount = as_int(params, "amount")
    if as_str(params, "currency"):
        pi.currency = as_str(params, "currency").lower()
    if params.get("payment_method"):
        pi.payment_method = find_payment_method(params["payment_method"]).id
    elif as_dict(params, "payment_method_data"):
        pi.payment_method = create_payment_method(params["payment_method_data"]).id
    if params.get("payment_method") or params.get("payment_method_data"):
        pi.next_action = None
        pi.latest_charge = None
    if "payment_method_types" in params:
        pi.payment_method_types = as_list(params, "payment_method_types")
        pi.automatic_payment_methods = None
    pi._today_error = None
    return export(pi, expand_list(params))


def unexpected_state(pi, action):
    """https://docs.stripe.com/error-codes#payment-intent-unexpected-state"""
    allowed = {"confirm": CONFIRMABLE, "cancel": CANCELABLE}.get(action)
    message = (f"You cannot {action} this PaymentIntent because it has a status of "
               f"{pi.status}.")
    if allowed:
        message += (f" Only a PaymentIntent with one of the following statuses may be "
                    f"{'confirmed' if action == 'confirm' else 'canceled'}: "
                    f"{', '.join(allowed)}.")
    return StripeError(400, "invalid_request_error", message,
                       code="payment_intent_unexpected_state",
                       doc_url=doc_url("payment_intent_unexpected_state"),
                       payment_intent=export_payment_intent(pi))


def confirm_payment_intent(request, params, id):
    """POST /v1/payment_intents/{id}/confirm (also from Stripe.js with pk_ + client_secret).
    https://docs.stripe.com/api/payment_intents/confirm"""
    check_known(params, PI_CONFIRM_PARAMS)
    pi = find_payment_intent(request, params, id)
    confirm_intent(pi, params)
    return export(pi, expand_list(params))


def confirm_intent(pi, params):
    """Confirms `pi`: may charge it, decline it (402), or ask for 3-D Secure.

    A declined intent may be confirmed again with another payment method.
    https://docs.stripe.com/api/payment_intents/confirm
    https://docs.stripe.com/payments/paymentintents/lifecycle
    """
    if pi.status not in CONFIRMABLE:
        raise unexpected_state(pi, "confirm")
    new_data = as_dict(params, "payment_method_data")
    if not (params.get("payment_method") or new_data or pi.payment_method):
        raise missing_payment_method(pi)
    require_return_url(getattr(pi, "automatic_payment_methods", None),
                       as_str(params, "return_url"))
    if params.get("payment_method"):
        pi.payment_method = find_payment_method(params["payment_method"]).id
    elif new_data:
        pi.payment_method = create_payment_method(new_data).id
    pi._authentication_failed = False
    pi._today_error = None
    pi.next_action = None
    pi.latest_charge = None
    pm = find_payment_method(pi.payment_method)
    behaviour = behaviour_of(pm)
    if behaviour.authenticate and as_bool(params, "off_session", default=False):
        # Off-session, nobody can authenticate: the bank declines.
        # https://docs.stripe.com/testing#authentication-and-setup
        decline_payment(pi, charge_for(pi, pm), pm, AUTHENTICATION_REQUIRED)
    if behaviour.authenticate:
        ask_for_authentication(pi)
        return
    charge_intent(pi, pm, behaviour)


def missing_payment_method(pi=None):
    """https://docs.stripe.com/api/payment_intents/confirm#confirm_payment_intent-payment_method"""
    return StripeError(
        400, "invalid_request_error",
        "You cannot confirm this PaymentIntent because it's missing a payment method. "
        "You can either update the PaymentIntent with a payment method and then confirm "
        "it again, or confirm it again directly with a payment method.",
        code="payment_intent_unexpected_state",
        doc_url=doc_url("payment_intent_unexpected_state"),
        payment_intent=export_payment_intent(pi) if pi else None)


def require_return_url(automatic, return_url):
    """Since 2023-08-16, an intent with automatic payment methods that allow redirects needs
    a return_url to be confirmed, even when paid by card.
    https://docs.stripe.com/upgrades#2023-08-16
    https://docs.stripe.com/api/payment_intents/confirm#confirm_payment_intent-return_url"""
    if automatic and automatic.get("allow_redirects") != "never" and not return_url:
        raise invalid_request(RETURN_URL_REQUIRED, param="return_url")


def ask_for_authentication(pi):
    """The card needs 3-D Secure: status requires_action, next_action use_stripe_sdk, to be
    completed in the page (Stripe.js handleNextAction).
    https://docs.stripe.com/testing#regulatory-cards
    https://docs.stripe.com/js/payment_intents/handle_next_action"""
    pi.next_action = {"type": "use_stripe_sdk",
                      "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": "",
                                         "source": "src_" + random_id(24)}}
    emit("payment_intent.requires_action", pi)


def charge_for(pi, pm):
    """A new charge of `pi` with localstripe's Charge (its ids and balance transactions)."""
    charge = Charge(amount=pi.amount, currency=pi.currency, customer=pi.customer,
                    source=pm.id, capture=pi.capture_method != "manual",
                    description=getattr(pi, "description", None))
    charge.payment_intent = pi.id
    charge.metadata = dict(pi.metadata or {})
    pi.latest_charge = charge
    return charge


def charge_intent(pi, pm, behaviour):
    """Charges `pi` now: succeeded, or declined as the test card says.
    https://docs.stripe.com/testing#declined-payments"""
    charge = charge_for(pi, pm)
    if behaviour.decline:
        charge._authorized = False
        decline_payment(pi, charge, pm, behaviour.decline)
    charge._authorized = True
    charge._initialize_charge(on_success=lambda: payment_succeeded(pi, charge, behaviour))
    if not charge.captured:
        # Authorised only (capture_method=manual).
        # https://docs.stripe.com/payments/place-a-hold-on-a-payment-method
        charge._outcome = APPROVED
        emit("charge.succeeded", charge)
        emit("payment_intent.amount_capturable_updated", pi)


APPROVED = {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "risk_score": 20, "seller_message": "Payment complete.", "type": "authorized"}


def payment_succeeded(pi, charge, behaviour):
    """charge.succeeded then payment_intent.succeeded; a dispute follows for the dispute card.
    https://docs.stripe.com/api/events/types#event_types-payment_intent.succeeded
    https://docs.stripe.com/testing#disputes"""
    charge._outcome = APPROVED
    emit("charge.succeeded", charge)
    emit("payment_intent.succeeded", pi)
    if behaviour.dispute:
        later(open_dispute, charge)


def decline_payment(pi, charge, pm, decline):
    """The bank declined: the charge fails, the intent goes back to requires_payment_method
    with last_payment_error, and the API answers 402 card_error with the intent in it.
    https://docs.stripe.com/api/errors#errors-payment_intent
    https://docs.stripe.com/declines/codes"""
    charge.status = "failed"
    charge.failure_code = decline.code
    charge.failure_message = decline.message
    charge._outcome = {"network_status": "declined_by_network", "reason": decline.decline_code,
                       "risk_level": "normal", "risk_score": 20,
                       "seller_message": "The bank did not return any further details with "
                                         "this decline.",
                       "type": "issuer_declined"}
    pm_object = export(pm)
    pi._today_error = {"charge": charge.id, "code": decline.code,
                       "decline_code": decline.decline_code, "doc_url": doc_url(decline.code),
                       "message": decline.message, "payment_method": pm_object,
                       "type": "card_error"}
    pi.payment_method = None
    emit("charge.failed", charge)
    emit("payment_intent.payment_failed", pi)
    raise StripeError(402, "card_error", decline.message, code=decline.code,
                      decline_code=decline.decline_code, doc_url=doc_url(decline.code),
                      charge=charge.id, payment_intent=export_payment_intent(pi),
                      payment_method=pm_object)


AUTHENTICATION_FAILED_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
    "again.")


def authenticate_payment_intent(request, params, id):
    """POST /v1/payment_intents/{id}/_authenticate?success=true|false: localstripe's endpoint
    behind its fake 3-D Secure page, answered as today's Stripe ends a challenge: success
    charges the card; failure leaves requires_payment_method with last_payment_error
    payment_intent_authentication_failure.
    https://docs.stripe.com/testing#regulatory-cards
    https://docs.stripe.com/error-codes#payment-intent-authentication-failure"""
    check_known(params, {"client_secret", "success", "expand"})
    pi = find_payment_intent(request, params, id)
    success = as_bool({"success": request.query.get("success", params.get("success"))},
                      "success", default=False)
    if pi.status != "requires_action":
        raise unexpected_state(pi, "authenticate")
    pi.next_action = None
    pm = find_payment_method(pi.payment_method)
    if success:
        charge_intent(pi, pm, behaviour_of(pm))
    else:
        pi._today_error = {"code": "payment_intent_authentication_failure",
                           "doc_url": doc_url("payment_intent_authentication_failure"),
                           "message": AUTHENTICATION_FAILED_MESSAGE,
                           "payment_method": export(pm), "type": "invalid_request_error"}
        pi.payment_method = None
        emit("payment_intent.payment_failed", pi)
    return export(pi, expand_list(params))


def cancel_payment_intent(request, params, id):
    """POST /v1/payment_intents/{id}/cancel. https://docs.stripe.com/api/payment_intents/cancel"""
    check_known(params, {"cancellation_reason", "expand"})
    pi = retrieve(PaymentIntent, id, "payment_intent", "intent")
    reason = as_str(params, "cancellation_reason",
                    ("abandoned", "duplicate", "fraudulent", "requested_by_customer"))
    if pi.status not in CANCELABLE:
        raise unexpected_state(pi, "cancel")
    pi._canceled = True
    pi.next_action = None
    pi.canceled_at = int(time.time())
    pi.cancellation_reason = reason
    emit("payment_intent.canceled", pi)
    return export(pi, expand_list(params))


def list_charges(request, params):
    """GET /v1/charges, newest first. https://docs.stripe.com/api/charges/list"""
    check_known(params, {"created", "customer", "ending_before", "expand", "limit",
                         "payment_intent", "starting_after", "transfer_group"})
    customer = as_str(params, "customer")
    pi_id = as_str(params, "payment_intent")
    in_period = created_filter(params)
    return paginate(stored(Charge), params, "/v1/charges", "charge", export,
                    lambda c: in_period(c) and customer in (None, c.customer)
                    and pi_id in (None, c.payment_intent))


# ---------------------------------------------------------------------------------------------
# Refunds
# ---------------------------------------------------------------------------------------------

class TodayRefund(StripeObject):
    """A refund with a status that can change later.
    https://docs.stripe.com/api/refunds/object"""
    object = "refund"
    _id_prefix = "re_"

    def __init__(self, charge, amount, reason, metadata, status):
        super().__init__()
        self.amount = amount
        self.charge = charge.id
        self.currency = charge.currency
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.metadata = metadata
        self.status = status
        self.failure_reason = None
        self.balance_transaction = None

    def _export(self, expand=None):
        obj = {"id": self.id, "object": "refund", "amount": self.amount,
               "balance_transaction": self.balance_transaction, "charge": self.charge,
               "created": self.created, "currency": self.currency,
               "destination_details": {"card": {"reference": None, "reference_status": "pending",
                                                "reference_type": "acquirer_reference_number",
                                                "type": "refund"}, "type": "card"},
               "failure_reason": self.failure_reason, "metadata": dict(self.metadata),
               "payment_intent": self.payment_intent, "reason": self.reason,
               "receipt_number": None, "source_transfer_reversal": None,
               "status": self.status, "transfer_reversal": None}
        return expand_fields(obj, expand)


# A refund counts against the charge unless it failed or was canceled.
# https://docs.stripe.com/api/charges/object#charge_object-amount_refunded
_COUNTING_REFUNDS = ("pending", "succeeded", "requires_action")


def amount_refunded(charge):
    return sum(r.amount for r in stored(TodayRefund)
               if r.charge == charge.id and r.status in _COUNTING_REFUNDS)


# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx",
                "vnd", "vuv", "xaf", "xof", "xpf"}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "$", "aud": "$", "nzd": "$",
           "chf": "CHF ", "krw": "₩", "inr": "₹"}


def format_amount(amount, currency):
    """'$30.00', '€12.50', '¥3000', as Stripe's messages write amounts."""
    currency = currency.lower()
    text = f"{amount:,}" if currency in ZERO_DECIMAL else f"{amount // 100:,}.{amount % 100:02d}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def refundable_charge(params):
    """The charge a refund is for: `charge`, or the successful charge of `payment_intent`.
    https://docs.stripe.com/api/refunds/create"""
    charge_id = as_str(params, "charge")
    pi_id = as_str(params, "payment_intent")
    if not charge_id and not pi_id:
        raise invalid_request("One of the following params should be provided for this "
                              "request: payment_intent or charge.", "parameter_missing")
    if pi_id:
        pi = retrieve(PaymentIntent, pi_id, "payment_intent", "payment_intent")
        charge = pi.latest_charge
        if charge is None or charge.status != "succeeded":
            raise invalid_request(f"This PaymentIntent ({pi_id}) does not have a successful "
                                  f"charge to refund.", param="payment_intent")
        if charge_id and charge_id != charge.id:
            raise invalid_request(f"The charge {charge_id} does not belong to the "
                                  f"PaymentIntent {pi_id}.", param="charge")
        return charge
    charge = retrieve(Charge, charge_id, "charge", "charge")
    if charge.status != "succeeded":
        raise invalid_request(f"Charge {charge.id} has not succeeded and cannot be refunded.",
                              param="charge")
    return charge


def create_refund(request, params):
    """POST /v1/refunds: at most what is left of the charge (amount_too_large), not a fully
    refunded charge (charge_already_refunded), not a disputed one (charge_disputed).
    Cards 4000000000007726 / 4000000000005126 make the refund pending / fail later.
    https://docs.stripe.com/api/refunds/create
    https://docs.stripe.com/error-codes#amount-too-large
    https://docs.stripe.com/error-codes#charge-already-refunded
    https://docs.stripe.com/testing#refunds"""
    check_known(params, {"amount", "charge", "currency", "expand", "instructions_email",
                         "metadata", "origin", "payment_intent", "reason",
                         "refund_application_fee", "reverse_transfer"})
    charge = refundable_charge(params)
    if any(d.charge == charge.id for d in stored(TodayDispute)):
        raise invalid_request(f"Charge {charge.id} has been charged back; cannot issue a "
                              f"refund.", "charge_disputed", "charge")
    refunded_before = amount_refunded(charge)
    left = charge.amount - refunded_before
    if left <= 0:
        raise invalid_request(f"Charge {charge.id} has already been refunded.",
                              "charge_already_refunded", "charge")
    amount = as_int(params, "amount", default=left, minimum=1)
    if amount > left:
        raise invalid_request(
            f"Refund amount ({format_amount(amount, charge.currency)}) is greater than "
            f"unrefunded amount on charge ({format_amount(left, charge.currency)})",
            "amount_too_large", "amount")
    reason = as_str(params, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
    behaviour = behaviour_of_charge(charge)
    status = "pending" if behaviour.refund == "pending" else "succeeded"
    refund = TodayRefund(charge, amount, reason,
                         updated_metadata({}, as_dict(params, "metadata")), status)
    refund.balance_transaction = BalanceTransaction(
        amount=-amount, currency=charge.currency, description="REFUND FOR CHARGE",
        exchange_rate=1.0, reporting_category="refund", source=refund.id, type="refund").id
    emit("refund.created", refund)
    emit("charge.refunded", charge, {"amount_refunded": refunded_before,
                                     "refunded": refunded_before >= charge.amount})
    if behaviour.refund == "pending":
        later(settle_pending_refund, refund)
    elif behaviour.refund == "fails":
        later(fail_refund, refund)
    return export(refund, expand_list(params))


def settle_pending_refund(refund):
    """pm_card_pendingRefund: "its status begins as pending. Some time later, its status
    transitions to succeeded". https://docs.stripe.com/testing#refunds"""
    if refund.status != "pending":
        return
    refund.status = "succeeded"
    emit("refund.updated", refund, {"status": "pending"})
    emit("charge.refund.updated", refund, {"status": "pending"})


def fail_refund(refund):
    """pm_card_refundFail: "its status begins as succeeded. Some time later, its status
    transitions to failed" (failure_reason expired_or_canceled_card); the money comes back
    to the charge's unrefunded amount. https://docs.stripe.com/testing#refunds
    https://docs.stripe.com/api/refunds/object#refund_object-failure_reason"""
    if refund.status != "succeeded":
        return
    refund.status = "failed"
    refund.failure_reason = "expired_or_canceled_card"
    previous = {"status": "succeeded", "failure_reason": None}
    emit("refund.failed", refund, previous)
    emit("refund.updated", refund, previous)
    emit("charge.refund.updated", refund, previous)


def retrieve_refund(request, params, id):
    """GET /v1/refunds/{id}. https://docs.stripe.com/api/refunds/retrieve"""
    check_known(params, {"expand"})
    return export(_find_refund(id), expand_list(params))


def _find_refund(id):
    refund = store.get("refund:" + id)
    if not isinstance(refund, TodayRefund):
        raise no_such("refund", id)
    return refund


def update_refund(request, params, id):
    """POST /v1/refunds/{id}: metadata only. https://docs.stripe.com/api/refunds/update"""
    check_known(params, {"metadata", "expand"})
    refund = _find_refund(id)
    refund.metadata = updated_metadata(refund.metadata, as_dict(params, "metadata"))
    return export(refund, expand_list(params))


def list_refunds(request, params):
    """GET /v1/refunds?payment_intent=|charge=, newest first.
    https://docs.stripe.com/api/refunds/list"""
    check_known(params, {"charge", "created", "ending_before", "expand", "limit",
                         "payment_intent", "starting_after"})
    charge_id = as_str(params, "charge")
    pi_id = as_str(params, "payment_intent")
    in_period = created_filter(params)
    return paginate(stored(TodayRefund), params, "/v1/refunds", "refund", export,
                    lambda r: in_period(r) and charge_id in (None, r.charge)
                    and pi_id in (None, r.payment_intent))


# ---------------------------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------------------------

# https://docs.stripe.com/api/disputes/object#dispute_object-evidence
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text")

EVIDENCE_DUE_AFTER = 7 * 24 * 3600
OPEN_DISPUTE = ("needs_response", "warning_needs_response")


class TodayDispute(StripeObject):
    """A dispute on a charge. https://docs.stripe.com/api/disputes/object"""
    object = "dispute"
    _id_prefix = "du_"

    def __init__(self, charge):
        super().__init__()
        self.amount = charge.amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.reason = "fraudulent"
        self.status = "needs_response"
        self.evidence = {field: None for field in EVIDENCE_FIELDS}
        self.submission_count = 0
        self.metadata = {}
        self._card_brand = (_payment_method_details(
            store.get("payment_method:" + (charge.payment_method or ""))) or {}).get(
            "card", {}).get("brand")

    def _export(self, expand=None):
        has_evidence = any(v not in (None, "") for v in self.evidence.values())
        obj = {"id": self.id, "object": "dispute", "amount": self.amount,
               "balance_transactions": [], "charge": self.charge, "created": self.created,
               "currency": self.currency, "enhanced_eligibility_types": [],
               "evidence": dict(self.evidence),
               "evidence_details": {"due_by": self.created + EVIDENCE_DUE_AFTER,
                                    "enhanced_eligibility": {},
                                    "has_evidence": has_evidence, "past_due": False,
                                    "submission_count": self.submission_count},
               "is_charge_refundable": False, "livemode": False,
               "metadata": dict(self.metadata),
               "payment_intent": self.payment_intent,
               "payment_method_details": {"card": {"brand": self._card_brand,
                                                   "case_type": "chargeback",
                                                   "network_reason_code": "10.4"},
                                          "type": "card"},
               "reason": self.reason, "status": self.status}
        return expand_fields(obj, expand)


def open_dispute(charge):
    """pm_card_createDispute: "the charge succeeds, only to be disputed as fraudulent".
    https://docs.stripe.com/testing#disputes"""
    dispute = TodayDispute(charge)
    emit("charge.dispute.created", dispute)


def _find_dispute(id):
    dispute = store.get("dispute:" + id)
    if not isinstance(dispute, TodayDispute):
        raise no_such("dispute", id, "dispute")
    return dispute


def retrieve_dispute(request, params, id):
    """GET /v1/disputes/{id}. https://docs.stripe.com/api/disputes/retrieve"""
    check_known(params, {"expand"})
    return export(_find_dispute(id), expand_list(params))


def list_disputes(request, params):
    """GET /v1/disputes?payment_intent=|charge=, newest first.
    https://docs.stripe.com/api/disputes/list"""
    check_known(params, {"charge", "created", "ending_before", "expand", "limit",
                         "payment_intent", "starting_after"})
    charge_id = as_str(params, "charge")
    pi_id = as_str(params, "payment_intent")
    in_period = created_filter(params)
    return paginate(stored(TodayDispute), params, "/v1/disputes", "dispute", export,
                    lambda d: in_period(d) and charge_id in (None, d.charge)
                    and pi_id in (None, d.payment_intent))


def update_dispute(request, params, id):
    """POST /v1/disputes/{id}: stage or submit evidence (submit defaults to true).
    In test mode uncategorized_text "winning_evidence" wins and "losing_evidence" loses,
    after the dispute has been under review for a while.
    https://docs.stripe.com/api/disputes/update
    https://docs.stripe.com/testing#evidence"""
    check_known(params, {"evidence", "expand", "metadata", "submit"})
    dispute = _find_dispute(id)
    evidence = as_dict(params, "evidence") or {}
    for field in evidence:
        if field not in EVIDENCE_FIELDS:
            raise invalid_request(f"Received unknown parameter: evidence[{field}]",
                                  "parameter_unknown", f"evidence[{field}]")
    if evidence and dispute.status not in OPEN_DISPUTE:
        raise invalid_request(f"This dispute has a status of {dispute.status}; evidence can "
                              f"only be changed while it needs a response.", param="evidence")
    previous = {"evidence": dict(dispute.evidence), "status": dispute.status}
    dispute.metadata = updated_metadata(dispute.metadata, as_dict(params, "metadata"))
    dispute.evidence.update({k: (v if v != "" else None) for k, v in evidence.items()})
    submit = as_bool(params, "submit", default=True) and dispute.status in OPEN_DISPUTE
    if submit:
        dispute.status = "under_review"
        dispute.submission_count += 1
    if evidence or submit:
        emit("charge.dispute.updated", dispute,
             {k: v for k, v in previous.items() if getattr(dispute, k) != v})
    outcome = {"winning_evidence": "won", "losing_evidence": "lost"}.get(
        dispute.evidence.get("uncategorized_text"))
    if submit and outcome:
        later(decide_dispute, dispute, outcome)
    return export(dispute, expand_list(params))


def decide_dispute(dispute, status):
    """The network's decision after review. https://docs.stripe.com/testing#evidence"""
    if dispute.status != "under_review":
        return
    dispute.status = status
    emit("charge.dispute.closed", dispute, {"status": "under_review"})


def close_dispute(request, params, id):
    """POST /v1/disputes/{id}/close: accepting the dispute; it is lost.
    https://docs.stripe.com/api/disputes/close"""
    check_known(params, {"expand"})
    dispute = _find_dispute(id)
    if dispute.status not in OPEN_DISPUTE:
        raise invalid_request(f"This dispute has a status of {dispute.status} and cannot be "
                              f"closed.", param="dispute")
    previous = dispute.status
    dispute.status = "lost"
    emit("charge.dispute.closed", dispute, {"status": previous})
    return export(dispute, expand_list(params))


# ---------------------------------------------------------------------------------------------
# Stripe.js and the store
# ---------------------------------------------------------------------------------------------

def stripe_js(request, params):
    """localstripe's fake Stripe.js with today's methods added (createPaymentMethod,
    handleNextAction, confirmCardPayment, retrievePaymentIntent, an in-page 3-D Secure modal).
    https://docs.stripe.com/js/payment_intents/handle_next_action
    https://docs.stripe.com/js/payment_methods/create_payment_method"""
    with open(os.path.join(os.path.dirname(ls_server.__file__), "localstripe-v3.js")) as f:
        original = f.read()
    return web.Response(text=original + "\n" + TODAY_STRIPE_JS,
                        content_type="application/javascript")


def flush_data(request, params):
    """DELETE /_config/data: localstripe's store, our idempotency keys, pending timers."""
    store.clear()
    _state.idempotency.clear()
    _state.generation += 1
    return web.Response()


# ---------------------------------------------------------------------------------------------
# Routing, authentication, idempotency
# ---------------------------------------------------------------------------------------------

@dataclass
class Route:
    method: str
    regex: re.Pattern
    handler: object
    auth: str  # "secret", "client" (secret key, or pk_ with a client_secret), or "none"


ROUTES = []


def route(method, pattern, handler, auth="secret"):
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
    ROUTES.append(Route(method, regex, handler, auth))


route("POST", "/v1/payment_intents", create_payment_intent)
route("GET", "/v1/payment_intents", list_payment_intents)
route("GET", "/v1/payment_intents/{id}", retrieve_payment_intent, "client")
route("POST", "/v1/payment_intents/{id}", update_payment_intent)
route("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent, "client")
route("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent)
route("POST", "/v1/payment_intents/{id}/_authenticate", authenticate_payment_intent, "client")
route("POST", "/v1/payment_methods", handle_create_payment_method, "client")
route("POST", "/v1/payment_methods/{id}/attach", attach_payment_method)
route("GET", "/v1/charges", list_charges)
route("POST", "/v1/refunds", create_refund)
route("GET", "/v1/refunds", list_refunds)
route("GET", "/v1/refunds/{id}", retrieve_refund)
route("POST", "/v1/refunds/{id}", update_refund)
route("GET", "/v1/disputes", list_disputes)
route("GET", "/v1/disputes/{id}", retrieve_dispute)
route("POST", "/v1/disputes/{id}", update_dispute)
route("POST", "/v1/disputes/{id}/close", close_dispute)
route("GET", "/v1/events", list_events)
route("GET", "/js.stripe.com/v3/", stripe_js, "none")
route("POST", "/_config/events/burst", burst_events, "none")
route("DELETE", "/_config/data", flush_data, "none")


def secret_key(request):
    """The secret key of `Authorization: Bearer sk_...` (or Basic), which names the account.
    https://docs.stripe.com/api/authentication"""
    try:
        return ls_server.get_api_key(request)
    except Exception:  # localstripe chokes on schemes other than Basic and Bearer
        return None


NO_API_KEY = ("You did not provide an API key. You need to provide your API key in the "
              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
              "YOUR_SECRET_KEY'). See https://docs.stripe.com/api#authentication for details.")


def authenticate(request, route_):
    """Secret-key routes need `Authorization: Bearer sk_...`; client routes also take the
    publishable key that Stripe.js sends, the handler then checks the client_secret.
    https://docs.stripe.com/api/authentication https://docs.stripe.com/keys"""
    request["secret_key"] = secret_key(request)
    if route_.auth == "none" or request["secret_key"]:
        return
    if route_.auth == "client" and request.get("publishable_key"):
        return
    raise invalid_request(NO_API_KEY, status=401)


@web.middleware
async def today_router(request, handler):
    """Answers today's routes; every other request goes on to localstripe."""
    for candidate in ROUTES:
        match = candidate.regex.match(request.path)
        if candidate.method == request.method and match:
            break
    else:
        return await handler(request)
    params = await read_params(request)
    authenticate(request, candidate)
    try:
        result = candidate.handler(request, params, **match.groupdict())
        if inspect.isawaitable(result):
            result = await result
    finally:
        if request.method != "GET":
            store.dump_to_disk()
    return result if isinstance(result, web.StreamResponse) else ls_server.json_response(result)


@web.middleware
async def request_context(request, handler):
    """Gives each request an id (header `Request-Id`) that its events carry in `request`,
    with the Idempotency-Key; answers with the API version in `Stripe-Version`.
    https://docs.stripe.com/api/request_ids https://docs.stripe.com/api/events/object"""
    info = {"id": "req_" + random_id(14),
            "idempotency_key": request.headers.get("Idempotency-Key")
            if request.method == "POST" else None}
    token = _current_request.set(info)
    try:
        response = await handler(request)
    finally:
        _current_request.reset(token)
    response.headers.setdefault("Request-Id", info["id"])
    response.headers["Stripe-Version"] = API_VERSION
    return response


@dataclass
class _SavedResponse:
    method: str
    path: str
    fingerprint: str
    status: int = 0
    body: bytes = b""
    content_type: str = ""
    in_flight: bool = True


IDEMPOTENCY_MISMATCH = ("Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.")
IDEMPOTENCY_IN_FLIGHT = ("There is currently another in-progress request using this "
                         "Idempotent Key (that probably means you submitted twice, and the other "
                         "request is still going through): {key}. Please try again later.")


def _idempotency_error(status, template, key):
    return StripeError(status, "idempotency_error", template.format(key=key)).to_response()


def _worth_saving(response):
    """The endpoint ran: a result (2xx), a decline (402) or a server error (5xx). A request
    refused before it started (400 validation, 401, 404, 409, 429) saves nothing, so it may be
    retried with the same key. https://docs.stripe.com/api/idempotent_requests"""
    status = response.status
    return (status < 400 or status == 402 or status >= 500) and isinstance(response.body, bytes)


@web.middleware
async def idempotency(request, handler):
    """POSTs with `Idempotency-Key`, per account (secret key), for the server's lifetime:
    same key + same method, path and parameters replays the saved status and body with
    `Idempotent-Replayed: true`; same key with anything else is a 400 idempotency_error; the
    same key while its first request still runs is a 409.
    https://docs.stripe.com/api/idempotent_requests"""
    key = request.headers.get("Idempotency-Key")
    account = secret_key(request)
    if request.method != "POST" or not key or not account or not request.path.startswith("/v1/"):
        return await handler(request)
    if len(key) > 255:
        return invalid_request("Idempotency-Key must be at most 255 characters long.",
                               param="Idempotency-Key").to_response()
    data = await ls_server.get_post_data(request, remove_auth=False)
    fingerprint = json.dumps(ls_server.unflatten_data(data) if hasattr(data, "getall") else
                             (data or {}), sort_keys=True, default=str)
    saved = _state.idempotency.get((account, key))
    if saved is None:
        return await _first_use(request, handler, account, key, fingerprint)
    if saved.in_flight:
        return _idempotency_error(409, IDEMPOTENCY_IN_FLIGHT, key)
    if (saved.method, saved.path, saved.fingerprint) != (request.method, request.path,
                                                         fingerprint):
        return _idempotency_error(400, IDEMPOTENCY_MISMATCH, key)
    response = web.Response(body=saved.body, status=saved.status,
                            headers={"Content-Type": saved.content_type})
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Idempotency-Key"] = key
    return response


async def _first_use(request, handler, account, key, fingerprint):
    saved = _SavedResponse(request.method, request.path, fingerprint)
    _state.idempotency[(account, key)] = saved
    try:
        response = await handler(request)
    except BaseException:
        _state.idempotency.pop((account, key), None)
        raise
    if _worth_saving(response):
        saved.status = response.status
        saved.body = bytes(response.body)
        saved.content_type = response.headers.get("Content-Type", "application/json")
        saved.in_flight = False
    else:
        _state.idempotency.pop((account, key), None)
    response.headers["Idempotency-Key"] = key
    return response


# ---------------------------------------------------------------------------------------------
# Installation
# ---------------------------------------------------------------------------------------------

def patch_localstripe():
    """Today's shapes for localstripe's own objects, wherever they are exported (responses,
    error bodies, event snapshots), and today's test PaymentMethods.
    https://docs.stripe.com/upgrades#2022-11-15 https://docs.stripe.com/api/events/object
    https://docs.stripe.com/testing?testing-method=payment-methods"""
    Event.__init__ = _today_event_init
    PaymentIntent._export = export_payment_intent
    Charge._export = export_charge
    PaymentMethod.__init__ = _today_payment_method_init
    PaymentMethod._try_get_canonical_test_article = classmethod(_test_payment_method)


def install(app, async_delay=1.0):
    """Switches localstripe's `app` to today's Stripe. Call before the app starts."""
    _state.async_delay = async_delay
    patch_localstripe()
    app.middlewares.insert(0, request_context)
    app.middlewares.insert(1, idempotency)
    position = app.middlewares.index(ls_server.error_middleware)
    app.middlewares.insert(position + 1, today_router)
