from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "controls"
    verbose_name = "Framework controls"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from controls.activity import controls_activity
        from projects.activity import register_source
        from projects.models import Project
        from projects.tabs import Tab, register_tab

        register_tab(Tab("controls", "Controls", "controls:project", 48))
        register_source(controls_activity)
        m2m_changed.connect(
            _frameworks_changed,
            sender=Project.frameworks.through,
            dispatch_uid="controls-pin-frameworks",
        )


def _frameworks_changed(sender: Any, instance: Any, action: str, **_: Any) -> None:
    """A project that joins a framework follows the newest version of its library; one
    that leaves it stops following it."""
    from controls.services import pin_project
    from projects.models import Project

    if action in {"post_add", "post_remove", "post_clear"} and isinstance(
        instance, Project
    ):
        pin_project(instance)
