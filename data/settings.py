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


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def load_settings(environ: dict | None = None) -> Settings:
    """Build the settings: `.env` first (never overriding the environment), then the environment."""
    if environ is None:
        load_dotenv(override=False)
        environ = dict(os.environ)
    instance_dir = Path(environ.get("INSTANCE_DIR") or "instance").resolve()
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
    )
