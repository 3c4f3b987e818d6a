"""The metric time series, generated inside PostgreSQL.

``INSERT … SELECT generate_series`` from one parameter row per project, so no Python
loop touches each sample: 90 days of hourly samples for ten metrics, 365 days of
daily latency and quality samples, and 365 days of daily rollups consistent with
them (a recent day's rollup is the sum of its hours, as ``rollups_refresh`` makes it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from bench.config import log
from bench.generate_portfolio import PlannedProject

HOURLY_DAYS = 90  # RUNWAY_HOURLY_RETENTION_DAYS: older hours are pruned, rollups stay
DAILY_DAYS = 365

HOURLY_METRICS = [
    # metric, per model (dimension = the model), SQL for the hour's value from r (requests)
    ("requests", True, "r"),
    ("errors", True, "round(r * err / 100 * (0.5 + random()))"),
    ("input_tokens", True, "round(r * (700 + 400 * random()))"),
    ("output_tokens", True, "round(r * (200 + 200 * random()))"),
    (
        "cost_observed_usd",
        True,
        "round((r * cpr * (0.8 + 0.4 * random()))::numeric, 6)",
    ),
    ("feedback_positive", False, "round(r * 0.02 * random())"),
    ("feedback_negative", False, "round(r * 0.004 * random())"),
    ("pipeline_failures", False, "round(r * 0.001 * random())"),
    ("latency_p50_ms", False, "round((p95 * (0.25 + 0.15 * random()))::numeric, 1)"),
    ("latency_p95_ms", False, "round((p95 * (0.55 + 0.5 * random()))::numeric, 1)"),
]


def write_time_series(
    cursor: psycopg.Cursor[Any],
    planned: Sequence[PlannedProject],
    *,
    today: date,
    seed: int,
) -> tuple[int, int]:
    """90 days of hourly samples for ten metrics, 365 days of daily rollups (and the
    daily latency and quality samples they come from), consistent with each other:
    a recent day's rollup is the sum of its hours, as ``rollups_refresh`` computes it.

    The sample table's two indexes are dropped during the load and rebuilt after it,
    and foreign-key triggers are skipped (the rows are consistent by construction):
    building an index once over all rows is much cheaper than keeping it up to date
    row by row.
    """
    cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute(
        """CREATE TEMP TABLE bench_params (
             project_id bigint, service_id bigint, model text, score text,
             rpd double precision, cpr double precision, err double precision,
             p95 double precision, quality double precision) ON COMMIT DROP"""
    )
    with cursor.copy("COPY bench_params FROM STDIN") as copy:
        for p in planned:
            daily_budget = float(p.monthly_budget) / 31
            # Cost per request chosen so most projects spend 50–110 % of their budget.
            cpr = (
                daily_budget
                * random.Random(p.id).uniform(0.5, 1.1)
                / p.requests_per_day
            )
            copy.write_row(
                (
                    p.id,
                    p.id,
                    p.model,
                    p.score_name,
                    p.requests_per_day,
                    cpr,
                    float(p.error_target) * 0.6,
                    p.p95_target * 0.8,
                    float(p.quality_target) + 0.03,
                )
            )
    end = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(
        hours=now_hour()
    )
    hourly_start = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(
        days=HOURLY_DAYS - 1
    )
    daily_start = today - timedelta(days=DAILY_DAYS - 1)

    cursor.execute(
        """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'metrics_metricsample'::regclass AND contype = 'u'"""
    )
    uniques = cursor.fetchall()
    cursor.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'metrics_metricsample'
           AND indexname NOT IN (SELECT conname FROM pg_constraint
                                 WHERE conrelid = 'metrics_metricsample'::regclass)"""
    )
    indexes = cursor.fetchall()
    for name, _ in uniques:
        cursor.execute(f'ALTER TABLE metrics_metricsample DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute("SET LOCAL session_replication_role = replica")

    log(
        f"hourly samples: {len(planned)} projects × {HOURLY_DAYS} days × 24 h × 10 metrics"
    )
    value_sql = " ".join(f"WHEN '{m}' THEN {expr}" for m, _, expr in HOURLY_METRICS)
    metrics_sql = ", ".join(
        f"('{m}', {str(per).lower()})" for m, per, _ in HOURLY_METRICS
    )
    cursor.execute(
        f"""
        INSERT INTO metrics_metricsample
          (project_id, service_id, metric, dimension, bucket, bucket_start, value, updated_at)
        SELECT h.project_id, h.service_id, m.metric,
               CASE WHEN m.per_model THEN h.model ELSE '' END, 'hour', h.ts,
               (CASE m.metric {value_sql} END)::numeric, now()
        FROM (
          SELECT p.*, ts,
                 round(p.rpd / 24 * (1 + 0.6 * sin(2 * pi() * (extract(hour FROM ts) - 9) / 24))
                       * (0.7 + 0.6 * random())) AS r
          FROM bench_params p, generate_series(%s::timestamptz, %s::timestamptz, '1 hour') ts
        ) h
        CROSS JOIN (VALUES {metrics_sql}) m(metric, per_model)
        """,
        [hourly_start, end - timedelta(hours=1)],
    )
    samples = cursor.rowcount
    log("daily latency and quality samples for 365 days")
    cursor.execute(
        """
        INSERT INTO metrics_metricsample
          (project_id, service_id, metric, dimension, bucket, bucket_start, value, updated_at)
        SELECT p.project_id, p.service_id, m.metric,
               CASE WHEN m.metric = 'quality_score' THEN p.score ELSE '' END, 'day',
               d::timestamptz,
               round((CASE m.metric
                        WHEN 'quality_score' THEN least(1, p.quality + 0.08 * (random() - 0.5))
                        WHEN 'latency_p50_ms' THEN p.p95 * (0.25 + 0.15 * random())
                        ELSE p.p95 * (0.6 + 0.45 * random()) END)::numeric, 3),
               now()
        FROM bench_params p, generate_series(%s::date, %s::date, '1 day') d,
             (VALUES ('quality_score'), ('latency_p50_ms'), ('latency_p95_ms')) m(metric)
        """,
        [daily_start, today],
    )
    samples += cursor.rowcount
    log(f"{samples:,} samples written; rebuilding the sample indexes")
    cursor.execute("SET LOCAL session_replication_role = origin")
    for name, definition in uniques:
        cursor.execute(
            f'ALTER TABLE metrics_metricsample ADD CONSTRAINT "{name}" {definition}'
        )
    for _, definition in indexes:
        cursor.execute(definition)

    log("daily rollups: sums of the hours, the daily samples, older days generated")
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute(
        """
        INSERT INTO metrics_dailyrollup (project_id, service_id, metric, dimension, day, value)
        SELECT project_id, service_id, metric, dimension, (bucket_start AT TIME ZONE 'UTC')::date,
               sum(value)
        FROM metrics_metricsample
        WHERE bucket = 'hour' AND metric NOT IN ('latency_p50_ms', 'latency_p95_ms')
        GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT project_id, service_id, metric, dimension, (bucket_start AT TIME ZONE 'UTC')::date,
               value
        FROM metrics_metricsample WHERE bucket = 'day'
        """
    )
    rollups = cursor.rowcount
    # Older days: the same formulas, with r a whole day's requests.
    sums_sql = " ".join(
        f"WHEN '{m}' THEN {expr}"
        for m, _, expr in HOURLY_METRICS
        if not m.startswith("latency")
    )
    metrics_sql = ", ".join(
        f"('{m}', {str(per).lower()})"
        for m, per, _ in HOURLY_METRICS
        if not m.startswith("latency")
    )
    cursor.execute(
        f"""
        INSERT INTO metrics_dailyrollup (project_id, service_id, metric, dimension, day, value)
        SELECT d.project_id, d.service_id, m.metric,
               CASE WHEN m.per_model THEN d.model ELSE '' END, d.day,
               (CASE m.metric {sums_sql} END)::numeric
        FROM (
          SELECT p.*, day::date AS day,
                 round(p.rpd * (0.6 + 0.4 * (day::date - %s::date + {DAILY_DAYS}) / {DAILY_DAYS}.0)
                       * (0.8 + 0.4 * random())) AS r
          FROM bench_params p, generate_series(%s::date, %s::date, '1 day') day
        ) d
        CROSS JOIN (VALUES {metrics_sql}) m(metric, per_model)
        """,
        [today, daily_start, hourly_start.date() - timedelta(days=1)],
    )
    rollups += cursor.rowcount
    cursor.execute("SET LOCAL session_replication_role = origin")
    log(f"{rollups:,} daily rollups written")
    return samples, rollups


def now_hour() -> int:
    """Hours of today already complete: samples stop at the current hour."""
    return datetime.now(UTC).hour
