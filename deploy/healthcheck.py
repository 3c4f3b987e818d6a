"""The image's health check: is this container's web server answering /healthz?

``healthcheck.py [web|worker|beat]``; without an argument the role is read from the
running processes, so one HEALTHCHECK in the image fits every container made from it.
A web server is healthy when GET /healthz answers 200 (database, cache and broker
reachable). Workers and beat have nothing to ask over HTTP: compose.yaml gives the
worker its own check (a Celery ping); here they pass.

Standard library only, no curl in the image. The request names the site the way the
TLS proxy would: a Host from ALLOWED_HOSTS and ``X-Forwarded-Proto: https``, so
neither the host check nor the HTTPS redirect answers instead of the view.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

TIMEOUT_SECONDS = 4.0


def running_gunicorn(proc: Path = Path("/proc")) -> bool | None:
    """Whether a gunicorn process runs here; None when the processes cannot be read."""
    try:
        entries = [entry for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return None
    if not entries:
        return None
    for entry in entries:
        try:
            if b"gunicorn" in (entry / "cmdline").read_bytes():
                return True
        except OSError:
            continue  # the process ended meanwhile, or it is not ours to read
    return False


def host_header(allowed_hosts: str) -> str:
    """A host name Django accepts: the first of ALLOWED_HOSTS, made concrete."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "")
    if first in {"", "*"}:
        return "localhost"
    # ".example.com" allows example.com and its subdomains.
    return first.lstrip(".")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than 200: unhealthy


def check_web(environ: os._Environ[str] | dict[str, str]) -> tuple[bool, str]:
    port = int(environ.get("PORT") or "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={
            "Host": host_header(environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
        },
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200, f"{response.status} {response.read(500)!r}"
    except urllib.error.HTTPError as error:
        return False, f"{error.code} {error.read(500)!r}"
    except OSError as error:
        return False, f"no answer: {error}"


def main(argv: list[str]) -> int:
    role = argv[1] if len(argv) > 1 else None
    if role is None:
        found = running_gunicorn()
        role = "web" if found in (True, None) else "other"
    if role != "web":
        print(f"{role}: no web server in this container, nothing to check here")
        return 0
    healthy, detail = check_web(os.environ)
    print(("healthy: " if healthy else "unhealthy: ") + detail)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
