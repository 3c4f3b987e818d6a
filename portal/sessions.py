"""Database sessions that slide their idle window without a write on every request.

SESSION_SAVE_EVERY_REQUEST keeps a session alive while it is used: each response
pushes its expiry SESSION_COOKIE_AGE ahead. Django then writes the row on every
request, even when nothing in it changed. This store skips that write while the
stored expiry is less than SESSION_REFRESH_SECONDS behind the one it would write, so
an unchanged session is written at most once a minute. A session therefore ends
between SESSION_COOKIE_AGE − SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after
its last request: never later than the configured idle timeout.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._stored_expiry: datetime | None = None

    def load(self) -> dict[str, Any]:
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if stored is None:
            self._stored_expiry = None
            return {}
        self._stored_expiry = stored.expire_date
        data: dict[str, Any] = self.decode(stored.session_data)
        return data

    def save(self, must_create: bool = False) -> None:
        if not must_create and not self.modified and self._fresh_enough():
            return
        super().save(must_create=must_create)
        self._stored_expiry = self.get_expiry_date()

    def _fresh_enough(self) -> bool:
        """Unchanged, and its stored expiry is within the refresh interval."""
        if self._stored_expiry is None or self.session_key is None:
            return False
        lag = self.get_expiry_date() - self._stored_expiry
        return lag < timedelta(seconds=settings.SESSION_REFRESH_SECONDS)
