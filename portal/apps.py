from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Runway portal"

    def ready(self) -> None:
        from . import lookups, signals  # noqa: F401  (register ``any_of``; connect the authentication audit log)
