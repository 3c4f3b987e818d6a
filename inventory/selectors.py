"""Reads of the inventory: the admins' lists, a project's models with their traffic,
and the rollup rows detection reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from inventory import detection
from inventory.detection import Approval, Row, Unit
from inventory.models import AIModel, ProjectModel, Vendor
from metrics.models import Alert, DailyRollup
from projects.models import Project
from projects.roles import GlobalRole

if TYPE_CHECKING:
    from portal.models import User

# How far back a project's Models tab adds up each model's traffic.
RECENT_DAYS = 30


def traffic_rows(
    *, since: date, until: date, project: Project | None = None
) -> QuerySet[DailyRollup]:
    """The rollups that may name a model, from live sources, for ``[since, until]``:
    the rows of ``detection.TRAFFIC_METRICS`` with a dimension."""
    rows = DailyRollup.objects.filter(
        day__gte=since,
        day__lte=until,
        metric__in=[m.value for m in detection.TRAFFIC_METRICS],
        service__deleted_at__isnull=True,
    ).exclude(dimension="")
    if project is not None:
        rows = rows.filter(project=project)
    return rows


def project_traffic(project: Project, *, since: date, until: date) -> list[Row]:
    """``detection.usage``'s input for one project; one query."""
    return [
        (metric, dimension, service_id, day, value)
        for metric, dimension, service_id, day, value in traffic_rows(
            since=since, until=until, project=project
        ).values_list("metric", "dimension", "service_id", "day", "value")
    ]


def projects_with_traffic(*, since: date, until: date) -> list[int]:
    """The ids of the projects whose sources reported traffic per model in the window."""
    return list(
        traffic_rows(since=since, until=until)
        .order_by("project_id")
        .values_list("project_id", flat=True)
        .distinct()
    )


def models_by_key(keys: set[str]) -> dict[str, AIModel]:
    """The inventory's models whose names match ``keys`` (``detection.key_of``)."""
    if not keys:
        return {}
    return {
        detection.key_of(m.name): m
        for m in AIModel.objects.alias(key=Lower("name")).filter(key__in=keys)
    }


def approvals(models: dict[str, AIModel]) -> dict[str, Approval]:
    return {
        key: Approval(m.approval, m.max_classification) for key, m in models.items()
    }


@dataclass(frozen=True)
class ModelRow:
    """A model as a project's Models tab shows it."""

    use: ProjectModel
    allowed: bool  # it may see this project's data
    volume: Decimal | None  # over the last RECENT_DAYS days; None: no traffic
    unit: Unit | None

    @property
    def volume_text(self) -> str:
        if self.volume is None or self.unit is None:
            return ""
        return detection.volume_text(self.volume, self.unit)


def project_models(project: Project, *, today: date) -> list[ModelRow]:
    """The models the project uses, declared or detected, each with whether it may
    serve the project and its traffic over the last ``RECENT_DAYS`` days. Two
    queries."""
    uses = list(
        ProjectModel.objects.filter(project=project)
        .select_related("model__vendor", "declared_by")
        .order_by(Lower("model__name"))
    )
    traffic = detection.totals(
        detection.usage(
            project_traffic(
                project, since=today - timedelta(days=RECENT_DAYS - 1), until=today
            )
        )
    )
    rows = []
    for use in uses:
        volume, unit = traffic.get(detection.key_of(use.model.name), (None, None))
        rows.append(
            ModelRow(
                use=use,
                allowed=detection.may_serve(
                    use.model.approval,
                    use.model.max_classification,
                    project.data_classification,
                ),
                volume=volume,
                unit=unit,
            )
        )
    return rows


def open_model_alert(project: Project) -> Alert | None:
    """The project's open "model" alert, if any."""
    return Alert.objects.filter(
        project=project, kind=Alert.Kind.MODEL, status=Alert.Status.OPEN
    ).first()


def declarable_models() -> QuerySet[AIModel]:
    """The models an owner may pick from when declaring one."""
    return AIModel.objects.select_related("vendor").order_by(Lower("name"))


# --- The admins' lists ----------------------------------------------------------------


def vendor_list(
    *, kind: str = "", overdue: bool = False, today: date
) -> QuerySet[Vendor]:
    """Vendors by name with how many models each has; ``overdue``: only those whose
    next review has passed."""
    vendors = Vendor.objects.annotate(model_count=Count("ai_models")).order_by(
        Lower("name"), "pk"
    )
    if kind:
        vendors = vendors.filter(kind=kind)
    if overdue:
        vendors = vendors.filter(next_review_on__lt=today)
    return vendors


def model_list(*, approval: str = "", vendor: str = "") -> QuerySet[AIModel]:
    """Models by name with their vendor and how many projects use them; ``vendor`` is
    a vendor's id, or "none" for the models nobody has classified."""
    models = (
        AIModel.objects.select_related("vendor")
        .annotate(project_count=Count("project_uses"))
        .order_by(Lower("name"), "pk")
    )
    if approval:
        models = models.filter(approval=approval)
    if vendor == "none":
        models = models.filter(vendor__isnull=True)
    elif vendor:
        models = models.filter(vendor_id=vendor)
    return models


def model_uses(model: AIModel) -> list[ProjectModel]:
    """The projects that use a model, by name."""
    return list(
        model.project_uses.select_related("project").order_by(Lower("project__name"))
    )


def vendor_choices() -> list[tuple[int, str]]:
    return list(Vendor.objects.order_by(Lower("name")).values_list("pk", "name"))


def admins() -> QuerySet[User]:
    """The active people with the admin role."""
    users: QuerySet[User] = get_user_model().objects.filter(
        Q(groups__name=GlobalRole.ADMIN), is_active=True
    )
    return users.distinct().order_by("pk")
