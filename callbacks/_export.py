"""Table exports shared by every page: CSV or Excel, decided on the server (viewers get nothing),
each written to the audit log with what was exported, under which filters, and how many rows."""
from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, no_update
from dash.exceptions import MissingCallbackContextException
from flask import current_app, request
from flask_login import current_user

from callbacks._context import filters_from, guarded
from callbacks._labels import labelled
from data import audit
from callbacks._people import rows_for_people
from data.filters import to_query


def can_export() -> bool:
    return current_user.is_authenticated and current_user.role != "viewer"


def record_export(name: str, kind: str, rows: int) -> None:
    """Write the export to the audit log: the effective filters (the user's scope applied) of the view."""
    try:
        raw = ctx.states.get("filters.data")
    except MissingCallbackContextException:  # called outside a callback (tests)
        raw = None
    f = filters_from(raw)
    detail = {"format": kind, "rows": rows}
    if f is not None:
        detail["filters"] = {**to_query(f), "status": ",".join(f.statuses)}
    audit.record_now(current_app.extensions["engine"](), "export", actor=current_user.username, target=name,
                     detail=detail, address=request.remote_addr)


def send(rows: list[dict], name: str, excel: bool, sheet: str = "Data"):
    """The dcc.Download payload for these rows, or no_update for a viewer whatever the page shows.
    Written for people (callbacks._people); the file's name carries the filters it was made under,
    and an Excel file lists them on a second sheet."""
    if not can_export():
        return no_update
    rows = labelled(rows)
    record_export(name, "xlsx" if excel else "csv", len(rows))
    headers, values = rows_for_people(rows)
    frame = pd.DataFrame(values, columns=headers)
    described = _filters_now()
    file_name = _file_name(name, described)
    if excel:
        def write(buffer):
            with pd.ExcelWriter(buffer) as book:
                frame.to_excel(book, sheet_name=sheet[:31], index=False)
                pd.DataFrame(described or [("Filters", "none")], columns=["Filter", "Value"]).to_excel(
                    book, sheet_name="Filters", index=False)
        return dcc.send_bytes(write, f"{file_name}.xlsx")
    return dcc.send_data_frame(frame.to_csv, f"{file_name}.csv", index=False)


def _filters_now() -> list[tuple[str, str]]:
    """The effective filters of the view being exported, as (name, value) pairs."""
    try:
        f = filters_from(ctx.states.get("filters.data"))
    except MissingCallbackContextException:
        return []
    if f is None:
        return []
    return [("Dates", f"{f.start} to {f.end}")] + [(k, v) for k, v in to_query(f).items() if k not in ("start", "end")]


def _file_name(name: str, described: list[tuple[str, str]]) -> str:
    """`name`, then the dates and other filters, in characters every file system takes."""
    if not described:
        return name
    parts = [name] + [described[0][1].replace(" to ", "_to_")]
    parts += [f"{k}-{v}" for k, v in described[1:]]
    text = "_".join(parts)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
    return safe[:150]


def table_export(grid_id: str, rows_for, name_for, sheet: str, *states: State) -> None:
    """Register a table card's export: buttons `{grid_id}-csv` / `-xlsx` (disabled for viewers) fill
    `{grid_id}-download` with `rows_for(filters, *state values)` as `name_for(filters)`.csv or .xlsx."""
    @callback([Output(f"{grid_id}-{x}", "disabled") for x in ("csv", "xlsx")], Input("url", "pathname"))
    def allowed(_):
        return [not can_export()] * 2

    @callback(Output(f"{grid_id}-download", "data"), Input(f"{grid_id}-csv", "n_clicks"),
              Input(f"{grid_id}-xlsx", "n_clicks"), State("filters", "data"), *states, prevent_initial_call=True)
    @guarded
    def download(_csv, _xlsx, data, *values):
        f = filters_from(data)
        rows = rows_for(f, *values) if f else []
        return send(rows, name_for(f), ctx.triggered_id.endswith("xlsx"), sheet)
