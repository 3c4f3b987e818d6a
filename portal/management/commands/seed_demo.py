"""Demo users, one per role, and a few projects. Safe to run again."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from portal import services as people
from portal.models import User
from projects import services as project_services
from projects.audit import acting_as
from projects.models import Membership, Project, ProjectRole, ProjectStatus, Team
from projects.roles import GlobalRole

DEMO_USERS = [
    ("admin@runway.example", "Ada", "Admin", [GlobalRole.ADMIN]),
    ("exec@runway.example", "Erin", "Executive", [GlobalRole.EXECUTIVE]),
    ("pm@runway.example", "Priya", "Manager", [GlobalRole.PRODUCT_MANAGER]),
    ("lead@runway.example", "Leo", "Lead", [GlobalRole.ENGINEERING_LEAD]),
    ("reviewer@runway.example", "Rosa", "Reviewer", [GlobalRole.REVIEWER]),
]
DEMO_TEAMS = ["Customer Support", "Claims Operations", "Sales Enablement"]
DEMO_PROJECTS = [
    ("Support Copilot", "Customer Support", ProjectStatus.ON_TRACK,
     "Drafts answers for support agents from the help centre and past tickets."),
    ("Claims Intake Assistant", "Claims Operations", ProjectStatus.AT_RISK,
     "Reads claim documents and pre-fills the intake form under HIPAA."),
    ("Sales Call Summariser", "Sales Enablement", ProjectStatus.PAUSED,
     "Summarises recorded sales calls into CRM notes and next steps."),
]


class Command(BaseCommand):
    help = "Create the demo accounts (one per role) and a few projects. Idempotent."

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
            users = {email: User.objects.get(email=email) for email, *_ in DEMO_USERS}
            teams = self._teams(users)
            with acting_as(users["pm@runway.example"]):
                self._projects(users, teams)
        self._report(created, password)

    def _users(self, password: str, *, reset: bool) -> list[str]:
        created = []
        for email, first, last, roles in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, password, first_name=first, last_name=last)
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
            team = Team.objects.filter(name=name).first() or project_services.team_create(name=name)
            team.members.add(*users.values())
            teams[name] = team
        return teams

    def _projects(self, users: dict[str, User], teams: dict[str, Team]) -> None:
        pm, lead = users["pm@runway.example"], users["lead@runway.example"]
        for name, team, status, summary in DEMO_PROJECTS:
            if Project.objects.filter(name=name).exists():
                continue
            project = project_services.project_create(
                name=name, team=teams[team], owner=pm, lead=lead, summary=summary
            )
            project.status = status
            project.save(update_fields=["status"])
            Membership.objects.create(
                project=project, user=users["reviewer@runway.example"], role=ProjectRole.REVIEWER
            )

    def _report(self, created: list[str], password: str) -> None:
        if not created:
            self.stdout.write(
                "Demo data is already in place (passwords unchanged; "
                "`manage.py seed_demo --reset-passwords` prints new ones)."
            )
            return
        self.stdout.write(self.style.SUCCESS("Demo accounts (sign in at http://127.0.0.1:8000):"))
        for email, _, _, roles in DEMO_USERS:
            if email in created:
                self.stdout.write(f"  {email:<26} {', '.join(r.value for r in roles)}")
        if settings.RUNWAY_DEMO_PASSWORD:
            self.stdout.write("  password: the value of RUNWAY_DEMO_PASSWORD")
        else:
            self.stdout.write(f"  password: {password}   (shown once; set RUNWAY_DEMO_PASSWORD to choose it)")
