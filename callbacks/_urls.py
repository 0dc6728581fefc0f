"""Change the filter bar's state the way a click on a chart does: by rewriting the URL's query."""
from __future__ import annotations

from urllib.parse import parse_qs, urlencode


def with_filter(search: str | None, name: str, value: str) -> str:
    """The query string with `value` added to the comma-separated filter `name` (once)."""
    args = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    chosen = [v for v in args.get(name, "").split(",") if v]
    if value not in chosen:
        chosen.append(value)
    args[name] = ",".join(chosen)
    return "?" + urlencode(args)
