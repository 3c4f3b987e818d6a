"""Demo users, one per role, and a few projects. Safe to run again."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from controls.services import import_shipped
from portal import services as people
from portal.demo import build_portfolio
from portal.models import User
from projects import membership_services
from projects.audit import acting_as
from projects.models import (
    Notification,
    NotificationKind,
    SignOff,
    SignOffStatus,
    Team,
)
from projects.notifications import notifications_changed
from projects.roles import GlobalRole

DEMO_USERS = [
    ("admin@runway.example", "Ada", "Admin", [GlobalRole.ADMIN]),
    ("exec@runway.example", "Erin", "Executive", [GlobalRole.EXECUTIVE]),
    ("pm@runway.example", "Priya", "Manager", [GlobalRole.PRODUCT_MANAGER]),
    ("lead@runway.example", "Leo", "Lead", [GlobalRole.ENGINEERING_LEAD]),
    ("reviewer@runway.example", "Rosa", "Reviewer", [GlobalRole.REVIEWER]),
]
# People without a global role: they take part through project roles.
DEMO_COLLEAGUES = [
    ("marco@runway.example", "Marco", "Rossi", [GlobalRole.PRODUCT_MANAGER]),
    ("kim@runway.example", "Kim", "Nakamura", [GlobalRole.ENGINEERING_LEAD]),
    ("dana@runway.example", "Dana", "Okafor", []),
]
DEMO_TEAMS = [
    "Customer Support",
    "Claims Operations",
    "Sales Enablement",
    "Legal Operations",
    "Payments",
    "Platform Engineering",
    "People Operations",
    "Finance Operations",
    "Marketing",
    "Operations",
]


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and a portfolio of projects. Idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the existing demo accounts a new password and print it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.RUNWAY_DEMO_PASSWORD or secrets.token_urlsafe(12)
        with transaction.atomic(), acting_as(None):
            created = self._users(password, reset=options["reset_passwords"])
            users = {
                email: User.objects.get(email=email)
                for email, *_ in DEMO_USERS + DEMO_COLLEAGUES
            }
            teams = self._teams(users)
            # Before the projects: each follows its frameworks' libraries from the start.
            import_shipped()
            projects = build_portfolio(
                people={
                    "pm": users["pm@runway.example"],
                    "lead": users["lead@runway.example"],
                    "reviewer": users["reviewer@runway.example"],
                    "executive": users["exec@runway.example"],
                },
                extra_people=[users[email] for email, *_ in DEMO_COLLEAGUES],
                teams=teams,
            )
            if projects:
                self._settle_notifications()
        if projects:
            self.stdout.write(
                f"Created {projects} demo projects across the seven steps."
            )
        self._report(created, password)

    def _settle_notifications(self) -> None:
        """The demo's history happened "before": nobody needs an email about it, and
        only the sign-offs still waiting are news."""
        now = timezone.now()
        Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=now)
        waiting = set(
            SignOff.objects.filter(status=SignOffStatus.PENDING).values_list(
                "project_id", "signer_id"
            )
        )
        stale = [
            n.pk
            for n in Notification.objects.filter(read_at__isnull=True)
            if not (
                n.kind == NotificationKind.SIGNOFF_REQUESTED
                and (n.project_id, n.user_id) in waiting
            )
        ]
        Notification.objects.filter(pk__in=stale).update(read_at=now)
        notifications_changed(
            Notification.objects.filter(pk__in=stale).values_list("user_id", flat=True)
        )

    def _users(self, password: str, *, reset: bool) -> list[str]:
        created = []
        for email, first, last, roles in DEMO_USERS + DEMO_COLLEAGUES:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, password, first_name=first, last_name=last
                )
                created.append(email)
            elif reset:
                user.set_password(password)
                user.save(update_fields=["password"])
                created.append(email)
            people.user_set_access(user=user, roles=roles, teams=list(user.teams.all()))
        return created

    def _teams(self, users: dict[str, User]) -> dict[str, Team]:
        teams = {}
        for name in DEMO_TEAMS:
            team = Team.objects.filter(
                name=name
            ).first() or membership_services.team_create(name=name)
            # Only add who is missing: every add is recorded in the team's history.
            present = set(team.members.values_list("pk", flat=True))
            missing = [u for u in users.values() if u.pk not in present]
            if missing:
                team.members.add(*missing)
            teams[name] = team
        return teams

    def _report(self, created: list[str], password: str) -> None:
        if not created:
            self.stdout.write(
                "Demo data is already in place (passwords unchanged; "
                "`manage.py seed_demo --reset-passwords` prints new ones)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS("Demo accounts (sign in at http://127.0.0.1:8000):")
        )
        for email, _, _, roles in DEMO_USERS:
            if email in created:
                self.stdout.write(f"  {email:<26} {', '.join(r.value for r in roles)}")
        if settings.RUNWAY_DEMO_PASSWORD:
            self.stdout.write("  password: the value of RUNWAY_DEMO_PASSWORD")
        else:
            self.stdout.write(
                f"  password: {password}   (shown once; set RUNWAY_DEMO_PASSWORD to choose it)"
            )
