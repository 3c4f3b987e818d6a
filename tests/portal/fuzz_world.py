"""The world the fuzz test (test_fuzz_every_view.py) runs in: the demo, seeded, and
what it lacks made through the services; how each URL kwarg is filled from it; and
what is not fuzzed, or fuzzed lightly, on purpose and why."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

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

# The demo's first projects are enough to fill every URL, and seeding is much of the
# test's time. A prefix of the list is seeded exactly as in the whole demo (its random
# choices are drawn project by project, in order).
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


def seed_world() -> World:
    """Seed the demo and make what it lacks, through the services."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    from assessments.models import (
        CostScenario,
        CriterionScore,
        GapAssessment,
        RequirementsVersion,
    )
    from evaluations import services as evaluation_services
    from integrations import services as integration_services
    from inventory.models import AIModel, ProjectModel, Vendor
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
    from risks import services as risk_services
    from risks.models import AcceptanceStatus, LibraryRisk, Risk, RiskAcceptance

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
        vendor=Vendor.objects.order_by("pk").first(),
        ai_model=AIModel.objects.order_by("pk").first(),
        project_model=ProjectModel.objects.filter(project=project).first(),
        # Raised over the threshold, so that its page shows the acceptance request.
        risk=risk_services.risk_update(
            risk=Risk.objects.filter(project=project, status="open")
            .exclude(acceptances__status=AcceptanceStatus.PENDING)
            .first(),
            residual_likelihood=3,
            residual_impact=5,
        ),
        suggestion=Risk.objects.filter(project=project, status="suggested").first(),
        acceptance=RiskAcceptance.objects.filter(status=AcceptanceStatus.PENDING)
        .select_related("risk__project")
        .first(),
        library_risk=LibraryRisk.objects.first(),
        executive=users["exec"],
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
        evaluation_run=evaluation_services.run_record(
            project=project,
            summary=evaluation_services.RunSummary(
                kind="evaluation",
                external_id="fuzz-eval",
                ran_at=timezone.now() - timedelta(days=1),
                dataset_name="fuzz set",
                scores={"faithfulness": Decimal("0.9")},
            ),
            origin="push",
        )[0],
        load_test=evaluation_services.run_record(
            project=project,
            summary=evaluation_services.RunSummary(
                kind="load_test",
                external_id="fuzz-load",
                ran_at=timezone.now() - timedelta(days=1),
                achieved_rps=Decimal("20"),
                p95_latency_ms=Decimal("900"),
                error_rate_pct=Decimal("0.5"),
            ),
            origin="push",
        )[0],
        # Its address resolves nowhere (no test resolves a real name), so a fuzzed
        # "Send test" is logged as failed without leaving the machine.
        channel=integration_services.channel_create(
            project=project,
            kind="webhook",
            name="Ops webhook",
            url="https://hooks.example.com/runway",
            events=["alert.opened"],
            created_by=admin,
        )[0],
        team_channel=integration_services.channel_create(
            team=project.team,
            kind="webhook",
            name="Team webhook",
            url="https://hooks.example.com/team",
            events=["alert.opened"],
            created_by=admin,
        )[0],
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
    "team_pk": lambda w: [w.project.team_id],
    # A framework the project is under (its controls) and one it is not.
    "code": lambda w: ["soc2", "hipaa"],
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
    "inventory:remove": lambda w: {"pk": [w.project_model.pk]},
    "inventory:vendor_edit": lambda w: {"pk": [w.vendor.pk]},
    "inventory:model_edit": lambda w: {"pk": [w.ai_model.pk]},
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
    "risks:edit": lambda w: {"pk": [w.risk.pk]},
    "risks:suggestion": lambda w: {"pk": [w.suggestion.pk]},
    "risks:acceptance_request": lambda w: {"pk": [w.risk.pk]},
    "risks:acceptance_decide": lambda w: {
        "slug": [w.acceptance.risk.project.slug],
        "pk": [w.acceptance.pk],
    },
    "risks:library_edit": lambda w: {"pk": [w.library_risk.pk]},
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
    "integrations:channel": lambda w: {"pk": [w.channel.pk]},
    "integrations:settings": lambda w: {"pk": [w.channel.pk]},
    "integrations:test": lambda w: {"pk": [w.channel.pk]},
    "integrations:switch": lambda w: {"pk": [w.channel.pk]},
    "integrations:rotate_secret": lambda w: {"pk": [w.channel.pk]},
    "integrations:delete": lambda w: {"pk": [w.channel.pk]},
    "evaluations:run": lambda w: {"pk": [w.evaluation_run.pk, w.load_test.pk]},
    "evaluations:accept": lambda w: {"pk": [w.evaluation_run.pk]},
    "integrations:team_channel": lambda w: {"pk": [w.team_channel.pk]},
    "integrations:team_settings": lambda w: {"pk": [w.team_channel.pk]},
    "integrations:team_test": lambda w: {"pk": [w.team_channel.pk]},
    "integrations:team_switch": lambda w: {"pk": [w.team_channel.pk]},
    "integrations:team_rotate_secret": lambda w: {"pk": [w.team_channel.pk]},
    "integrations:team_delete": lambda w: {"pk": [w.team_channel.pk]},
    # A key of the shape allauth makes: no address waits for confirmation here.
    "account_confirm_email": lambda w: {"key": ["MQ:1uZ3Fx:fuzzfuzzfuzzfuzzfuzz"]},
    "account_reset_password_from_key": lambda w: {"key": [w.reset[1]]},
}

# Who sends a route's requests instead of every persona: only the person asked for a
# sign-off may decide it.
ACTING_AS: dict[str, str] = {
    "projects:signoff_decide": "reviewer",
    "risks:acceptance_decide": "executive",
}


# Pages read for forms besides every route's own, as (persona, URL).
def _signoff_step(w: World) -> str:
    """The step page of the sign-off waiting for the reviewer."""
    return reverse(
        "projects:step",
        kwargs={"slug": w.signoff.project.slug, "number": w.signoff.step.number},
    )


def _acceptance_page(w: World) -> str:
    """The page where an executive decides the waiting risk acceptance."""
    return reverse(
        "risks:acceptance_request",
        kwargs={"slug": w.acceptance.risk.project.slug, "pk": w.acceptance.risk_id},
    )


FORM_PAGES: list[Callable[[World], tuple[str, str]]] = [
    lambda w: ("executive", _acceptance_page(w)),  # the decision
    lambda w: (  # the request
        "admin",
        reverse(
            "risks:acceptance_request", kwargs={"slug": w.project.slug, "pk": w.risk.pk}
        ),
    ),
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
    "evaluations:accept": "its form shows only to the project's lead or owner, and no "
    "persona is either (admins may not accept a baseline)",
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
    "controls:move": "its button shows only when a newer version of a library is imported",
}

PERSONAS = ("admin", "contributor", "anonymous")

# Routes sent a few hostile values in every name at once only (SOME_VALUES), not each
# value nor one name at a time. The contributor's pages are sent as much: they run the
# admin's code with narrower access, and the admin's are fuzzed in full.
LIGHTLY: dict[str, str] = {
    # WeasyPrint is slow to render a page; the view reads its filters with the very
    # code of portal:board_report, which is fuzzed in full.
    "portal:board_report_pdf": "a PDF of the board report",
    # They read no parameters: the project is in the path, and each one is a PDF.
    "portal:audit_pack_pdf": "a project's audit pack as a PDF",
    "portal:audit_pack_zip": "a project's audit pack as a ZIP",
    "controls:soa_pdf": "a statement of applicability as a PDF",
}


def plausible_values(w: World) -> dict[str, str]:
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
        "org_service": str(w.org_service.pk),
    }


# Names sent with every hostile value at once, besides those seen read or in a form:
# a view may read a name only in a state the crawl did not put it in.
COMMON_NAMES = [
    "q", "team", "step", "owner", "status", "framework", "range", "start", "end",
    "since", "page", "offset", "limit", "sort", "project", "service", "metric",
    "figure", "a", "b", "at_risk", "mine", "outcome", "assessed",
    "org_service", "next", "kind", "id", "pk", "number", "date", "due_date",
]  # fmt: skip

# Names a template reads as attributes of request.GET (``request.GET.items``): Django's
# template lookup tries them as keys first.
QUERYDICT_ATTRIBUTES = {"items", "keys", "values", "lists", "urlencode", "dict"}
# Not an input of any view: Django's CSRF check reads it, and tests do not enforce it.
CSRF = "csrfmiddlewaretoken"
