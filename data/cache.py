"""Memoise query answers on disk, keyed by the data version.

A new load raises the data version, which makes every old entry unreachable at once; while the
data is unchanged nothing is computed twice. An answer that reads only a range of purchase days
is keyed by the version of that range (`data.version.Versions.of`): a live batch, which changes a
few days, leaves the answers over other ranges where they are. Identical requests that arrive
together (several gunicorn workers, several threads) wait on one lock per key, so the answer is
computed once.
diskcache keeps entries in SQLite under CACHE_DIR, shared by the processes of one host.
"""
from __future__ import annotations

import hashlib
import pickle
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import diskcache

from data.version import Versions, versions

_MISSING = object()
# The data's versions, asked once per pinned span (a callback) instead of once per cached answer.
_PINNED: ContextVar[dict | None] = ContextVar("pinned_data_versions", default=None)


@contextmanager
def one_version():
    """Within this block, every cached answer of this thread uses the data versions read first: a
    callback asks the database for them once, not once per answer (a KPI card's range, its compared
    range and the data's bounds were four round trips), and its answers are of one version."""
    token = _PINNED.set({})
    try:
        yield
    finally:
        _PINNED.reset(token)


def _code_fingerprint() -> str:
    """A digest of the code that computes the answers (data/): an upgrade that changes what a question
    answers, or its shape, must not be served the answers the old code cached."""
    h = hashlib.blake2b(digest_size=6)
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


CODE = _code_fingerprint()


class QueryCache:
    """`cache.answer(name, args, compute)`: the cached answer for this data version, or compute it."""

    def __init__(self, directory, engine, size_limit: int = 2 << 30):
        self.store = diskcache.Cache(str(directory), size_limit=size_limit)
        self.engine = engine
        self.computed = 0  # answers this process computed (tests and benchmarks read it)

    def versions(self) -> Versions:
        pinned = _PINNED.get()
        if pinned is not None and id(self) in pinned:
            return pinned[id(self)]
        with self.engine().connect() as conn:
            found = versions(conn)
        if pinned is not None:
            pinned[id(self)] = found
        return found

    def version(self) -> int:
        """The latest data version."""
        return self.versions().latest

    def answer(self, name: str, args, compute, days: tuple | None = None):
        """Return compute() for (name, args) at the current data version, computing it at most once.
        `days` (start, end): the purchase days the answer reads, and no others (not the data's
        bounds, nor anything of another day): it is keyed by their version."""
        key = self._key(name, args, self.versions().of(*(days or (None, None))))
        value = self.store.get(key, default=_MISSING)
        if value is not _MISSING:
            return value
        with diskcache.Lock(self.store, "lock:" + key, expire=300):
            value = self.store.get(key, default=_MISSING)  # another worker may have finished it
            if value is _MISSING:
                value = compute()
                self.computed += 1
                self.store.set(key, value, expire=7 * 86400)
        return value

    @staticmethod
    def _key(name: str, args, version: int) -> str:
        digest = hashlib.blake2b(pickle.dumps(args, protocol=4), digest_size=16).hexdigest()
        return f"{name}:v{version}:{CODE}:{digest}"

    def close(self) -> None:
        self.store.close()
