"""The figures against the issue's targets, as a terminal table and as RESULTS.md."""

from __future__ import annotations

import os
import platform
from typing import Any

import psycopg

# item: (p95 limit in ms, ratio limit, what the ratio means)
TARGETS: dict[str, tuple[float | None, float | None, str]] = {
    "portfolio": (150, 3, "≤ 150 ms p95, ≤ 3× floor"),
    # The same page with its cached rendering dropped before every request: what the
    # first executive after any change waits for.
    "portfolio_cold": (150, 3, "≤ 150 ms p95, ≤ 3× floor"),
    "projects_list": (150, 3, "≤ 150 ms p95, ≤ 3× floor"),
    "project_page": (150, 3, "≤ 150 ms p95, ≤ 3× floor"),
    "project_page_cold": (150, 3, "≤ 150 ms p95, ≤ 3× floor"),
    "chart_partial": (30, 2, "≤ 30 ms p95, ≤ 2× floor"),
    "table_partial": (30, 2, "≤ 30 ms p95, ≤ 2× floor"),
    "checklist_toggle": (30, 2, "≤ 30 ms p95, ≤ 2× floor"),
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


def verdicts(doc: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(item, figure, floor and ratio, target, met?) for every item."""
    rows = []
    for item, (p95_max, ratio_max, text) in TARGETS.items():
        r = doc[item]
        met = r["p95_ms"] <= (p95_max or 1e9) and r["ratio"] <= (ratio_max or 1e9)
        rows.append(
            (
                item,
                f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, {r['queries']} queries",
                f"{r['floor_ms']:.1f} ms ({r['floor_sql_ms']:.1f} SQL + "
                f"{r['floor_empty_view_ms']:.1f} empty view) → {r['ratio']:.2f}×",
                text,
                "yes" if met else "**no**",
            )
        )
    if "ingest" not in doc:  # a --pages-only run
        return rows
    ing = doc["ingest"]
    rows.append(
        (
            "ingest",
            f"{ing['rows_per_s']:,} rows/s (p50 {ing['p50_ms']:.0f} ms per 1,000)",
            f"COPY {ing['copy_rows_per_s']:,} rows/s → {ing['ratio']:.2f}× of COPY",
            "≥ 0.5× COPY rows/s",
            "yes" if ing["ratio"] >= 0.5 and not ing["errors"] else "**no**",
        )
    )
    rol = doc["rollup"]
    rows.append(
        (
            "rollup",
            f"p50 {rol['p50_ms']:.1f} ms, p95 {rol['p95_ms']:.1f} ms",
            "—",
            "≤ 250 ms",
            "yes" if rol["p95_ms"] <= 250 else "**no**",
        )
    )
    load = doc["load"]
    rows.append(
        (
            "load",
            f"{load['requests']:,} requests in {load['seconds']:.0f} s "
            f"({load['requests_per_s']:.1f}/s), {load['errors']} errors",
            f"{load['clients']} clients; server p95 {load['p95_ms']:.0f} ms",
            "0 errors",
            "yes" if load["errors"] == 0 else "**no**",
        )
    )
    return rows


def table(doc: dict[str, Any]) -> str:
    lines = [f"Runway bench, scale {doc['scale']} ({doc['projects']} projects)"]
    for item, figure, floor, target, met in verdicts(doc):
        lines.append(
            f"  {item:<17} {figure:<48} floor {floor}  [{target}: {met.strip('*')}]"
        )
    return "\n".join(lines)


def markdown(doc: dict[str, Any]) -> str:
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
            f"{gen['checklist_items']:,} checklist items"
            if gen
            else ""
        )
        + ") |",
        f"| git | `{doc['git_sha']}` |",
        f"| started | {doc['started_at']} |",
        f"| load average before / after | {' '.join(f'{v:.2f}' for v in doc['loadavg_before'])}"
        f" / {' '.join(f'{v:.2f}' for v in doc['loadavg_after'])} |",
        "",
        "Server time at one client, medians of interleaved rounds; the floor is the",
        "page's own SQL through one psycopg cursor plus the empty view through the same",
        "middleware and session, measured in the same rounds (see README.md).",
        "`portfolio_cold` and `project_page_cold` are those pages rendered afresh for",
        "every request (their cached rendering dropped first), as after any change to",
        "a project (or, for the project page, a tick of its checklist).",
        "",
        "| item | figure | floor → ratio | target | met |",
        "|---|---|---|---|---|",
    ]
    for row in verdicts(doc):
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"
