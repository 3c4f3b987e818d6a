from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Runway portal"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the authentication audit log)
