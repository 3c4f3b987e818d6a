from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import AssessmentCriterion, ModelPrice


@admin.register(ModelPrice)
class ModelPriceAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    """The model price list behind cost projections: keep prices and their date current."""

    list_display = [
        "name",
        "provider",
        "input_per_mtok",
        "output_per_mtok",
        "context_window",
        "tier",
        "prices_as_of",
        "active",
    ]
    list_filter = ["provider", "tier", "latency_class", "active"]
    search_fields = ["name", "provider"]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    list_display = [
        "name",
        "area_name",
        "default_target",
        "remediation_step",
        "active",
        "order",
    ]
    list_filter = ["area_name", "active"]
    search_fields = ["name", "key", "question"]
