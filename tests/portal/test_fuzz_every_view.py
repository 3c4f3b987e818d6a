"""Every URL and every form, sent hostile input: no answer is a server error, and a
refused request writes nothing (issue #16, section 1).

The URL patterns are found by walking the resolver, the query parameters by noting
what each view reads, and the forms by reading the pages they are on, so a new view or
form is fuzzed without anyone remembering to. A new URL kwarg this file cannot fill, or
a new POST view whose form is on no page it reads, fails
``test_every_url_pattern_is_fuzzed_or_excluded_on_purpose`` until it is mapped below.
The ids are the demo portfolio's (``seed_demo``), plus the few things the demo does not
make (tokens, an invitation, an organisation account, an observability source), made
here through the services.

What is sent, as an admin (the most views), a project contributor and anonymously
(hostile values: tests/portal/fuzzing.py):

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
"""

from __future__ import annotations

import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.portal.fuzzing import (
    FORM_VALUES,
    HOSTILE_BODIES,
    HOSTILE_JSON,
    ONE_AT_A_TIME,
    QUERY_VALUES,
    SOME_VALUES,
    Form,
    Fuzzer,
    Outcome,
    Route,
    WriteWatch,
    example,
    forms_of,
    leaves,
    multipart,
    query,
    routes,
    same_site_path,
    wire,
    with_leaf,
)

# Every test, so that pytest-django sets the test database up for the module's fixture.
pytestmark = pytest.mark.django_db

# --- What is not fuzzed, on purpose ---------------------------------------------------

EXCLUDED: dict[str, str] = {
    # Django's own admin, for staff: its views and forms are Django's, and its URLs
    # take any object id of any model as a path.
    "admin:*": "Django's admin",
    # Signing out ends the session the rest of the fuzz runs in; it reads no input.
    "account_logout": "signs the persona out",
}

# Failures whose cause lies in code another engineer owns at the time (connectors,
# forms being reworked…) and has been reported to them: a temporary list, emptied as
# they are fixed. Each entry is a cause as the report prints it after "[server error]",
# with the database's vendor before it ("sqlite: …") when it happens on that database
# only. The fuzz tests fail when an entry no longer occurs, so that it only shrinks.
KNOWN_CAUSES_OWNED_ELSEWHERE: set[str] = set()

# --- The demo world, and how URL kwargs are filled from it ----------------------------

# The demo's first projects are enough to fill every URL; seeding all of them would
# take a quarter of the test's time. A prefix of the list is seeded exactly as in the
# whole demo (its random choices are drawn project by project, in order).
DEMO_PROJECTS = 9
PROJECT = "invoice-extraction"  # at step 6: done steps and a current one, an alert
# At step 2 with gaps not yet turned into checklist items (the gap form shows) and a
# cost scenario.
ASSESSING = "sales-call-summariser"


@dataclass
class World:
    """The demo objects the URLs are filled with, by name."""

    objects: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError:
            raise AttributeError(name) from None


def _world() -> World:
    """Seed the demo and make what it lacks, through the services."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    from assessments.models import (
        CostScenario,
        CriterionScore,
        GapAssessment,
        RequirementsVersion,
    )
    from metrics import ingest
    from metrics import services as metric_services
    from metrics.models import Alert
    from portal import demo, tokens
    from portal import services as people
    from portal.invitations import invitation_tokens
    from portal.models import User
    from projects.models import (
        ChecklistItem,
        Evidence,
        ItemState,
        Membership,
        NotificationKind,
        Project,
        ProjectRole,
        SignOff,
        SignOffStatus,
    )
    from projects.notifications import notify
    from projects.roles import GlobalRole
    from projects.step_selectors import step_summaries

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "PORTFOLIO", demo.PORTFOLIO[:DEMO_PROJECTS])
        call_command("seed_demo", stdout=io.StringIO())
    w = World()
    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    admin = users["admin"]
    project = Project.objects.select_related("team").get(slug=PROJECT)
    assessing = Project.objects.get(slug=ASSESSING)
    contributor = Membership.objects.get(
        project=project, role=ProjectRole.CONTRIBUTOR
    ).user
    current = next(s.number for s in step_summaries(project) if s.is_current)
    signoff = (
        SignOff.objects.filter(status=SignOffStatus.PENDING)
        .select_related("project", "step", "signer")
        .first()
    )
    invited = people.user_invite(
        email="invited@runway.example",
        first_name="Ivo",
        last_name="Invited",
        roles=[GlobalRole.PRODUCT_MANAGER],
        teams=[project.team],
        invited_by=admin,
        base_url="http://testserver/",
    )
    personal, w.secrets["personal"] = tokens.api_token_create(
        user=admin, name="BI refresh", lifetime=None
    )
    push, w.secrets["push"] = ingest.token_create(
        project=project, name="production API", created_by=admin
    )
    w.objects.update(
        admin=admin,
        contributor=contributor,
        colleague=users["marco"],
        project=project,
        assessing=assessing,
        signoff=signoff,
        current_step=current,
        item=ChecklistItem.objects.filter(
            project=project, step__number=current, applicable=True, state=ItemState.OPEN
        ).first(),
        evidence=Evidence.objects.filter(item__project=project).first(),
        membership=Membership.objects.get(project=project, user=contributor),
        gap=next(
            (
                s
                for s in CriterionScore.objects.filter(
                    assessment=GapAssessment.objects.filter(project=assessing).first()
                )
                if s.is_gap
            ),
            None,
        ),
        scenario=CostScenario.objects.filter(project=assessing).first(),
        version=RequirementsVersion.objects.filter(document__project=project)
        .order_by("-number")
        .first(),
        alert=Alert.objects.filter(project=project).first(),
        personal_token=personal,
        push_token=push,
        org_service=metric_services.service_create(
            project=None,
            kind="openai",
            name="OpenAI",
            created_by=admin,
            credentials={"admin_key": "sk-admin-fuzz"},
        ),
        service=metric_services.service_create(
            project=project,
            kind="langfuse",
            name="Langfuse",
            created_by=admin,
            credentials={"public_key": "pk-lf-fuzz", "secret_key": "sk-lf-fuzz"},
        ),
        notification=notify(
            user=admin,
            kind=NotificationKind.SIGNOFF_REQUESTED,
            message="A sign-off waits for you.",
            url=project.get_absolute_url(),
            project=project,
        ),
        invitation=(
            urlsafe_base64_encode(force_bytes(invited.pk)),
            invitation_tokens.make_token(invited),
        ),
        reset=(user_pk_to_url_str(admin), default_token_generator.make_token(admin)),
    )
    missing = [name for name, value in w.objects.items() if value is None]
    assert not missing, f"The demo data no longer has: {missing}"
    return w


def _kinds(organisation: bool) -> list[str]:
    from metrics.forms import KIND_FIELDS
    from metrics.views import ORG_KINDS

    return list(ORG_KINDS) if organisation else list(KIND_FIELDS)


# Each URL kwarg by name, on every route that has it: the values to try.
BY_NAME: dict[str, Callable[[World], list[Any]]] = {
    "slug": lambda w: [w.project.slug],
    # A step that is done (reopen, history) and the current one (sign-offs, gate).
    "number": lambda w: [2, w.current_step],
    "uidb64": lambda w: [w.invitation[0]],
    "token": lambda w: [w.invitation[1]],
    "uidb36": lambda w: [w.reset[0]],
    # No OpenID Connect provider is configured in tests: the id one would have.
    "provider_id": lambda w: ["sso"],
}

# Per route, the kwargs that mean something else there (``pk`` is another model on
# each route), as functions of the world.
BY_ROUTE: dict[str, Callable[[World], dict[str, list[Any]]]] = {
    "portal:user_detail": lambda w: {"pk": [w.colleague.pk]},
    "portal:user_deactivate": lambda w: {"pk": [w.colleague.pk]},
    "portal:user_reactivate": lambda w: {"pk": [w.colleague.pk]},
    "portal:api_token_revoke": lambda w: {"pk": [w.personal_token.pk]},
    "portal:team_edit": lambda w: {"pk": [w.project.team_id]},
    "projects:member_remove": lambda w: {"pk": [w.membership.pk]},
    "projects:signoff_decide": lambda w: {
        "slug": [w.signoff.project.slug],
        "pk": [w.signoff.pk],
    },
    "projects:item_state": lambda w: {"pk": [w.item.pk]},
    "projects:item_update": lambda w: {"pk": [w.item.pk]},
    "projects:evidence_add": lambda w: {"pk": [w.item.pk]},
    "projects:evidence_remove": lambda w: {"pk": [w.evidence.pk]},
    "projects:evidence_download": lambda w: {"pk": [w.evidence.pk]},
    "notifications:open": lambda w: {"pk": [w.notification.pk]},
    "assessments:requirements_approve": lambda w: {"number": [w.version.number]},
    "assessments:gap_to_item": lambda w: {
        "slug": [w.assessing.slug],
        "pk": [w.gap.pk],
    },
    "assessments:cost_scenario": lambda w: {
        "slug": [w.assessing.slug],
        "pk": [w.scenario.pk],
    },
    "assessments:cost_scenario_delete": lambda w: {
        "slug": [w.assessing.slug],
        "pk": [w.scenario.pk],
    },
    "metrics:org_add": lambda w: {"kind": _kinds(organisation=True)},
    "metrics:org_replace_key": lambda w: {"pk": [w.org_service.pk]},
    "metrics:org_remove": lambda w: {"pk": [w.org_service.pk]},
    "metrics:service_settings": lambda w: {"pk": [w.service.pk]},
    "metrics:alert_acknowledge": lambda w: {"pk": [w.alert.pk]},
    "metrics:connect": lambda w: {"kind": _kinds(organisation=False)},
    "metrics:map": lambda w: {"kind": _kinds(organisation=True)},
    "metrics:replace_key": lambda w: {"pk": [w.service.pk]},
    "metrics:sync": lambda w: {"pk": [w.service.pk]},
    "metrics:status": lambda w: {"pk": [w.service.pk]},
    "metrics:remove": lambda w: {"pk": [w.service.pk]},
    "metrics:token_revoke": lambda w: {"pk": [w.push_token.pk]},
    # A key of the shape allauth makes: no address waits for confirmation here.
    "account_confirm_email": lambda w: {"key": ["MQ:1uZ3Fx:fuzzfuzzfuzzfuzzfuzz"]},
    "account_reset_password_from_key": lambda w: {"key": [w.reset[1]]},
}

# Who sends a route's requests instead of every persona: only the person asked for a
# sign-off may decide it.
ACTING_AS: dict[str, str] = {"projects:signoff_decide": "reviewer"}


# Pages read for forms besides every route's own, as (persona, URL).
def _signoff_step(w: World) -> str:
    """The step page of the sign-off waiting for the reviewer."""
    return reverse(
        "projects:step",
        kwargs={"slug": w.signoff.project.slug, "number": w.signoff.step.number},
    )


FORM_PAGES: list[Callable[[World], tuple[str, str]]] = [
    lambda w: ("reviewer", _signoff_step(w)),  # the decision
    lambda w: ("admin", _signoff_step(w)),  # asking for a sign-off
    lambda w: (
        "admin",
        reverse("assessments:project", kwargs={"slug": w.assessing.slug}),
    ),
]

# POST views with no form on any page read: they get every name at once instead.
POST_WITHOUT_FORM: dict[str, str] = {
    "portal:user_reactivate": "its button shows only for a deactivated person",
    "assessments:requirements_approve": "its button shows only for an unapproved version",
    "metrics:sources": "its form shows only when two sources feed one metric",
    "account_signup": "sign-up is closed: people are invited",
    "account_confirm_email": "no address waits for confirmation",
    # The link's key moves into the session on the first request, and every request's
    # session is rolled back with the rest.
    "account_reset_password_from_key": "a two-step link",
    "mfa_deactivate_totp": "nobody in the demo has an authenticator",
    "mfa_download_recovery_codes": "nobody in the demo has recovery codes",
    "socialaccount_connections": "nobody in the demo has a connected account",
    "django.views.generic.base.RedirectView": "allauth's old addresses, redirected",
    "account_set_password": "everyone in the demo has a password",
    "account_confirm_login_code": "signing in by emailed code is off",
    "mfa_activate_totp": "allauth asks to reauthenticate first",
    "mfa_authenticate": "a step of signing in with an authenticator",
    "mfa_reauthenticate": "nobody in the demo has an authenticator",
    "mfa_generate_recovery_codes": "nobody in the demo has an authenticator",
    "socialaccount_signup": "a step of signing in with single sign-on",
    "usersessions_list": "its form shows only with another session to end",
    "assessments:assessment_draft_discard": "its button shows only while a draft is kept",
}

PERSONAS = ("admin", "contributor", "anonymous")

# Routes sent a few hostile values in every name at once only (SOME_VALUES), not each
# value nor one name at a time. The contributor's pages are sent as much: they run the
# admin's code with narrower access, and the admin's are fuzzed in full.
LIGHTLY: dict[str, str] = {
    # WeasyPrint takes a second a page; the view reads its filters with the very code
    # of portal:board_report, which is fuzzed in full.
    "portal:board_report_pdf": "a PDF of the board report",
}


def _plausible(w: World) -> dict[str, str]:
    """Values of query parameters that mean something: the context each one is
    fuzzed in."""
    today = timezone.localdate()
    return {
        "range": "custom",
        "start": (today - timedelta(days=30)).isoformat(),
        "end": today.isoformat(),
        "since": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "page": "2",
        "figure": "cost",
        "a": "1",
        "b": "2",
        "step": "3",
        "status": "on_track",
        "team": w.project.team.slug,
        "framework": "gdpr",
        "owner": str(w.admin.pk),
        "sort": "-name",
        "at_risk": "1",
        "mine": "1",
        "flagged": "1",
        "org_service": str(w.org_service.pk),
    }


# Names sent with every hostile value at once, besides those seen read or in a form:
# a view may read a name only in a state the crawl did not put it in.
COMMON_NAMES = [
    "q", "team", "step", "owner", "status", "framework", "range", "start", "end",
    "since", "page", "offset", "limit", "sort", "project", "service", "metric",
    "figure", "a", "b", "at_risk", "mine", "flagged", "outcome", "assessed",
    "org_service", "next", "kind", "id", "pk", "number", "date", "due_date",
]  # fmt: skip

# Names a template reads as attributes of request.GET (``request.GET.items``): Django's
# template lookup tries them as keys first.
_QUERYDICT_ATTRIBUTES = {"items", "keys", "values", "lists", "urlencode", "dict"}
# Not an input of any view: Django's CSRF check reads it, and tests do not enforce it.
CSRF = "csrfmiddlewaretoken"


# --- The campaign: the module's data and what reading every page found ----------------


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


@pytest.fixture(scope="module")
def campaign(django_db_setup, django_db_blocker):
    """The demo, seeded once for the module in a transaction rolled back at its end,
    and every page read as every persona."""
    with (
        django_db_blocker.unblock(),
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
        world = _world()
        # What the seed left to do at commit (send tasks and emails) never runs: this
        # transaction is rolled back. Django would scan the list at every savepoint
        # rollback, which made each request of the fuzz tens of milliseconds slower.
        connection.run_on_commit.clear()
        clients = {
            persona: Client(raise_request_exception=False)
            for persona in (*PERSONAS, "reviewer")
        }
        clients["admin"].force_login(world.admin)
        clients["contributor"].force_login(world.contributor)
        clients["reviewer"].force_login(world.signoff.signer)
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
            yield _crawl(Campaign(world, fuzzer, routes()))
        transaction.set_rollback(True)


def _crawl(c: Campaign) -> Campaign:
    """Read every URL as every persona: what each view reads, and the forms."""
    by_name = {r.name: r for r in c.routes}
    plausible = _plausible(c.world)

    def route_of(path: str) -> Route | None:
        try:
            return by_name.get(resolve(urlsplit(path).path).view_name)
        except Resolver404:
            return None

    def read(persona: str, route: Route, url: str) -> None:
        reads: dict[str, bool] = {}
        got = c.fuzzer.send(persona, "GET", url, reads=reads, field_name="(as is)")
        plain = set(reads) - _QUERYDICT_ATTRIBUTES
        context = [(n, wire(plausible[n])) for n in sorted(plain) if n in plausible]
        if context:  # once some names mean something, more may be read
            c.fuzzer.send(
                persona,
                "GET",
                f"{url}?{query(context)}",
                reads=reads,
                field_name="(plausible)",
            )
        names = set(reads) - _QUERYDICT_ATTRIBUTES
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


def _verdict(campaign: Campaign, test: str) -> None:
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


FUZZ_TESTS = {"crawl", "query", "form", "api"}


# --- The tests ---------------------------------------------------------------------------


def test_every_url_pattern_is_fuzzed_or_excluded_on_purpose(campaign):
    names = {r.name for r in campaign.routes} | {
        f"{r.namespace}:*" for r in campaign.routes if r.namespace
    }
    for mapping in ("EXCLUDED", "BY_ROUTE", "ACTING_AS", "POST_WITHOUT_FORM"):
        stale = sorted(set(globals()[mapping]) - names)
        assert not stale, f"{mapping} names routes that no longer exist: {stale}"
    assert not campaign.unfillable, (
        "These URL patterns have kwargs this test cannot fill: map them in BY_NAME or "
        "BY_ROUTE (with real ids of the demo), or exclude them with the reason.\n"
        + "\n".join(campaign.unfillable)
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
        "does to FORM_PAGES, or the route to POST_WITHOUT_FORM with the reason.\n"
        + "\n".join(formless)
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
    _verdict(campaign, "crawl")


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
    plausible = _plausible(campaign.world)
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
    _verdict(campaign, "query")


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
    _verdict(campaign, "form")


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
            valid = example(content["application/json"]["schema"], components)
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
        "example valid (tests/portal/fuzzing.py, example()):\n" + "\n".join(shallow)
    )
    _verdict(campaign, "api")
