"""The WSGI entry point freezes a worker's long-lived objects out of the collector."""

from __future__ import annotations

import gc

import pytest
from django.core.signals import request_finished


@pytest.fixture
def wsgi():
    from portal import wsgi

    yield wsgi
    # Leave the test process as it was: no freezing on later tests' requests.
    request_finished.disconnect(dispatch_uid="runway-gc-freeze")
    gc.unfreeze()


def test_the_worker_freezes_again_after_its_first_and_tenth_requests(wsgi):
    wsgi._served = 0
    gc.unfreeze()
    frozen = []
    for _ in range(10):
        wsgi._freeze_after_warm_up()
        frozen.append(gc.get_freeze_count() > 0)
        gc.unfreeze()
    assert frozen == [True] + [False] * 8 + [True]
