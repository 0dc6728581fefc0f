"""Callbacks, one module per page (thin: inputs -> query -> figure); importing registers them."""
from callbacks import overview, shell  # noqa: F401
