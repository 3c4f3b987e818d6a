"""Every write to the inventory: vendors and models (admins), the models a project
declares, what its metrics show it uses, and the alert when a model may not serve it.
History rows are written by django-simple-history (``AuditTrail``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inventory import detection, selectors
from inventory.detection import Usage
from inventory.models import AIModel, ProjectModel, Vendor
from metrics.alerts import alert_keep
from metrics.models import Alert
from projects.models import NotificationKind, Project
from projects.notifications import notify

if TYPE_CHECKING:
    from portal.models import User

logger = logging.getLogger(__name__)


def models_url(project: Project) -> str:
    """A project's Models tab."""
    return reverse("inventory:project", kwargs={"slug": project.slug})


# --- Vendors and models (admins) ---------------------------------------------------


@transaction.atomic
def vendor_save(*, vendor: Vendor) -> Vendor:
    """Add or change a vendor. New review dates end the lapse the admins were told
    about, so that the next one is told again."""
    if vendor.pk is not None:
        before = (
            Vendor.objects.filter(pk=vendor.pk)
            .values_list("last_reviewed_on", "next_review_on")
            .first()
        )
        if before != (vendor.last_reviewed_on, vendor.next_review_on):
            vendor.review_lapse_notified_on = None
    vendor.full_clean()
    vendor.save()
    return vendor


@transaction.atomic
def ai_model_save(*, model: AIModel) -> AIModel:
    """Add or change a model. An approved model needs the most sensitive data class it
    may see. The projects that use it are checked again at once: a new verdict on a
    model opens or resolves their alerts."""
    model.name = model.name.strip()
    model.full_clean()
    model.save()
    for project in Project.objects.filter(ai_models__model=model).distinct():
        models_detect(project=project)
    return model


# --- A project's models ------------------------------------------------------------


@transaction.atomic
def model_declare(
    *,
    project: Project,
    declared_by: User,
    model: AIModel | None = None,
    name: str = "",
) -> ProjectModel:
    """The owner says the project uses a model: one of the inventory's, or one named
    here (a name the inventory does not know adds a model nobody has reviewed yet)."""
    name = name.strip()
    if (model is None) == (not name):
        raise ValidationError(
            "Choose a model from the inventory or type a new name (one of the two)."
        )
    if model is None:
        model = _model_named(name)
    # The detection holds this lock while it records the models it saw: a declaration
    # and a detection of one model then never insert the same row at once.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    use = ProjectModel.objects.filter(project=project, model=model).first()
    if use is not None and use.declared:
        raise ValidationError(f"{model.name} is declared for this project already.")
    if use is None:
        use = ProjectModel(project=project, model=model)
    use.declared = True
    use.declared_by = declared_by
    use.save()
    return use


@transaction.atomic
def model_undeclare(*, use: ProjectModel) -> None:
    """Withdraw a declaration. A model the project's metrics show it uses stays listed,
    as detected."""
    if not use.declared:
        raise ValidationError(f"{use.model.name} is not declared for this project.")
    if use.detected:
        use.declared = False
        use.declared_by = None
        use.save()
    else:
        use.delete()


def _model_named(name: str) -> AIModel:
    """The inventory's model of that name (whatever its case), added as not reviewed
    yet when there is none."""
    found = AIModel.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    try:
        # In a savepoint: a detection running at the same time may add it first.
        with transaction.atomic():
            return AIModel.objects.create(name=name)
    except IntegrityError:
        return AIModel.objects.get(name__iexact=name)


# --- Detection from the metrics ------------------------------------------------------


def models_detect(
    *, project: Project | None = None, days: int = 2, today: date | None = None
) -> list[Alert]:
    """Read the models the project's connected services reported traffic to over the
    last ``days`` days and today (every project with such traffic or an open model
    alert when ``project`` is None): record them as its models (first and last day
    seen), add the names the inventory does not know as not reviewed yet, and open the
    project's "model" alert when traffic went to a model that may not see its data, or
    resolve it when none did. Returns the alerts opened. Safe to run as often as
    wanted; each project is written in a transaction of its own."""
    today = today or timezone.localdate()
    since = today - timedelta(days=days)
    if project is not None:
        projects = [project]
    else:
        ids = set(selectors.projects_with_traffic(since=since, until=today))
        ids |= set(
            Alert.objects.filter(
                kind=Alert.Kind.MODEL, status=Alert.Status.OPEN
            ).values_list("project_id", flat=True)
        )
        projects = list(Project.objects.filter(pk__in=ids).order_by("pk"))
    opened = []
    for each in projects:
        try:
            alert = _detect(each, since=since, today=today)
        except Exception:
            # One project's failure (its transaction rolled back) must not keep the
            # others unchecked; the next sweep tries it again.
            if project is not None:
                raise
            logger.exception("model detection failed", extra={"project": each.pk})
            continue
        if alert is not None:
            opened.append(alert)
    return opened


@transaction.atomic
def _detect(project: Project, *, since: date, today: date) -> Alert | None:
    # One detection of a project at a time: the hourly sweep and an admin's new verdict
    # on a model may meet, and only one of them may open the alert.
    project = Project.objects.select_for_update().get(pk=project.pk)
    usages = detection.usage(
        selectors.project_traffic(project, since=since, until=today)
    )
    models = _models_for(usages)
    _record_seen(project, usages, models)
    found = detection.breach(
        usages, selectors.approvals(models), project.data_classification
    )
    return _alert(
        project,
        found.message(project.data_classification) if found is not None else None,
    )


def _models_for(usages: list[Usage]) -> dict[str, AIModel]:
    names = {u.key: u.name for u in usages}
    models = selectors.models_by_key(set(names))
    for key, name in names.items():
        if key not in models:
            models[key] = _model_named(name)
    return models


def _record_seen(
    project: Project, usages: list[Usage], models: dict[str, AIModel]
) -> None:
    """First and last days seen, written only when they move (the sweep runs hourly and
    the audit trail should show changes, not sweeps)."""
    days: dict[str, list[date]] = defaultdict(list)
    for u in usages:
        days[u.key].append(u.day)
    uses = {use.model_id: use for use in ProjectModel.objects.filter(project=project)}
    for key, seen in days.items():
        model = models[key]
        use = uses.get(model.pk) or ProjectModel(project=project, model=model)
        first = min([*seen, *([use.first_seen] if use.first_seen else [])])
        last = max([*seen, *([use.last_seen] if use.last_seen else [])])
        if use.pk is None or (use.first_seen, use.last_seen) != (first, last):
            use.first_seen, use.last_seen = first, last
            use.save()


def _alert(project: Project, message: str | None) -> Alert | None:
    """Open, reword or resolve the project's model alert; returns it when opened."""
    return alert_keep(project=project, kind=Alert.Kind.MODEL, message=message)


# --- Vendor reviews ------------------------------------------------------------------


@transaction.atomic
def vendor_reviews_check(*, today: date | None = None) -> int:
    """Tell the admins about each vendor whose next review date has passed, once per
    lapse (``vendor_save`` resets it when the dates change). Returns how many vendors
    they were told about."""
    today = today or timezone.localdate()
    lapsed = list(
        Vendor.objects.select_for_update()
        .filter(next_review_on__lt=today, review_lapse_notified_on__isnull=True)
        .order_by("name")
    )
    if not lapsed:
        return 0
    admins = list(selectors.admins())
    for vendor in lapsed:
        assert vendor.next_review_on is not None  # filtered on
        url = reverse("inventory:vendor_edit", kwargs={"pk": vendor.pk})
        for admin in admins:
            notify(
                user=admin,
                kind=NotificationKind.ALERT_OPENED,
                message=f"The review of the vendor {vendor.name} was due on "
                f"{vendor.next_review_on:%Y-%m-%d}: review its terms and set the "
                "next review date.",
                url=url,
            )
        vendor.review_lapse_notified_on = today
        vendor.save(update_fields=["review_lapse_notified_on"])
    return len(lapsed)
