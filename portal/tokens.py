"""Personal access tokens for the read-only API: making, revoking and checking them.

Hashing, the visible prefix and the once-a-minute ``last_used_at`` are the push API's
(``metrics.ingest``), so both kinds of token are kept and looked up the same way. A
token only says who is asking: what it may read is decided on every request from the
owner's rights at that moment.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from metrics.ingest import last_used_note, secret_hash, secret_new
from portal.models import PersonalAccessToken, User

# Unlike push tokens ("rwy_"), so people and secret scanners can tell a token that reads
# the portfolio from one that writes a project's metrics.
SECRET_PREFIX = "rwp_"

log = logging.getLogger("runway.security")


@transaction.atomic
def api_token_create(
    *, user: User, name: str, lifetime: timedelta | None
) -> tuple[PersonalAccessToken, str]:
    """Make a token for ``user`` and return it with its secret, which is not stored
    anywhere and so can be shown only this once. ``lifetime`` None: it never expires."""
    secret, hashed, shown = secret_new(SECRET_PREFIX)
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        token_hash=hashed,
        prefix=shown,
        expires_at=timezone.now() + lifetime if lifetime else None,
    )
    log.info(
        "api token created",
        extra={"event": "api_token.created", "user_id": user.pk, "token_id": token.pk},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: PersonalAccessToken) -> None:
    """Stop the token working at once; the row stays so its history can be read."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log.info(
            "api token revoked",
            extra={
                "event": "api_token.revoked",
                "user_id": token.user_id,
                "token_id": token.pk,
            },
        )


def api_token_authenticate(secret: str) -> PersonalAccessToken | None:
    """The live token whose secret this is, with its owner loaded, or None: revoked,
    expired and deactivated owners' tokens do not authenticate."""
    now = timezone.now()
    token = (
        PersonalAccessToken.objects.select_related("user")
        .filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            token_hash=secret_hash(secret),
            revoked_at__isnull=True,
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    last_used_note(token, now)
    return token


def api_tokens_of(user: User) -> QuerySet[PersonalAccessToken]:
    """The user's tokens, newest first, revoked and expired ones included."""
    return PersonalAccessToken.objects.filter(user=user).order_by("-created_at", "-id")
