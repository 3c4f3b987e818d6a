"""Gunicorn's settings for Runway's web process (``deploy/entrypoint.sh web``).

Sync workers: each serves one request at a time, which is what Django's ORM and the
psycopg pool are built for; requests are short (bench/README.md), so a few workers per
core keep the cores busy while others wait on PostgreSQL or Redis. Every value can be
overridden on the command line (``entrypoint.sh web --workers 3``) or through
GUNICORN_CMD_ARGS.
"""

from __future__ import annotations

import os
from typing import Any

# A worker count that fits any host: beyond this, more processes mostly add PostgreSQL
# connections and memory (some 100-150 MB each) rather than throughput; set
# WEB_CONCURRENCY to go past it.
MAX_DEFAULT_WORKERS = 12


def default_workers(cores: int) -> int:
    """Two per core plus one, within MAX_DEFAULT_WORKERS."""
    return max(1, min(2 * cores + 1, MAX_DEFAULT_WORKERS))


def _cores() -> int:
    # The cores this process may run on (a cpuset limits them), not the host's.
    return len(os.sched_getaffinity(0))


wsgi_app = "portal.wsgi:application"
bind = [f"0.0.0.0:{int(os.environ.get('PORT', '8000'))}"]
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers(_cores()))

# Loaded once in the master and forked: workers share the start-up objects, which
# portal/wsgi.py freezes out of the garbage collector's reach (no copy-on-write churn
# from collections) and restarts are faster. Nothing at import opens a database or
# Redis connection, so no socket is shared between workers.
preload_app = True

# A request may take this long (a PDF report of many pages) before its worker is
# killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM, requests in flight get this long to finish; a container's stop grace
# period must be longer (compose.yaml gives web 40 s).
graceful_timeout = 30
# The TLS proxy in front reuses its connections to gunicorn.
keepalive = 5

# The heartbeat file in memory, not on the (possibly overlay) disk, when there is one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No control socket: nothing in a deployment uses gunicornc, and its default place
# ($HOME/.gunicorn) is not writable by the image's user.
control_socket_disable = True

# Access and error logs on stdout as JSON lines, the same shape as the app's own.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "portal.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {
            "handlers": ["stdout"],
            "level": "INFO",
            "propagate": False,
        },
    },
}


def child_exit(server: Any, worker: Any) -> None:
    """A worker that ended leaves its counters to /metrics' sum, not its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
