"""Every URL and every form, sent hostile input: no answer is a server error, and a
refused request writes nothing (issue #16, section 1).

The URL patterns are found by walking the resolver, the query parameters by noting
what each view reads, and the forms by reading the pages they are on, so a new view or
form is fuzzed without anyone remembering to. A new URL kwarg the test cannot fill, or
a new POST view whose form is on no page it reads, fails
``test_every_url_pattern_is_fuzzed_or_excluded_on_purpose`` until it is mapped in
tests/portal/fuzz_world.py. The ids are the demo portfolio's (``seed_demo``), plus the
few things the demo does not make (tokens, an invitation, an organisation account, an
observability source), made there through the services.

What is sent, as an admin (the most views), a project contributor and anonymously
(hostile values: tests/portal/fuzz_values.py):

- GET, to every page whose view reads the query string: each hostile value in every
  parameter name known at once (those views were seen reading, those of GET forms and
  common ones), and the page's names as repeated keys; then one name at a time, the
  others given plausible values, where the page refused the lot (one refusal may hide
  what the others would do) or where a name is read only once others mean something
  (``start`` once ``range=custom``). The contributor's pages get a few values only;
- POST: every form found, as the page filled it, with each hostile value in every
  field at once and every field as a repeated key; then, one field at a time (the
  others as filled, so that the value gets past the form to the code behind it), the
  values of its kind it accepted; to every URL an empty and a JSON body, and to a POST
  view with no form every common name at once;
- the API, from its OpenAPI schema and with real tokens: hostile query and path
  values, each leaf of a valid JSON body replaced by a wrong type or value or removed,
  broken bodies and hostile tokens.

Every request runs in a savepoint that is rolled back, so each one sees the demo data
as seeded. Failures are collected and reported together, grouped by cause.

The machinery, which the tests below share through one campaign (the demo is seeded
and every page read once, for all of them): fuzz_values.py (what is sent),
fuzz_discovery.py (URL patterns, forms, the query names a view reads), fuzz_client.py
(sending, with no network, and noting failures), fuzz_writes.py (what a request wrote),
fuzz_world.py (the demo ids and what is not fuzzed, and why) and fuzz_campaign.py (the
crawl of every page and the verdict).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from tests.portal.fuzz_campaign import Page, seeded_campaign, verdict
from tests.portal.fuzz_client import Fuzzer, Outcome
from tests.portal.fuzz_discovery import Form
from tests.portal.fuzz_values import (
    FORM_VALUES,
    HOSTILE_BODIES,
    HOSTILE_JSON,
    ONE_AT_A_TIME,
    QUERY_VALUES,
    SOME_VALUES,
    leaves,
    multipart,
    query,
    valid_body,
    wire,
    with_leaf,
)
from tests.portal.fuzz_world import (
    ACTING_AS,
    BY_NAME,
    BY_ROUTE,
    COMMON_NAMES,
    CSRF,
    EXCLUDED,
    LIGHTLY,
    POST_WITHOUT_FORM,
    plausible_values,
)

# Every test, so that pytest-django sets the test database up for the module's fixture.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def campaign(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module in a transaction rolled back at its end,
    and every page read as every persona: the five tests share it."""
    with django_db_blocker.unblock(), seeded_campaign() as seeded:
        yield seeded


# --- The tests ---------------------------------------------------------------------------


def test_every_url_pattern_is_fuzzed_or_excluded_on_purpose(campaign):
    names = {r.name for r in campaign.routes} | {
        f"{r.namespace}:*" for r in campaign.routes if r.namespace
    }
    mappings = {
        "EXCLUDED": EXCLUDED,
        "BY_ROUTE": BY_ROUTE,
        "ACTING_AS": ACTING_AS,
        "POST_WITHOUT_FORM": POST_WITHOUT_FORM,
    }
    for mapping, routes_named in mappings.items():
        stale = sorted(set(routes_named) - names)
        assert not stale, f"{mapping} names routes that no longer exist: {stale}"
    assert not campaign.unfillable, (
        "These URL patterns have kwargs this test cannot fill: map them in BY_NAME or "
        "BY_ROUTE of tests/portal/fuzz_world.py (with real ids of the demo), or "
        "exclude them there with the reason.\n" + "\n".join(campaign.unfillable)
    )
    with_forms = {name for name, _ in campaign.forms}
    posted = {
        p.route.name
        for p in campaign.reachable()
        if p.persona != "contributor"
        and p.post_status not in (404, 405)
        and p.route.namespace != "api"  # JSON: the API test sends it what it reads
    }
    formless = sorted(posted - with_forms - set(POST_WITHOUT_FORM))
    assert not formless, (
        "These views take a POST, but no page read shows their form: add a page that "
        "does to FORM_PAGES of tests/portal/fuzz_world.py, or the route to "
        "POST_WITHOUT_FORM with the reason.\n" + "\n".join(formless)
    )
    # The fuzz reaches the views: the admin sees the project's pages and their forms.
    seen = {p.route.name for p in campaign.reachable("admin") if p.status == 200}
    assert {"projects:detail", "projects:step", "metrics:dashboard"} <= seen
    assert {
        "projects:edit",
        "projects:item_state",
        "assessments:gap_to_item",
    } <= with_forms
    # Reading every page as it is, and posting it nothing, is the first fuzz.
    verdict(campaign, "crawl")


def test_the_write_watch_sees_a_write_and_not_one_undone(campaign):
    """The check behind "nothing written on a refusal": an insert, a delete and (on
    PostgreSQL) an update are seen; a write a savepoint undid is not."""
    from projects.models import Notification, Team

    watch, team = campaign.fuzzer.watch, campaign.world.project.team

    def written(change: Callable[[], object]) -> set[str]:
        with transaction.atomic():
            started = watch.start()
            change()
            seen = set(watch.written(started))
            transaction.set_rollback(True)
        return seen

    def undone() -> None:
        with transaction.atomic():
            Team.objects.create(name="Undone", slug="undone")
            transaction.set_rollback(True)

    assert "projects_team" in written(
        lambda: Team.objects.create(name="Fuzz", slug="fuzz")
    )
    assert "projects_notification" in written(
        lambda: Notification.objects.filter(pk=campaign.world.notification.pk).delete()
    )
    if connection.vendor == "postgresql":
        assert "projects_team" in written(
            lambda: Team.objects.filter(pk=team.pk).update(description="Changed")
        )
    assert "projects_team" not in written(undone)
    assert written(lambda: None) == set()


def test_no_query_string_causes_a_server_error_or_a_write(campaign):
    fuzzer = campaign.fuzzer
    plausible = plausible_values(campaign.world)
    pages = [p for p in campaign.reachable() if p.status != 405]
    # Names most pages read (the layout's search box): fuzzed on one page per persona.
    shown = [p for p in pages if p.persona == "admin" and p.status == 200]
    ambient = {
        name
        for name in set().union(*(p.reads for p in shown))
        if sum(name in p.reads for p in shown) > len(shown) / 2
    }
    every_name = sorted(
        set(COMMON_NAMES)
        | {n for p in pages for n in p.reads}
        | {n for names in campaign.get_form_names.values() for n in names}
    )
    first: set[str] = set()

    def get(page: Page, pairs: list[tuple[str, str]], name: str, label: str) -> bool:
        """Whether the view refused it."""
        url = f"{page.url}?{query(pairs)}"
        return fuzzer.send(
            page.persona, "GET", url, field_name=name, value=label
        ).refused

    def alone(page: Page, names: set[str], name: str) -> list[tuple[str, str]]:
        """The other names with plausible values."""
        return [
            (n, wire(plausible[n])) for n in sorted(names - {name}) if n in plausible
        ]

    fuzzed_elsewhere: set[tuple[str, str]] = set()
    for page in pages:
        names = (
            page.reads | campaign.get_form_names.get(page.route.name, set())
        ) - ambient
        if page.persona not in first and page.status == 200:
            first.add(page.persona)
            names |= ambient
        for name in page.read_elsewhere & names:
            if (page.persona, name) in fuzzed_elsewhere:
                names.discard(name)
            fuzzed_elsewhere.add((page.persona, name))
        if not names:
            continue  # its view reads no query parameter
        one_by_one = page.route.name not in LIGHTLY and page.persona != "contributor"
        values = QUERY_VALUES if one_by_one else SOME_VALUES
        for value in values:
            # Every name at once: also those the page was not seen reading, which its
            # view may read in a state the crawl did not put it in (but a megabyte for
            # each of them would be too much).
            pairs = [
                (n, value.wire) for n in (sorted(names) if value.huge else every_name)
            ]
            refused = get(page, pairs, "(every name)", value.label)
            # A refusal of one name may have hidden what the others would have done.
            again = names if refused and one_by_one and len(names) > 1 else set()
            # Some names are read only once others mean something (start, end once
            # range=custom): each of those alone, the others plausible.
            again |= page.read_in_context if one_by_one else set()
            for name in sorted(again):
                get(
                    page,
                    [*alone(page, names, name), (name, value.wire)],
                    name,
                    value.label,
                )
        get(
            page,
            [(n, v) for n in sorted(names) for v in ("1", "2")],
            "(every name)",
            "repeated key",
        )
    verdict(campaign, "query")


def _family(name: str) -> str:
    """level-3 and level-4 (one field per criterion) are fuzzed as one."""
    return re.sub(r"\d+", "N", name)


def _post(
    fuzzer: Fuzzer,
    persona: str,
    form: Form,
    pairs: list[tuple[str, str]],
    field_name: str,
    value: str,
) -> Outcome:
    if form.enctype == "multipart/form-data":
        body, content_type = multipart(pairs)
    else:
        body, content_type = query(pairs).encode(), "application/x-www-form-urlencoded"
    return fuzzer.send(
        persona,
        "POST",
        form.action,
        body=body,
        content_type=content_type,
        field_name=field_name,
        value=value,
    )


def test_no_form_value_causes_a_server_error_or_a_write_on_refusal(campaign):
    fuzzer = campaign.fuzzer
    done: set[tuple[str, str, str]] = set()
    variants: set[tuple[str, tuple[str, ...]]] = set()
    for (route_name, _), (persona, form) in sorted(campaign.forms.items()):
        filled = [(n, wire(v)) for n, v in form.fields]
        csrf = [(n, v) for n, v in filled if n == CSRF]
        inputs = [n for n in form.names() if n != CSRF]
        everything = list(dict.fromkeys(inputs + COMMON_NAMES))
        _post(fuzzer, persona, form, filled, "(as filled)", "")
        # A form without inputs (a button), or another button of a form already sent:
        # a few values are enough.
        variant = (route_name, tuple(inputs))
        values = FORM_VALUES if inputs and variant not in variants else SOME_VALUES
        variants.add(variant)
        _post(
            fuzzer,
            persona,
            form,
            csrf + [(n, v) for n in inputs for v in ("1", "2")],
            "(every field)",
            "repeated key",
        )
        # Every value in every field at once; what a field accepts there is sent to it
        # alone afterwards, the others as filled, to reach the code behind the form.
        accepted: dict[str, list[str]] = {}
        for value in values:
            outcome = _post(
                fuzzer,
                persona,
                form,
                csrf + [(n, value.wire) for n in everything],
                "(every field)",
                value.label,
            )
            for name in inputs:
                if outcome.field_errors is None or name not in outcome.field_errors:
                    accepted.setdefault(name, []).append(value.label)
        for name in inputs:
            kind = form.kinds[name]
            key = (route_name, _family(name), kind)
            if key in done:
                continue  # level-3 like level-2; a field common to several kinds
            done.add(key)
            others = [(n, v) for n, v in filled if n != name]
            for value in ONE_AT_A_TIME[kind]:
                if value.huge or value.label in accepted.get(name, []):
                    _post(
                        fuzzer,
                        persona,
                        form,
                        [*others, (name, value.wire)],
                        name,
                        value.label,
                    )
    with_forms = {name for name, _ in campaign.forms}
    for page in campaign.reachable():
        if page.post_status == 405 or page.persona == "contributor":
            continue
        fuzzer.send(
            page.persona,
            "POST",
            page.url,
            body=json.dumps(dict.fromkeys(COMMON_NAMES, "1")).encode(),
            content_type="application/json",
            field_name="(JSON body)",
        )
        if page.route.name in with_forms or page.persona != "admin":
            continue
        for value in SOME_VALUES:
            fuzzer.send(
                page.persona,
                "POST",
                page.url,
                body=query([(n, value.wire) for n in COMMON_NAMES]).encode(),
                field_name="(every name)",
                value=value.label,
            )
    verdict(campaign, "form")


def test_no_api_input_causes_a_server_error_or_a_write_on_refusal(campaign):
    from metrics.api import api

    fuzzer, w = campaign.fuzzer, campaign.world
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    # The token each security scheme takes: a real one of the world.
    tokens = {
        "PersonalTokenAuth": w.secrets["personal"],
        "TokenAuth": w.secrets["push"],
    }
    shallow: list[str] = []  # operations whose valid request is refused
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            schemes = [name for s in operation.get("security", []) for name in s]
            unknown = [s for s in schemes if s not in tokens]
            assert not unknown, f"{method} {path}: no token for {unknown}; add one"
            headers = (
                {"Authorization": f"Bearer {tokens[schemes[0]]}"} if schemes else {}
            )
            params = operation.get("parameters", [])
            path_values = {
                p["name"]: BY_NAME[p["name"]](w)[0] for p in params if p["in"] == "path"
            }
            url = path.format_map(path_values)

            def send(
                target: str,
                body: bytes = b"",
                content_type: str = "application/json",
                field_name: str = "",
                value: str = "",
                auth: dict[str, str] = headers,
                verb: str = method.upper(),
            ) -> Outcome:
                return fuzzer.send(
                    "anonymous",
                    verb,
                    target,
                    body=body,
                    content_type=content_type,
                    headers=auth,
                    field_name=field_name,
                    value=value,
                )

            # As a client would send it: the rest is only as deep as this goes.
            if "requestBody" not in operation and send(url).status != 200:
                shallow.append(f"{method.upper()} {url}")
            for label, token in (
                ("no token", None),
                ("30 digits", "9" * 30),
                ("superscript two", "²"),
                ("1 MB", "a" * 1_000_000),
            ):
                send(
                    url,
                    auth={"Authorization": f"Bearer {token}"} if token else {},
                    field_name="Authorization",
                    value=label,
                )
            for p in params:
                for value in QUERY_VALUES:
                    if p["in"] == "query":
                        send(
                            f"{url}?{query([(p['name'], value.wire)])}",
                            field_name=p["name"],
                            value=value.label,
                        )
                    elif p["in"] == "path":
                        send(
                            re.sub(r"\{" + p["name"] + r"\}", value.wire, path),
                            field_name=p["name"],
                            value=value.label,
                        )
            content = (operation.get("requestBody") or {}).get("content", {})
            if "application/json" not in content:
                continue
            valid = valid_body(path, content["application/json"]["schema"], components)
            if send(url, json.dumps(valid).encode(), field_name="(valid)").refused:
                shallow.append(f"{method.upper()} {url} with {json.dumps(valid)}")
            for label, body, content_type in HOSTILE_BODIES:
                send(url, body, content_type, "(body)", label)
            for leaf in leaves(valid):
                where = ".".join(map(str, leaf))
                for label, literal in HOSTILE_JSON:
                    send(
                        url,
                        with_leaf(valid, leaf, literal),
                        field_name=where,
                        value=label,
                    )
                send(
                    url, with_leaf(valid, leaf, None), field_name=where, value="missing"
                )
    assert not shallow, (
        "A valid request is refused, so the fuzz stops at validation; make the "
        "example valid (tests/portal/fuzz_values.py, valid_body()):\n"
        + "\n".join(shallow)
    )
    verdict(campaign, "api")
