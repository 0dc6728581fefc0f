"""Slots for background jobs (the forecasts' fitting processes), counted in `app.jobs` so every
worker and host sees the same numbers: at most JOBS_PER_USER at once for one user and JOBS_TOTAL
in all. A request over either limit is told to wait instead of starting another process.

A job removes its row when it ends; one killed outright (cancelled, or its host gone) is swept
here: on its own host when its process no longer exists, anywhere once it is older than
MAX_MINUTES, longer than any fit takes (or a minute, when its process never started).
"""
from __future__ import annotations

import socket

import psutil
import sqlalchemy as sa

LOCK = 7_320_003  # serialises reservations: two requests cannot both take the last slot
MAX_MINUTES = 15
HOST = socket.gethostname()


class NoSlot(RuntimeError):
    """Too many jobs are running; the message says whose and what to do."""


def reserve(engine, user_id: int, per_user: int, total: int) -> int:
    """Take a slot for `user_id`'s job and return its id, or raise NoSlot."""
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK})
        rows = conn.execute(sa.text(
            "SELECT job_id, user_id, host, pid, started_at < now() - make_interval(mins => :m) "
            "OR (pid IS NULL AND started_at < now() - interval '1 minute') FROM app.jobs"), {"m": MAX_MINUTES}).all()
        gone = [r[0] for r in rows if r[4] or (r[2] == HOST and r[3] is not None and not _alive(r[3]))]
        if gone:
            conn.execute(sa.text("DELETE FROM app.jobs WHERE job_id = ANY(:ids)"), {"ids": gone})
        live = [r for r in rows if r[0] not in gone]
        mine = sum(1 for r in live if r[1] == user_id)
        if mine >= per_user:
            raise NoSlot(f"You already have {mine} forecast{'s' if mine > 1 else ''} being fitted: wait for "
                         f"{'them' if mine > 1 else 'it'} to finish (or cancel), then try again.")
        if len(live) >= total:
            raise NoSlot(f"The server is fitting {len(live)} forecasts for other people: try again in a moment.")
        return conn.execute(sa.text("INSERT INTO app.jobs (user_id, host) VALUES (:u, :h) RETURNING job_id"),
                            {"u": user_id, "h": HOST}).scalar_one()


def started(engine, job_id: int, pid: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE app.jobs SET pid = :p WHERE job_id = :id"), {"p": pid, "id": job_id})


def release(engine, job_id: int | None = None, pid: int | None = None) -> None:
    """Free a job's slot, by its id (the job itself, at its end) or by its process on this host."""
    with engine.begin() as conn:
        if job_id is not None:
            conn.execute(sa.text("DELETE FROM app.jobs WHERE job_id = :id"), {"id": job_id})
        elif pid is not None:
            conn.execute(sa.text("DELETE FROM app.jobs WHERE pid = :p AND host = :h"), {"p": pid, "h": HOST})


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
