"""JSON log lines: one object per line, safe against log injection, with credentials
masked wherever a caller or a library put them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

MASK = "[redacted]"
# A field (an extra, or a key inside one) is a credential when the last word of its name
# says so: "api_key", "x-api-key", "Authorization", "password", but not "token_id".
_SECRET_WORDS = {
    "apikey",
    "auth",
    "authorization",
    "cookie",
    "credential",
    "credentials",
    "key",
    "passwd",
    "password",
    "secret",
    "token",
}
# Credentials inside text, whatever field holds it: an authorisation scheme and what
# follows it, "name: value" / "name=value" for credential names, and the password of an
# address (httpx logs every request's address). A value stops at a backslash or quote so
# the JSON around it stays intact.
_SECRET_TEXT = [
    (re.compile(r"(://[^/\s:@'\"\\]+:)[^/\s@'\"\\]+@"), rf"\1{MASK}@"),
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    (
        re.compile(
            r"(?i)\b(x-api-key|api[-_]?key|admin[-_]?key|secret[-_]?key|password"
            r"|authorization)(['\"]?\s*[:=]\s*['\"]?)(?!\[redacted\]|(?:Bearer|Basic|Token)\s)"
            r"[^\s'\"\\,;}]+"
        ),
        rf"\1\2{MASK}",
    ),
]
# Nested extras deeper than this are written as text (and masked as text).
_MAX_DEPTH = 6


def _secret_name(name: str) -> bool:
    words = re.split(r"[-_.\s]+", name.strip().lower())
    return words[-1] in _SECRET_WORDS


def _mask_text(text: str) -> str:
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any, depth: int = 0) -> Any:
    """``value`` ready for JSON, with credential fields and credential-looking text
    masked; anything that is not plain data goes through ``str`` first, so an object
    whose text carries a credential is masked too."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth < _MAX_DEPTH and isinstance(value, Mapping):
        return {
            str(k): MASK if _secret_name(str(k)) else _clean(v, depth + 1)
            for k, v in value.items()
        }
    if depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, depth + 1) for v in value]
    return _mask_text(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                payload[key] = MASK if _secret_name(key) else _clean(value)
        if record.exc_info:
            payload["exception"] = _mask_text(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
