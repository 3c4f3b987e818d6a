"""Production settings refuse unsafe configurations and send the security headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "RUNWAY_ENV": "production",
    "SECRET_KEY": "test-only-Vq8nX2rL9sKd4TfW7yHb3MzP6cJg1NaE5uRo0iQtZw-key",
    "ALLOWED_HOSTS": "runway.example.com,testserver",
    "CACHE_URL": "locmemcache://",
    "FIELD_ENCRYPTION_KEYS": "dGhpcy1pcy1hLXRlc3Qta2V5LW9mLTMyLWJ5dGVzISE=",
    "DATABASE_URL": "sqlite:////tmp/runway-settings-test.sqlite3",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    unwanted = {*PRODUCTION_ENV, "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


SETUP = "import django; django.setup(); from django.conf import settings; "


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "CACHE_URL", "FIELD_ENCRYPTION_KEYS"]
)
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(SETUP + "print('started')", env)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert missing in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_python(
        SETUP + "print('started')", {**PRODUCTION_ENV, "SECRET_KEY": "short"}
    )
    assert result.returncode != 0
    assert "at least 50" in result.stderr or "shorter than 50" in result.stderr


def test_production_turns_debug_off_and_cookies_secure():
    result = run_python(
        SETUP
        + "import json; print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.RUNWAY_MFA_REQUIRED_FOR_ADMINS]))",
        PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        False,
        True,
        True,
        True,
        True,
    ]


def test_production_responses_carry_the_security_headers(tmp_path):
    code = SETUP + (
        "from django.core.management import call_command; call_command('migrate', verbosity=0); "
        "from django.test import Client; import json; "
        # Hashed static names need collectstatic; the headers do not depend on them.
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': "
        "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}; "
        "r = Client().get('/accounts/login/', secure=True, HTTP_HOST='runway.example.com'); "
        "print(json.dumps({'status': r.status_code, **{k: v for k, v in r.headers.items()}}))"
    )
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.strip().splitlines()[-1])
    assert headers["status"] == 200
    assert "max-age=" in headers["Strict-Transport-Security"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'nonce-" in script_src
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp


def test_check_deploy_reports_no_issues_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **PRODUCTION_ENV,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_needs_no_configuration():
    result = run_python(
        SETUP + "print(settings.DEBUG, settings.RUNWAY_ENV)",
        {"RUNWAY_ENV": "development"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True development")


@pytest.mark.parametrize(
    ("seconds", "preload"), [(None, True), ("31536000", True), ("2592000", False)]
)
def test_hsts_preload_is_asked_for_only_with_a_max_age_of_a_year(seconds, preload):
    env = {**PRODUCTION_ENV, **({"SECURE_HSTS_SECONDS": seconds} if seconds else {})}
    result = run_python(SETUP + "print(settings.SECURE_HSTS_PRELOAD)", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(preload)
