"""The WSGI entry point freezes a worker's long-lived objects out of the collector."""

from __future__ import annotations

import gc

import pytest


@pytest.fixture
def wsgi():
    from portal import wsgi

    served = wsgi._served
    yield wsgi
    wsgi._served = served
    gc.unfreeze()  # give the test process its collector back


def test_the_worker_freezes_again_after_its_first_and_tenth_requests(wsgi):
    wsgi._served = 0
    gc.unfreeze()
    frozen = []
    for _ in range(10):
        wsgi._freeze_after_warm_up()
        frozen.append(gc.get_freeze_count() > 0)
        gc.unfreeze()
    assert frozen == [True] + [False] * 8 + [True]
