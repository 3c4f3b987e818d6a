"""Global roles (Django groups) and the questions asked of them.

Admin is a group, not Django's superuser flag: admins work in Runway's own pages.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User


class GlobalRole(StrEnum):
    ADMIN = "Admin"
    EXECUTIVE = "Executive"
    PRODUCT_MANAGER = "Product manager"
    ENGINEERING_LEAD = "Engineering lead"
    REVIEWER = "Reviewer"


def global_roles(user: User | AnonymousUser) -> frozenset[str]:
    """The names of the user's global roles, loaded once per request."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_runway_roles", None)
    if cached is None:
        names: Any = user.groups.values_list("name", flat=True)
        cached = frozenset(names)
        setattr(user, "_runway_roles", cached)  # noqa: B010  (a per-request memo, not a model field)
    return cached


def forget_roles(user: User) -> None:
    """Drop the cached roles after they changed."""
    if hasattr(user, "_runway_roles"):
        del user._runway_roles


def has_role(user: User | AnonymousUser, role: GlobalRole) -> bool:
    return role.value in global_roles(user)


def is_admin(user: User | AnonymousUser) -> bool:
    return has_role(user, GlobalRole.ADMIN)


def sees_all_projects(user: User | AnonymousUser) -> bool:
    roles = global_roles(user)
    return GlobalRole.ADMIN in roles or GlobalRole.EXECUTIVE in roles


def may_create_projects(user: User | AnonymousUser) -> bool:
    roles = global_roles(user)
    return bool(
        roles
        & {GlobalRole.ADMIN, GlobalRole.PRODUCT_MANAGER, GlobalRole.ENGINEERING_LEAD}
    )


def primary_role(user: User | AnonymousUser) -> str:
    """The role to show beside the user's name: the most powerful they hold."""
    roles = global_roles(user)
    for role in GlobalRole:
        if role.value in roles:
            return role.value
    return "Member"
