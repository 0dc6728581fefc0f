"""One look: each value of a dimension keeps its colour on every chart and in both themes, and the
charts' default colours are the page's own (Bootstrap's), not Plotly's.

Payment types and statuses have fixed colours (a canceled order reads red everywhere); other values
(states, categories) take a colour from the palette by a stable hash of the value, so a category is
the same colour on the Overview, Sales and Products whatever else the chart shows.
"""
from __future__ import annotations

import zlib

# Bootstrap 5's blue, orange, teal, purple, pink, green, cyan, yellow, indigo, red, then softer tones.
PALETTE = ["#0d6efd", "#fd7e14", "#20c997", "#6f42c1", "#d63384", "#198754", "#0dcaf0", "#ffc107",
           "#6610f2", "#dc3545", "#6ea8fe", "#feb272", "#79dfc1", "#a98eda", "#e685b5", "#75b798"]
FIXED = {
    "payment_type": {"credit_card": "#0d6efd", "boleto": "#fd7e14", "voucher": "#20c997", "debit_card": "#6f42c1",
                     "not_defined": "#adb5bd"},
    "status": {"delivered": "#198754", "shipped": "#0d6efd", "invoiced": "#0dcaf0", "processing": "#ffc107",
               "approved": "#20c997", "created": "#adb5bd", "canceled": "#dc3545", "unavailable": "#6c757d"},
}
GOOD, BAD = "#198754", "#dc3545"  # on time / late, above / below: the same pair everywhere


def colour(dimension: str, value) -> str:
    fixed = FIXED.get(dimension, {})
    if value in fixed:
        return fixed[value]
    return PALETTE[zlib.crc32(str(value).encode()) % len(PALETTE)]


def colours(dimension: str, values) -> list[str]:
    return [colour(dimension, v) for v in values]
