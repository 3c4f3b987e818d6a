from __future__ import annotations

from django.apps import AppConfig
from django.db.models import Exists, OuterRef


def uses_unapproved_model() -> Exists:
    """An open "model" alert on the project: traffic went to a model that may not see
    its data (``projects.risk``: one of the at-risk signals)."""
    from metrics.models import Alert

    return Exists(
        Alert.objects.filter(
            project=OuterRef("pk"),
            kind=Alert.Kind.MODEL,
            status=Alert.Status.OPEN,
        )
    )


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Vendors and models"

    def ready(self) -> None:
        from inventory.services import models_detect
        from projects.profile import on_profile_change
        from projects.risk import RiskSignal, register_signal
        from projects.tabs import Tab, register_tab

        register_tab(Tab("models", "Models", "inventory:project", 49))
        register_signal(
            RiskSignal(
                "uses_unapproved_model",
                uses_unapproved_model,
                lambda p: "model not approved for its data",
                order=22,
            )
        )
        # A project whose data class changes may no longer use the models it does.
        on_profile_change(lambda project: models_detect(project=project))
