"""Build a realistic portfolio in a fresh PostgreSQL database, fast.

The demo seeder (``portal/demo.py``) walks each project through the real services:
right for 26 projects, far too slow for 500 projects and 10 million samples. Here the
rows are shaped like the services make them (generate_portfolio.py, and
generate_evaluations.py for evaluation runs) and written with
psycopg COPY (generate_rows.py); the metric time series are generated inside
PostgreSQL with ``INSERT … SELECT generate_series`` so no Python loop touches each of
them (generate_series.py).

What it leaves out, on purpose: django-simple-history rows for the generated objects
(no timed page reads them) and evidence files.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from bench import config
from bench.config import log
from bench.generate_rows import Ids, reset_sequences


@dataclass(frozen=True)
class Generated:
    projects: int
    executive_id: int
    checklist_items: int
    evaluation_runs: int
    samples: int
    rollups: int
    seconds: float


def recreate_database(url: str) -> None:
    """Drop and create the bench database: every run starts from nothing."""
    name = config.database_name(url)
    if not name.startswith("runway_bench"):
        # A guard against pointing the harness at a database that matters.
        raise SystemExit(
            f"refusing to drop {name!r}: bench databases are runway_bench*"
        )
    with psycopg.connect(config.admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # The app's recommended database setting (performance notes §0.5): PostgreSQL's
        # JIT compiles mid-sized aggregates at a cost far above running them, and the
        # incremental rollup is one of them (bench/README.md).
        conn.execute(f'ALTER DATABASE "{name}" SET jit = off')


def generate(
    scale: config.Scale, *, seed: int = 20261126, analyse: bool = True
) -> Generated:
    """Fill the (already migrated) database configured in Django with a portfolio.

    ``analyse=False`` skips the final VACUUM ANALYZE, which cannot run inside the
    transaction a test wraps around it."""
    from django.db import connection, transaction

    from bench import generate_portfolio as portfolio
    from bench.generate_evaluations import write_evaluations
    from bench.generate_series import write_time_series

    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)
    with transaction.atomic(), connection.cursor() as django_cursor:
        build = portfolio.Build(
            cursor=django_cursor.cursor,  # the raw psycopg cursor
            rng=random.Random(seed),
            ids=Ids(),
            now=now,
            today=now.date(),
        )
        # The writers draw from one generator: this order is what a seed reproduces.
        staff = portfolio.write_people(build, scale)
        planned = portfolio.write_projects(build, scale, staff)
        portfolio.write_steps(build, planned)
        item_count = portfolio.write_checklist(build, planned)
        portfolio.write_requirements(build, planned)
        portfolio.write_assessments(build, planned)
        portfolio.write_sources_and_alerts(build, planned)
        evaluation_runs = write_evaluations(build, planned)
        samples, rollups = write_time_series(
            build.cursor, planned, today=build.today, seed=seed
        )
        reset_sequences(build.cursor)
    if analyse:
        with connection.cursor() as c:
            log("VACUUM ANALYZE")
            c.execute("VACUUM ANALYZE")
            # Flush the gigabytes the load dirtied now, so that the checkpointer does
            # not write them out in the middle of the timed rounds.
            log("CHECKPOINT")
            c.execute("CHECKPOINT")
    return Generated(
        projects=len(planned),
        executive_id=staff.executive,
        checklist_items=item_count,
        evaluation_runs=evaluation_runs,
        samples=samples,
        rollups=rollups,
        seconds=time.monotonic() - started,
    )


def bootstrap(url: str, env: dict[str, str]) -> None:
    """A fresh, migrated database with Django configured to use it."""
    log(f"recreating {config.database_name(url)}")
    recreate_database(url)
    config.setup_django(env)
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=config.database_url())
    args = parser.parse_args(argv)
    scale = config.scale_from_env()
    bootstrap(args.database_url, config.app_environment(args.database_url))
    result = generate(scale)
    log(
        f"{result.projects} projects, {result.checklist_items:,} checklist items, "
        f"{result.evaluation_runs:,} evaluation runs, "
        f"{result.samples:,} samples, {result.rollups:,} rollups in {result.seconds:.0f} s"
    )
    print(json.dumps(result.__dict__))


if __name__ == "__main__":
    main()
