"""Callbacks, one module per page (thin: inputs -> query -> figure); importing registers them."""
from callbacks import overview, sales, shell  # noqa: F401
