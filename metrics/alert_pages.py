"""Where each kind of alert is explained: the dashboard, unless the app that opens
alerts of a kind registers its own page (``register_alert_page`` in its
``AppConfig.ready()``), so links and messages about an alert lead to the same place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:
    from metrics.models import Alert

_PAGES: dict[str, str] = {}  # alert kind -> URL name taking the project's slug


def register_alert_page(kind: str, url_name: str) -> None:
    _PAGES[kind] = url_name


def alert_page(alert: Alert) -> str:
    name = _PAGES.get(alert.kind)
    if name is None:  # a metric's alert: the dashboard's list of open alerts
        url = reverse("metrics:dashboard", kwargs={"slug": alert.project.slug})
        return f"{url}#alerts-heading"
    return reverse(name, kwargs={"slug": alert.project.slug})
