from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Runway portal"

    def ready(self) -> None:
        from core import fragments as mechanism
        from core import lookups  # noqa: F401  (registers ``any_of``)
        from portal.audit_pack import audit_pack_activity
        from projects.activity import register_source

        from . import fragments, signals  # noqa: F401  (connect the authentication audit log)

        register_source(audit_pack_activity)
        fragments.declare_all()
        mechanism.connect()
