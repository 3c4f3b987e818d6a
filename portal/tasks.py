from __future__ import annotations

import socket
from typing import Any

from celery import shared_task


@shared_task(name="portal.broker_roundtrip", ignore_result=False)
def broker_roundtrip(token: str) -> dict[str, Any]:
    """Echo ``token`` from a worker: proves the broker and a worker are both alive."""
    return {"token": token, "worker_host": socket.gethostname()}
