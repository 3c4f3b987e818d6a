"""Writes about people: invitations, global roles, teams, deactivation."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.invitations import invitation_tokens
from portal.models import User
from projects.models import Membership, ProjectRole, Team
from projects.roles import GlobalRole, forget_roles

log = logging.getLogger("runway.security")


def invitation_path(user: User) -> str:
    return reverse(
        "portal:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )


@transaction.atomic
def user_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[GlobalRole],
    teams: Iterable[Team],
    invited_by: User,
    base_url: str,
) -> User:
    """Create the account without a password and email a one-time link to set one."""
    user = User.objects.create_user(
        email=email,
        first_name=first_name,
        last_name=last_name,
        invited_by=invited_by,
        invited_at=timezone.now(),
    )
    user_set_access(user=user, roles=roles, teams=teams)
    link = base_url.rstrip("/") + invitation_path(user)
    context = {"user": user, "invited_by": invited_by, "link": link}
    # Sent after commit: no email for an invitation that was rolled back.
    transaction.on_commit(
        lambda: send_mail(
            subject="You are invited to Runway",
            message=render_to_string("portal/email/invitation.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    )
    log.info(
        "user invited",
        extra={"event": "user.invited", "user_id": user.pk, "by": invited_by.pk},
    )
    return user


@transaction.atomic
def user_set_access(
    *, user: User, roles: Iterable[GlobalRole], teams: Iterable[Team]
) -> None:
    """Replace the user's global roles and team memberships."""
    roles = list(roles)
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in roles]
    user.groups.set(groups)
    # Written from the team's side: Team keeps the history of its members, and a
    # reverse write (user.teams.set) hands a User to Team's history hook, which fails.
    wanted = set(teams)
    current = set(user.teams.all())
    for team in current - wanted:
        team.members.remove(user)
    for team in wanted - current:
        team.members.add(user)
    # Admins edit the catalogs (steps, checklist templates, prices) in the Django admin.
    is_admin = any(role is GlobalRole.ADMIN for role in roles)
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    forget_roles(user)


@transaction.atomic
def invitation_accept(*, user: User, password: str) -> User:
    """Set the first password. Opening the emailed link proves the address is the
    invitee's, so it is recorded as verified (single sign-on relies on that)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    log.info(
        "invitation accepted",
        extra={"event": "user.invitation_accepted", "user_id": user.pk},
    )
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> None:
    """Block the user at once; their history stays. Owners must be replaced first."""
    if user == actor:
        raise ValidationError("You cannot deactivate your own account.")
    owned = list(
        Membership.objects.filter(
            user=user, role=ProjectRole.OWNER, project__archived_at__isnull=True
        ).values_list("project__name", flat=True)
    )
    if owned:
        raise ValidationError(
            f"{user.display_name} still owns {', '.join(owned)}. "
            "Name a new owner for each project first."
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Inactive users are already refused by the authentication backend on their
    # next request; ending the tracked sessions removes them outright.
    for session in UserSession.objects.filter(user=user):
        session.end()
    log.info(
        "user deactivated",
        extra={"event": "user.deactivated", "user_id": user.pk, "by": actor.pk},
    )


@transaction.atomic
def user_reactivate(*, user: User, actor: User) -> None:
    user.is_active = True
    user.save(update_fields=["is_active"])
    log.info(
        "user reactivated",
        extra={"event": "user.reactivated", "user_id": user.pk, "by": actor.pk},
    )
