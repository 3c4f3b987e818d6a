"""deploy/entrypoint.sh: each subcommand starts the right process, by exec."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
STUB = """#!/bin/sh
echo "$(basename "$0") $* [RUNWAY_ENV=$RUNWAY_ENV]" >> "$CALLS"
echo "${PROMETHEUS_MULTIPROC_DIR-unset}" > "$CALLS.multiproc"
[ "$(basename "$0") $1 $2" != "python manage.py $FAIL_COMMAND" ]
"""


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A stand-in virtualenv whose gunicorn, celery and python only record their call."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("gunicorn", "celery", "python"):
        stub = bin_dir / name
        stub.write_text(STUB)
        stub.chmod(0o755)
    return tmp_path / "venv"


def run(venv: Path, *args: str, **environ: str) -> tuple[int, list[str]]:
    calls = venv / "calls"
    env = {
        "PATH": os.environ["PATH"],
        "RUNWAY_VENV": str(venv),
        "CALLS": str(calls),
        "FAIL_COMMAND": "",
        "PROMETHEUS_MULTIPROC_DIR": str(venv / "metrics"),
        **environ,
    }
    done = subprocess.run([str(ENTRYPOINT), *args], env=env, check=False)
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, lines


def test_web_is_gunicorn_with_the_repos_config(venv):
    assert run(venv, "web", "--workers", "3") == (
        0,
        [
            f"gunicorn --config {ROOT}/deploy/gunicorn.conf.py --workers 3 "
            "[RUNWAY_ENV=production]"
        ],
    )


def test_web_is_the_default(venv):
    assert run(venv)[1][0].startswith("gunicorn --config")


def test_worker_is_a_celery_worker_sized_by_the_environment(venv):
    _, calls = run(venv, "worker")
    assert calls == [
        "celery -A portal worker --loglevel INFO --without-heartbeat --without-mingle "
        "--without-gossip [RUNWAY_ENV=production]"
    ]
    _, calls = run(venv, "worker", CELERY_WORKER_CONCURRENCY="4", LOG_LEVEL="WARNING")
    assert calls[-1].startswith(
        "celery -A portal worker --loglevel WARNING --without-heartbeat "
        "--without-mingle --without-gossip --concurrency 4"
    )


def test_beat_is_celery_beat(venv):
    assert run(venv, "beat")[1] == [
        "celery -A portal beat --loglevel INFO [RUNWAY_ENV=production]"
    ]


def test_migrate_applies_migrations_then_imports_the_control_libraries(venv):
    assert run(venv, "migrate") == (
        0,
        [
            "python manage.py migrate --noinput [RUNWAY_ENV=production]",
            "python manage.py import_controls [RUNWAY_ENV=production]",
        ],
    )


def test_a_failed_migration_stops_before_the_libraries(venv):
    status, calls = run(venv, "migrate", FAIL_COMMAND="migrate")
    assert status != 0
    assert calls == ["python manage.py migrate --noinput [RUNWAY_ENV=production]"]


def test_anything_else_is_a_manage_py_command(venv):
    assert run(venv, "createsuperuser", "--noinput")[1] == [
        "python manage.py createsuperuser --noinput [RUNWAY_ENV=production]"
    ]


def test_an_explicit_runway_env_is_kept(venv):
    assert run(venv, "check", RUNWAY_ENV="staging")[1] == [
        "python manage.py check [RUNWAY_ENV=staging]"
    ]


def multiproc_dir_seen(venv: Path) -> str:
    return (venv / "calls.multiproc").read_text().strip()


def test_web_counts_metrics_of_every_worker_in_a_folder_emptied_first(venv):
    metrics = venv / "metrics"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"from an earlier run")
    run(venv, "web")
    assert multiproc_dir_seen(venv) == str(metrics)
    assert metrics.is_dir() and not list(metrics.iterdir())


def test_only_web_processes_keep_metric_files(venv):
    for command in ("worker", "beat", "migrate", "shell"):
        run(venv, command)
        assert multiproc_dir_seen(venv) == "unset", command


def test_it_is_a_valid_posix_shell_script():
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    assert os.access(ENTRYPOINT, os.X_OK)
