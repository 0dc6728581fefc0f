"""Load batches as they arrive (`python -m etl watch INBOX`): the warehouse's live ingest.

A batch is a folder that appears in INBOX whole (written elsewhere, then moved in). Batches load
one at a time, in name order, each as one run of `etl.load` with its rules (delta semantics,
quarantine, unknown members, idempotence). A loaded batch moves to `processed/` beside INBOX; one
that cannot be loaded moves to `failed/` with a `reason.txt`, and the watcher goes on. A batch
left in INBOX (the watcher was stopped, or the database went away) is loaded when it comes back:
a batch that committed but had not yet been moved is recognised by its files' fingerprints and
changes nothing the second time.

The watcher keeps its connections between batches (a micro-batch pays no connection set-up,
migration check or process start), waits with backoff while the database is away, and stops
between batches on Ctrl-C or SIGTERM: the batch in flight commits first. A second signal aborts it,
and the run rolls back.
"""
from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from data import db, migrate
from data.version import data_version
from etl import extract, history
from etl.load import Busy, Connections, DatabaseLost, LoadError, load
from etl.progress import Reporter

POLL_SECONDS = 0.2  # how often INBOX is listed: a listing is a few microseconds
PRUNE_SECONDS = 3600  # how often the run history of old batches is cut back (etl/history.py)
BACKOFF_SECONDS = (1, 2, 4, 8, 15, 30)  # waits between tries while the database is away


class InboxError(Exception):
    """INBOX cannot be watched: it does not exist, is not a folder, or cannot be written."""


@dataclass
class Batch:
    """What became of one batch, as the console line and the `--json` line report it."""

    name: str
    status: str  # "loaded", "unchanged" (every file was loaded before) or "failed"
    moved_to: str
    run_id: int | None = None
    orders: int = 0  # new orders
    updated_orders: int = 0  # orders already in the warehouse whose record changed (their later life)
    rows: int = 0  # rows inserted or updated, all tables
    quarantined: int = 0
    seconds: float = 0.0  # the load alone
    days_touched: int = 0  # purchase days its changes touched (new orders' and updated ones')
    orders_refreshed: int = 0  # orders the rollups were refreshed by (0: by day, or nothing changed)
    lag_seconds: float | None = None  # from the folder appearing to its data committed
    arrived_at: str | None = None  # when the folder appeared (ISO 8601, UTC)
    data_version: int | None = None
    error: str | None = None

    def as_json(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}

    def line(self) -> str:
        if self.status == "failed":
            return f"{self.name}: failed, moved to failed/ ({self.error})"
        if self.status == "unchanged":
            return f"{self.name}: loaded before, nothing changed (data version {self.data_version})"
        extra = f", {self.updated_orders:,} updated" if self.updated_orders else ""
        quarantined = f", {self.quarantined:,} quarantined" if self.quarantined else ""
        return (f"{self.name}: {_n(self.orders, 'new order')}{extra}, {_n(self.rows, 'row')}{quarantined} in "
                f"{self.seconds:.2f}s (lag {self.lag_seconds:.1f}s), data version {self.data_version}")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def folders(inbox: Path) -> tuple[Path, Path]:
    """Check INBOX and make `processed/` and `failed/` beside it; raise InboxError saying what is wrong."""
    if not inbox.exists():
        raise InboxError(f"{inbox} does not exist: create it (batches are folders moved into it), "
                         "or give the right path")
    if not inbox.is_dir():
        raise InboxError(f"{inbox} is a file, not a folder: give the folder batches are moved into")
    if not os.access(inbox, os.R_OK | os.W_OK | os.X_OK):
        raise InboxError(f"{inbox} cannot be read and written by this user: loaded batches are moved out of it")
    out = []
    for name in ("processed", "failed"):
        target = inbox.resolve().parent / name
        try:
            target.mkdir(exist_ok=True)
        except OSError as exc:
            raise InboxError(f"cannot create {target} beside the inbox ({exc.strerror}): "
                             "the watcher moves batches there") from None
        if not os.access(target, os.W_OK | os.X_OK):
            raise InboxError(f"{target} cannot be written by this user: the watcher moves batches there")
        out.append(target)
    return out[0], out[1]


def waiting(inbox: Path) -> list[Path]:
    """The batches in INBOX, in name order (hidden folders are batches still being written)."""
    try:
        return sorted((p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.name)
    except FileNotFoundError:
        return []


def problem(batch: Path) -> str | None:
    """Why a batch is not whole, or None. A file cut short by a copy that did not finish ends in the
    middle of a line; an empty folder is a batch whose files never came."""
    files = [p for p in batch.iterdir() if p.is_file() and not p.name.startswith(".")]
    if not files:
        return "the batch folder holds no files"
    for path in files:
        size = path.stat().st_size
        if size == 0:
            return f"{path.name} is empty: the batch was cut short (write batches elsewhere and move them in whole)"
        with open(path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) not in (b"\n", b"\r"):
                return (f"{path.name} ends in the middle of a line: the batch was cut short "
                        "(write batches elsewhere and move them in whole)")
    return None


def arrival(batch: Path) -> datetime:
    """When the folder appeared: moving it in changes its inode's ctime (never later than now)."""
    try:
        seen = batch.stat().st_ctime
    except FileNotFoundError:
        seen = time.time()
    return datetime.fromtimestamp(min(seen, time.time()), timezone.utc)


def _move(batch: Path, target_dir: Path) -> Path:
    """Move a batch out of the inbox; a name already there gets a number (a batch sent twice)."""
    target, n = target_dir / batch.name, 1
    while target.exists():
        n += 1
        target = target_dir / f"{batch.name}-{n}"
    batch.rename(target)
    return target


class Watcher:
    """Load each batch that appears in `inbox` until `stop()` (or a signal) asks it to finish."""

    def __init__(self, url: str, inbox: Path, report, say, poll: float = POLL_SECONDS, keep_days: int = 0):
        """`keep_days`: how long the runs of loaded batches are kept (0: always; `RUN_HISTORY_DAYS`)."""
        self.url, self.inbox, self.report, self.say, self.poll = url, inbox, report, say, poll
        self.keep_days = keep_days
        self.pruned_at = float("-inf")
        self.processed, self.failed = folders(inbox)
        self.connections: Connections | None = None
        self.stopping = threading.Event()
        self.loaded = 0

    @staticmethod
    def check(inbox: Path) -> list[Path]:
        """Check INBOX before anything else starts; return the batches already waiting in it."""
        folders(inbox)
        return waiting(inbox)

    def stop(self) -> None:
        self.stopping.set()

    def handle_signals(self) -> None:
        """Ctrl-C or SIGTERM: finish the batch in flight, then stop; a second one aborts the batch."""
        def first(signum, _frame):
            if self.stopping.is_set():
                raise KeyboardInterrupt
            self.stopping.set()
            self.say(f"{signal.Signals(signum).name}: stopping after the batch in flight "
                     "(signal again to abort it; it rolls back)")
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, first)

    def run(self) -> None:
        self._connect()
        try:
            while not self.stopping.is_set():
                self.prune()
                batches = waiting(self.inbox)
                if not batches:
                    self.stopping.wait(self.poll)
                    continue
                for batch in batches:
                    if self.stopping.is_set():
                        break
                    self.process(batch)
        finally:
            if self.connections is not None:
                self.connections.close()

    def prune(self) -> int:
        """Once an hour, between batches: delete the runs of batches older than `keep_days`. A
        database that does not answer is left for the next hour (loading batches comes first)."""
        if not self.keep_days or time.monotonic() - self.pruned_at < PRUNE_SECONDS or self.connections is None:
            return 0
        self.pruned_at = time.monotonic()
        try:
            deleted = history.prune(self.connections.book, self.keep_days)
        except psycopg.Error:
            return 0
        if deleted:
            self.say(f"deleted the runs of {deleted:,} batches loaded over {self.keep_days} days ago "
                     "(RUN_HISTORY_DAYS)")
        return deleted

    def drain(self) -> list[Batch | None]:
        """Load the batches waiting now, then close the connections (a test, a one-off catch-up)."""
        self._connect()
        try:
            return [self.process(batch) for batch in waiting(self.inbox)]
        finally:
            if self.connections is not None:
                self.connections.close()
                self.connections = None

    def process(self, batch: Path) -> Batch | None:
        """Load one batch and move it; None when the watcher was asked to stop before it could."""
        arrived = arrival(batch)
        why = problem(batch)
        if why:
            return self._failed(batch, why)
        waited = False
        while not self.stopping.is_set():
            try:
                result = load(self.url, batch, reporter=Reporter(quiet=True), connections=self.connections,
                              arrived_at=arrived)
            except Busy as exc:
                if not waited:  # said once, however long the other load takes
                    self.say(f"{exc}; {batch.name} waits for it")
                    waited = True
                self.stopping.wait(1)
                continue
            except (DatabaseLost, db.DatabaseUnavailable, psycopg.OperationalError) as exc:
                self._outage(exc)
                continue
            except (LoadError, extract.ExtractError) as exc:
                return self._failed(batch, str(exc))
            except Exception as exc:  # noqa: BLE001 - a batch the loader chokes on must not stop the next
                text = str(exc).strip().splitlines()
                return self._failed(batch, f"the load failed and nothing was changed: "
                                           f"{text[0] if text else type(exc).__name__}")
            return self._loaded(batch, result, arrived)
        return None

    def _loaded(self, batch: Path, result, arrived: datetime) -> Batch:
        moved = _move(batch, self.processed)
        orders = result.tables.get("fact_orders")
        done = Batch(
            batch.name, "loaded" if result.changed else "unchanged", str(moved), result.run_id,
            orders=orders.inserted if orders else 0, updated_orders=orders.updated if orders else 0,
            rows=sum(c.loaded for c in result.tables.values()),
            quarantined=sum(c.quarantined for c in result.tables.values()), seconds=result.seconds,
            days_touched=result.days_touched, orders_refreshed=result.orders_refreshed,
            lag_seconds=self._committed_lag(result.run_id, arrived), arrived_at=arrived.isoformat(),
            data_version=data_version(self.connections.book))
        self.loaded += 1
        self.report(done)
        return done

    def _committed_lag(self, run_id: int, arrived: datetime) -> float | None:
        row = self.connections.book.execute("SELECT finished_at FROM etl.runs WHERE run_id = %s", (run_id,)).fetchone()
        return (row[0] - arrived).total_seconds() if row and row[0] else None

    def _failed(self, batch: Path, reason: str) -> Batch:
        reason = " ".join(reason.split())  # one line
        try:
            (batch / "reason.txt").write_text(reason + "\n", encoding="utf-8")
        except OSError:
            pass  # a folder that cannot be written to still moves; the line below says why it failed
        moved = _move(batch, self.failed)
        done = Batch(batch.name, "failed", str(moved), error=reason)
        self.report(done)
        return done

    def _connect(self) -> None:
        """Migrate and open the kept connections, waiting while the database is away."""
        while not self.stopping.is_set():
            try:
                migrate.upgrade_url(self.url)
                self.connections = Connections(self.url)
                return
            except (db.DatabaseUnavailable, psycopg.OperationalError) as exc:
                self._outage(exc, reconnect=False)

    def _outage(self, exc: BaseException, reconnect: bool = True) -> None:
        """The database went away: say so once, wait with backoff, and come back with new connections."""
        if self.connections is not None:
            self.connections.close()
            self.connections = None
        text = str(exc).strip().splitlines()
        self._wait(f"the database is unreachable ({text[0] if text else type(exc).__name__}); "
                   "retrying with backoff", BACKOFF_SECONDS)
        if reconnect and self.connections is None and not self.stopping.is_set():
            self._connect()

    def _wait(self, message: str, waits) -> None:
        """Say `message` once, then wait with backoff until the database answers (or a stop)."""
        self.say(message)
        for i in itertools.count():
            if self.stopping.wait(waits[min(i, len(waits) - 1)]):
                return
            try:
                db.probe(self.url)
            except db.DatabaseUnavailable:
                continue
            self.say("the database is back: resuming")
            return
