"""Format numbers the same way everywhere: R$ with separators, one-decimal percentages, counts."""
from __future__ import annotations

from decimal import Decimal


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


def change(now, before) -> tuple[str, str]:
    """The change against the previous period, as text and a colour class ("" when not comparable)."""
    if now is None or before in (None, 0):
        return "no previous data", "text-body-secondary"
    delta = (float(now) - float(before)) / abs(float(before))
    return f"{'▲' if delta >= 0 else '▼'} {abs(delta) * 100:.1f}% vs previous period", (
        "text-success" if delta >= 0 else "text-danger")


def plain(rows: list[dict]) -> list[dict]:
    """Rows the grid and JSON take as they are: Decimals as floats."""
    return [{k: float(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]
