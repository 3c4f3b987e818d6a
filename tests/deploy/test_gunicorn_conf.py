"""deploy/gunicorn.conf.py: gunicorn accepts every value, and the environment sizes it."""

from __future__ import annotations

import importlib
import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def load(monkeypatch, **environ: str) -> dict:
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_gunicorn_accepts_every_setting_it_defines(monkeypatch):
    namespace = load(monkeypatch)
    config = Config()
    applied = 0
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)  # validates, as gunicorn does reading the file
            applied += 1
    assert applied >= 12
    assert config.preload_app is True
    assert config.worker_class_str == "sync"
    assert config.accesslog == "-"


def test_it_serves_the_wsgi_app_on_port_8000_unless_port_says_otherwise(monkeypatch):
    assert load(monkeypatch)["bind"] == ["0.0.0.0:8000"]
    assert load(monkeypatch, PORT="9001")["bind"] == ["0.0.0.0:9001"]
    module, _, attribute = load(monkeypatch)["wsgi_app"].partition(":")
    assert module == "portal.wsgi" and attribute == "application"


def test_web_concurrency_sets_the_workers(monkeypatch):
    assert load(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3


@pytest.mark.parametrize(
    ("cores", "workers"), [(1, 3), (2, 5), (4, 9), (6, 12), (64, 12)]
)
def test_the_default_is_two_workers_a_core_plus_one_within_a_cap(
    monkeypatch, cores, workers
):
    assert load(monkeypatch)["default_workers"](cores) == workers


def test_a_request_gets_a_graceful_stop_shorter_than_its_timeout(monkeypatch):
    namespace = load(monkeypatch)
    assert 0 < namespace["graceful_timeout"] <= namespace["timeout"]
    assert load(monkeypatch, GUNICORN_TIMEOUT="120")["timeout"] == 120


def test_its_logs_use_the_apps_json_formatter(monkeypatch):
    logging = load(monkeypatch)["logconfig_dict"]
    dotted = logging["formatters"]["json"]["()"]
    module, _, name = dotted.rpartition(".")
    assert getattr(importlib.import_module(module), name)
    for logger in ("gunicorn.error", "gunicorn.access"):
        assert logging["loggers"][logger]["handlers"] == ["stdout"]
