"""Sellers and products named as people read them, in grids (with a link to their page) and exports.

The export has no names for either: a seller is its city and state, a product its category, each
followed by the start of its id (data.names). Rows keep the full id beside the label, so an
export can still be joined back to the warehouse.
"""
from __future__ import annotations

from urllib.parse import urlencode

from callbacks._context import warehouse
from data import names
from data.filters import Filters, to_query


def labelled(rows: list[dict]) -> list[dict]:
    """The rows with a "seller" or "product" label first, where they carry a seller_id or product_id."""
    if not rows:
        return rows
    if "seller_id" in rows[0]:
        if "city" in rows[0] and "state" in rows[0]:
            found = {r["seller_id"]: names.seller(r["seller_id"], r["city"], r["state"]) for r in rows}
        else:
            found = warehouse().seller_labels(tuple(sorted({str(r["seller_id"]) for r in rows})))
        return [{"seller": found.get(str(r["seller_id"]), names.seller(r["seller_id"], None, None)), **r}
                for r in rows]
    if "product_id" in rows[0]:
        return [{"product": names.product(r["product_id"], r.get("category")), **r} for r in rows]
    return rows


def link_text(label: str) -> str:
    """A label as markdown link text: a city is the export's free text, so its brackets, backslashes
    and the like are escaped and cannot end the link or start another."""
    return "".join("\\" + ch if ch in "\\[]()*_`<>!#" else ch for ch in label)


def linked(rows: list[dict], f: Filters) -> list[dict]:
    """labelled(rows), each with a markdown "link" to the seller's or product's page that keeps the filters."""
    query = "?" + urlencode(to_query(f))
    out = []
    for r in labelled(rows):
        if "seller" in r:
            r = {**r, "link": f"[{link_text(r['seller'])}](/sellers/{r['seller_id']}{query})"}
        elif "product" in r:
            r = {**r, "link": f"[{link_text(r['product'])}](/products/{r['product_id']}{query})"}
        out.append(r)
    return out
