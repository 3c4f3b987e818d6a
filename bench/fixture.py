"""Who the timed requests come from and what they ask for.

Sessions are written straight into the session store (no password round trip), and
the objects the requests name (a project well into its steps, a checklist item its
owner ticks, push tokens) are picked from the generated portfolio.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench import config
from bench.server import Request

PAGE_ITEMS = [
    "portfolio",
    "portfolio_cold",
    "projects_list",
    "project_page",
    "project_page_cold",
    "chart_partial",
    "table_partial",
    "checklist_toggle",
]
EMPTY = "empty"
EMPTY_POST = "empty_post"
EMPTY_URL = "/__bench__/empty/"
# Each item's floor counts the empty view as that item's own requests reach it: the
# same signed-in session and method, so a form post's CSRF check is in both.
EMPTY_OF = dict.fromkeys(PAGE_ITEMS, EMPTY) | {"checklist_toggle": EMPTY_POST}
EMPTIES = [EMPTY, EMPTY_POST]


@dataclass
class Fixture:
    """The signed-in sessions and the objects the timed requests use."""

    executive_session: str
    pm_session: str
    csrf: str
    project_slug: str
    toggle_slug: str
    toggle_item: int
    tokens: list[tuple[int, str]]  # (project id, secret)
    copy_project: int
    copy_service: int


def sign_in(user: Any) -> str:
    """A session as allauth's login leaves it, made without a password round trip."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def make_fixture(scale: config.Scale) -> Fixture:
    from django.db import transaction

    from bench.generate_portfolio import EXECUTIVE_EMAIL
    from metrics import ingest
    from portal.models import User
    from projects.models import ChecklistItem, Membership, ProjectStep

    executive = User.objects.get(email=EXECUTIVE_EMAIL)
    # The project page and dashboard: a project well into the steps, with metrics.
    in_progress = list(
        ProjectStep.objects.filter(status="in_progress", step__number__gte=4)
        .order_by("project_id")
        .values_list("project__slug", "project_id", "step_id")
    )
    slug = in_progress[len(in_progress) // 2][0]
    # The checklist toggle: an item of a current step, ticked by the project's owner.
    _, toggle_project, toggle_step = in_progress[0]
    item = (
        ChecklistItem.objects.filter(project_id=toggle_project, step_id=toggle_step)
        .select_related("project")
        .order_by("pk")
        .first()
    )
    assert item is not None
    owner = Membership.objects.get(project_id=toggle_project, role="owner").user
    projects = list(
        Membership.objects.filter(role="owner")
        .order_by("project_id")
        .values_list("project_id", "user_id")[: max(10, scale.ingest_batches)]
    )
    tokens = []
    for project_id, user_id in projects:
        token, secret = ingest.token_create(
            project=project_of(project_id), name="bench", created_by=User(pk=user_id)
        )
        tokens.append((project_id, secret))
    copy_project = projects[-1][0]
    with transaction.atomic():
        copy_service = ingest.push_service(project_of(copy_project)).pk
    return Fixture(
        executive_session=sign_in(executive),
        pm_session=sign_in(owner),
        csrf=secrets.token_hex(16),  # 32 characters: Django's unmasked token format
        project_slug=slug,
        toggle_slug=item.project.slug,
        toggle_item=item.pk,
        tokens=tokens,
        copy_project=copy_project,
        copy_service=copy_service,
    )


def project_of(pk: int) -> Any:
    from projects.models import Project

    return Project.objects.get(pk=pk)


def page_requests(fx: Fixture) -> dict[str, Callable[[int], Request]]:
    """Each timed item as a function of the request's number (the toggle alternates)."""
    exe, pm = fx.executive_session, fx.pm_session
    toggle_path = f"/projects/{fx.toggle_slug}/items/{fx.toggle_item}/state/"
    return {
        "portfolio": lambda n: Request("portfolio", "GET", "/", exe),
        "portfolio_cold": lambda n: Request("portfolio_cold", "GET", "/", exe),
        "projects_list": lambda n: Request("projects_list", "GET", "/projects/", exe),
        "project_page": lambda n: Request(
            "project_page", "GET", f"/projects/{fx.project_slug}/", exe
        ),
        "project_page_cold": lambda n: Request(
            "project_page_cold", "GET", f"/projects/{fx.project_slug}/", exe
        ),
        "chart_partial": lambda n: Request(
            "chart_partial",
            "GET",
            f"/projects/{fx.project_slug}/dashboard/?range=30",
            exe,
            htmx_target="dashboard-body",
        ),
        "table_partial": lambda n: Request(
            "table_partial",
            "GET",
            "/projects/?page=2",
            exe,
            htmx_target="project-table",
        ),
        "checklist_toggle": lambda n: Request(
            "checklist_toggle",
            "POST",
            toggle_path,
            pm,
            htmx_target=f"item-{fx.toggle_item}-head",  # as the step page asks
            body=urlencode({"state": "done" if n % 2 == 0 else "open"}).encode(),
        ),
        EMPTY: lambda n: Request(EMPTY, "GET", EMPTY_URL, exe),
        EMPTY_POST: lambda n: Request(
            EMPTY_POST,
            "POST",
            EMPTY_URL,
            pm,
            htmx_target=f"item-{fx.toggle_item}-head",
            body=urlencode({"state": "done" if n % 2 == 0 else "open"}).encode(),
        ),
    }
