from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Runway portal"

    def ready(self) -> None:
        from core import fragments as mechanism

        from . import fragments, lookups, signals  # noqa: F401  (register ``any_of``; connect the authentication audit log)

        fragments.declare_all()
        mechanism.connect()
