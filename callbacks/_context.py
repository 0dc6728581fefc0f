"""Reach the process's Warehouse from inside a callback."""
from flask import current_app


def warehouse():
    return current_app.extensions["warehouse"]()
