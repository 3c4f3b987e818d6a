"""Containerfile: what the image promises, read from the file (CI builds and runs it:
.ci/image.sh)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Containerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_the_base_is_python_3_11_slim_unless_a_build_argument_says_otherwise():
    assert instructions()[0] == ("ARG", "BASE=python:3.11-slim")
    for keyword, rest in instructions():
        if keyword == "FROM":
            assert rest.startswith("${BASE} AS "), rest


def test_it_runs_as_a_non_root_user_with_a_health_check_and_the_entry_point():
    steps = dict(final_stage())
    assert steps["USER"] not in {"root", "0"}
    assert "deploy/healthcheck.py" in steps["HEALTHCHECK"]
    assert steps["ENTRYPOINT"] == '["/app/deploy/entrypoint.sh"]'
    assert steps["EXPOSE"] == "8000"


def test_no_setting_is_baked_into_the_environment():
    for keyword, rest in instructions():
        if keyword == "ENV":
            assert not re.search(r"SECRET|KEY|PASSWORD|_URL|RUNWAY_ENV", rest), rest


def test_the_app_comes_only_from_the_cleaned_source_stage():
    copies = [rest for keyword, rest in final_stage() if keyword == "COPY"]
    assert "--from=source /src /app" in copies
    assert not any(rest.startswith(". ") for rest in copies)
    (cleanup,) = [
        rest
        for keyword, rest in instructions()
        if keyword == "RUN" and "cd /src" in rest
    ]
    assert "-name .env " in cleanup and ".venv" in cleanup and "db.sqlite3" in cleanup


def test_every_version_comes_from_the_lock():
    runs = " ".join(rest for keyword, rest in instructions() if keyword == "RUN")
    assert "pip install" in runs
    assert "--constraint requirements.lock" in runs
