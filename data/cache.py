"""Memoise query answers on disk, keyed by the data version.

A new load raises the data version, which makes every old entry unreachable at once; while the
data is unchanged nothing is computed twice. Identical requests that arrive together (several
gunicorn workers, several threads) wait on one lock per key, so the answer is computed once.
diskcache keeps entries in SQLite under CACHE_DIR, shared by the processes of one host.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import diskcache

from data.version import data_version

_MISSING = object()


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

    def version(self) -> int:
        with self.engine().connect() as conn:
            return data_version(conn)

    def answer(self, name: str, args, compute):
        """Return compute() for (name, args) at the current data version, computing it at most once."""
        key = self._key(name, args, self.version())
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
