"""Read the app's settings from the environment (and an optional `.env`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv


@dataclass(frozen=True)
class Settings:
    """The settings DESIGN.md names; every field comes from an environment variable."""

    database_url: str | None
    instance_dir: Path
    cache_dir: Path
    secret_key: str | None
    admin_username: str
    admin_password: str | None
    demo_orders: int
    log_level: str
    host: str
    port: int
    redis_url: str | None
    session_idle_minutes: int = 120
    session_max_hours: int = 12
    max_content_length: int = 1 << 20
    preferred_url_scheme: str = "http"
    proxy_count: int = 0
    jobs_per_user: int = 4
    jobs_total: int = 8
    web_workers: int = 2
    web_threads: int = 8
    db_connect_timeout: int = 5
    db_statement_timeout: int = 60
    query_timeout_s: int = 30  # a composed question (the API, Explore) is cancelled after this long
    live: bool = False  # `python app.py` also runs a simulator and a watcher (LIVE=1, or --live)
    live_rate: float = 0.5  # the simulator's new orders per second
    live_batch_seconds: float = 2.0  # and its batch interval
    run_history_days: int = 30  # a watcher deletes its batches' runs older than this (0: keeps them)


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def _int(env: dict, name: str, default: int, least: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, not {value}")
    return value


def load_settings(environ: dict | None = None) -> Settings:
    """Build the settings: `.env` first (never overriding the environment), then the environment."""
    if environ is None:
        load_dotenv(override=False)
        environ = dict(os.environ)
    instance_dir = Path(environ.get("INSTANCE_DIR") or "instance").resolve()
    cores = os.cpu_count() or 1
    return Settings(
        database_url=environ.get("DATABASE_URL") or None,
        instance_dir=instance_dir,
        cache_dir=Path(environ.get("CACHE_DIR") or instance_dir / "cache").resolve(),
        secret_key=environ.get("SECRET_KEY") or None,
        admin_username=environ.get("ADMIN_USERNAME") or "admin",
        admin_password=environ.get("ADMIN_PASSWORD") or None,
        demo_orders=_int(environ, "DEMO_ORDERS", 100_000),
        log_level=(environ.get("LOG_LEVEL") or "INFO").upper(),
        host=environ.get("HOST") or "127.0.0.1",
        port=_int(environ, "PORT", 8050),
        redis_url=environ.get("REDIS_URL") or None,
        session_idle_minutes=_int(environ, "SESSION_IDLE_MINUTES", 120, 1),
        session_max_hours=_int(environ, "SESSION_MAX_HOURS", 12, 1),
        max_content_length=_int(environ, "MAX_CONTENT_LENGTH", 1 << 20, 1024),
        preferred_url_scheme=_scheme(environ.get("PREFERRED_URL_SCHEME") or "http"),
        proxy_count=_int(environ, "PROXY_COUNT", 0),
        # The Forecast page starts two jobs, and leaving it does not stop them: four lets a user come back.
        jobs_per_user=_int(environ, "JOBS_PER_USER", 4, 1),
        jobs_total=_int(environ, "JOBS_TOTAL", 4 * cores, 1),
        web_workers=_int(environ, "WEB_WORKERS", cores, 1),
        web_threads=_int(environ, "WEB_THREADS", 8, 1),
        db_connect_timeout=_int(environ, "DB_CONNECT_TIMEOUT", 5, 1),
        db_statement_timeout=_int(environ, "DB_STATEMENT_TIMEOUT", 60, 0),
        query_timeout_s=_int(environ, "QUERY_TIMEOUT_S", 30, 1),
        live=_flag(environ, "LIVE"),
        live_rate=_float(environ, "LIVE_RATE", 0.5, 0.001),
        live_batch_seconds=_float(environ, "LIVE_BATCH_SECONDS", 2.0, 0.1),
        run_history_days=_int(environ, "RUN_HISTORY_DAYS", 30, 0),
    )


def _flag(env: dict, name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0 (or true or false), not {env.get(name)!r}")


def _float(env: dict, name: str, default: float, least: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not value >= least:  # NaN too
        raise SettingsError(f"{name} must be at least {least}, not {raw}")
    return value


def _scheme(value: str) -> str:
    if value not in ("http", "https"):
        raise SettingsError(f"PREFERRED_URL_SCHEME must be http or https, not {value!r}")
    return value
