"""Table exports shared by every page: CSV or Excel, decided on the server (viewers get nothing)."""
from __future__ import annotations

import pandas as pd
from dash import dcc, no_update
from flask_login import current_user


def can_export() -> bool:
    return current_user.is_authenticated and current_user.role != "viewer"


def send(rows: list[dict], name: str, excel: bool, sheet: str = "Data"):
    """The dcc.Download payload for these rows, or no_update for a viewer whatever the page shows."""
    if not can_export():
        return no_update
    frame = pd.DataFrame(rows)
    if excel:
        return dcc.send_data_frame(frame.to_excel, f"{name}.xlsx", sheet_name=sheet[:31], index=False)
    return dcc.send_data_frame(frame.to_csv, f"{name}.csv", index=False)
