"""Which sources count for a figure: the rules alone, no database."""

from __future__ import annotations

from metrics.figures import Family, Source, cost_metric, counted, provides
from metrics.vocabulary import Metric


def source(pk: int, kind: str, config: dict | None = None) -> Source:
    return Source(pk, kind, kind.capitalize(), provides(kind, config))


OPENAI, ANTHROPIC = source(1, "openai"), source(2, "anthropic")
LANGFUSE, HELICONE, PUSH = (
    source(3, "langfuse"),
    source(4, "helicone"),
    source(5, "push"),
)


def test_billed_cost_is_every_provider_added_up():
    found = counted(Metric.COST_BILLED_USD, [LANGFUSE, ANTHROPIC, OPENAI])
    assert found is not None
    assert found.family == Family.BILLED
    assert found.pks == (1, 2)
    assert "sum of the providers" in found.rule


def test_one_observability_source_counts_in_the_default_order():
    found = counted(Metric.LATENCY_P95_MS, [PUSH, HELICONE, LANGFUSE, OPENAI])
    assert found is not None and found.pks == (3,)
    assert "never added" in found.rule


def test_the_projects_choice_wins_over_the_default_order():
    found = counted(Metric.LATENCY_P95_MS, [HELICONE, LANGFUSE], chosen=4)
    assert found is not None and found.pks == (4,)
    assert "chosen for this project" in found.rule


def test_a_choice_of_a_source_that_does_not_report_the_metric_is_ignored():
    found = counted(Metric.QUALITY_SCORE, [HELICONE, LANGFUSE], chosen=4)
    assert found is not None and found.pks == (3,)


def test_tokens_come_from_the_providers_first_and_requests_from_the_observer_first():
    sources = [OPENAI, ANTHROPIC, LANGFUSE]
    tokens = counted(Metric.INPUT_TOKENS, sources)
    requests = counted(Metric.REQUESTS, sources)
    assert tokens is not None and tokens.pks == (1, 2)
    assert requests is not None and requests.pks == (3,)
    # Without an observability source, OpenAI's request count is what there is.
    only_billed = counted(Metric.REQUESTS, [OPENAI, ANTHROPIC])
    assert only_billed is not None and only_billed.pks == (1,)


def test_prometheus_provides_what_its_queries_name():
    prometheus = source(6, "prometheus", {"queries": {"latency_p95_ms": "q"}})
    assert counted(Metric.LATENCY_P95_MS, [prometheus, PUSH]).pks == (6,)  # type: ignore[union-attr]
    assert counted(Metric.REQUESTS, [prometheus, PUSH]).pks == (5,)  # type: ignore[union-attr]


def test_nothing_counts_when_no_source_reports_the_metric():
    assert counted(Metric.QUALITY_SCORE, [OPENAI, HELICONE]) is None


def test_budgets_use_billed_cost_when_a_provider_reports_it():
    assert cost_metric([LANGFUSE, ANTHROPIC]) == Metric.COST_BILLED_USD
    assert cost_metric([LANGFUSE, PUSH]) == Metric.COST_OBSERVED_USD
