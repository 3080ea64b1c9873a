#!/usr/bin/env python3
"""Races many processes for a few units of stock on PostgreSQL and checks nothing is oversold.

Usage: race.py DSN [--workers N] [--orders N] [--seed N] [--unsafe | --mode MODE] [...]

It starts no server: give it a DSN (run.sh starts a throwaway cluster and calls it). It drops
and recreates its own schema, `flagshop_proto`, runs schema.sql there, stocks A (5 units) and
B (3 units), then:

1. The race: N worker processes (tills, a packing station...) start at one barrier and each
   places orders for one- and two-line baskets of A and B, lines in random order. Each order
   is one transaction: lock the variant rows, read availability (on hand minus active,
   unexpired reservations), reserve or refuse with a reason. Then the buyer pays (the
   reservation becomes a `sold` ledger row and on_hand drops, in one transaction), cancels
   (releases), walks away (a short reservation that the sweeper process releases once it
   expires) or pays too late. A back-office process receives stock and writes damaged units
   off meanwhile, under the same locks.
2. The expiry takeover: one buyer holds the last unit of C, a second is refused; the first
   reservation is backdated so it expired, 12 processes race for the unit and exactly one
   gets it; the first buyer then pays late and is told the unit is gone (an `oversold` event,
   as sell_order_stock records in the app), while stock never goes below zero.
3. The audit: on_hand = sum of the ledger and every balance_after follows from the one before;
   no negative stock; only paid orders sold, each line once; nothing is held now beyond what is
   on hand; every refusal names the SKU, what was wanted and what was available; a buyer who
   paid while their reservation held always got the goods; and, replaying every ledger row and
   reservation in commit order (track_commit_timestamp = on), at no moment were more units
   promised (reserved) than were on hand.

Deadlocks and serialization failures are retried (the whole transaction) and counted. Exit
status: 0 when every check holds, 1 when any fails, 2 when the run itself could not be made.

--unsafe drops the row locks (plain check-then-insert, and on_hand written back as read), the
way a naive port of the SQLite code would be: it oversells. --mode one-statement and --mode
repeatable-read are two subtler ways to get it wrong (they oversell too); --mode serializable
is the alternative plan (correct, but it aborts and retries a lot); --lock-order basket and
--lock-strength update keep the plan correct but provoke deadlocks, to show the retries work.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    import psycopg
    from psycopg import errors
except ImportError:  # pragma: no cover - run.sh installs it
    sys.exit("race.py needs psycopg 3: pip install 'psycopg[binary]' (run.sh does it in a venv)")

SCHEMA = "flagshop_proto"
HERE = Path(__file__).resolve().parent
STOCK = {"A": 5, "B": 3}  # the race's variants and their starting stock
LAST_UNIT = "C"  # the expiry phase's variant: one unit
LONG_HOLD = 900.0  # seconds a reservation holds for a buyer who means to pay (the app's 15 min)

MODES = {
    "safe": "the plan: lock the variant rows, then read availability, then write",
    "unsafe": "no row locks: plain check-then-insert, on_hand written back as read",
    "one-statement": "lock and availability read in ONE statement (its subquery sees a stale snapshot)",
    "repeatable-read": "the plan's locks under REPEATABLE READ (the snapshot predates the lock)",
    "serializable": "no row locks, SERIALIZABLE isolation: PostgreSQL aborts conflicts, we retry",
}
UNLOCKED = ("unsafe", "serializable")  # the modes that take no explicit locks

REFUSAL = re.compile(r"^(?P<sku>[A-Z]+): wanted (?P<wanted>\d+), available (?P<available>\d+) "
                     r"\(on hand (?P<on_hand>-?\d+), reserved (?P<reserved>\d+)\)$")


# --------------------------------------------------------------------------------------------
# The plan's SQL. Every function below runs inside one transaction that the caller owns (as
# the Rust functions take a `&Transaction`); run_tx() retries the whole of it on a deadlock.
# --------------------------------------------------------------------------------------------

class Refused(Exception):
    """The order cannot be reserved: nothing is written, the reason says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class NotEnoughStock(Exception):
    """A removal would take more than is available (on hand minus reserved)."""

    def __init__(self, sku: str, remove: int, on_hand: int, reserved: int):
        super().__init__(f"{sku}: remove {remove}, on hand {on_hand}, reserved {reserved}")
        self.sku, self.available = sku, on_hand - reserved


def lock_variants(cur, ids, opts) -> None:
    """Takes the row locks that make check-then-write safe: FOR NO KEY UPDATE (what an UPDATE of
    on_hand takes, so it also queues behind any stock movement, but does not block the
    foreign-key checks of order_lines/ledger inserts), one statement, in id order, so two
    baskets {A, B} and {B, A} cannot deadlock."""
    if opts.mode in UNLOCKED:
        return
    clause = "FOR NO KEY UPDATE" if opts.lock_strength == "no-key-update" else "FOR UPDATE"
    if opts.lock_order == "sorted":
        cur.execute(f"SELECT id FROM variants WHERE id = ANY(%s) ORDER BY id {clause}",
                    (sorted(set(ids)),))
    else:  # basket order: still correct, but two baskets can lock crosswise and deadlock
        for vid in dict.fromkeys(ids):
            cur.execute(f"SELECT id FROM variants WHERE id = %s {clause}", (vid,))


def stock_of(cur, vid) -> tuple[str, int, int]:
    """(sku, on_hand, reserved) in a fresh READ COMMITTED snapshot, taken after the lock."""
    return cur.execute(
        "SELECT v.sku, s.on_hand, s.reserved FROM variants v"
        " JOIN variant_stock s ON s.variant_id = v.id WHERE v.id = %s", (vid,)).fetchone()


def record_movement(cur, vid, delta, reason, order=None, note="") -> int:
    """inventory::record_movement: checks availability, writes on_hand and the ledger row.
    The caller holds the variant's row lock. Returns the balance after."""
    sku, on_hand, reserved = stock_of(cur, vid)
    if delta < 0 and -delta > on_hand - reserved:
        raise NotEnoughStock(sku, -delta, on_hand, reserved)
    balance = on_hand + delta
    # Written back as read, as the app does: safe only because the row is locked.
    cur.execute("UPDATE variants SET on_hand = %s, updated_at = now() WHERE id = %s", (balance, vid))
    cur.execute("INSERT INTO stock_ledger (variant_id, delta, reason, order_id, note, balance_after)"
                " VALUES (%s, %s, %s, %s, %s, %s)", (vid, delta, reason, order, note, balance))
    return balance


def add_event(cur, order, kind, message="") -> None:
    cur.execute("INSERT INTO order_events (order_id, kind, message) VALUES (%s, %s, %s)",
                (order, kind, message))


def place(cur, basket, hold_seconds, opts) -> int:
    """Shop::place / insert_order: the order, its lines, its reservations, in one transaction."""
    order = cur.execute("INSERT INTO orders DEFAULT VALUES RETURNING id").fetchone()[0]
    for vid, qty in basket:
        cur.execute("INSERT INTO order_lines (order_id, variant_id, quantity) VALUES (%s, %s, %s)",
                    (order, vid, qty))
    reserve_order_stock(cur, order, hold_seconds, opts)
    add_event(cur, order, "placed", "Order placed")
    return order


def reserve_order_stock(cur, order, hold_seconds, opts) -> None:
    lines = cur.execute(
        "SELECT l.variant_id, v.sku, l.quantity FROM order_lines l"
        " JOIN variants v ON v.id = l.variant_id WHERE l.order_id = %s ORDER BY l.id",
        (order,)).fetchall()
    levels = {}
    if opts.mode == "one-statement":
        # The tempting one-liner. Its subquery is evaluated with the statement's snapshot, taken
        # before the lock wait: after waiting it still misses the reservations just committed.
        for vid, on_hand, reserved in cur.execute(
                "SELECT v.id, v.on_hand,"
                "       (SELECT coalesce(sum(s.quantity), 0) FROM stock_reservations s"
                "        WHERE s.variant_id = v.id AND s.released_at IS NULL"
                "          AND s.expires_at > statement_timestamp())"
                " FROM variants v WHERE v.id = ANY(%s) ORDER BY v.id FOR NO KEY UPDATE OF v",
                ([vid for vid, _, _ in lines],)):
            levels[vid] = (on_hand, reserved)
    else:
        lock_variants(cur, [vid for vid, _, _ in lines], opts)
    for vid, sku, qty in lines:
        on_hand, reserved = levels[vid] if levels else stock_of(cur, vid)[1:]
        available = on_hand - reserved
        if qty > available:
            raise Refused(f"{sku}: wanted {qty}, available {max(available, 0)}"
                          f" (on hand {on_hand}, reserved {reserved})")
        cur.execute(
            "INSERT INTO stock_reservations (variant_id, quantity, order_id, expires_at)"
            " VALUES (%s, %s, %s, statement_timestamp() + make_interval(secs => %s))",
            (vid, qty, order, hold_seconds))


def release_reservations(cur, order) -> list:
    """Releases the order's reservations; returns (variant, quantity, still_active) of each."""
    return cur.execute(
        "UPDATE stock_reservations SET released_at = statement_timestamp(),"
        "       released_xid = pg_current_xact_id()"
        " WHERE order_id = %s AND released_at IS NULL"
        " RETURNING variant_id, quantity, expires_at > statement_timestamp()", (order,)).fetchall()


@dataclass
class Payment:
    held: bool  # every line's reservation was still active when the payment was applied
    sold: int = 0  # units turned into `sold` ledger rows
    short: list = field(default_factory=list)  # oversold lines: paid for, not in stock


def pay(cur, order, opts) -> Payment:
    """Shop::mark_paid / sell_order_stock: the reservation becomes sold stock, or, when it ran
    out and someone else took the unit meanwhile, an `oversold` event (never negative stock)."""
    lock = "" if opts.mode in UNLOCKED else " FOR NO KEY UPDATE"
    status = cur.execute(f"SELECT payment_status FROM orders WHERE id = %s{lock}", (order,)).fetchone()[0]
    if status == "paid":
        return Payment(held=True)
    lines = cur.execute(
        "SELECT l.variant_id, v.sku, l.quantity FROM order_lines l"
        " JOIN variants v ON v.id = l.variant_id WHERE l.order_id = %s ORDER BY l.variant_id",
        (order,)).fetchall()
    lock_variants(cur, [vid for vid, _, _ in lines], opts)
    active = {vid for vid, _, still in release_reservations(cur, order) if still}
    result = Payment(held=all(vid in active for vid, _, _ in lines))
    for vid, sku, qty in lines:
        try:
            record_movement(cur, vid, -qty, "sold", order)
            result.sold += qty
        except NotEnoughStock as e:
            msg = f"{sku}: {qty} paid for but only {max(e.available, 0)} in stock"
            result.short.append(msg)
            add_event(cur, order, "oversold", msg)
    cur.execute("UPDATE orders SET payment_status = 'paid', updated_at = now() WHERE id = %s", (order,))
    add_event(cur, order, "paid", "Payment succeeded")
    return result


def cancel(cur, order, opts) -> None:
    """Payment failed or the order was cancelled: its stock is free again. Needs no variant
    lock, since releasing can only make more stock available."""
    lock = "" if opts.mode in UNLOCKED else " FOR NO KEY UPDATE"
    cur.execute(f"SELECT id FROM orders WHERE id = %s{lock}", (order,))
    release_reservations(cur, order)
    cur.execute("UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = %s", (order,))
    add_event(cur, order, "cancelled", "Cancelled: reserved stock released")


def release_expired(cur) -> int:
    """Shop::release_expired_reservations, safe to run on every machine at once: SKIP LOCKED
    leaves reservations that a payment or a cancel is handling right now to that transaction."""
    orders = {row[0] for row in cur.execute(
        "WITH expired AS ("
        "  SELECT id FROM stock_reservations"
        "  WHERE released_at IS NULL AND order_id IS NOT NULL AND expires_at <= statement_timestamp()"
        "  ORDER BY id FOR UPDATE SKIP LOCKED)"
        " UPDATE stock_reservations r SET released_at = statement_timestamp(),"
        "        released_xid = pg_current_xact_id()"
        " FROM expired WHERE r.id = expired.id RETURNING r.order_id")}
    for order in sorted(orders):
        add_event(cur, order, "reservation_expired",
                  "Reserved stock released: the order was not paid in time")
    return len(orders)


# --------------------------------------------------------------------------------------------
# Connections, retries, processes.
# --------------------------------------------------------------------------------------------

RETRY = {errors.DeadlockDetected: "deadlock", errors.SerializationFailure: "serialization"}


class GaveUp(Exception):
    pass


def connect(opts, name):
    conn = psycopg.connect(opts.dsn, autocommit=True, application_name=f"flagshop-race {name}")
    conn.execute(f"SET search_path TO {SCHEMA}")
    conn.execute("SET lock_timeout = '20s'")
    isolation = {"repeatable-read": "repeatable read", "serializable": "serializable"}.get(
        opts.mode, "read committed")
    # The plan depends on READ COMMITTED's fresh snapshot per statement: set it, whatever the
    # server's default_transaction_isolation says.
    conn.execute(f"SET default_transaction_isolation = '{isolation}'")
    return conn


def run_tx(conn, stats, fn, *args):
    """Runs fn(cursor, *args) in one transaction, retrying the whole of it on a deadlock or a
    serialization failure (PostgreSQL aborted it; nothing was written)."""
    for attempt in range(1, 51):
        try:
            with conn.transaction(), conn.cursor() as cur:
                result = fn(cur, *args)
            stats["transactions"] += 1
            return result
        except Refused:
            stats["transactions"] += 1  # rolled back, having done its work: refusing
            raise
        except tuple(RETRY) as e:
            stats[f"retried_{RETRY[type(e)]}"] += 1
            time.sleep(random.uniform(0, 0.002 * attempt))
    raise GaveUp(f"{fn.__name__} still failing after 50 attempts")


def worker(idx, opts, ids, barrier, queue):
    rng = random.Random(opts.seed * 7919 + idx)
    stats, refusals, problems = collections.Counter(), [], []
    try:
        conn = connect(opts, f"till-{idx}")
        barrier.wait(timeout=60)
        for _ in range(opts.orders):
            skus = rng.sample(sorted(STOCK), rng.choice([1, 2]))  # random line order
            basket = [(ids[s], rng.choice([1, 1, 1, 2])) for s in skus]
            intent = rng.choices(["pay", "cancel", "abandon", "pay_late"], [45, 20, 25, 10])[0]
            hold = LONG_HOLD if intent in ("pay", "cancel") else rng.uniform(0.05, 0.3)
            stats["orders_tried"] += 1
            stats[f"lines_{len(basket)}"] += 1
            try:
                order = run_tx(conn, stats, place, basket, hold, opts)
            except Refused as r:
                stats["refused"] += 1
                refusals.append(r.reason)
                continue
            stats["placed"] += 1
            stats[f"intent_{intent}"] += 1
            if intent == "cancel":
                run_tx(conn, stats, cancel, order, opts)
            elif intent in ("pay", "pay_late"):
                time.sleep(hold + 0.05 if intent == "pay_late" else rng.uniform(0, 0.003))
                p = run_tx(conn, stats, pay, order, opts)
                stats["units_sold"] += p.sold
                if p.short:
                    stats["paid_but_short" if p.held else "paid_late_short"] += 1
                    if p.held:
                        problems.append(f"order {order} paid while its reservation held, "
                                        f"yet: {'; '.join(p.short)}")
                else:
                    stats["paid_in_time" if p.held else "paid_late_ok"] += 1
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        problems.append(f"worker {idx}: {type(e).__name__}: {e}")
    queue.put({"stats": stats, "refusals": refusals, "problems": problems})


def sweeper(opts, stop, queue):
    stats, problems = collections.Counter(), []
    try:
        conn = connect(opts, "sweeper")
        while not stop.is_set():
            stats["orders_expired"] += run_tx(conn, stats, release_expired)
            stop.wait(0.02)
        conn.close()
    except Exception as e:  # noqa: BLE001
        problems.append(f"sweeper: {type(e).__name__}: {e}")
    queue.put({"stats": stats, "refusals": [], "problems": problems})


def back_office(opts, ids, stop, queue):
    """The packing station: receives deliveries and writes damaged units off, under the same
    variant locks as the tills."""
    rng = random.Random(opts.seed * 31 + 7)
    stats, problems = collections.Counter(), []

    def receive(cur, vid, qty):
        lock_variants(cur, [vid], opts)
        record_movement(cur, vid, qty, "received", note="delivery")

    def write_off(cur, vid):
        lock_variants(cur, [vid], opts)
        try:
            record_movement(cur, vid, -1, "damaged", note="dropped at packing")
            return True
        except NotEnoughStock:
            return False

    try:
        conn = connect(opts, "back-office")
        while not stop.is_set():
            vid = ids[rng.choice(sorted(STOCK))]
            if rng.random() < 0.8 and stats["units_received"] < opts.restock:
                qty = rng.choice([1, 2])
                run_tx(conn, stats, receive, vid, qty)
                stats["units_received"] += qty
            elif run_tx(conn, stats, write_off, vid):
                stats["units_written_off"] += 1
            else:
                stats["write_offs_refused"] += 1
            stop.wait(rng.uniform(0.005, 0.02))
        conn.close()
    except Exception as e:  # noqa: BLE001
        problems.append(f"back office: {type(e).__name__}: {e}")
    queue.put({"stats": stats, "refusals": [], "problems": problems})


def contender(idx, opts, vid, barrier, queue):
    """One buyer in the race for the unit freed by an expired reservation."""
    stats, out = collections.Counter(), {"order": None, "reason": None, "problem": None}
    try:
        conn = connect(opts, f"contender-{idx}")
        barrier.wait(timeout=60)
        out["order"] = run_tx(conn, stats, place, [(vid, 1)], LONG_HOLD, opts)
    except Refused as r:
        out["reason"] = r.reason
    except Exception as e:  # noqa: BLE001
        out["problem"] = f"contender {idx}: {type(e).__name__}: {e}"
    out["stats"] = stats
    queue.put(out)


# --------------------------------------------------------------------------------------------
# Setup, phases, audit.
# --------------------------------------------------------------------------------------------

def setup(opts):
    conn = psycopg.connect(opts.dsn, autocommit=True)
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    conn.execute(f"SET search_path TO {SCHEMA}")
    conn.execute((HERE / "schema.sql").read_text())
    ids = {}
    with conn.transaction(), conn.cursor() as cur:
        for sku, qty in [*STOCK.items(), (LAST_UNIT, 1)]:
            ids[sku] = cur.execute("INSERT INTO variants (sku) VALUES (%s) RETURNING id", (sku,)).fetchone()[0]
            record_movement(cur, ids[sku], qty, "received", note="opening stock")
    info = {
        "version": conn.execute("SHOW server_version").fetchone()[0],
        "commit_ts": conn.execute("SHOW track_commit_timestamp").fetchone()[0] == "on",
        "deadlock_timeout": conn.execute("SHOW deadlock_timeout").fetchone()[0],
    }
    conn.close()
    return ids, info


def collect(queue, n, procs):
    out = [queue.get(timeout=300) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
    return out


def race(opts, ids):
    ctx = mp.get_context("fork")
    queue, stop = ctx.Queue(), ctx.Event()
    barrier = ctx.Barrier(opts.workers + 1)
    helpers = [ctx.Process(target=sweeper, args=(opts, stop, queue)),
               ctx.Process(target=back_office, args=(opts, ids, stop, queue))]
    workers = [ctx.Process(target=worker, args=(i, opts, ids, barrier, queue)) for i in range(opts.workers)]
    for p in helpers + workers:
        p.start()
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    results = [queue.get(timeout=300) for _ in workers]
    elapsed = time.perf_counter() - t0
    stop.set()
    results += [queue.get(timeout=60) for _ in helpers]
    for p in helpers + workers:
        p.join(timeout=30)
    stats, refusals, problems = collections.Counter(), [], []
    for r in results:
        stats.update(r["stats"])
        refusals += r["refusals"]
        problems += r["problems"]
    return stats, refusals, problems, elapsed


def expiry_phase(opts, ids, stats, refusals):
    """A reservation runs out and another buyer takes the unit; the first pays too late."""
    problems, notes = [], []
    vid = ids[LAST_UNIT]
    conn = connect(opts, "expiry-phase")
    first = run_tx(conn, stats, place, [(vid, 1)], LONG_HOLD, opts)
    try:
        run_tx(conn, stats, place, [(vid, 1)], LONG_HOLD, opts)
        problems.append(f"{LAST_UNIT}: a second buyer reserved the only unit while it was held")
    except Refused as r:
        refusals.append(r.reason)
        notes.append(f"while held: refused \"{r.reason}\"")
    conn.execute("UPDATE stock_reservations SET expires_at = statement_timestamp() - interval '1 second'"
                 " WHERE order_id = %s", (first,))

    n = opts.contenders
    ctx = mp.get_context("fork")
    queue, barrier = ctx.Queue(), ctx.Barrier(n)
    procs = [ctx.Process(target=contender, args=(i, opts, vid, barrier, queue)) for i in range(n)]
    for p in procs:
        p.start()
    outs = collect(queue, n, procs)
    winners = [o["order"] for o in outs if o["order"]]
    for o in outs:
        stats.update(o["stats"])
        if o["reason"]:
            refusals.append(o["reason"])
        if o["problem"]:
            problems.append(o["problem"])
    notes.append(f"after backdating its expiry: {len(winners)} of {n} racing buyers got the unit")
    if len(winners) != 1:
        problems.append(f"{LAST_UNIT}: {len(winners)} buyers reserved the 1 unit freed by the expiry")

    swept = run_tx(conn, stats, release_expired)
    expired_event = conn.execute("SELECT count(*) FROM order_events WHERE order_id = %s"
                                 " AND kind = 'reservation_expired'", (first,)).fetchone()[0]
    if not expired_event:
        problems.append(f"the expired reservation of order {first} was not recorded as expired")
    late = run_tx(conn, stats, pay, first, opts)
    notes.append(f"sweep released {swept} order(s); the first buyer paid late: "
                 + ("; ".join(late.short) if late.short else f"sold {late.sold}"))
    if late.held or late.sold or not late.short:
        problems.append(f"order {first} paid after its reservation expired and the unit was taken,"
                        f" but: held={late.held} sold={late.sold} short={late.short}")
    for w in winners:
        p = run_tx(conn, stats, pay, w, opts)
        if p.short or not p.held:
            problems.append(f"winner order {w} paid in time but got: {p}")
    on_hand = conn.execute("SELECT on_hand FROM variants WHERE id = %s", (vid,)).fetchone()[0]
    notes.append(f"{LAST_UNIT} on hand at the end: {on_hand}")
    if on_hand != 0 and len(winners) == 1:
        problems.append(f"{LAST_UNIT}: on hand {on_hand} after selling its only unit")
    conn.close()
    return problems, notes


def replay(conn):
    """Replays every stock movement and reservation in commit order: at no moment may the
    units reserved exceed those on hand, nor on hand go below zero. Returns (moments checked,
    violations, worst excess)."""
    events = collections.defaultdict(list)  # variant -> [(time, d_on_hand, d_reserved)]
    for vid, ts, delta in conn.execute(
            "SELECT variant_id, pg_xact_commit_timestamp(xmin), delta FROM stock_ledger"):
        events[vid].append((ts, delta, 0))
    as_xid = "mod({}::text::numeric, 4294967296)::text::xid"
    for vid, qty, start, released, expires in conn.execute(
            "SELECT variant_id, quantity,"
            f"      pg_xact_commit_timestamp({as_xid.format('reserved_xid')}),"
            f"      pg_xact_commit_timestamp({as_xid.format('released_xid')}), expires_at"
            " FROM stock_reservations"):
        end = min(released, expires) if released else expires
        if end > start:  # an interval during which the reservation really held stock
            events[vid].append((start, 0, qty))
            events[vid].append((end, 0, -qty))
    moments, violations, worst = 0, [], 0
    for vid, evs in events.items():
        evs.sort(key=lambda e: e[0])
        on_hand = reserved = 0
        i = 0
        while i < len(evs):
            ts = evs[i][0]
            while i < len(evs) and evs[i][0] == ts:  # one commit (or expiry) at a time
                on_hand += evs[i][1]
                reserved += evs[i][2]
                i += 1
            moments += 1
            if on_hand < 0 or reserved > on_hand:
                worst = max(worst, reserved - on_hand, -on_hand)
                violations.append((vid, ts, on_hand, reserved))
    return moments, violations, worst


def audit(opts, info, stats, refusals, problems):
    checks = []  # (ok, text)
    conn = connect(opts, "audit")
    names = dict(conn.execute("SELECT id, sku FROM variants").fetchall())

    rows = conn.execute(
        "SELECT v.sku, v.on_hand, coalesce(sum(l.delta), 0),"
        "       coalesce(sum(l.delta) FILTER (WHERE l.reason = 'received'), 0),"
        "       coalesce(-sum(l.delta) FILTER (WHERE l.reason = 'sold'), 0),"
        "       coalesce(-sum(l.delta) FILTER (WHERE l.reason = 'damaged'), 0), s.reserved"
        " FROM variants v JOIN variant_stock s ON s.variant_id = v.id"
        " LEFT JOIN stock_ledger l ON l.variant_id = v.id"
        " GROUP BY v.id, s.reserved ORDER BY v.id").fetchall()
    levels = [f"{sku}: received {rec}, sold {sold}, written off {dmg}, on hand {oh}, held now {res}"
              for sku, oh, _, rec, sold, dmg, res in rows]
    bad = [f"{sku} on_hand {oh} vs ledger {led}" for sku, oh, led, *_ in rows if oh != led]
    checks.append((not bad, "on_hand = sum of the ledger for every variant" + (f": {bad}" if bad else "")))
    bad = [f"{sku} on_hand {oh}, ledger {led}" for sku, oh, led, *_ in rows if oh < 0 or led < 0]
    checks.append((not bad, "no negative stock, on the variant or in the ledger" + (f": {bad}" if bad else "")))
    bad = [f"{sku}: sold {sold} + written off {dmg} + held {res} > received {rec}"
           for sku, _, _, rec, sold, dmg, res in rows if sold + dmg + res > rec]
    checks.append((not bad, "sold + written off + held now <= received for every variant"
                   + (f": {bad}" if bad else "")))
    bad = [f"{sku} holds {res} of {oh}" for sku, oh, _, _, _, _, res in rows if res > oh]
    checks.append((not bad, "reserved now <= on hand for every variant" + (f": {bad}" if bad else "")))

    broken, running = [], {}
    for vid, delta, after, lid in conn.execute(
            "SELECT variant_id, delta, balance_after, id FROM stock_ledger ORDER BY variant_id, id"):
        running[vid] = running.get(vid, 0) + delta
        if running[vid] != after:
            broken.append(f"{names[vid]} row {lid}: balance_after {after}, running sum {running[vid]}")
    checks.append((not broken, "each ledger row's balance_after = the running sum (no lost update)"
                   + (f": {len(broken)} rows, e.g. {broken[:3]}" if broken else "")))

    bad = conn.execute(
        "SELECT l.order_id, l.variant_id, -sum(l.delta), min(ol.quantity), min(o.payment_status)"
        " FROM stock_ledger l LEFT JOIN order_lines ol"
        "   ON ol.order_id = l.order_id AND ol.variant_id = l.variant_id"
        " LEFT JOIN orders o ON o.id = l.order_id WHERE l.reason = 'sold'"
        " GROUP BY l.order_id, l.variant_id"
        " HAVING -sum(l.delta) IS DISTINCT FROM min(ol.quantity) OR min(o.payment_status) <> 'paid'"
    ).fetchall()
    checks.append((not bad, "only paid orders sold stock, each line exactly once" + (f": {bad[:3]}" if bad else "")))

    if info["commit_ts"]:
        moments, violations, worst = replay(conn)
        checks.append((not violations,
                       f"replayed {moments} moments (commits, expiries) in order: "
                       "reserved <= on hand >= 0 at every one"
                       + (f": {len(violations)} moments over, up to {worst} unit(s) promised beyond "
                          f"stock, e.g. {[(names[v], o, r) for v, _, o, r in violations[:3]]}"
                          if violations else "")))
    else:
        checks.append((True, "commit-order replay skipped: the server has track_commit_timestamp = off"))

    unclear = [r for r in refusals if not (m := REFUSAL.match(r)) or int(m["wanted"]) <= int(m["available"])]
    unclear += ["an order was neither placed nor refused"] * (stats["orders_tried"] - stats["placed"] - stats["refused"])
    checks.append((not unclear, f"all {len(refusals)} refusals give the SKU, wanted and available"
                   + (f": {unclear[:3]}" if unclear else "")))
    retried = stats["retried_deadlock"] + stats["retried_serialization"]
    gave_up = [p for p in problems if "GaveUp" in p]
    checks.append((not gave_up, f"all {retried} deadlocks/serialization failures retried to completion"
                   + (f": {len(gave_up)} transactions gave up after 50 attempts" if gave_up else "")))
    oversold_held = [p for p in problems if "paid while its reservation held" in p]
    checks.append((not oversold_held, "every buyer who paid while their reservation held got the goods"
                   + (f": {len(oversold_held)} did not, e.g. {oversold_held[0]}" if oversold_held else "")))
    other = [p for p in problems if p not in oversold_held and p not in gave_up]
    checks.append((not other, "expiry takeover and all processes behaved" + (f": {other[:5]}" if other else "")))
    conn.close()
    return checks, levels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dsn", nargs="?", default=os.environ.get("PG_DSN"),
                    help="libpq connection string (default: $PG_DSN)")
    ap.add_argument("--workers", type=int, default=40, help="worker processes in the race (40)")
    ap.add_argument("--orders", type=int, default=25, help="orders each worker places (25)")
    ap.add_argument("--restock", type=int, default=60, help="units the back office receives during the race (60)")
    ap.add_argument("--contenders", type=int, default=12, help="buyers racing for the expired unit (12)")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--mode", choices=MODES, default="safe")
    ap.add_argument("--unsafe", dest="mode", action="store_const", const="unsafe",
                    help="skip the row locks (same as --mode unsafe): expect oversells")
    ap.add_argument("--lock-order", choices=["sorted", "basket"], default="sorted",
                    help="lock variant rows in id order (the plan) or in the basket's order (deadlocks)")
    ap.add_argument("--lock-strength", choices=["no-key-update", "update"], default="no-key-update",
                    help="FOR NO KEY UPDATE (the plan) or FOR UPDATE (also blocks FK checks: deadlocks)")
    opts = ap.parse_args()
    if not opts.dsn:
        ap.error("give a DSN (or set PG_DSN)")

    try:
        ids, info = setup(opts)
    except psycopg.Error as e:
        print(f"race.py: cannot set up the schema: {e}", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    print(f"PostgreSQL {info['version']}; mode {opts.mode}: {MODES[opts.mode]}"
          + (f" (FOR {opts.lock_strength.replace('-', ' ').upper()}, {opts.lock_order} order)" if opts.mode not in UNLOCKED else ""))
    print(f"race: {opts.workers} worker processes x {opts.orders} orders, a sweeper and a back office; "
          f"stock {', '.join(f'{k} {v}' for k, v in STOCK.items())}, up to {opts.restock} more received "
          f"during the race; seed {opts.seed}; {os.cpu_count()} CPUs")

    stats, refusals, problems, elapsed = race(opts, ids)
    tried = stats["orders_tried"]
    print(f"  orders tried {tried} ({stats['lines_1']} one-line, {stats['lines_2']} two-line): "
          f"placed {stats['placed']}, refused {stats['refused']}")
    print(f"  placed -> paid {stats['intent_pay']}, cancelled {stats['intent_cancel']}, left to expire "
          f"{stats['intent_abandon']}, paid late {stats['intent_pay_late']} "
          f"({stats['paid_late_ok']} still got the goods, {stats['paid_late_short']} found them gone)")
    print(f"  units sold {stats['units_sold']}, received {stats['units_received']}, written off "
          f"{stats['units_written_off']} ({stats['write_offs_refused']} write-offs refused: no free unit); "
          f"expired orders swept {stats['orders_expired']}")
    print(f"  retried: {stats['retried_deadlock']} deadlocks, {stats['retried_serialization']} "
          f"serialization failures")
    print(f"  time {elapsed:.2f} s: {tried / elapsed:.0f} orders/s, "
          f"{stats['transactions'] / elapsed:.0f} transactions/s (all processes, refusals included)")

    phase_stats = collections.Counter()
    try:
        more, notes = expiry_phase(opts, ids, phase_stats, refusals)
    except Exception as e:  # noqa: BLE001
        more, notes = [f"expiry phase: {type(e).__name__}: {e}"], []
    problems += more
    print(f"expiry takeover ({LAST_UNIT}, 1 unit): " + "; ".join(notes))
    if phase_stats["retried_deadlock"] or phase_stats["retried_serialization"]:
        print(f"  retried there: {phase_stats['retried_deadlock']} deadlocks, "
              f"{phase_stats['retried_serialization']} serialization failures")

    checks, levels = audit(opts, info, stats + phase_stats, refusals, problems)
    print("stock: " + "; ".join(levels))
    print("checks:")
    for ok, text in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    load_after = os.getloadavg()
    print(f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"deadlock_timeout {info['deadlock_timeout']}")
    failed = sum(not ok for ok, _ in checks)
    print(f"{'PASS' if not failed else 'FAIL'}: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
