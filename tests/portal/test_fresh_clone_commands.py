"""Every management command that sends a task works on a fresh clone: nothing but the
app makes the embedded broker's folders (the Makefile used to, so ``seed_demo`` run
before ``make run`` crashed at its end)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_on_a_fresh_clone_makes_the_broker_folders_and_queues_its_tasks(
    tmp_path,
):
    broker_dir = tmp_path / "var"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DATABASE_URL", "CACHE_URL", "DJANGO_"))
    }
    environment |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "RUNWAY_BROKER_DIR": str(broker_dir),
        "RUNWAY_ENV": "development",
    }

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=240,
        )

    assert manage("migrate", "--verbosity", "0").returncode == 0
    assert not broker_dir.exists()

    seeded = manage("seed_demo")

    assert seeded.returncode == 0, seeded.stderr[-2000:]
    queued = list((broker_dir / "broker").iterdir())
    assert queued, "seed_demo's tasks reach the embedded broker"
