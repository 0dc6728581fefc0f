"""Table behaviour shared by the pages' grids: a totals row where sums make sense, and the column
chooser (pages/_cards.column_chooser) that hides and shows a grid's columns in the browser.

A total is only drawn for columns that add up across the grid's rows (revenue across states; not
orders across categories, where an order of two categories sits in both rows, nor any average or
rate). It is computed in the browser from the rows the grid holds, so it costs no query.
"""
from __future__ import annotations

import json

from dash import MATCH, Input, Output, State, clientside_callback


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


# One callback serves every table's chooser. AG Grid's own column state is changed, so sorting and
# filters stay as they are; the grid's API may not exist yet when a remembered choice is applied on load.
clientside_callback(
    """function(shown, options, id) {
        const fields = (options || []).map(o => o.value);
        const visible = new Set(shown || []);
        dash_ag_grid.getApiAsync(id.grid).then(api => {
            api.setColumnsVisible(fields.filter(f => visible.has(f)), true);
            api.setColumnsVisible(fields.filter(f => !visible.has(f)), false);
            api.autoSizeAllColumns({scaleUpToFitGridWidth: true});  // the shown columns fill the card again
        });
        return fields.length - visible.size ? `${fields.length - visible.size} hidden` : "";
    }""",
    Output({"type": "grid-columns-hidden", "grid": MATCH}, "children"),
    Input({"type": "grid-columns", "grid": MATCH}, "value"),
    State({"type": "grid-columns", "grid": MATCH}, "options"), State({"type": "grid-columns", "grid": MATCH}, "id"),
)
