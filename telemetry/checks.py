from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from telemetry.access import invalid_entries

# A token shorter than this could be guessed by an unthrottled scraper.
MIN_TOKEN_LENGTH = 32


@register()
def metrics_allowed_ips_check(**_: Any) -> list[CheckMessage]:
    bad = invalid_entries(settings.RUNWAY_METRICS_ALLOWED_IPS)
    if not bad:
        return []
    return [
        Error(
            f"RUNWAY_METRICS_ALLOWED_IPS holds {', '.join(map(repr, bad))}, which is "
            "not an IP address or network.",
            hint="Comma-separated addresses or CIDR networks, e.g. 10.0.0.5,10.1.0.0/16.",
            id="telemetry.E001",
        )
    ]


@register(Tags.security, deploy=True)
def metrics_token_check(**_: Any) -> list[CheckMessage]:
    token = settings.RUNWAY_METRICS_TOKEN
    if not token or len(token) >= MIN_TOKEN_LENGTH:
        return []
    return [
        Warning(
            f"RUNWAY_METRICS_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters.",
            hint="Generate one with: python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'",
            id="telemetry.W001",
        )
    ]
