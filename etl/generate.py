"""Generate a demo data set in the published Olist format: nine CSV files, same seed same bytes.

The data is shaped like the real marketplace (see DESIGN.md): growth over two years, weekly and
daily cycles, a Black Friday spike, the state mix, categories with their own price levels,
long-tailed sellers and products, installments and vouchers that split payments, ~3% repeat
buyers, delivery times that grow with distance, a late share with lower review scores, and
Portuguese-like review text with commas, quotes and line breaks.

Orders are produced a block of days at a time and written straight to disk, so memory stays
bounded whatever the number of orders. All draws come from one seeded numpy Generator in a fixed
order, which is what makes the output byte-for-byte reproducible.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from etl import formats
from etl.geo_reference import CATEGORIES, STATES

START = date(2016, 9, 4)
END = date(2018, 10, 17)
BLACK_FRIDAY = date(2017, 11, 24)
SECONDS_PER_DAY = 86_400
BLOCK_ORDERS = 50_000  # orders generated per block: bounds memory, fixed for determinism
RESERVOIR = 50_000  # recent people a repeat purchase can come from

STATUS = ["delivered", "shipped", "canceled", "unavailable", "invoiced", "processing", "created", "approved"]
STATUS_P = [0.9702, 0.0111, 0.0063, 0.0061, 0.0032, 0.0030, 0.00005, 0.00002]
HOUR_P = np.array([2.5, 1.2, 0.6, 0.3, 0.2, 0.2, 0.5, 1.3, 3.0, 4.8, 6.2, 6.6, 6.0, 6.5, 6.7,
                   6.4, 6.3, 6.1, 5.8, 5.9, 6.3, 6.4, 6.1, 4.3])
WEEKDAY_W = np.array([1.12, 1.10, 1.06, 1.02, 0.96, 0.74, 0.80])  # Monday first

WORDS = ("produto chegou antes do prazo entrega rapida recomendo gostei muito qualidade otima "
         "bom vendedor atencioso embalagem bem feita nao recebi ainda veio errado faltou peca "
         "comprei esperava melhor pessimo atendimento demorou muito para chegar excelente loja "
         "lannister parabens tudo certo conforme anunciado satisfeito voltarei a comprar").split()
TITLES = ["recomendo", "otimo", "Muito bom", "Nao recebi", "pessimo", "Super recomendo",
          "bom", "produto com defeito", "Excelente!", "Entrega atrasada"]


@dataclass
class World:
    """The slowly changing parts of the marketplace: places, categories, sellers, products."""

    states: list
    prefixes: np.ndarray  # int zip prefixes
    prefix_state: np.ndarray  # index into states
    prefix_city: list
    prefix_lat: np.ndarray
    prefix_lng: np.ndarray
    state_prefixes: list  # per state, the indices of its prefixes
    seller_ids: list
    seller_prefix: np.ndarray
    seller_p: np.ndarray
    product_ids: list
    product_cat: np.ndarray  # index into CATEGORIES, -1 for none
    product_price: np.ndarray  # cents
    product_weight: np.ndarray
    product_seller: np.ndarray
    product_p: np.ndarray


def hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Return n random 32-hex-digit ids, like Olist's."""
    h = rng.bytes(16 * n).hex()
    return [h[i:i + 32] for i in range(0, 32 * n, 32)]


def fmt_ts(seconds: np.ndarray) -> list[str]:
    """Format epoch seconds as 'YYYY-MM-DD HH:MM:SS'; negative means missing (empty field)."""
    text = np.datetime_as_string(np.maximum(seconds, 0).astype("datetime64[s]"), unit="s")
    return [t[:10] + " " + t[11:] if s >= 0 else "" for t, s in zip(text.tolist(), seconds.tolist())]


def fmt_cents(cents: np.ndarray) -> list[str]:
    return [f"{c / 100:.2f}" for c in cents.tolist()]


def epoch(d: date) -> int:
    return int(np.datetime64(d, "s").astype(np.int64))


def daily_counts(rng: np.random.Generator, orders: int) -> tuple[np.ndarray, np.ndarray]:
    """Spread the orders over the days: growth, weekly cycle, Black Friday and noise."""
    days = np.arange(np.datetime64(START), np.datetime64(END) + 1)
    t = (days - np.datetime64(date(2017, 3, 15))).astype(float)
    weight = 1.0 / (1.0 + np.exp(-t / 55.0)) + 0.015  # growth from a trickle to a plateau
    weight *= 1.0 + 0.08 * np.sin((days - days[0]).astype(float) / 365.0 * 2 * np.pi)
    weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-05 was a Monday
    weight *= WEEKDAY_W[weekday]
    tail = (np.datetime64(END) - days).astype(float)
    weight *= np.clip(tail / 50.0, 0.15, 1.0)  # the export ends mid-stream: the last weeks thin out
    bf = np.datetime64(BLACK_FRIDAY)
    weight[days == bf] *= 4.5
    weight[(days > bf) & (days <= bf + 3)] *= 1.6
    weight *= rng.lognormal(0.0, 0.08, len(days))
    counts = rng.multinomial(orders, weight / weight.sum())
    return days, counts


def build_world(rng: np.random.Generator, orders: int) -> World:
    """Draw the places, sellers and products a data set of this size needs."""
    codes = list(STATES)
    cust_share = np.array([STATES[s][0] for s in codes])
    n_prefixes = int(np.clip(orders / 5, 200, 19_000))
    per_state = np.maximum(1, np.round(cust_share / cust_share.sum() * n_prefixes)).astype(int)
    prefixes, pstate, pcity, plat, plng = [], [], [], [], []
    state_prefixes = []
    for si, code in enumerate(codes):
        _, _, lat, lng, lo, hi, cities = STATES[code]
        k = min(per_state[si], hi - lo + 1)
        chosen = np.sort(rng.choice(np.arange(lo, hi + 1), size=k, replace=False))
        start = len(prefixes)
        prefixes.extend(chosen.tolist())
        pstate.extend([si] * k)
        # Big cities hold most prefixes: the first city of a state is the capital.
        city_w = 1.0 / np.arange(1, len(cities) + 1)
        pcity.extend(cities[i] for i in rng.choice(len(cities), size=k, p=city_w / city_w.sum()))
        plat.extend((lat + rng.normal(0, 0.6, k)).tolist())
        plng.extend((lng + rng.normal(0, 0.6, k)).tolist())
        state_prefixes.append(np.arange(start, start + k))

    n_sellers = int(np.clip(round(orders * 0.031), 20, 4_000))
    seller_share = np.array([STATES[s][1] for s in codes])
    seller_state = rng.choice(len(codes), size=n_sellers, p=seller_share / seller_share.sum())
    seller_prefix = np.array([rng.choice(state_prefixes[s]) for s in seller_state])
    seller_p = 1.0 / np.arange(1, n_sellers + 1) ** 1.05  # long tail: a few sellers sell most
    seller_p = rng.permutation(seller_p / seller_p.sum())

    n_products = int(np.clip(orders // 3, 60, 120_000))
    cat_w = np.array([c[3] for c in CATEGORIES], dtype=float)
    product_cat = rng.choice(len(CATEGORIES), size=n_products, p=cat_w / cat_w.sum())
    median = np.array([c[2] for c in CATEGORIES], dtype=float)[product_cat]
    price = np.maximum(85, np.round(median * rng.lognormal(0, 0.55, n_products) * 100)).astype(np.int64)
    weight = np.clip(rng.lognormal(6.6, 1.1, n_products), 50, 30_000).astype(int)
    product_cat[rng.random(n_products) < 0.018] = -1  # like the real file: a few with no category
    product_seller = rng.choice(n_sellers, size=n_products, p=seller_p)
    product_p = 1.0 / np.arange(1, n_products + 1) ** 0.9
    product_p = rng.permutation(product_p / product_p.sum())
    return World(codes, np.array(prefixes), np.array(pstate), pcity, np.array(plat), np.array(plng),
                 state_prefixes, hex_ids(rng, n_sellers), seller_prefix, seller_p,
                 hex_ids(rng, n_products), product_cat, price, weight, product_seller, product_p)


def distance_km(lat1, lng1, lat2, lng2):
    """Great-circle distance, vectorised."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lng2 - lng1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 6371 * 2 * np.arcsin(np.sqrt(a))


def comment(rng: np.random.Generator, score: int) -> str:
    """A Portuguese-like review comment; some have commas, quotes and line breaks."""
    words = [WORDS[i] for i in rng.integers(0, len(WORDS), int(rng.integers(3, 22)))]
    text = " ".join(words).capitalize()
    roll = rng.random()
    if roll < 0.25:
        text = text.replace(" ", ", ", 1)
    elif roll < 0.35:
        text += ' "' + WORDS[int(rng.integers(len(WORDS)))] + '"'
    elif roll < 0.45:
        text += "\r\n" + " ".join(WORDS[i] for i in rng.integers(0, len(WORDS), 5))
    if score <= 2 and rng.random() < 0.3:
        text += ". Nao recomendo!"
    return text


class Writers:
    """The nine open CSV writers, each started with its exact published header."""

    def __init__(self, out_dir: Path):
        out_dir.mkdir(parents=True, exist_ok=True)
        self.files, self.writers = {}, {}
        for kind in formats.KINDS:
            f = open(out_dir / kind.file_name, "w", newline="", encoding="utf-8")
            w = csv.writer(f, lineterminator="\n")
            w.writerow(kind.header)
            self.files[kind.key], self.writers[kind.key] = f, w

    def rows(self, key: str, *columns) -> None:
        """Write columns as rows. Only review texts can hold commas, quotes or line breaks, so
        the other files are joined directly: the same bytes as csv.writer, at twice its speed."""
        if key == "reviews":
            self.writers[key].writerows(zip(*columns))
            return
        text = [c if c and isinstance(c[0], str) else list(map(str, c)) for c in columns]
        self.files[key].write("\n".join(map(",".join, zip(*text))) + "\n")

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def generate(out_dir: Path, orders: int, seed: int = 42, progress=None) -> dict[str, int]:
    """Write the nine files for `orders` orders into `out_dir`; return the rows per file kind."""
    if orders < 1:
        raise ValueError("--orders must be at least 1")
    rng = np.random.default_rng(seed)
    world = build_world(rng, orders)
    days, counts = daily_counts(rng, orders)
    out = Writers(Path(out_dir))
    written = dict.fromkeys(out.files, 0)
    try:
        _static_files(rng, world, out, written, orders)
        reservoir = _Reservoir()
        start = 0
        while start < len(days):
            stop, total = start, 0
            while stop < len(days) and (total < BLOCK_ORDERS or stop == start):
                total += counts[stop]
                stop += 1
            if total:
                _order_block(rng, world, out, written, days[start:stop], counts[start:stop], reservoir)
            if progress:
                progress(int(counts[:stop].sum()), orders)
            start = stop
    finally:
        out.close()
    return written


def _static_files(rng, world: World, out: Writers, written: dict, orders: int) -> None:
    """Write the translation, sellers, products and geolocation files."""
    translated = [(c[0], c[1]) for c in CATEGORIES if c[1]]
    out.rows("categories", [t[0] for t in translated], [t[1] for t in translated])
    written["categories"] = len(translated)

    sp = world.seller_prefix
    out.rows("sellers", world.seller_ids, [f"{z:05d}" for z in world.prefixes[sp]],
             [world.prefix_city[i] for i in sp], [world.states[s] for s in world.prefix_state[sp]])
    written["sellers"] = len(world.seller_ids)

    n = len(world.product_ids)
    cat = world.product_cat
    has = cat >= 0

    def maybe(values):
        return [str(v) if h else "" for v, h in zip(values.tolist(), has.tolist())]

    w = world.product_weight
    side = np.clip((w / 0.2) ** (1 / 3) * rng.lognormal(0, 0.25, n), 5, 105).astype(int)
    out.rows("products", world.product_ids, [CATEGORIES[c][0] if c >= 0 else "" for c in cat.tolist()],
             maybe(rng.integers(10, 64, n)), maybe(rng.integers(40, 3000, n)),
             maybe(rng.integers(1, 7, n)), [str(x) for x in w.tolist()],
             [str(x) for x in side.tolist()], [str(x) for x in np.maximum(2, side // 2).tolist()],
             [str(x) for x in np.maximum(6, side - 3).tolist()])
    written["products"] = n

    # Many rows per prefix with jittered coordinates and the odd accented city spelling.
    per_prefix = max(2.0, min(55.0, orders * 10 / len(world.prefixes)))
    reps = 1 + rng.poisson(per_prefix - 1, len(world.prefixes))
    idx = np.repeat(np.arange(len(world.prefixes)), reps)
    for lo in range(0, len(idx), 200_000):
        part = idx[lo:lo + 200_000]
        m = len(part)
        lat = world.prefix_lat[part] + rng.normal(0, 0.02, m)
        lng = world.prefix_lng[part] + rng.normal(0, 0.02, m)
        accent = rng.random(m) < 0.05
        cities = [world.prefix_city[i].replace("sao ", "são ") if a else world.prefix_city[i]
                  for i, a in zip(part.tolist(), accent.tolist())]
        out.rows("geolocation", [f"{z:05d}" for z in world.prefixes[part].tolist()],
                 [repr(x) for x in lat.tolist()], [repr(x) for x in lng.tolist()], cities,
                 [world.states[s] for s in world.prefix_state[part].tolist()])
        written["geolocation"] += m


class _Reservoir:
    """A bounded ring of recent buyers (unique id and prefix) for repeat purchases."""

    def __init__(self):
        self.ids: list[str] = [""] * RESERVOIR
        self.prefix = np.zeros(RESERVOIR, dtype=np.int64)
        self.size = 0
        self.pos = 0

    def add(self, ids: list[str], prefix: np.ndarray) -> None:
        for uid, p in zip(ids, prefix.tolist()):
            self.ids[self.pos], self.prefix[self.pos] = uid, p
            self.pos = (self.pos + 1) % RESERVOIR
            self.size = min(self.size + 1, RESERVOIR)


def _order_block(rng, world: World, out: Writers, written: dict, days, counts, reservoir) -> None:
    """Generate and write the orders of a block of days with their people, items, payments, reviews."""
    n = int(counts.sum())
    day_s = np.repeat(days.astype("datetime64[s]").astype(np.int64), counts)
    hours = rng.choice(24, size=n, p=HOUR_P / HOUR_P.sum())
    purchase = day_s + hours * 3600 + rng.integers(0, 3600, n)

    # People: each order has its own customer_id; ~3% come back as the same customer_unique_id.
    n_states = len(world.states)
    share = np.array([STATES[s][0] for s in world.states])
    state = rng.choice(n_states, size=n, p=share / share.sum())
    pick = rng.integers(0, 1 << 30, n)
    prefix = np.array([world.state_prefixes[s][p % len(world.state_prefixes[s])]
                       for s, p in zip(state.tolist(), pick.tolist())], dtype=np.int64)
    unique = hex_ids(rng, n)
    repeat = np.flatnonzero(rng.random(n) < 0.031)
    picks = rng.random(len(repeat))
    for i, r in zip(repeat.tolist(), picks.tolist()):
        j = int(r * (reservoir.size + i))
        if j < reservoir.size:
            unique[i], prefix[i] = reservoir.ids[j], reservoir.prefix[j]
        else:
            unique[i], prefix[i] = unique[j - reservoir.size], prefix[j - reservoir.size]
    reservoir.add(unique, prefix)
    customer_ids = hex_ids(rng, n)
    out.rows("customers", customer_ids, unique, [f"{z:05d}" for z in world.prefixes[prefix].tolist()],
             [world.prefix_city[p] for p in prefix.tolist()],
             [world.states[s] for s in world.prefix_state[prefix].tolist()])
    written["customers"] += n

    # Status: recent orders are more often still on their way.
    recent = (epoch(END) - purchase) < 30 * SECONDS_PER_DAY
    status = rng.choice(len(STATUS), size=n, p=np.array(STATUS_P) / sum(STATUS_P))
    late_p = np.array([0.55, 0.25, 0.02, 0.02, 0.08, 0.08, 0.0, 0.0])
    status[recent] = np.where(rng.random(recent.sum()) < 0.35,
                              rng.choice(len(STATUS), size=recent.sum(), p=late_p / late_p.sum()),
                              status[recent])
    st = np.array(STATUS)[status]

    # Items: unavailable and created orders have none, half the canceled ones neither.
    n_items = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.9, 0.075, 0.015, 0.006, 0.003, 0.001])
    no_items = (st == "unavailable") | (st == "created") | ((st == "canceled") & (rng.random(n) < 0.5))
    n_items[no_items] = 0
    item_order = np.repeat(np.arange(n), n_items)
    m = len(item_order)
    first = np.concatenate(([0], np.cumsum(n_items)[:-1]))
    item_no = np.arange(m) - np.repeat(first, n_items) + 1
    product = rng.choice(len(world.product_ids), size=m, p=world.product_p)
    same = (item_no > 1) & (rng.random(m) < 0.6)
    for k in np.flatnonzero(same).tolist():
        product[k] = product[k - 1]
    seller = world.product_seller[product].copy()
    other = rng.random(m) < 0.08
    seller[other] = rng.choice(len(world.seller_ids), size=int(other.sum()), p=world.seller_p)

    # Distance from the (first) seller to the customer drives delivery time and freight.
    order_seller = rng.choice(len(world.seller_ids), size=n, p=world.seller_p)
    has_items = n_items > 0
    order_seller[has_items] = seller[first[has_items]]
    sp = world.seller_prefix[order_seller]
    dist = distance_km(world.prefix_lat[sp], world.prefix_lng[sp],
                       world.prefix_lat[prefix], world.prefix_lng[prefix])

    day = SECONDS_PER_DAY
    approved = purchase + (rng.exponential(0.45, n) * day).astype(np.int64) + 600
    carrier = approved + (rng.gamma(2.0, 1.3, n) * day).astype(np.int64)
    congested = ((purchase >= epoch(date(2017, 11, 20))) & (purchase < epoch(date(2017, 12, 22)))) | (
        (purchase >= epoch(date(2018, 2, 10))) & (purchase < epoch(date(2018, 3, 25))))
    transit = 1.0 + dist / 320 + rng.gamma(2.0, 2.4, n)
    transit *= np.where(congested, 1.7, 1.0)
    transit += np.where(rng.random(n) < 0.06, rng.exponential(14, n), 0)
    delivered = carrier + (transit * day).astype(np.int64)
    est_days = np.round(20 + dist / 350 + rng.normal(0, 3.5, n)).clip(7, 60)
    estimated = (purchase // day + est_days.astype(np.int64)) * day

    missing = np.full(n, -1, dtype=np.int64)
    has_approval = ~np.isin(st, ["created"])
    shipped_or_later = np.isin(st, ["shipped", "delivered"]) | ((st == "canceled") & (rng.random(n) < 0.1))
    is_delivered = st == "delivered"
    order_ids = hex_ids(rng, n)
    out.rows("orders", order_ids, customer_ids,
             st.tolist(), fmt_ts(purchase), fmt_ts(np.where(has_approval, approved, missing)),
             fmt_ts(np.where(shipped_or_later, carrier, missing)),
             fmt_ts(np.where(is_delivered, delivered, missing)), fmt_ts(estimated))
    written["orders"] += n

    # Prices at the product's level, freight by weight and distance, all in cents.
    price = np.maximum(85, np.round(world.product_price[product] * rng.normal(1.0, 0.02, m))).astype(np.int64)
    item_dist = dist[item_order]
    freight = np.maximum(0, np.round(700 + world.product_weight[product] * 0.45 + item_dist * 0.9
                                     + rng.normal(0, 250, m))).astype(np.int64)
    free = rng.random(m) < 0.003
    freight[free] = 0
    limit = purchase[item_order] + 6 * day + rng.integers(0, day, m)
    out.rows("items", [order_ids[i] for i in item_order.tolist()], item_no.tolist(),
             [world.product_ids[p] for p in product.tolist()],
             [world.seller_ids[s] for s in seller.tolist()], fmt_ts(limit), fmt_cents(price),
             fmt_cents(freight))
    written["items"] += m

    _payments(rng, out, written, order_ids, st, item_order, price + freight, n)
    late = is_delivered & ((delivered // day) > (estimated // day))
    _reviews(rng, out, written, order_ids, st, late, np.where(is_delivered, delivered, estimated))


INSTALLMENTS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 18, 24])
INSTALLMENTS_P = np.array([50, 12, 10, 7, 5, 4, 1.6, 4, 0.6, 5.3, 0.2, 0.1, 0.1, 0.1])


def _payments(rng, out, written, order_ids, st, item_order, item_cents, n) -> None:
    """One payment per order, or vouchers plus a card: the parts add up to the cent."""
    total = np.bincount(item_order, weights=item_cents, minlength=n).astype(np.int64)
    empty = total == 0
    total[empty] = np.round(rng.lognormal(4.8, 0.7, int(empty.sum())) * 100).astype(np.int64)
    kind = rng.choice(4, size=n, p=[0.74, 0.19, 0.055, 0.015])  # card, boleto, voucher, debit
    inst = np.where(kind == 0, rng.choice(INSTALLMENTS, size=n, p=INSTALLMENTS_P / INSTALLMENTS_P.sum()), 1)
    interest = (kind == 0) & (inst > 1) & (rng.random(n) < 0.03)
    total[interest] = np.round(total[interest] * rng.uniform(1.01, 1.08, int(interest.sum()))).astype(np.int64)
    undefined = (st == "canceled") & (rng.random(n) < 0.05)
    rows_o, rows_seq, rows_type, rows_inst, rows_val = [], [], [], [], []
    names = ["credit_card", "boleto", "voucher", "debit_card"]
    voucher_rolls = rng.random((n, 3))
    for i in range(n):
        oid, k = order_ids[i], kind[i]
        if undefined[i]:
            rows_o.append(oid); rows_seq.append(1); rows_type.append("not_defined")
            rows_inst.append(1); rows_val.append(0)
        elif k == 2:
            r = voucher_rolls[i]
            vouchers = 1 + (r[0] > 0.7) + (r[0] > 0.9)
            covered = total[i] if r[1] < 0.4 else int(total[i] * (0.1 + 0.8 * r[2]))
            part = covered // vouchers
            parts = [part] * (vouchers - 1) + [covered - part * (vouchers - 1)]
            if covered < total[i]:
                parts.append(total[i] - covered)
            for seq, value in enumerate(parts, 1):
                card = seq > vouchers
                rows_o.append(oid); rows_seq.append(seq)
                rows_type.append("credit_card" if card else "voucher")
                rows_inst.append(1); rows_val.append(value)
        else:
            rows_o.append(oid); rows_seq.append(1); rows_type.append(names[k])
            rows_inst.append(int(inst[i])); rows_val.append(int(total[i]))
    out.rows("payments", rows_o, rows_seq, rows_type, rows_inst, fmt_cents(np.array(rows_val)))
    written["payments"] += len(rows_o)


SCORE_ON_TIME = [0.08, 0.025, 0.075, 0.205, 0.615]
SCORE_LATE = [0.42, 0.09, 0.13, 0.14, 0.22]
SCORE_UNDELIVERED = [0.65, 0.08, 0.09, 0.06, 0.12]


def _reviews(rng, out, written, order_ids, st, late, reference) -> None:
    """Reviews for most orders: lower scores for late or undelivered ones, some with comments."""
    n = len(order_ids)
    delivered = st == "delivered"
    p_review = np.where(delivered, 0.99, np.where(np.isin(st, ["canceled", "unavailable"]), 0.6, 0.35))
    has = rng.random(n) < p_review
    idx = np.flatnonzero(has)
    k = len(idx)
    u = rng.random(k)
    cdf = np.cumsum([SCORE_ON_TIME, SCORE_LATE, SCORE_UNDELIVERED], axis=1)
    group = np.where(delivered[idx], np.where(late[idx], 1, 0), 2)
    score = (u[:, None] > cdf[group]).sum(axis=1) + 1
    day = SECONDS_PER_DAY
    created = (reference[idx] // day + 1) * day
    answered = created + (rng.exponential(2.5, k) * day).astype(np.int64) + rng.integers(0, day, k)
    p_msg = np.where(score <= 2, 0.75, np.where(score == 3, 0.55, 0.35))
    msg_roll, title_roll = rng.random(k), rng.random(k)
    messages = [comment(rng, s) if r < p else "" for s, r, p in
                zip(score.tolist(), msg_roll.tolist(), p_msg.tolist())]
    titles = [TITLES[int(r * 1000) % len(TITLES)] if r < 0.12 else "" for r in title_roll.tolist()]
    out.rows("reviews", hex_ids(rng, k), [order_ids[i] for i in idx.tolist()], score.tolist(),
             titles, messages, fmt_ts(created), fmt_ts(answered))
    written["reviews"] += k
