"""The inventory's Celery tasks: each calls a service."""

from __future__ import annotations

from celery import shared_task

from inventory import services
from projects.audit import acting_as

DETECT_MODELS = "inventory.models_detect_all"
CHECK_VENDOR_REVIEWS = "inventory.vendor_reviews_check"


@shared_task(name=DETECT_MODELS)
def models_detect_all() -> int:
    """Beat's hourly sweep: the models every project's sources reported over the last
    two days, and the alerts they open or resolve. Returns how many alerts opened."""
    with acting_as(None):
        return len(services.models_detect(days=2))


@shared_task(name=CHECK_VENDOR_REVIEWS)
def vendor_reviews_check() -> int:
    """Beat's daily check: the admins hear of each vendor review that has lapsed, once.
    Returns how many vendors they heard of."""
    with acting_as(None):
        return services.vendor_reviews_check()
