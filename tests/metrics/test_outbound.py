"""Outbound calls are checked when they connect, not only when an address is saved: a
name that later resolves to an internal address (DNS rebinding, a changed record) gets
no request, and so no credential. Every name here goes through the fake resolver
(tests/conftest.py); the only sockets opened are to local servers on loopback."""

from __future__ import annotations

import ipaddress
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.urls import reverse

from metrics.connectors import ConnectorError, outbound
from metrics.connectors.base import Http
from metrics.models import ConnectedService
from metrics.services import connection_test, service_create, service_sync

pytestmark = pytest.mark.django_db

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",
    "100.64.0.1": "carrier-grade NAT",
    "100.100.100.200": "carrier-grade NAT",
    "198.18.0.1": "benchmarking",
    "198.19.255.254": "benchmarking",
    "0.0.0.0": "unspecified",
    "224.0.0.251": "multicast",
    "192.0.2.10": "not public",
    "::1": "loopback",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "fe80::1": "link-local",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.0.0.1": "private",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "2002:a00:1::": "private",  # 6to4 of 10.0.0.1
    "64:ff9b::7f00:1": "loopback",  # NAT64 of 127.0.0.1
    "64:ff9b::6464:64c8": "carrier-grade NAT",  # NAT64 of 100.100.100.200
}
PUBLIC = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "2002:5db8:d822::",  # 6to4 of 93.184.216.34
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
    "::ffff:93.184.216.34",
]


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_internal_addresses_are_refused_with_their_range_named(address, reason):
    assert outbound.address_refusal(ipaddress.ip_address(address)).startswith(reason)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert outbound.address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "grafana.localhost", "metadata.google.internal"],
)
def test_local_names_are_refused_whatever_they_resolve_to(host, fake_dns):
    fake_dns[host.rstrip(".").lower()] = ["93.184.216.34"]
    with pytest.raises(outbound.RefusedAddress, match="internal network"):
        outbound.checked_addresses(host, 443)


def test_a_name_is_refused_when_any_of_its_addresses_is_internal(fake_dns):
    fake_dns["mixed.example"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(outbound.RefusedAddress) as refused:
        outbound.checked_addresses("mixed.example", 443)
    assert "resolves to 10.0.0.7, which is a private address" in refused.value.message
    assert refused.value.permanent


def test_an_allow_listed_host_is_called_as_it_is(settings):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["prometheus.internal"]
    assert outbound.checked_addresses("Prometheus.Internal", 9090) == [
        "Prometheus.Internal"
    ]


# Saving a service


def _save_prometheus(client, people, base_url: str) -> str:
    client.force_login(people["lead"])
    response = client.post(
        reverse(
            "metrics:connect",
            kwargs={"slug": people["project"].slug, "kind": "prometheus"},
        ),
        {
            "action": "save",
            "name": "Prom",
            "environment": "production",
            "interval_minutes": 60,
            "base_url": base_url,
            "queries": "requests = sum(rate(http_requests_total[5m]))",
        },
    )
    assert response.status_code in (200, 302)
    return response.content.decode()


def test_a_name_that_does_not_resolve_is_refused_at_save(client, people):
    page = _save_prometheus(client, people, "https://nowhere.example")
    assert "nowhere.example does not resolve; check the address." in page
    assert not ConnectedService.objects.exists()


@pytest.mark.parametrize(
    "address", ["100.100.100.200", "198.18.0.1", "fd00::1", "64:ff9b::a00:1"]
)
def test_a_name_resolving_to_a_newly_refused_range_is_refused_at_save(
    client, people, fake_dns, address
):
    fake_dns["metrics.example"] = [address]
    page = _save_prometheus(client, people, "https://metrics.example")
    assert "metrics.example resolves to" in page
    assert not ConnectedService.objects.exists()


def test_a_name_resolving_to_a_public_address_is_saved(client, people, fake_dns):
    fake_dns["metrics.example"] = ["93.184.216.34"]
    _save_prometheus(client, people, "https://metrics.example")
    assert ConnectedService.objects.filter(base_url="https://metrics.example").exists()


# Connecting


class _Recorder(BaseHTTPRequestHandler):
    """A local service that records what reaches it; ``answers`` says what it sends."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.server.seen.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.answer = (  # type: ignore[attr-defined]
        200,
        {"Content-Type": "application/json"},
        b'{"status": "success", "data": {"resultType": "vector", "result": []}}',
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _prometheus(project, base_url: str) -> ConnectedService:
    return service_create(
        project=project,
        kind="prometheus",
        name="Prom",
        created_by=None,
        base_url=base_url,
        credentials={"username": "runway", "password": "s3cret-password"},
        config={"queries": {"requests": "sum(up)"}},
    )


def test_a_name_that_rebinds_to_loopback_gets_no_request_on_sync(
    people, fake_dns, local_service, django_capture_on_commit_callbacks
):
    port = local_service.server_port
    fake_dns["metrics.example"] = ["93.184.216.34"]  # what it resolved to when saved
    with django_capture_on_commit_callbacks(execute=False):
        service = _prometheus(people["project"], f"http://metrics.example:{port}")
    fake_dns["metrics.example"] = ["127.0.0.1"]  # and later

    run = service_sync(service=service)

    assert run.status == run.Status.FAILED
    assert "metrics.example resolves to 127.0.0.1, which is a loopback address" in (
        run.error
    )
    assert local_service.seen == []


def test_test_connection_checks_the_address_it_connects_to(fake_dns, local_service):
    fake_dns["metrics.example"] = ["::ffff:127.0.0.1"]
    with pytest.raises(ConnectorError, match="loopback") as refused:
        connection_test(
            kind="prometheus",
            base_url=f"http://metrics.example:{local_service.server_port}",
            credentials={},
            config={"queries": {"requests": "sum(up)"}},
            environment="production",
        )
    assert refused.value.permanent
    assert local_service.seen == []


def test_a_connection_goes_to_the_address_that_was_checked(
    monkeypatch, fake_dns, local_service
):
    """The name is resolved once, by Runway, and the socket opened to that answer (here
    loopback stands in for a public address); TLS and Host still name the service."""
    monkeypatch.setattr(outbound, "address_refusal", lambda address: None)
    fake_dns["metrics.example"] = ["127.0.0.1"]
    with outbound.client(timeout=5) as client:
        answer = client.get(f"http://metrics.example:{local_service.server_port}/x")
    assert answer.status_code == 200
    [(path, headers)] = local_service.seen
    assert path == "/x" and headers["Host"].startswith("metrics.example")


def test_a_redirect_to_a_refused_address_is_not_followed(settings, local_service):
    settings.RUNWAY_CONNECTOR_ALLOWED_HOSTS = ["127.0.0.1"]
    target = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    target.seen, target.answer = [], (200, {}, b"{}")  # type: ignore[attr-defined]
    threading.Thread(target=target.serve_forever, daemon=True).start()
    try:
        local_service.answer = (
            302,
            {"Location": f"http://localhost:{target.server_port}/"},
            b"",
        )
        with outbound.client(timeout=5) as client:
            # Runway's client does not follow redirects at all...
            first = client.get(f"http://127.0.0.1:{local_service.server_port}/")
            assert first.status_code == 302
            # ...and were one followed, its connection is checked like any other.
            with pytest.raises(outbound.RefusedAddress, match="localhost"):
                client.get(
                    f"http://127.0.0.1:{local_service.server_port}/",
                    follow_redirects=True,
                )
        assert target.seen == []  # type: ignore[attr-defined]
    finally:
        target.shutdown()
        target.server_close()


# What a failed call shows


def test_a_failed_call_shows_its_status_not_the_answers_body(caplog):
    def internal_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="<html>db password: hunter2-internal</html>")

    http = Http(
        client=httpx.Client(transport=httpx.MockTransport(internal_page)),
        provider="Langfuse",
        headers={"Authorization": "Bearer sk-lf-0123456789"},
    )
    with (
        caplog.at_level(logging.WARNING, logger="metrics.connectors.base"),
        pytest.raises(ConnectorError) as failed,
    ):
        http.request("GET", "https://langfuse.example/api")
    assert failed.value.message == "400 Bad Request from Langfuse"
    assert "hunter2" not in str(failed.value)
    # The server log keeps the body for whoever debugs it.
    assert "hunter2-internal" in caplog.text
    assert "sk-lf-0123456789" not in caplog.text


def test_a_key_an_http_header_cannot_carry_is_a_clear_permanent_error():
    http = Http(
        client=httpx.Client(
            transport=httpx.MockTransport(lambda r: httpx.Response(200))
        ),
        provider="Langfuse",
        headers={"Authorization": "Bearer sk-²"},
    )
    with pytest.raises(ConnectorError) as failed:
        http.request("GET", "https://langfuse.example/api")
    assert failed.value.permanent
    assert "HTTP header cannot carry" in failed.value.message
