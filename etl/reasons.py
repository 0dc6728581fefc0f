"""Why a row was quarantined: a fixed vocabulary, with the offending values in the row's record.

A reason never carries the value itself ("unknown order_id", not "unknown order_id <the id>"), so
the Admin page can group thousands of rows by reason, file and table and show examples; the row's
fields, as read, are in `etl.quarantine.raw`. Every reason the loader writes is built here.
"""
from __future__ import annotations

UNKNOWN_ORDER = "unknown order_id"
WRONG_FIELD_COUNT = "wrong number of fields"


def missing(column: str) -> str:
    return f"missing {column}"


def does_not_parse(column: str) -> str:
    return f"{column} does not parse"


def out_of_range(column: str) -> str:
    return f"{column} out of range"


def conflicting_duplicate(key_columns) -> str:
    return f"duplicate {'/'.join(key_columns)} with conflicting values (the first row was kept)"
