"""A private Prometheus for the tests that need the real one (the connector reads it,
Runway's /metrics is scraped by it): started on a free loopback port with the tests'
own configuration and storage, and stopped by its handle."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

READY_WITHIN = 30.0  # seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], within: float, what: str, log: Path) -> None:
    """Poll ``check`` until it holds; fail with the end of Prometheus's log if not."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(
        f"Prometheus {what} within {within:.0f} s; its log:\n{log.read_text()[-2000:]}"
    )


@contextmanager
def running_prometheus(
    binary: str | Path, folder: Path, port: int, config: str
) -> Iterator[tuple[str, Path]]:
    """Prometheus on 127.0.0.1:``port`` with ``config`` (YAML), once it is ready:
    yields its URL and its log file."""
    config_file = folder / "prometheus.yml"
    config_file.write_text(config)
    log = folder / "prometheus.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(binary),
                f"--config.file={config_file}",
                f"--web.listen-address=127.0.0.1:{port}",
                f"--storage.tsdb.path={folder / 'data'}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_for(
            lambda: httpx.get(f"{url}/-/ready", timeout=2).status_code == 200,
            READY_WITHIN,
            "was not ready",
            log,
        )
        yield url, log
    finally:
        # Our own process, by its handle: stop it and wait, kill only if it hangs.
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
