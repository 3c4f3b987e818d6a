"""A form saved without being touched changes nothing: its dates come back as the
browser's date input reads them (ISO), so an unchanged save cannot erase them.

Every form in the apps that has a date field is listed in ``ROUND_TRIPS``; a new one
fails ``test_every_form_with_a_date_is_round_tripped`` until it is added here."""

from __future__ import annotations

import inspect
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse

from assessments import forms as assessment_forms
from metrics import forms as metric_forms
from portal import forms as portal_forms
from projects import forms as project_forms
from projects.models import ChecklistItem, ProjectStep
from risks import forms as risk_forms

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RiskForm's round trip is in tests/risks/test_register_views.py.
ROUND_TRIPS = {"ProjectForm", "StepForm", "ItemDetailsForm", "RiskForm"}
# Forms that only ever start empty: there is no saved date to lose.
NEW_OBJECTS_ONLY = {"ProjectCreateForm", "AcceptanceRequestForm"}


def _forms_with_dates() -> set[str]:
    found = set()
    for module in (
        project_forms,
        assessment_forms,
        metric_forms,
        portal_forms,
        risk_forms,
    ):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, forms.BaseForm)
                and cls.__module__ == module.__name__
                and not name.endswith("Mixin")
                and any(
                    isinstance(f, forms.DateField) for f in cls.base_fields.values()
                )
            ):
                found.add(name)
    return found


def test_every_form_with_a_date_is_round_tripped():
    assert _forms_with_dates() == ROUND_TRIPS | NEW_OBJECTS_ONLY


class _Forms(HTMLParser):
    """What a browser would submit from each form of a page, by the form's action."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: dict[str, list[tuple[str, str]]] = {}
        self._action: str | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._action = a.get("action") or self.page_url
            self.forms.setdefault(self._action, [])
        elif self._action is None or "name" not in a and tag != "option":
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            value = a.get("value", "")
            if kind == "date" and not ISO_DATE.fullmatch(value):
                # The browser's value sanitisation: a date input holding anything but
                # YYYY-MM-DD is empty, and is submitted empty.
                value = ""
            if kind not in ("submit", "button", "file"):
                self.forms[self._action].append((a["name"], value))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.forms[self._action].append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[self._action].append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea and self._action is not None:
            name, text = self.forms[self._action][-1]
            self.forms[self._action][-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _submit_unchanged(client, page_url: str, action: str):
    parser = _Forms(page_url)
    parser.feed(client.get(page_url).content.decode())
    assert action in parser.forms, f"no form posts to {action} on {page_url}"
    data: dict[str, list[str]] = {}
    for name, value in parser.forms[action]:
        data.setdefault(name, []).append(value.removeprefix("\n"))
    response = client.post(action, data)
    assert response.status_code in (200, 302), response.status_code
    return response


def test_project_settings_saved_unchanged_keep_the_target_launch_date(client, people):
    project = people["project"]
    project.target_launch_date = date(2027, 6, 30)
    project.save()
    client.force_login(people["owner"])
    url = reverse("projects:edit", args=[project.slug])

    _submit_unchanged(client, url, url)

    project.refresh_from_db()
    assert project.target_launch_date == date(2027, 6, 30)


def test_a_step_saved_unchanged_keeps_its_due_date(client, people):
    project = people["project"]
    step = ProjectStep.objects.get(project=project, step__number=1)
    step.due_date = date(2027, 1, 31)
    step.save()
    client.force_login(people["owner"])

    _submit_unchanged(
        client,
        reverse("projects:step", args=[project.slug, 1]),
        reverse("projects:step_update", args=[project.slug, 1]),
    )

    step.refresh_from_db()
    assert step.due_date == date(2027, 1, 31)


def test_an_item_saved_unchanged_keeps_its_due_date(client, people):
    project = people["project"]
    item = ChecklistItem.objects.filter(project=project, step__number=1).first()
    item.due_date = date(2027, 2, 28)
    item.save()
    client.force_login(people["owner"])

    _submit_unchanged(
        client,
        reverse("projects:step", args=[project.slug, 1]),
        reverse("projects:item_update", args=[project.slug, item.pk]),
    )

    item.refresh_from_db()
    assert item.due_date == date(2027, 2, 28)
