"""The campaign of the fuzz test (test_fuzz_every_view.py): the demo world seeded once,
every page read as every persona (what each view reads, and the forms it shows), and
the verdict each fuzz test ends with."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse

from tests.portal.fuzz_client import Fuzzer
from tests.portal.fuzz_discovery import Form, Route, forms_of, routes, same_site_path
from tests.portal.fuzz_values import query, wire
from tests.portal.fuzz_world import (
    ACTING_AS,
    BY_NAME,
    BY_ROUTE,
    EXCLUDED,
    FORM_PAGES,
    KNOWN_CAUSES_OWNED_ELSEWHERE,
    PERSONAS,
    QUERYDICT_ATTRIBUTES,
    World,
    plausible_values,
    seed_world,
)
from tests.portal.fuzz_writes import WriteWatch

# --- The campaign: the world, the fuzzer and what reading every page found ------------

# The fuzz tests that share a campaign, as they name themselves to verdict(): the last
# of them to end checks that every known cause still occurs.
FUZZ_TESTS = {"crawl", "query", "form", "api"}


@dataclass
class Page:
    persona: str
    route: Route
    url: str
    status: int
    post_status: int
    reads: set[str]  # the query names its view read
    # Of those, the ones read only once the others had plausible values.
    read_in_context: set[str]
    # Those read only by a library's code (allauth's ?next=) or a template: the same
    # code on every page, so fuzzed on one page only.
    read_elsewhere: set[str]


@dataclass
class Campaign:
    world: World
    fuzzer: Fuzzer
    routes: list[Route]
    pages: list[Page] = field(default_factory=list)
    # (route name, the fields) → (persona, the form); the admin's when several see it.
    forms: dict[tuple[str, tuple[str, ...]], tuple[str, Form]] = field(
        default_factory=dict
    )
    get_form_names: dict[str, set[str]] = field(default_factory=dict)
    unfillable: list[str] = field(default_factory=list)
    ran: set[str] = field(default_factory=set)  # the fuzz tests that have run

    def reachable(self, persona: str | None = None) -> Iterator[Page]:
        """Pages whose view runs: anonymous requests sent to sign in are not."""
        for page in self.pages:
            if persona not in (None, page.persona):
                continue
            if page.persona == "anonymous" and page.status in (301, 302):
                continue
            yield page


def _excluded(route: Route) -> str | None:
    return EXCLUDED.get(route.name) or (
        EXCLUDED.get(f"{route.namespace}:*") if route.namespace else None
    )


class _Anything:
    """The world, when only the kwarg names of a mapping are wanted."""

    def __getattr__(self, name: str) -> _Anything:
        return self

    def __getitem__(self, key: object) -> _Anything:
        return self


def _unfillable(route: Route) -> str | None:
    given = set(BY_ROUTE[route.name](_Anything())) if route.name in BY_ROUTE else set()
    missing = [k for k in route.kwargs if k not in given and k not in BY_NAME]
    if route.positional or missing or (route.kwargs and not route.reversible):
        return f"{route.name} ({route.route}): cannot fill {missing or 'its unnamed groups'}"
    return None


def _urls(route: Route, w: World) -> Iterator[str]:
    """The route's URLs with the world's values, one per combination."""
    if not route.kwargs:
        yield (
            reverse(route.name)
            if route.reversible
            else route.route.replace("^", "").replace("$", "")
        )
        return
    given = BY_ROUTE[route.name](w) if route.name in BY_ROUTE else {}
    choices = [given.get(name) or BY_NAME[name](w) for name in route.kwargs]
    for values in itertools.product(*choices):
        yield reverse(route.name, kwargs=dict(zip(route.kwargs, values, strict=True)))


@contextmanager
def seeded_campaign() -> Iterator[Campaign]:
    """The demo, seeded in a transaction rolled back on the way out, and every page
    read as every persona (the caller unblocks the test database)."""
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            RUNWAY_DEMO_PASSWORD="demo-password-for-the-fuzz",
            # Admins would be sent to set up TOTP before every page.
            RUNWAY_MFA_REQUIRED_FOR_ADMINS=False,
            # Rate limits would answer 429 before the input reached a form; they have
            # their own tests.
            ACCOUNT_RATE_LIMITS=False,
        ),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        from ninja.throttling import SimpleRateThrottle

        # The API's throttles too (tested in tests/metrics and tests/portal).
        patch.setattr(SimpleRateThrottle, "allow_request", lambda self, request: True)
        world = seed_world()
        # What the seed left to do at commit (send tasks and emails) never runs: this
        # transaction is rolled back, and Django would scan the list again at every
        # savepoint rollback, that is at every request of the fuzz.
        connection.run_on_commit.clear()
        clients = {
            persona: Client(raise_request_exception=False)
            for persona in (*PERSONAS, "reviewer", "executive")
        }
        clients["admin"].force_login(world.admin)
        clients["contributor"].force_login(world.contributor)
        clients["reviewer"].force_login(world.signoff.signer)
        clients["executive"].force_login(world.executive)
        fuzzer = Fuzzer(
            clients=clients,
            watch=WriteWatch(
                # Session bookkeeping on any request, refused or not: a session is made
                # or its expiry slides (portal.sessions), and allauth notes the
                # session's last activity. No domain data is in these tables.
                ignored={
                    "django_session": "sessions",
                    "usersessions_usersession": "session activity",
                },
                # A token notes when it was last used, whatever the answer (an UPDATE
                # of last_used_at); a token made or removed is still a write.
                updates_ignored={
                    "portal_personalaccesstoken": "last used",
                    "metrics_ingesttoken": "last used",
                },
            ),
            known_causes=KNOWN_CAUSES_OWNED_ELSEWHERE,
        )
        with fuzzer.running():
            yield crawl(Campaign(world, fuzzer, routes()))
        transaction.set_rollback(True)


def crawl(c: Campaign) -> Campaign:
    """Read every URL as every persona: what each view reads, and the forms."""
    by_name = {r.name: r for r in c.routes}
    plausible = plausible_values(c.world)

    def route_of(path: str) -> Route | None:
        try:
            return by_name.get(resolve(urlsplit(path).path).view_name)
        except Resolver404:
            return None

    def read(persona: str, route: Route, url: str) -> None:
        reads: dict[str, bool] = {}
        got = c.fuzzer.send(persona, "GET", url, reads=reads, field_name="(as is)")
        plain = set(reads) - QUERYDICT_ATTRIBUTES
        context = [(n, wire(plausible[n])) for n in sorted(plain) if n in plausible]
        if context:  # once some names mean something, more may be read
            c.fuzzer.send(
                persona,
                "GET",
                f"{url}?{query(context)}",
                reads=reads,
                field_name="(plausible)",
            )
        names = set(reads) - QUERYDICT_ATTRIBUTES
        posted = c.fuzzer.send(persona, "POST", url, field_name="(empty body)")
        c.pages.append(
            Page(
                persona,
                route,
                url,
                got.status,
                posted.status,
                names,
                names - plain,
                {n for n in names if not reads[n]},
            )
        )
        for form in forms_of(got.html, url):
            action = same_site_path(form.action, url)
            target = route_of(action) if action else None
            if target is None or _excluded(target):
                continue
            form.action = action
            if form.method == "get":
                c.get_form_names.setdefault(target.name, set()).update(form.names())
            else:
                # The fields and the button it is sent with.
                key = (
                    target.name,
                    tuple(sorted({*form.names(), *(n for n, _ in form.fields)})),
                )
                c.forms.setdefault(key, (persona, form))

    for route in c.routes:
        if _excluded(route):
            continue
        problem = _unfillable(route)
        if problem:
            c.unfillable.append(problem)
            continue
        for url in _urls(route, c.world):
            for persona in (
                [ACTING_AS[route.name]] if route.name in ACTING_AS else PERSONAS
            ):
                read(persona, route, url)
    for page in FORM_PAGES:
        persona, url = page(c.world)
        route = route_of(url)
        assert route is not None, url
        read(persona, route, url)
    return c


def verdict(campaign: Campaign, test: str) -> None:
    """Fail with every failure of this test, grouped by cause; and, after the last of
    the fuzz tests, with any entry of KNOWN_CAUSES_OWNED_ELSEWHERE none of them met."""
    fuzzer = campaign.fuzzer
    for persona in ("admin", "contributor", "reviewer"):
        fuzzer.signed_in(persona, reverse("portal:home"), reverse("account_login"))
    report, failed = fuzzer.report(), bool(fuzzer.failures)
    fuzzer.failures, fuzzer.requests = [], 0
    campaign.ran.add(test)
    assert not failed, report
    if campaign.ran == FUZZ_TESTS:
        gone = fuzzer.known_but_not_seen()
        assert not gone, f"Fixed: remove from KNOWN_CAUSES_OWNED_ELSEWHERE: {gone}"
