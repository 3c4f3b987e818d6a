"""The risks app's Celery tasks: each calls a service."""

from __future__ import annotations

from celery import shared_task

from projects.audit import acting_as
from risks import services

EXPIRE_RISK_ACCEPTANCES = "risks.expire_risk_acceptances"


@shared_task(name=EXPIRE_RISK_ACCEPTANCES)
def expire_risk_acceptances() -> int:
    """Beat's daily sweep: acceptances past their expiry end and their risks open
    again. Returns how many expired."""
    with acting_as(None):
        return services.acceptances_expire()
