"""Callbacks, one module per page (thin: inputs -> query -> figure); importing registers them.

Dash hands callbacks registered with `dash.callback` to the first app that starts serving and
then forgets them; `attach` gives each app made by `create_app` its own copy instead, so several
apps in one process (tests, benchmarks) all work.
"""
from dash import _callback as registry

from callbacks import _grids, admin, customers, dashboards, delivery, explore, forecast, geography, live, \
    overview, payments, products, questions, reviews, sales, sellers, shell  # noqa: F401

_MAP = dict(registry.GLOBAL_CALLBACK_MAP)
_LIST = list(registry.GLOBAL_CALLBACK_LIST)
_SCRIPTS = list(registry.GLOBAL_INLINE_SCRIPTS)
registry.GLOBAL_CALLBACK_MAP.clear()
registry.GLOBAL_CALLBACK_LIST.clear()
registry.GLOBAL_INLINE_SCRIPTS.clear()


def attach(app) -> None:
    """Give `app` every callback of the page modules (and the scripts of the clientside ones)."""
    app.callback_map.update(_MAP)
    app._callback_list.extend(_LIST)
    app._inline_scripts.extend(_SCRIPTS)
