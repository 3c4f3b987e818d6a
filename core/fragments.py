"""Cached fragments and the data they read: one map, one way to invalidate.

A fragment is something rendered or computed from the database and kept in the cache
(a page of the projects table, a project's dashboard body, the unread count). Each is
declared once (``declare``; Runway's map is ``portal/fragments.py``) with the models
it reads, its scope and how long it may be kept at most. Every save or delete of a
model that some fragment reads moves the versions of those fragments (``connect``
hooks up the signals); writes that bypass ``save()`` (bulk inserts, upserts) say so
with ``data_changed``. Readers ask for a fragment with ``cached``.

Scope: a fragment of scope ``PROJECT`` (or ``USER``) is kept per project (or person)
and moved by changes to that project's (person's) rows only; a change whose row
names no project (or person) moves every project's (person's) copy. The timeout
bounds what no signal announces: the clock (a step becomes stalled, today ends) and
writes made around the models.

``tests/portal/test_fragment_map.py`` builds every declared fragment with an empty
cache and fails if its queries read a table its declaration does not name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from core import versions

T = TypeVar("T")


class Scope(enum.Enum):
    ALL = "all"
    PROJECT = "project"
    USER = "user"


@dataclass(frozen=True)
class Fragment:
    name: str
    reads: frozenset[str]  # model labels, "app_label.ModelName"
    scope: Scope
    timeout: int  # seconds
    why: str  # what it is, and what bounds its timeout


# A row of this model is the project itself; others name theirs in ``project_id``.
PROJECT_MODEL = "projects.Project"

# Saves that change nothing any fragment shows: signing in stamps ``last_login``.
QUIET_UPDATES: dict[str, frozenset[str]] = {"portal.User": frozenset({"last_login"})}

_FRAGMENTS: dict[str, Fragment] = {}


def declare(*fragments: Fragment) -> None:
    for fragment in fragments:
        _FRAGMENTS[fragment.name] = fragment


def declared() -> tuple[Fragment, ...]:
    return tuple(_FRAGMENTS.values())


def _all_key(name: str) -> str:
    return f"fragment:{name}"


def _scoped_key(name: str, owner: int) -> str:
    return f"fragment:{name}:{owner}"


def cached(
    name: str,
    key: str,
    build: Callable[[], T],
    *,
    project_id: int | None = None,
    user_id: int | None = None,
) -> T:
    """``build()``'s value for the fragment ``name`` (``key`` tells its variants
    apart: filters, page, viewer, day), kept until what the fragment reads changes
    or its timeout passes."""
    fragment = _FRAGMENTS[name]
    owner = {Scope.ALL: None, Scope.PROJECT: project_id, Scope.USER: user_id}[
        fragment.scope
    ]
    if fragment.scope is not Scope.ALL and owner is None:
        raise ValueError(f"The fragment {name} is kept per {fragment.scope.value}.")
    keys = [_all_key(name)]
    if owner is not None:
        keys.append(_scoped_key(name, owner))
    return versions.cached(
        keys,
        f"fragment:{name}:{owner}:{key}",
        build,
        timeout=fragment.timeout,
    )


def data_changed(
    model: str | type[Model],
    *,
    project_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """Rows of ``model`` changed (for the project or person named, else for any):
    every fragment that reads it is built again on its next request."""
    label = model if isinstance(model, str) else model._meta.label
    keys = []
    for fragment in _FRAGMENTS.values():
        if label not in fragment.reads:
            continue
        owner = {Scope.ALL: None, Scope.PROJECT: project_id, Scope.USER: user_id}[
            fragment.scope
        ]
        keys.append(
            _all_key(fragment.name)
            if owner is None
            else _scoped_key(fragment.name, owner)
        )
    if keys:
        versions.changed(keys)


def _owners(instance: Model) -> dict[str, int | None]:
    project_id = (
        instance.pk
        if instance._meta.label == PROJECT_MODEL
        else getattr(instance, "project_id", None)
    )
    return {"project_id": project_id, "user_id": getattr(instance, "user_id", None)}


def _saved(
    sender: type[Model],
    instance: Model,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    quiet = QUIET_UPDATES.get(sender._meta.label)
    if quiet and update_fields is not None and set(update_fields) <= quiet:
        return
    data_changed(sender, **_owners(instance))


def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    data_changed(sender, **_owners(instance))


def _related_changed(
    sender: type[Model], instance: Model, action: str, **kwargs: Any
) -> None:
    if action.startswith("post_"):
        data_changed(sender, **_owners(instance))


def connect() -> None:
    """Hook every model some fragment reads up to the signals that announce its
    changes (once; call from the top app's ``ready()``)."""
    labels = set().union(*(f.reads for f in _FRAGMENTS.values()))
    for label in sorted(labels):
        model = apps.get_model(label)
        uid = f"fragments-{label}"
        if model._meta.auto_created:  # a many-to-many table
            m2m_changed.connect(_related_changed, sender=model, dispatch_uid=uid)
            continue
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")
