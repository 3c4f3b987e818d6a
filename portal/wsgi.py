from __future__ import annotations

import gc
import os
from typing import Any

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# What a worker builds once (settings, apps and models at start-up; URL resolvers,
# compiled templates and per-process caches on its first requests) lives as long as the
# process. Left to the garbage collector, it makes an occasional full collection slow
# in the middle of a request (the portfolio's slow tail, bench/README.md). Frozen out
# of its reach after start-up and again once the first requests
# have been served, it no longer does. Each freeze follows a full collection, so no
# garbage is frozen, and runs after the response has gone out (request_finished).
FREEZE_AFTER_REQUESTS = frozenset({1, 10, 100})
_served = 0


def _freeze_after_warm_up(**kwargs: Any) -> None:
    global _served
    _served += 1
    if _served in FREEZE_AFTER_REQUESTS:
        gc.collect()
        gc.freeze()


gc.collect()
gc.freeze()
request_finished.connect(_freeze_after_warm_up, dispatch_uid="runway-gc-freeze")
