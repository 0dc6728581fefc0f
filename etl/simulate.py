"""Live traffic for demos, tests and benchmarks (`python -m etl simulate --into INBOX ...`).

The simulated clock continues from the latest data: batch k covers the `batch_seconds` after
start + k * batch_seconds, where start is the latest purchase in the warehouse (or the end of the
latest batch still waiting in INBOX), and it is written when that much real time has passed, so the
data's clock runs at the wall clock's pace. Each batch holds new orders (about `rate` per second,
Poisson) with their customers, items and payments, and the later life of earlier orders as updated
order rows: approved minutes after purchase (boletos days later, some never paid and canceled),
shipped days later, delivered, and reviewed a few days after delivery. Orders still on their way
in the warehouse when the simulator starts join in, their overdue steps spread over its first half
hour. Files are in the published format, written in a hidden folder and moved into INBOX whole.

The same seed over the same warehouse writes the same bytes.
"""
from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from etl import formats
from etl.generate import SCORE_LATE, SCORE_ON_TIME

CATCH_UP = timedelta(minutes=30)  # overdue steps of orders already on their way spread over this
IN_FLIGHT = ("created", "approved", "invoiced", "processing", "shipped")
PAYMENT_TYPES = ("credit_card", "boleto", "voucher", "debit_card")
PAYMENT_P = (0.74, 0.19, 0.055, 0.015)
NAME = re.compile(r"^(\d{8}T\d{6}\.\d{3})-\d+")


class SimulateError(Exception):
    """The simulator cannot start; the message says why and what to do."""


@dataclass
class Order:
    """An order whose life is not over: the simulator moves it on when `due` comes."""

    order_id: str
    customer_id: str
    status: str
    purchase: datetime
    estimated: datetime
    approved: datetime | None = None
    carrier: datetime | None = None
    delivered: datetime | None = None
    boleto: bool = False
    reviewed: bool = False  # its customer wrote a review already (some do before delivery)
    due: datetime | None = None

    def row(self) -> list[str]:
        return [self.order_id, self.customer_id, self.status, _ts(self.purchase), _ts(self.approved),
                _ts(self.carrier), _ts(self.delivered), _ts(self.estimated)]


@dataclass
class World:
    """What the simulator reads from the warehouse once, at start."""

    start: datetime
    people: list = field(default_factory=list)  # (customer_unique_id, zip, city, state) of recent buyers
    offers: list = field(default_factory=list)  # (product_id, seller_id, price cents, freight cents)
    orders: list = field(default_factory=list)  # Orders still on their way
    unreviewed: list = field(default_factory=list)  # (order_id, delivered, late) delivered without review


def _ts(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def read_world(conn, inbox: Path) -> World:
    """The latest data, recent buyers and products, and the orders still on their way."""
    latest = conn.execute("SELECT max(order_purchase_timestamp) FROM warehouse.fact_orders").fetchone()[0]
    if latest is None:
        raise SimulateError("the warehouse holds no orders: load data first (`python app.py` loads a demo set)")
    waiting = [datetime.strptime(m.group(1), "%Y%m%dT%H%M%S.%f") for p in inbox.iterdir()
               if p.is_dir() and (m := NAME.match(p.name))]
    start = max([latest.replace(microsecond=0), *waiting])
    since = latest - timedelta(days=30)
    world = World(start)
    world.people = [(u.hex, f"{z:05d}" if isinstance(z, int) else (z or ""), city or "", state or "")
                    for u, z, city, state in conn.execute(
        "SELECT c.customer_unique_id, c.customer_zip_code_prefix, c.customer_city, c.customer_state "
        "FROM warehouse.fact_orders o JOIN warehouse.dim_customers c USING (customer_id) "
        "WHERE o.order_purchase_timestamp >= %s AND c.customer_unique_id IS NOT NULL "
        "ORDER BY o.order_purchase_timestamp DESC, o.order_id LIMIT 3000", (since,)).fetchall()]
    world.offers = [(p.hex, s.hex, int(round(price * 100)), int(round(freight * 100)))
                    for p, s, price, freight in conn.execute(
        "SELECT i.product_id, i.seller_id, i.price, i.freight_value FROM warehouse.fact_orders o "
        "JOIN warehouse.fact_order_items i USING (order_id) WHERE o.order_purchase_timestamp >= %s "
        "AND i.price > 0 ORDER BY o.order_purchase_timestamp DESC, i.order_id, i.order_item_id LIMIT 3000",
        (since,)).fetchall()]
    if not world.people or not world.offers:
        raise SimulateError("the warehouse's last 30 days hold no customers or items to continue from: "
                            "load a data set with orders and items first")
    for oid, cid, status, purchase, approved, carrier, delivered, estimated, boleto, reviewed in conn.execute(
            "SELECT o.order_id, o.customer_id, o.order_status, o.order_purchase_timestamp, o.order_approved_at, "
            "o.order_delivered_carrier_date, o.order_delivered_customer_date, o.order_estimated_delivery_date, "
            "EXISTS (SELECT 1 FROM warehouse.fact_payments p WHERE p.order_id = o.order_id "
            "        AND p.payment_type = 'boleto'), "
            "EXISTS (SELECT 1 FROM warehouse.fact_reviews r WHERE r.order_id = o.order_id) "
            "FROM warehouse.fact_orders o WHERE o.order_purchase_timestamp >= %s AND o.order_status = ANY(%s) "
            "ORDER BY o.order_purchase_timestamp, o.order_id LIMIT 5000", (latest - timedelta(days=60), list(IN_FLIGHT))):
        world.orders.append(Order(oid.hex, cid.hex if cid else "", status, purchase,
                                  estimated or purchase + timedelta(days=20), approved, carrier, delivered, boleto,
                                  reviewed))
    world.unreviewed = [(oid.hex, delivered, late) for oid, delivered, late in conn.execute(
        "SELECT o.order_id, o.order_delivered_customer_date, "
        "o.order_delivered_customer_date::date > o.order_estimated_delivery_date::date "
        "FROM warehouse.fact_orders o WHERE o.order_status = 'delivered' "
        "AND o.order_delivered_customer_date >= %s AND NOT EXISTS "
        "(SELECT 1 FROM warehouse.fact_reviews r WHERE r.order_id = o.order_id) "
        "ORDER BY o.order_delivered_customer_date, o.order_id LIMIT 2000", (latest - timedelta(days=10),))]
    return world


class Simulator:
    """Batch k of live traffic from `world`, for k = 0, 1, 2, ... in turn."""

    def __init__(self, world: World, rate: float, batch_seconds: float, seed: int):
        self.world, self.rate, self.step = world, rate, timedelta(seconds=batch_seconds)
        self.rng = np.random.default_rng([seed, int((world.start - datetime(1970, 1, 1)).total_seconds())])
        self.k = 0
        self.on_way: list[Order] = []
        self.reviews_due: list[tuple[datetime, str, datetime, bool]] = []  # (due, order, delivered, late)
        for o in world.orders:
            self._schedule(o, catch_up=True)
            if o.due is not None:
                self.on_way.append(o)
        for oid, delivered, late in world.unreviewed:
            self._review_later(oid, delivered, late, catch_up=True)

    def batch_name(self) -> str:
        end = self.world.start + self.step * (self.k + 1)
        return f"{end:%Y%m%dT%H%M%S.%f}"[:-3] + f"-{self.k + 1:06d}"

    def next_batch(self) -> dict[str, list[list]]:
        """The rows of the next batch, by file kind; advances the clock by one batch."""
        began = self.world.start + self.step * self.k
        ended = began + self.step
        self.k += 1
        rows = {"customers": [], "orders": [], "items": [], "payments": [], "reviews": []}
        moved = {}
        for o in sorted(self.on_way, key=lambda o: (o.due, o.order_id)):
            while o.due is not None and o.due <= ended:
                self._advance(o)
                moved[o.order_id] = o
        self.on_way = [o for o in self.on_way if o.due is not None]
        new = self._new_orders(began, ended, rows)
        for o in new:
            moved.pop(o.order_id, None)
        rows["orders"] += [o.row() for o in moved.values()]
        due = [r for r in self.reviews_due if r[0] <= ended]
        self.reviews_due = [r for r in self.reviews_due if r[0] > ended]
        for when, oid, delivered, late in sorted(due):
            rows["reviews"].append(self._review(when, oid, delivered, late))
        return rows

    def _new_orders(self, began: datetime, ended: datetime, rows: dict) -> list[Order]:
        rng, world = self.rng, self.world
        n = int(rng.poisson(self.rate * self.step.total_seconds()))
        offsets = np.sort(rng.uniform(0, self.step.total_seconds(), n))
        made = []
        for off in offsets.tolist():
            purchase = (began + timedelta(seconds=off)).replace(microsecond=0) + timedelta(seconds=1)
            person = world.people[int(rng.integers(len(world.people)))]
            unique = person[0] if rng.random() < 0.03 else _hex(rng)
            customer = _hex(rng)
            rows["customers"].append([customer, unique, person[1], person[2], person[3]])
            kind = PAYMENT_TYPES[int(rng.choice(4, p=PAYMENT_P))]
            order = Order(_hex(rng), customer, "created", purchase,
                          (purchase + timedelta(days=int(rng.integers(12, 35)))).replace(hour=0, minute=0, second=0),
                          boleto=kind == "boleto")
            n_items = int(rng.choice([1, 2, 3], p=[0.9, 0.08, 0.02]))
            total = 0
            offer = world.offers[int(rng.integers(len(world.offers)))]
            for item in range(1, n_items + 1):
                if item > 1 and rng.random() > 0.6:
                    offer = world.offers[int(rng.integers(len(world.offers)))]
                price = max(85, int(round(offer[2] * rng.normal(1.0, 0.02))))
                freight = max(0, int(round(offer[3] * rng.normal(1.0, 0.05))))
                total += price + freight
                rows["items"].append([order.order_id, item, offer[0], offer[1],
                                      _ts(purchase + timedelta(days=6)), _cents(price), _cents(freight)])
            installments = int(rng.choice([1, 2, 3, 4, 5, 6, 8, 10])) if kind == "credit_card" else 1
            rows["payments"].append([order.order_id, 1, kind, installments, _cents(total)])
            rows["orders"].append(order.row())
            self._schedule(order)
            self.on_way.append(order)
            made.append(order)
        return made

    def _schedule(self, o: Order, catch_up: bool = False) -> None:
        """When the order's next step comes (None: its life is over)."""
        rng, day = self.rng, 86400.0
        if o.status == "created":
            wait = rng.uniform(0.5, 3.0) * day if o.boleto else 120 + rng.exponential(900)
            o.due = o.purchase + timedelta(seconds=float(wait))
        elif o.status in ("approved", "invoiced", "processing"):
            o.due = (o.approved or o.purchase) + timedelta(seconds=float(rng.gamma(2.0, 1.3) * day))
        elif o.status == "shipped":
            o.due = (o.carrier or o.purchase) + timedelta(seconds=float((2 + rng.gamma(2.0, 2.4)) * day))
        else:
            o.due = None
            return
        if catch_up and o.due <= self.world.start:
            o.due = self.world.start + timedelta(seconds=float(rng.uniform(0, CATCH_UP.total_seconds())))

    def _advance(self, o: Order) -> None:
        """One step of the order's life at its due time."""
        now, roll = o.due, self.rng.random()
        if o.status == "created":
            if roll < (0.2 if o.boleto else 0.015):  # a boleto never paid, a card refused
                o.status = "canceled"
            else:
                o.status, o.approved = "approved", now
        elif o.status in ("approved", "invoiced", "processing"):
            if roll < 0.01:
                o.status = "canceled"
            elif roll < 0.015:
                o.status = "unavailable"
            else:
                o.status, o.carrier = "shipped", now
        elif o.status == "shipped":
            o.status, o.delivered = "delivered", now
            if not o.reviewed:
                self._review_later(o.order_id, now, now.date() > o.estimated.date())
        self._schedule(o)

    def _review_later(self, oid: str, delivered: datetime, late: bool, catch_up: bool = False) -> None:
        if self.rng.random() > 0.97:
            return  # not everyone writes one
        due = delivered + timedelta(days=float(self.rng.uniform(1, 5)))
        if catch_up and due <= self.world.start:
            due = self.world.start + timedelta(seconds=float(self.rng.uniform(0, CATCH_UP.total_seconds())))
        self.reviews_due.append((due, oid, delivered, late))

    def _review(self, when: datetime, oid: str, delivered: datetime, late: bool) -> list:
        p = SCORE_LATE if late else SCORE_ON_TIME
        score = int(self.rng.choice(5, p=p)) + 1
        created = when.replace(hour=0, minute=0, second=0)
        return [_hex(self.rng), oid, score, "", "", _ts(created), _ts(when)]


def _hex(rng) -> str:
    return rng.bytes(16).hex()


def _cents(cents: int) -> str:
    return f"{cents / 100:.2f}"


KINDS = {k.key: k for k in formats.KINDS}


def write_batch(inbox: Path, name: str, rows: dict[str, list[list]]) -> Path | None:
    """Write the batch's files in a hidden folder of INBOX and move it in whole; return its path (None
    for a batch with nothing in it: no folder is written). A name already taken (two simulators
    started from the same moment) gets a letter."""
    if not any(rows.values()):
        return None
    target, n = inbox / name, 0
    while target.exists():
        n += 1
        target = inbox / f"{name}-{n}"
    partial = inbox / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        for key, kind_rows in rows.items():
            if not kind_rows:
                continue
            with open(partial / KINDS[key].file_name, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(KINDS[key].header)
                w.writerows(kind_rows)
        partial.rename(target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # stopped while writing: leave no half batch behind
        raise
    return target


def counts(rows: dict[str, list[list]]) -> str:
    """What a batch holds, for its console line."""
    new = len(rows["customers"])  # each new order brings its customer
    updates, reviews = len(rows["orders"]) - new, len(rows["reviews"])
    return (f"{new} new order{'' if new == 1 else 's'}, {updates} update{'' if updates == 1 else 's'} of earlier "
            f"ones, {reviews} review{'' if reviews == 1 else 's'}")
