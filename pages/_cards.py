"""Card pieces every page uses: a title with the metric's definition, a chart card, a table card."""
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

# Columns keep a readable width: on a phone the grid scrolls sideways instead of squeezing them to "1…".
# When its first rows are drawn, AG Grid sizes each column to its header and values (nothing cut to
# "Rev…" or "667,07…") and widens them all to the card's width where they are narrower; a table
# wider than its card scrolls sideways. (dash-ag-grid's columnSize="autoSize" measures once, when the
# grid is made: before the rows arrive, so only the headers.)
GRID = {"defaultColDef": {"sortable": True, "resizable": True, "filter": True, "cellDataType": False,
                          "minWidth": 100},
        "dashGridOptions": {"pagination": True, "paginationPageSize": 10, "paginationPageSizeSelector": [10, 20, 50],
                            "domLayout": "autoHeight", "tooltipShowDelay": 300,
                            "autoSizeStrategy": {"type": "fitCellContents", "scaleUpToFitGridWidth": True},
                            "getRowStyle": {"function": "totalRowStyle(params)"}},
        "className": "ag-theme-alpine", "style": {"height": None}}


# An order id column: its start, the whole id in the tooltip (and the export).
ORDER_ID = {"field": "order_id", "headerName": "Order", "valueFormatter": {"function": "shortId(params.value)"},
            "tooltipField": "order_id"}

# A rate column: one decimal of a percent, with a data bar behind it (conditional formatting).
RATE = {"type": "numericColumn", "valueFormatter": {"function": "pct(params.value)"},
        "cellStyle": {"function": "shareBar(params)"}}

# The chart tools show when the pointer is on the chart: always shown, they covered the top of it.
GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}
# A map draws no base map: Plotly reads an empty one from assets/, never from its CDN.
MAP_CONFIG = {**GRAPH_CONFIG, "scrollZoom": False, "topojsonURL": "/assets/topojson/"}


def card_title(text: str, definition: str):
    return html.Div([text, html.Span("i", className="info", title=definition, tabIndex=0,
                                     **{"aria-label": f"{text}: {definition}"})], className="card-title small")


def chart_card(title: str, definition: str, graph_id: str, width: int = 4, height: int | None = 300):
    """A chart in a card; `height` None lets the figure set its own (a chart that grows with its rows)."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(title, definition),
        dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG,
                              style={"height": f"{height}px"} if height else {})),
    ])), xs=12, lg=width, className="mb-3")


def export_buttons(prefix: str):
    """CSV and Excel buttons for a table card: ids `{prefix}-csv` and `{prefix}-xlsx`."""
    return html.Div([
        dbc.Button("CSV", id=f"{prefix}-csv", size="sm", color="secondary", outline=True, className="me-1",
                   title="Export as CSV"),
        dbc.Button("Excel", id=f"{prefix}-xlsx", size="sm", color="secondary", outline=True, title="Export as Excel"),
    ])


def kpi_card(page: str, key: str, label: str, definition: str, lg=3, xxl=None):
    """A KPI card: title with its definition, the value (id `{page}-kpi-{key}`) with a loading dot, and
    its change against the compared period (`{page}-kpi-{key}-change`, callbacks._compare).
    `lg` and `xxl` are its widths in twelfths on large and very large screens."""
    return dbc.Col(dbc.Card(dbc.CardBody([
        card_title(label, definition),
        dcc.Loading(html.Div([html.Div("…", id=f"{page}-kpi-{key}", className="kpi-value"),
                              html.Div(id=f"{page}-kpi-{key}-change", className="small")]), type="dot"),
    ])), xs=6, lg=lg, xxl=xxl or lg, className="mb-3")  # two a row on a phone: the numbers fit, the page stays short


def grid(grid_id: str, columns: list, page_size: int = 10, **options):
    """The one grid every table card uses (GRID): `page_size` rows a page, `options` for AG Grid's own
    (dashGridOptions merge with GRID's)."""
    settings = {**GRID, "dashGridOptions": {**GRID["dashGridOptions"], "paginationPageSize": page_size,
                                            **options.pop("dashGridOptions", {})}, **options}
    return dag.AgGrid(id=grid_id, columnDefs=columns, rowData=[], **settings)


def column_chooser(grid_id: str, columns: list):
    """A "Columns" button whose popover ticks the grid's columns on and off (callbacks/_grids.py hides
    them in the browser). The choice is remembered in the browser, per table."""
    options = [{"label": c.get("headerName", c["field"]), "value": c["field"]} for c in columns]
    return html.Div([
        dbc.Button(["Columns ", html.Span(id={"type": "grid-columns-hidden", "grid": grid_id},
                                          className="badge text-bg-secondary")],
                   id=f"{grid_id}-columns", size="sm", color="secondary", outline=True,
                   title="Choose the columns to show", className="me-1"),
        dbc.Popover(dbc.PopoverBody(dbc.Checklist(
            id={"type": "grid-columns", "grid": grid_id}, options=options, value=[o["value"] for o in options],
            persistence=True, persistence_type="local", className="small")),
            target=f"{grid_id}-columns", trigger="legacy", placement="bottom-end"),
    ], className="d-inline-block")


def table_tools(grid_id: str, columns: list, export: bool = True):
    """The buttons above a table: the column chooser, and CSV and Excel exports."""
    return html.Div([column_chooser(grid_id, columns), *([export_buttons(grid_id)] if export else [])],
                    className="d-flex")


def table_card(title: str, definition: str, grid_id: str, columns: list, extra=None, page_size: int = 10):
    """A full-width card with a paged, sortable grid (id `grid_id`), its column chooser, export buttons
    and download; `extra` goes between the title and the grid (a note, totals)."""
    return dbc.Row([dbc.Col(dbc.Card(dbc.CardBody([
        dbc.Row([dbc.Col(card_title(title, definition)), dbc.Col(table_tools(grid_id, columns), width="auto")]),
        *([extra] if extra is not None else []),
        dcc.Loading(grid(grid_id, columns, page_size)),
        dcc.Download(id=f"{grid_id}-download"),
    ])), width=12, className="mb-3")])
