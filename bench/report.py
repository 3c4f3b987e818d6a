"""A run's figures and budgets, as a terminal table and as RESULTS.md.

Every item's ratio to its floor is reported, as a measure of what the page costs
beyond its SQL and the fixed request cost; the budgets (budgets.py) say what must
hold.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import Any

import psycopg

from bench.budgets import Verdict
from bench.fixture import PAGE_ITEMS

ITEM_NAMES = {
    "portfolio": "portfolio page, nothing changed",
    "portfolio_cold": "portfolio page, rebuilt after a change",
    "projects_list": "projects list",
    "project_page": "project page, nothing changed",
    "project_page_cold": "project page, rebuilt after a change",
    "chart_partial": "chart partial",
    "table_partial": "table partial",
    "checklist_toggle": "checklist tick",
}


def machine(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(memory / 2**30, 1),
        "postgresql": row[0] if row else "?",
        "python": platform.python_version(),
    }


def item_rows(doc: dict[str, Any]) -> list[tuple[str, ...]]:
    """(item, p50, p95, queries, floor, ratio to floor) of every timed item."""
    rows: list[tuple[str, ...]] = []
    for item in PAGE_ITEMS:
        if item not in doc:
            continue
        r = doc[item]
        rows.append(
            (
                f"{item} ({ITEM_NAMES[item]})",
                f"{r['p50_ms']:.1f} ms",
                f"{r['p95_ms']:.1f} ms",
                str(r["queries"]),
                f"{r['floor_ms']:.1f} ms ({r['floor_sql_ms']:.1f} SQL + "
                f"{r['floor_empty_view_ms']:.1f} empty view)",
                f"{r['ratio']:.2f}×",
            )
        )
    if "ingest" in doc:
        ing = doc["ingest"]
        rows.append(
            (
                "ingest (1,000 events a batch)",
                f"{ing['p50_ms']:.1f} ms",
                f"{ing['p95_ms']:.1f} ms",
                "—",
                f"COPY {ing['floor_ms']:.1f} ms",
                f"{ing['ratio']:.2f}× COPY rows/s "
                f"({ing['rows_per_s']:,} against {ing['copy_rows_per_s']:,})",
            )
        )
        if "first_push" in ing:  # runs before session 22 timed first pushes only
            first = ing["first_push"]
            rows.append(
                (
                    "ingest, a project's first push (reported)",
                    f"{first['p50_ms']:.1f} ms",
                    f"{first['p95_ms']:.1f} ms",
                    "—",
                    f"COPY {ing['floor_ms']:.1f} ms",
                    f"{first['ratio']:.2f}× COPY rows/s; {first['requests']} pushes,"
                    " each a new token's first",
                )
            )
    if "rollup" in doc:
        rol = doc["rollup"]
        rows.append(
            (
                "rollup (after each batch)",
                f"{rol['p50_ms']:.1f} ms",
                f"{rol['p95_ms']:.1f} ms",
                "—",
                "—",
                "—",
            )
        )
    if "busy_rollup" in doc:
        busy = doc["busy_rollup"]
        rows.append(
            (
                f"rollup on a busy day ({busy['events']:,} events; "
                f"backlog {busy['backlog_s']:.1f} s)",
                f"{busy['p50_ms']:.1f} ms",
                f"{busy['p95_ms']:.1f} ms",
                "—",
                f"quiet day p95 {busy['quiet_p95_ms']:.1f} ms",
                f"{busy['ratio']:.2f}× quiet",
            )
        )
    if "load" in doc:
        load = doc["load"]
        rows.append(
            (
                f"load ({load['clients']} clients, {load['seconds']:.0f} s, "
                f"{load['requests']:,} requests, {load['requests_per_s']:.1f}/s)",
                f"{load['p50_ms']:.1f} ms",
                f"{load['p95_ms']:.1f} ms (client {load['client_p95_ms']:.0f} ms)",
                "—",
                "—",
                "—",
            )
        )
    return rows


def enforcement_note(doc: dict[str, Any]) -> str:
    if doc["scale"] == "default":
        return "Every budget is enforced at this scale: a failing one fails the run."
    return (
        f"At scale {doc['scale']} the timing budgets are reported, not enforced; "
        "an error answer still fails the run."
    )


def table(doc: dict[str, Any], verdicts: Sequence[Verdict]) -> str:
    lines = [f"Runway bench, scale {doc['scale']} ({doc['projects']} projects)"]
    for item, p50, p95, queries, floor, ratio in item_rows(doc):
        lines.append(
            f"  {item:<56} p50 {p50:>9}  p95 {p95:>9}  {queries:>2} queries  "
            f"floor {floor}  → {ratio}"
        )
    lines += ["", "Budgets (issue 18)"]
    for v in verdicts:
        lines.append(f"  {v.item:<40} {v.budget:<32} {v.measured:<52} {v.result}")
    lines.append("  " + enforcement_note(doc))
    return "\n".join(lines)


def markdown(doc: dict[str, Any], verdicts: Sequence[Verdict]) -> str:
    m = doc["machine"]
    gen = doc.get("generated") or {}
    out = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py); the raw figures are in `results.json`.",
        "",
        "| machine | value |",
        "|---|---|",
        f"| cores | {m['cores']} |",
        f"| RAM | {m['ram_gib']} GiB |",
        f"| PostgreSQL | {m['postgresql']} |",
        f"| Python | {m['python']} |",
        f"| scale | {doc['scale']} ({doc['projects']} projects"
        + (
            f", {gen['samples']:,} samples, {gen['rollups']:,} daily rollups, "
            f"{gen['checklist_items']:,} checklist items, "
            f"{gen.get('evaluation_runs', 0):,} evaluation runs"
            if gen
            else ""
        )
        + ") |",
        f"| git | `{doc['git_sha']}` |",
        f"| started | {doc['started_at']} |",
        f"| load average before / after | {' '.join(f'{v:.2f}' for v in doc['loadavg_before'])}"
        f" / {' '.join(f'{v:.2f}' for v in doc['loadavg_after'])} |",
        "",
        "## Budgets (issue 18)",
        "",
        enforcement_note(doc),
        "",
        "| item | budget | measured | result |",
        "|---|---|---|---|",
    ]
    for v in verdicts:
        out.append(f"| {v.item} | {v.budget} | {v.measured} | {v.result} |")
    out += [
        "",
        "## Figures and ratios to the floor",
        "",
        "Server time at one client, medians of interleaved rounds; the floor is the",
        "page's own SQL through one psycopg cursor plus the empty view through the same",
        "middleware and session, measured in the same rounds (see README.md). The",
        "ratio is p50 / floor: what the page costs beyond its SQL and the fixed cost",
        "of a request. It is reported, and a budget only for pages rebuilt after a",
        "change.",
        "",
        "| item | p50 | p95 | queries | floor | ratio to floor |",
        "|---|---|---|---|---|---|",
    ]
    for row in item_rows(doc):
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"
