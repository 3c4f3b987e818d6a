"""A person using the scale-out test's web processes (tests/scaleout/test_scale_out.py):
the project they lead, a browser's requests through a TLS proxy, and the tick made
through one host that the other must show at once."""

from __future__ import annotations

import re
import secrets

import httpx
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from projects import services as project_services
from projects.models import ChecklistItem, ItemState
from tests.factories import TeamFactory, UserFactory


def _web_project():
    """A project whose lead signs in with a password the web processes can check (the
    suite's fast hasher is not one production settings know)."""
    from importlib import import_module

    from django.apps import apps

    from projects.models import Step
    from tests.browser.conftest import REFERENCE_DATA

    if not Step.objects.exists():  # flushed by an earlier test that committed
        for module, function in REFERENCE_DATA:
            getattr(import_module(module), function)(apps, None)
    password = secrets.token_urlsafe(16)
    lead = UserFactory(email="lead@scaleout.example", first_name="Leo")
    lead.password = PBKDF2PasswordHasher().encode(password, secrets.token_hex(8))
    lead.save()
    project = project_services.project_create(
        name="Scale-out Assistant", team=TeamFactory(), owner=UserFactory(), lead=lead
    )
    return project, lead, password


class Visitor:
    """One browser behind a TLS proxy: the app sees https (X-Forwarded-Proto), so its
    cookies are Secure, and this keeps and sends them itself over the plain link."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, method: str, base: str, path: str, **kwargs) -> httpx.Response:
        host = base.split("//", 1)[1]
        headers = {
            "Host": host,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **kwargs.pop("headers", {}),
        }
        if method == "POST":
            headers |= {"Origin": f"https://{host}", "Referer": f"https://{host}/"}
        response = httpx.request(
            method,
            base + path,
            headers=headers,
            follow_redirects=False,
            trust_env=False,
            timeout=30,
            **kwargs,
        )
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in raw or "Max-Age=0" in raw:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token in the page ({page.status_code})"
    return found.group(1)


def _step_one_progress(page: httpx.Response) -> tuple[int, int]:
    found = re.search(r'class="stepper-progress">(\d+)/(\d+) items', page.text)
    assert found, f"no stepper in the overview ({page.status_code})"
    return int(found.group(1)), int(found.group(2))


def _tick_is_seen_across_hosts(web: dict[str, str], project, lead, password) -> None:
    """Sign in through host a; through host b the same session is signed in, and a
    checklist tick made through a is on b's step page and overview at once."""
    a, b = web["a"], web["b"]
    visitor = Visitor()
    login = visitor.request("GET", a, "/accounts/login/")
    assert login.status_code == 200, login.text[:500]
    signed_in = visitor.request(
        "POST",
        a,
        "/accounts/login/",
        data={
            "login": lead.email,
            "password": password,
            "csrfmiddlewaretoken": _csrf(login),
        },
    )
    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert "sessionid" in visitor.cookies

    overview = f"/projects/{project.slug}/"
    before = visitor.request("GET", b, overview)  # b renders and caches the overview
    assert before.status_code == 200, "host b does not know the session host a made"
    done_before, applicable = _step_one_progress(before)

    item = ChecklistItem.objects.filter(
        project=project, step__number=1, applicable=True, state=ItemState.OPEN
    ).first()
    step = f"/projects/{project.slug}/steps/1/"
    page = visitor.request("GET", a, step)
    assert page.status_code == 200
    ticked = visitor.request(
        "POST",
        a,
        f"/projects/{project.slug}/items/{item.pk}/state/",
        data={"state": ItemState.DONE, "csrfmiddlewaretoken": _csrf(page)},
        headers={"HX-Request": "true", "HX-Target": f"item-{item.pk}-head"},
    )
    assert ticked.status_code == 200, ticked.text[:2000]
    assert 'aria-pressed="true"' in ticked.text

    seen = visitor.request("GET", b, step)
    assert seen.status_code == 200
    assert f'id="tick-{item.pk}" class="check checked"' in seen.text, (
        "host b's step page does not show the tick made through host a"
    )
    after = visitor.request("GET", b, overview)
    assert _step_one_progress(after) == (done_before + 1, applicable), (
        "host b's overview (a cached fragment) did not move with the tick made "
        "through host a: the version tokens are not shared"
    )


def _answers(base: str) -> bool:
    try:
        host = base.split("//", 1)[1]
        response = httpx.get(
            base + "/healthz",
            headers={"Host": host, "X-Forwarded-Proto": "https"},
            trust_env=False,
            timeout=5,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200
