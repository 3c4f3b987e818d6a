"""No credential reaches a log line, a stored error, a page, a notification or an email,
whatever a provider answers: every connector kind is synced through rate limits, outages,
bodies that echo the key, a rejected key and a broken network, with every logger on.

HTTP is replaced at one seam, the transport under the client the sync makes, so the client,
its auth, the retries and httpx's own logging all run as in production."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable

import httpx
import pytest
import stamina
from django.core import mail
from django.urls import reverse

from metrics import services
from metrics.connectors import ConnectorError
from metrics.connectors.base import ATTEMPTS
from metrics.models import ConnectedService, SyncRun
from portal.logging import JsonFormatter
from projects.models import Notification

pytestmark = pytest.mark.django_db


def _secret(tag: str) -> str:
    # Long and distinctive: a fragment of it in any output cannot be a coincidence.
    return f"{tag}-{tag.encode().hex()}-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c1e2b4d6f8a"


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


# kind → (base_url, credentials, config); two Prometheus set-ups, bearer and basic auth.
SOURCES: dict[str, tuple[str, dict[str, str], dict[str, object]]] = {
    "langfuse": (
        "",
        {"public_key": _secret("pk-lf"), "secret_key": _secret("sk-lf")},
        {},
    ),
    "helicone": ("", {"api_key": _secret("sk-helicone")}, {}),
    "langsmith": (
        "",
        {"api_key": _secret("lsv2_pt")},
        {"project_id": "5f1e7c2a-claims"},
    ),
    "prometheus": (
        "http://prometheus.internal:9090",
        {"token": _secret("prom-token")},
        {"queries": {"requests": "sum(increase(http_requests_total[1h]))"}},
    ),
    "prometheus-basic": (
        "http://prometheus.internal:9090",
        {"username": _secret("prom-user"), "password": _secret("prom-pass")},
        {"queries": {"requests": "sum(increase(http_requests_total[1h]))"}},
    ),
    "openai": ("", {"admin_key": _secret("sk-admin")}, {"project_id": "proj_claims"}),
    "anthropic": (
        "",
        {"admin_key": _secret("sk-ant-admin01")},
        {"workspace_id": "wrkspc_claims"},
    ),
}


def forbidden(credentials: dict[str, str]) -> list[str]:
    """Every form a credential could leak in: any 16 characters of it, and the Basic
    header httpx builds from a user and password."""
    values = list(credentials.values())
    fragments = {value[i : i + 16] for value in values for i in range(len(value) - 15)}
    for user in values:
        for password in values:
            fragments.add(_basic(user, password)[:16])
            fragments.add(_basic(user, password)[-16:])
    return sorted(fragments)


def echo(request: httpx.Request) -> str:
    """What a careless provider writes into an error: the key it was sent, first (so a
    message cut to length still has it), then everything else."""
    sent = [request.headers.get(name, "") for name in ("authorization", "x-api-key")]
    headers = ", ".join(f"{k}: {v}" for k, v in request.headers.items())
    return (
        f"invalid key {' '.join(sent)} in {request.method} {request.url} with {headers}"
    )


def _transport_error(request: httpx.Request) -> httpx.Response:
    # Some transport errors quote the request (h11 quotes an illegal header value).
    raise httpx.ConnectError(f"connection reset: {echo(request)}", request=request)


Answer = Callable[[httpx.Request], httpx.Response]
SCENARIOS: dict[str, Answer] = {
    "429 with Retry-After 0": lambda r: httpx.Response(
        429, headers={"Retry-After": "0"}, text=echo(r)
    ),
    "503": lambda r: httpx.Response(503, text="Service Unavailable"),
    "500 echoing the key": lambda r: httpx.Response(500, json={"error": echo(r)}),
    "400 echoing the key": lambda r: httpx.Response(
        400, json={"status": "error", "errorType": "bad_data", "error": echo(r)}
    ),
    "401 echoing the key": lambda r: httpx.Response(
        401, json={"error": {"type": "authentication_error", "message": echo(r)}}
    ),
    "200 with an error echoing the key": lambda r: httpx.Response(
        200, json={"status": "error", "errorType": "execution", "error": echo(r)}
    ),
    "a transport error": _transport_error,
}


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logs():
    """Every record of every logger (root, stamina, httpx, httpcore, runway.*, celery…)
    at DEBUG, including loggers that do not propagate."""
    recorder = Recorder()
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    isolated = [logger for logger in loggers if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    for logger in [root, *isolated]:
        logger.addHandler(recorder)
    yield recorder.records
    for logger in [root, *isolated]:
        logger.removeHandler(recorder)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled


@pytest.fixture(autouse=True)
def _no_waiting():
    # Production's number of attempts, without the back-off between them.
    with stamina.set_testing(True, attempts=ATTEMPTS):
        yield


@pytest.fixture
def provider(monkeypatch):
    """Answers every request any client sends, through httpx's own MockTransport."""
    seen: list[httpx.Request] = []
    state: dict[str, Answer] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.MockTransport(state["answer"]).handle_request(request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)

    def answer_with(answer: Answer) -> list[httpx.Request]:
        state["answer"] = answer
        return seen

    return answer_with


def record_text(record: logging.LogRecord) -> str:
    """Everything a log line could print: message, args, extra fields, traceback, and the
    JSON line itself."""
    parts = [
        str(record.msg),
        repr(record.args),
        record.getMessage(),
        repr(vars(record)),
        JsonFormatter().format(record),
    ]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def assert_nothing_leaks(texts: dict[str, str], credentials: dict[str, str]) -> None:
    for fragment in forbidden(credentials):
        for where, text in texts.items():
            at = text.find(fragment)
            assert at < 0, (
                f"a credential leaks into {where}: …{text[at - 150 : at + 50]!r}…"
            )


def make_service(people, source: str, django_capture_on_commit_callbacks):
    base_url, credentials, config = SOURCES[source]
    with django_capture_on_commit_callbacks(execute=False):  # no sync at creation
        return services.service_create(
            project=people["project"],
            kind=source.removesuffix("-basic"),
            name=f"{source} source",
            created_by=people["lead"],
            base_url=base_url,
            credentials=credentials,
            config=config,
        )


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_no_credential_reaches_logs_errors_pages_notifications_or_emails(
    source,
    scenario,
    people,
    provider,
    logs,
    client,
    django_capture_on_commit_callbacks,
):
    service = make_service(people, source, django_capture_on_commit_callbacks)
    seen = provider(SCENARIOS[scenario])

    with django_capture_on_commit_callbacks(execute=True):  # emails are sent at commit
        run = services.service_sync(service=service)

    assert seen, "the sync sent no request, so nothing was tested"
    assert run.status == SyncRun.Status.FAILED or scenario.startswith("200")
    service.refresh_from_db()
    client.force_login(people["lead"])
    status = client.get(
        reverse(
            "metrics:status",
            kwargs={"slug": people["project"].slug, "pk": service.pk},
        )
    ).content.decode()
    tab = client.get(
        reverse("metrics:project", kwargs={"slug": people["project"].slug})
    ).content.decode()
    texts = {
        f"log record {i} ({record.name})": record_text(record)
        for i, record in enumerate(logs)
    }
    texts |= {
        f"SyncRun {r.pk}.error": r.error
        for r in SyncRun.objects.filter(service=service)
    }
    texts |= {
        "last_error": service.last_error,
        "disabled_reason": service.disabled_reason,
        "status partial": status,
        "Metrics tab": tab,
    }
    texts |= {
        f"history {h.pk}": f"{h.last_error} {h.disabled_reason}"
        for h in ConnectedService.history.filter(id=service.pk)
    }
    texts |= {f"notification {n.pk}": n.message for n in Notification.objects.all()}
    texts |= {
        f"email {i}": "\n".join(
            [m.subject, str(m.body)]
            + [str(content) for content, _ in getattr(m, "alternatives", [])]
        )
        for i, m in enumerate(mail.outbox)
    }
    assert any("stamina" in record.name for record in logs) or scenario.startswith(
        ("400", "401", "200")
    ), "retries were not logged"
    assert_nothing_leaks(texts, SOURCES[source][1])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("source", list(SOURCES))
def test_test_connection_never_shows_a_credential(source, scenario, provider, logs):
    base_url, credentials, config = SOURCES[source]
    seen = provider(SCENARIOS[scenario])

    try:
        answer = services.connection_test(
            kind=source.removesuffix("-basic"),
            base_url=base_url,
            credentials=credentials,
            config=config,
            environment="production",
        )
    except ConnectorError as exc:
        answer = f"{exc.message} {exc!s} {exc!r}"

    assert seen
    texts = {"the answer": answer}
    texts |= {
        f"log record {i} ({record.name})": record_text(record)
        for i, record in enumerate(logs)
    }
    assert_nothing_leaks(texts, credentials)


def test_a_connector_error_blanks_every_form_of_the_credentials():
    user, password = _secret("user"), _secret("pass")
    error = ConnectorError(
        f"denied {password} (Basic {_basic(user, password)}) for {user}; short: bob",
        permanent=True,
        status=400,
    )

    safe = error.redacted({"username": user, "password": password, "other": "bob"})

    assert safe.message == (
        "denied [redacted] (Basic [redacted]) for [redacted]; short: bob"
    )
    assert (safe.permanent, safe.status) == (True, 400)


def test_the_http_helper_never_shows_its_headers_or_auth():
    from metrics.connectors.base import Http

    token, password = _secret("bearer"), _secret("password")
    http = Http(
        httpx.Client(),
        "Example",
        headers={"Authorization": f"Bearer {token}"},
        auth=("user", password),
    )
    assert token not in repr(http) and password not in repr(http)
    assert token not in str(http) and password not in str(http)


def test_json_log_lines_mask_extra_fields_that_name_a_secret():
    record = logging.makeLogRecord(
        {
            "name": "runway.test",
            "msg": "calling %s",
            "args": ("the provider",),
            "levelno": logging.INFO,
            "levelname": "INFO",
            "authorization": f"Bearer {_secret('extra')}",
            "request_headers": {"x-api-key": _secret("nested"), "accept": "json"},
            "service_id": 7,
            "token_id": 12,
        }
    )
    line = JsonFormatter().format(record)
    assert _secret("extra") not in line and _secret("nested") not in line
    assert json.loads(line)["request_headers"] == {
        "x-api-key": "[redacted]",
        "accept": "json",
    }
    assert '"service_id": 7' in line and '"token_id": 12' in line
    assert "calling the provider" in line


def test_json_log_lines_mask_credentials_written_into_text():
    token, password = _secret("bearer"), _secret("url-password")
    record = logging.makeLogRecord(
        {
            "name": "httpx",
            "msg": "HTTP Request: GET %s with Authorization: Bearer %s",
            "args": (f"http://bob:{password}@prometheus.internal/api", token),
            "levelno": logging.INFO,
            "levelname": "INFO",
            "detail": f"x-api-key: {_secret('text-key')}",
        }
    )
    line = JsonFormatter().format(record)
    payload = json.loads(line)  # still one valid JSON object
    for secret in (token, password, _secret("text-key")):
        assert secret not in line
    assert "http://bob:[redacted]@prometheus.internal/api" in payload["message"]
    assert payload["detail"] == "x-api-key: [redacted]"
