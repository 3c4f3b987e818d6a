from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models import Exists, OuterRef, Subquery


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


def unapproved_model_traffic() -> Subquery:
    """The open model alert's words: the model, the day and the volume."""
    from metrics.models import Alert

    return Subquery(
        Alert.objects.filter(
            project=OuterRef("pk"),
            kind=Alert.Kind.MODEL,
            status=Alert.Status.OPEN,
        )
        .order_by("-opened_at", "-pk")
        .values("message")[:1]
    )


def unapproved_model_reason(project: Any) -> str:
    detail = getattr(project, "uses_unapproved_model_detail", None)
    return (
        f"model not approved for its data ({detail})"
        if detail
        else ("model not approved for its data")
    )


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Vendors and models"

    def ready(self) -> None:
        from inventory.services import models_detect
        from metrics.alert_pages import register_alert_page
        from metrics.models import Alert
        from projects.profile import on_profile_change
        from projects.risk import RiskSignal, register_signal
        from projects.tabs import Tab, register_tab

        register_tab(Tab("models", "Models", "inventory:project", 49))
        register_alert_page(Alert.Kind.MODEL, "inventory:project")
        register_signal(
            RiskSignal(
                "uses_unapproved_model",
                uses_unapproved_model,
                unapproved_model_reason,
                order=22,
                detail=unapproved_model_traffic,
            )
        )
        # A project whose data class changes may no longer use the models it does.
        on_profile_change(lambda project: models_detect(project=project))
