"""The scale-out test's machinery (tests/scaleout/test_scale_out.py): the two hosts'
network, the relay to PostgreSQL and Redis, the slow stand-in, the run's own queue and
the processes on the hosts. Each is made for the test and undone after it, even when the
test fails."""

from __future__ import annotations

import os
import shutil

import pytest
import redis
from django.conf import settings
from django.db import connection

from portal.celery import app
from tests.conftest import require
from tests.scaleout.deployment import HOSTS, STANDIN_DELAY, _redis_url_parts
from tests.scaleout.hosts import Network, Processes, Relay
from tests.scaleout.standin import StandIn


@pytest.fixture
def ready():
    """What this test needs from the machine, checked before anything is made."""
    require(
        os.geteuid() == 0 and shutil.which("ip") is not None,
        "the scale-out test makes network namespaces: it needs root and `ip`",
    )
    require(
        connection.vendor == "postgresql"
        and connection.settings_dict["HOST"] in ("127.0.0.1", "localhost"),
        "the scale-out test needs PostgreSQL on 127.0.0.1 (DATABASE_URL)",
    )
    require(
        settings.CELERY_BROKER_URL.startswith("redis://")
        and settings.CACHE_URL.startswith("redis://")
        and all(
            _redis_url_parts(url)[0] in ("127.0.0.1", "localhost")
            for url in (settings.CELERY_BROKER_URL, settings.CACHE_URL)
        ),
        "the scale-out test needs Redis on 127.0.0.1 as broker and cache "
        "(CELERY_BROKER_URL, CACHE_URL)",
    )


@pytest.fixture
def network(ready):
    net = Network(HOSTS)
    try:
        yield net.up()
    finally:
        net.down()


@pytest.fixture
def relay(network):
    ports = {int(connection.settings_dict["PORT"] or 5432)}
    ports |= {
        _redis_url_parts(url)[1]
        for url in (settings.CELERY_BROKER_URL, settings.CACHE_URL)
    }
    forward = Relay(network.hub, sorted(ports))
    try:
        yield forward.start()
    finally:
        forward.stop()


@pytest.fixture
def standin(network):
    server = StandIn(network.hub, keys={}, delay=STANDIN_DELAY).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def queue(network):
    """A queue of this run's own, so nothing another run left in the broker is taken;
    afterwards nothing of this run is left in the broker (its queue, bindings, the
    killed worker's remote-control binding, unacknowledged messages)."""
    name = f"scaleout-{os.getpid()}"
    nodes = [f"{host}@{network.namespaces[host]}" for host in HOSTS]
    host, port, db = _redis_url_parts(settings.CELERY_BROKER_URL)
    broker = redis.Redis(host=host, port=port, db=int(db))
    # What this process queues (the first syncs service_create sends) goes there too.
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = name
    try:
        yield name
    finally:
        app.conf.task_default_queue = default_queue
        ours = [mark.encode() for mark in (name, *nodes)]
        broker.delete(
            name,
            f"_kombu.binding.{name}",
            f"_kombu.binding_permanent.{name}",
            *(f"{node}.celery.pidbox" for node in nodes),
        )
        for key in broker.scan_iter("_kombu.binding*"):
            if broker.type(key) == b"set":
                for member in broker.smembers(key):
                    if any(mark in member for mark in ours):
                        broker.srem(key, member)
        for tag, payload in broker.hgetall("unacked").items():
            if name.encode() in payload:
                broker.hdel("unacked", tag)
                broker.zrem("unacked_index", tag)
        broker.close()


@pytest.fixture
def processes(network, relay, standin, queue, tmp_path):
    """The processes on the hosts; stopped (and the broker cleaned after them) even when
    the test fails."""
    children = Processes(tmp_path)
    try:
        yield children
    finally:
        children.stop_all()
