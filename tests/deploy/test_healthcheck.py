"""deploy/healthcheck.py: the image's HEALTHCHECK."""

from __future__ import annotations

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"
spec = importlib.util.spec_from_file_location("runway_healthcheck", PATH)
assert spec and spec.loader
healthcheck = importlib.util.module_from_spec(spec)
spec.loader.exec_module(healthcheck)


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("runway.example.com,other.example.com", "runway.example.com"),
        (" .example.com", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_it_names_a_host_django_accepts(allowed, host):
    assert healthcheck.host_header(allowed) == host


@pytest.fixture
def server():
    """A stand-in web server on loopback; answers with ``server.status``."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append({"path": self.path, **dict(self.headers)})
            status = httpd.status  # type: ignore[attr-defined]
            self.send_response(status)
            if status == 301:
                self.send_header("Location", "https://runway.example.com/healthz")
            self.end_headers()
            self.wfile.write(b'{"status": "up"}')

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.status = 200  # type: ignore[attr-defined]
    httpd.seen = seen  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def environ(server, **extra):
    return {"PORT": str(server.server_address[1]), **extra}


def test_a_200_from_healthz_is_healthy_and_sent_as_the_proxy_would(server):
    healthy, _ = healthcheck.check_web(
        environ(server, ALLOWED_HOSTS="runway.example.com")
    )
    assert healthy
    (request,) = server.seen
    assert request["path"] == "/healthz"
    assert request["Host"] == "runway.example.com"
    assert request["X-Forwarded-Proto"] == "https"


@pytest.mark.parametrize("status", [503, 301, 400])
def test_any_other_answer_is_unhealthy(server, status):
    server.status = status
    healthy, detail = healthcheck.check_web(environ(server))
    assert not healthy
    assert detail.startswith(str(status))


def test_no_answer_is_unhealthy(server):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    healthy, detail = healthcheck.check_web({"PORT": str(port)})
    assert not healthy
    assert detail.startswith("no answer")


def test_a_container_without_gunicorn_has_nothing_to_check(tmp_path, monkeypatch):
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "cmdline").write_bytes(b"celery\0-A\0portal\0worker\0")
    assert healthcheck.running_gunicorn(tmp_path) is False
    monkeypatch.setattr(healthcheck, "running_gunicorn", lambda: False)
    assert healthcheck.main(["healthcheck.py"]) == 0
    assert healthcheck.main(["healthcheck.py", "beat"]) == 0


def test_gunicorn_among_the_processes_makes_it_a_web_container(tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "cmdline").write_bytes(b"/sbin/docker-init\0--\0")
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cmdline").write_bytes(b"python\0/opt/venv/bin/gunicorn\0")
    assert healthcheck.running_gunicorn(tmp_path) is True
    assert healthcheck.running_gunicorn(tmp_path / "missing") is None
