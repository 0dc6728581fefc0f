"""Format numbers the same way everywhere: R$ with separators, one-decimal percentages, counts."""
from __future__ import annotations

from decimal import Decimal

from callbacks._people import NAMED


def money(v) -> str:
    return "no data" if v is None else f"R$ {float(v):,.2f}"


def count(v) -> str:
    return "no data" if v is None else f"{int(v):,}"


def pct(v) -> str:
    return "no data" if v is None else f"{float(v) * 100:.1f}%"


def score(v) -> str:
    return "no data" if v is None else f"{float(v):.2f}"


def days(v) -> str:
    return "no data" if v is None else f"{float(v):.1f} days"


BY_FORMAT = {"money": money, "count": count, "pct": pct, "score": score, "days": days}


COMPARED = {"previous": "vs previous period", "year": "vs same period last year"}


def change(now, before, fmt: str = "money", better: str = "up", to: str = "previous") -> tuple[str, str]:
    """The change against the compared period, as text and a colour class: relative for amounts and
    counts, in percentage points for rates, in points for scores and days. A change too small to
    show, or of a measure that is neither good nor bad (`better` "none"), is neither green nor red.
    `to`: a key of COMPARED, or the words themselves ("vs Wed 10 Oct to 14:02")."""
    against = COMPARED.get(to) or str(to)
    if now is None or before is None or (fmt in ("money", "count") and not before):
        return f"no data {against.replace('vs ', 'for the ')}", "text-body-secondary"
    now, before = float(now), float(before)
    # (delta, the decimals it is shown with, its text): a change that rounds to zero is no change.
    if fmt == "pct":
        delta, places, unit = (now - before) * 100, 1, " pts"
    elif fmt in ("score", "days"):
        delta, places, unit = now - before, 2 if fmt == "score" else 1, "" if fmt == "score" else " days"
    else:
        delta, places, unit = (now - before) / abs(before) * 100, 1, "%"
    if round(abs(delta), places) == 0:
        return f"= no change {against}", "text-body-secondary"
    text = f"{abs(delta):.{places}f}{unit}"
    arrow = f"{'▲' if delta > 0 else '▼'} {text} {against}"
    if better not in ("up", "down"):  # a shape, not a score (concentration, a payment mix): no verdict
        return arrow, "text-body-secondary"
    good = (delta > 0) == (better == "up")
    return arrow, "text-success" if good else "text-danger"


def plain(rows: list[dict]) -> list[dict]:
    """Rows the grid takes as they are: Decimals as floats, states, categories, statuses and payment
    types by their names (data.names), as the charts and exports name them."""
    return [{k: float(v) if isinstance(v, Decimal) else (NAMED[k](v) if k in NAMED and isinstance(v, str) else v)
             for k, v in r.items()} for r in rows]
