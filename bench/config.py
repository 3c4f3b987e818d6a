"""Where the benchmark runs and with which settings.

The harness runs the app with production-like settings (DEBUG off, cached templates,
Redis cache, secure defaults) so the figures describe what people will get, not a
development server. Everything here is read from the environment once.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/runway_bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/15"


@dataclass(frozen=True)
class Scale:
    """How big a portfolio to build and how long to measure it."""

    name: str
    projects: int
    teams: int
    rounds: int  # interleaved rounds per item
    per_round: int  # requests per item and round
    ingest_batches: int
    load_seconds: int
    load_clients: int
    busy_events: int  # the busy project's events in one day (busy.py)


SCALES = {
    "tiny": Scale(
        "tiny", 4, 2, 1, 2, 2, 3, 4, 2_000
    ),  # the pytest check of the generator
    "small": Scale("small", 20, 4, 3, 8, 6, 15, 50, 50_000),
    "default": Scale("default", 500, 12, 5, 20, 30, 60, 50, 1_000_000),
}

# One Fernet key made for this run: the bench stores no secret worth keeping.
_FERNET_KEY = "QmVuY2hPbmx5S2V5Tm90VXNlZEFueXdoZXJlRWxzZTA="
_RUN_RELEASE = "bench-" + secrets.token_hex(4)


def log(message: str) -> None:
    """One progress line of the harness, flushed at once."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def scale_from_env() -> Scale:
    name = os.environ.get("SCALE", "default")
    if name not in SCALES:
        sys.exit(f"SCALE must be one of {', '.join(SCALES)}, not {name!r}")
    return SCALES[name]


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL


def admin_url(url: str) -> str:
    """The same server's maintenance database, to drop and create the bench one."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def app_environment(url: str, *, cache_url: str | None = None) -> dict[str, str]:
    """The environment the app runs under, in the server and in this process.

    Production settings, with TLS redirects off because gunicorn listens on plain
    loopback HTTP (a TLS proxy would sit in front in production). Celery tasks go to
    an in-memory broker: the debounced rollup is timed on its own, not in ingest.
    RUNWAY_BENCH=1 adds the bench-only empty view used for the floor.
    """
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "RUNWAY_ENV": "production",
        "DEBUG": "False",
        "DATABASE_URL": url,
        "CACHE_URL": cache_url or os.environ.get("BENCH_CACHE_URL") or _cache_url(),
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY")
        or "bench-" + secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "FIELD_ENCRYPTION_KEYS": _FERNET_KEY,
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_HSTS_SECONDS": "0",
        "CELERY_BROKER_URL": "memory://",
        "LOG_LEVEL": "WARNING",
        "RUNWAY_BENCH": "1",
        # One release name for the run: the app's default is a digest of the code, and
        # a file edited while the run goes (a shared work tree) would otherwise give
        # gunicorn another cache namespace than this process, whose drops of cached
        # renderings (the rebuilt pages) would then never reach the server.
        "RUNWAY_RELEASE": _RUN_RELEASE,
    }


def _cache_url() -> str:
    """Redis (its own database, flushed by the run) when it answers, as in
    production; else each process's local memory, which the README mentions."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return DEFAULT_CACHE_URL
    except OSError:
        return "locmemcache://"


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with the app's own settings module."""
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
