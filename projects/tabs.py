"""The tabs of a project's pages. Higher apps add theirs in ``AppConfig.ready()``,
so the project header never needs to know them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str  # reversed with the project's slug
    order: int
    needs_edit: bool = False


_tabs: dict[str, Tab] = {}


def register_tab(tab: Tab) -> None:
    _tabs[tab.key] = tab


def project_tabs(slug: str, *, may_edit: bool) -> list[tuple[Tab, str]]:
    """The tabs a user sees on a project, in order, with their URLs."""
    return [
        (tab, reverse(tab.url_name, kwargs={"slug": slug}))
        for tab in sorted(_tabs.values(), key=lambda t: t.order)
        if may_edit or not tab.needs_edit
    ]


register_tab(Tab("overview", "Overview", "projects:detail", 10))
register_tab(Tab("steps", "Steps", "projects:steps", 20))
register_tab(Tab("members", "Members", "projects:members", 70))
register_tab(Tab("activity", "Activity", "projects:activity", 80))
register_tab(Tab("settings", "Settings", "projects:edit", 90, needs_edit=True))
