"""Time Runway through gunicorn on loopback against a generated portfolio.

``python -m bench.run`` (what ``make bench`` calls): build a fresh database at the
chosen SCALE, start gunicorn with production settings, sign sessions in, then

1. capture each page's SQL in-process (``CaptureQueriesContext``) for its query count
   and for the floor (pages.py);
2. time pages, htmx partials and the checklist tick in interleaved rounds at one
   client, with the server time from gunicorn's access log (``%(D)s``, µs), next to
   their floors measured in the same rounds: the page's own SQL replayed through one
   psycopg cursor plus the bench-only empty view through the same middleware;
3. time ingest batches of 1,000 events against COPY of the same events into the same
   table, and the incremental rollup after each batch on its own (push.py); then a
   busy project's rollup (a million events that day) against a quiet one's (busy.py);
4. run 50 concurrent clients on mixed journeys for the load check (load.py);
5. check the budgets (budgets.py), write results.json and RESULTS.md, and exit
   non-zero when an enforced budget fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import budgets, config, report
from bench.busy import measure_busy_rollup
from bench.config import log
from bench.fixture import make_fixture
from bench.load import measure_load
from bench.pages import measure_pages
from bench.push import measure_ingest
from bench.server import Server


def git_sha() -> str:
    out = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
    )
    sha = out.stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return sha + ("-dirty" if dirty else "")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Runway's benchmark harness")
    parser.add_argument("--database-url", default=config.database_url())
    parser.add_argument(
        "--reuse", action="store_true", help="skip generation and reuse the database"
    )
    parser.add_argument("--output", default=str(config.BENCH_DIR))
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="time the pages and partials only, print them and write no results",
    )
    return parser.parse_args(argv)


def enforce(verdicts: Sequence[budgets.Verdict]) -> None:
    """Exit non-zero, naming them, when enforced budgets failed."""
    failed = budgets.failures(verdicts)
    if failed:
        for v in failed:
            print(
                f"budget failed: {v.item}: {v.budget}, measured {v.measured}",
                file=sys.stderr,
            )
        sys.exit(1)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    scale = config.scale_from_env()
    url = args.database_url
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    loadavg_before = list(os.getloadavg())
    env = config.app_environment(url)
    from bench import generate

    generated: dict[str, Any] = {}
    if args.reuse:
        config.setup_django(env)
    else:
        generate.bootstrap(url, env)
        result = generate.generate(scale)
        generated = result.__dict__
        log(f"generated in {result.seconds:.0f} s: {generated}")
    from django.core.cache import cache
    from django.core.management import call_command

    cache.clear()  # no throttle counters or cached fragments from an earlier run
    call_command("collectstatic", interactive=False, verbosity=0)
    fx = make_fixture(scale)
    workdir = Path(tempfile.mkdtemp(prefix="runway-bench-"))
    server = Server(env, workdir)
    try:
        log(f"gunicorn on 127.0.0.1:{server.port}; logs in {workdir}")
        results: dict[str, Any] = measure_pages(server, fx, scale, url)
        if args.pages_only:
            doc = {"scale": scale.name, "projects": scale.projects, **results}
            print(report.table(doc, budgets.check(doc)))
            return
        log("ingest and rollup")
        results["ingest"], results["rollup"] = measure_ingest(server, fx, scale, url)
        log("a busy project's rollup against a quiet one's")
        results["busy_rollup"] = measure_busy_rollup(fx, scale, url)
        cache.clear()  # the load run starts with fresh throttle windows
        log(f"load: {scale.load_clients} clients for {scale.load_seconds} s")
        results["load"] = measure_load(server, fx, scale)
    finally:
        server.stop()
    document: dict[str, Any] = {
        "scale": scale.name,
        "projects": scale.projects,
        "git_sha": git_sha(),
        "started_at": started_at,
        "loadavg_before": loadavg_before,
        "loadavg_after": list(os.getloadavg()),
        "machine": report.machine(url),
        "generated": generated,
        **results,
    }
    verdicts = budgets.check(document)
    document["budgets"] = [v.as_dict() for v in verdicts]
    document["budgets_failed"] = len(budgets.failures(verdicts))
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    (output / "RESULTS.md").write_text(report.markdown(document, verdicts))
    print(report.table(document, verdicts))
    shutil.rmtree(workdir, ignore_errors=True)
    enforce(verdicts)


if __name__ == "__main__":
    main()
