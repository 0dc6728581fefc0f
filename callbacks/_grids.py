"""Table behaviour shared by the pages' grids: a totals row where sums make sense.

A total is only drawn for columns that add up across the grid's rows (revenue across states; not
orders across categories, where an order of two categories sits in both rows, nor any average or
rate). It is computed in the browser from the rows the grid holds, so it costs no query.
"""
from __future__ import annotations

import json

from dash import Input, Output, clientside_callback


def totals_row(grid_id: str, label_field: str, fields: tuple[str, ...], label: str = "Total") -> None:
    """Pin a bold row under `grid_id` with `label` in `label_field` and the sums of `fields`."""
    clientside_callback(
        f"""function(rows) {{
            if (!rows || !rows.length) {{ return []; }}
            const total = {{{json.dumps(label_field)}: {json.dumps(label)}}};
            for (const f of {json.dumps(list(fields))}) {{
                total[f] = rows.reduce((sum, r) => sum + (Number(r[f]) || 0), 0);
            }}
            return [total];
        }}""",
        Output(grid_id, "pinnedBottomRowData"), Input(grid_id, "rowData"),
    )
