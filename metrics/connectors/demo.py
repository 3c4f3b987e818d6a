"""The demo generator: plausible daily traffic, cost and quality for a project, clearly
labelled as demo data. It lets `make run` show live-looking metrics with no provider."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import datetime, timedelta
from decimal import Decimal

from metrics.connectors.base import Connector
from metrics.connectors.parsing import ceil_day
from metrics.vocabulary import Bucket, Metric, Sample

MODELS = ("gpt-4o-mini", "claude-sonnet-4")


class DemoConnector(Connector):
    kind = "demo"

    def test(self) -> str:
        return (
            "Connected: the demo generator makes up plausible data (not real traffic)."
        )

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for every day in [start, end): same day, same numbers."""
        volume = int(self.config.get("requests_per_day", 3000))
        score_name = str(self.config.get("quality_score_name", "helpfulness"))
        day = ceil_day(start)
        samples: list[Sample] = []
        while day < end:
            samples += self._day(day, volume, score_name)
            day += timedelta(days=1)
        return samples

    def _day(self, day: datetime, volume: int, score_name: str) -> list[Sample]:
        # Seeded by the service and the day, so re-pulling a day gives the same values.
        seed = hashlib.sha256(
            f"{self.config.get('seed', '')}:{day.date()}".encode()
        ).hexdigest()
        rng = random.Random(int(seed[:12], 16))
        weekday = 0.6 if day.weekday() >= 5 else 1.0
        trend = 1 + 0.15 * math.sin(day.toordinal() / 9)
        requests = max(0, int(volume * weekday * trend * rng.uniform(0.85, 1.15)))
        samples: list[Sample] = []

        def add(metric: Metric, value: float | int, dimension: str = "") -> None:
            samples.append(
                Sample(
                    metric, day, Bucket.DAY, Decimal(str(round(value, 6))), dimension
                )
            )

        costs: dict[str, float] = {}
        # (model, share of the requests, USD per request); a project's config may
        # name its own mix.
        mix = self.config.get("models") or [
            (MODELS[0], 0.75, 0.0006),
            (MODELS[1], 0.25, 0.009),
        ]
        for model, share, price in mix:
            n = int(requests * share)
            add(Metric.REQUESTS, n, model)
            add(Metric.INPUT_TOKENS, n * rng.randint(900, 1400), model)
            add(Metric.OUTPUT_TOKENS, n * rng.randint(250, 400), model)
            costs[model] = n * price * rng.uniform(0.9, 1.1)
        # Keep the daily cost between the configured bounds (a budget, or a story of
        # a project running over it).
        total = sum(costs.values())
        cap = float(self.config.get("daily_cost_max", 0)) * rng.uniform(0.7, 0.95)
        floor = float(self.config.get("daily_cost_min", 0)) * rng.uniform(1.0, 1.2)
        scale = min(1.0, cap / total) if cap and total else 1.0
        if floor and total and total * scale < floor:
            scale = floor / total
        for model, cost in costs.items():
            add(Metric.COST_OBSERVED_USD, cost * scale, model)
        # Within the targets, when they are given.
        error_max = float(self.config.get("error_max_pct", 2)) / 100
        p95_max = float(self.config.get("p95_max_ms", 3200))
        quality_min = float(self.config.get("quality_min", 0.78))
        add(Metric.ERRORS, int(requests * rng.uniform(0.1, 0.9) * error_max))
        add(Metric.LATENCY_P50_MS, rng.uniform(0.3, 0.45) * p95_max)
        p95_min_share = float(self.config.get("p95_min_share", 0.6))
        add(Metric.LATENCY_P95_MS, rng.uniform(p95_min_share, 0.98) * p95_max)
        add(
            Metric.QUALITY_SCORE,
            min(1.0, quality_min + rng.uniform(0.0, 0.08)),
            score_name,
        )
        add(Metric.FEEDBACK_POSITIVE, int(requests * 0.03 * rng.uniform(0.8, 1.2)))
        add(Metric.FEEDBACK_NEGATIVE, int(requests * 0.006 * rng.uniform(0.5, 1.5)))
        add(Metric.PIPELINE_FAILURES, rng.choice([0, 0, 0, 1, 2]))
        return samples
