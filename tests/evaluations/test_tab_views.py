"""A project's Evaluations tab, what it shows: the plan, the baseline, the step 6
checks, the tracked set's runs over time (with the target and baseline, as a table
too), the runs and the load tests; a run's own page; any two runs compared metric by
metric; and the tab's entries in the project's activity."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import selectors, services
from projects import activity
from tests.evaluations.pages import compare_url, region, run_url, tab_url
from tests.factories import ProjectFactory
from tests.html import page, table_headers, table_rows, text

pytestmark = pytest.mark.django_db


# --- The run's page ---------------------------------------------------------------------


def test_the_run_page_shows_every_field_and_each_score_against_the_baseline(
    history, as_
):
    doc = page(as_(history["viewer"]).get(run_url(history["baseline"])))
    facts = text(doc.find("section", attrs={"aria-labelledby": "facts-heading"}))
    for shown in (
        "Nightly 1",
        "nightly-1",
        "Push API",
        "golden version v3",
        "Items 50",
        "Items passed 46",
        "Items failed 4",
        "gpt-4o",
        "prompt-12",
        "0123456789abcdef",
        "https://ci.example.com/runs/1",
    ):
        assert shown in facts, shown
    assert doc.find("a", href="https://ci.example.com/runs/1") is not None
    assert "Accepted as the baseline by Leo" in text(doc)

    latest = page(as_(history["viewer"]).get(run_url(history["latest"])))
    scores = region(latest, "Scores table").find("table")
    assert table_headers(scores) == [
        "Metric",
        "This run",
        "Baseline",
        "Change",
        "Against the baseline",
    ]
    # The approved quality score first, then the others by name.
    assert table_rows(scores) == [
        ["helpfulness", "0.91", "0.90", "+0.01", "Higher"],
        [
            "faithfulness",
            "0.85",
            "0.92",
            "-0.07",
            "Regression: fell by more than the tolerance",
        ],
    ]


# --- Comparing two runs -----------------------------------------------------------------


def test_two_runs_compare_metric_by_metric_with_regressions_in_words(history, as_):
    a, b = history["baseline"], history["latest"]
    doc = page(
        as_(history["viewer"]).get(compare_url(history["project"], a=a.pk, b=b.pk))
    )
    rows = table_rows(region(doc, "Comparison table").find("table"))
    assert rows == [
        ["helpfulness", "0.90", "0.91", "+0.01", "Higher"],
        [
            "faithfulness",
            "0.92",
            "0.85",
            "-0.07",
            "Regression: fell by more than the tolerance",
        ],
    ]
    # The selects are labelled and keep the choice, so the GET form works without JS.
    picked = doc.find("select", id="id_a").find("option", selected=True)
    assert picked["value"] == str(a.pk)
    assert doc.find("label", attrs={"for": "id_b"}) is not None


def test_the_comparison_opens_on_the_baseline_against_the_latest_run(history, as_):
    doc = page(as_(history["viewer"]).get(compare_url(history["project"])))
    assert text(doc.find(id="comparison-heading")) == "“Nightly 1” → “Nightly 2”"


@pytest.mark.parametrize(
    "query, message",
    [
        ({"a": "abc", "b": "1"}, "That is not an evaluation run of this project"),
        (
            {"a": "999999", "b": "999998"},
            "That is not an evaluation run of this project",
        ),
        ({"a": ""}, "Pick a run."),
        ({"a": "SAME", "b": "SAME"}, "Pick two different runs."),
        ({"a": "OTHER", "b": "SAME"}, "That is not an evaluation run of this project"),
        ({"a": "LOAD", "b": "SAME"}, "That is not an evaluation run of this project"),
    ],
)
def test_bad_run_ids_get_a_clear_message(history, ui_record, as_, query, message):
    other = ui_record(ProjectFactory(), "elsewhere", scores={"helpfulness": "0.5"})
    load = ui_record(history["project"], "load-1", kind="load_test")
    ids = {"SAME": history["latest"].pk, "OTHER": other.pk, "LOAD": load.pk}
    query = {k: ids.get(v, v) for k, v in query.items()}
    response = as_(history["viewer"]).get(compare_url(history["project"], **query))
    assert response.status_code == 200
    doc = page(response)
    assert message in text(doc.find(class_="error-summary"))
    assert doc.find(id="comparison-heading") is None


# --- The tab ----------------------------------------------------------------------------


def test_the_tab_shows_plan_baseline_alert_and_the_failing_check(history, as_):
    doc = page(as_(history["viewer"]).get(tab_url(history["project"])))
    plan = doc.find("section", attrs={"aria-labelledby": "plan-heading"})
    assert [text(dd) for dd in plan.find_all("dd")] == [
        "“golden”",
        "0.02 on the 0–1 scale",
        "helpfulness ≥ 0.85",
    ]
    baseline = text(doc.find("section", attrs={"aria-labelledby": "baseline-heading"}))
    assert "Nightly 1" in baseline and "Accepted by Leo" in baseline
    assert "First release." in baseline
    alert = text(doc.find(class_="notice-red"))
    assert alert.startswith("Evaluation regression:") and "faithfulness" in alert
    checks = {
        text(li.find("strong")): text(li)
        for li in doc.find(
            "section", attrs={"aria-labelledby": "checks-heading"}
        ).find_all("li")
    }
    regression = checks["No regression against the baseline"]
    assert "fails:" in regression
    assert "Nightly 2" in regression and "faithfulness 0.85 against 0.92" in regression
    assert "passes:" in checks["Evaluation meets the quality target"]
    assert (
        "No load test reached the peak volume of 12"
        in checks["Load test at peak volume"]
    )


def test_the_runs_table_lists_runs_newest_first_with_the_baseline_marked(history, as_):
    doc = page(as_(history["viewer"]).get(tab_url(history["project"])))
    table = region(doc, "Evaluation runs table").find("table")
    rows = table_rows(table)
    assert [row[1] for row in rows] == ["Nightly 2", "Nightly 1 Baseline"]
    newest, oldest = rows
    assert oldest[2] == "golden v3"
    assert oldest[3] == "gpt-4o · prompt-12 · 0123456…"
    assert oldest[4] == "helpfulness 0.90 faithfulness 0.92"
    assert oldest[5] == "46 / 4 (92 %)"
    assert oldest[6] == "Push API · source"
    assert newest[5] == "—"
    link = table.find("a", string="Nightly 2")
    assert link["href"] == run_url(history["latest"])


def test_the_chart_table_shows_each_run_with_the_target_and_the_baseline(history, as_):
    doc = page(as_(history["viewer"]).get(tab_url(history["project"])))
    # The approved quality score comes first.
    quality = region(doc, "helpfulness per run table").find("table")
    assert table_headers(quality) == ["Run", "Score", "Target", "Baseline"]
    rows = table_rows(quality)
    assert [row[1:] for row in rows] == [
        ["0.90", "0.85", "0.90"],
        ["0.91", "0.85", "0.90"],
    ]
    assert rows[0][0].endswith("Nightly 1 (baseline)") and rows[1][0].endswith(
        "Nightly 2"
    )
    other = region(doc, "faithfulness per run table").find("table")
    assert table_headers(other) == ["Run", "Score", "Baseline"]
    assert [row[1:] for row in table_rows(other)] == [
        ["0.92", "0.92"],
        ["0.85", "0.92"],
    ]
    # The figure, for plotly.js, and its text alternative.
    figure = json.loads(doc.find("script", id="chart-score-0").string)
    lines = {trace["name"]: trace["y"] for trace in figure["data"]}
    assert lines == {
        "helpfulness": [0.9, 0.91],
        "Target": [0.85, 0.85],
        "Baseline": [0.9, 0.9],
    }
    drawn = doc.find(attrs={"data-chart": "chart-score-0"})
    assert drawn["role"] == "img"
    assert "helpfulness on “golden”, 2 runs" in drawn["aria-label"]
    assert "target 0.85; baseline 0.90 (“Nightly 1”)" in drawn["aria-label"]
    # The chart's scripts come from our own origin, with no inline script.
    assert doc.find("script", src="/static/js/charts.js") is not None
    assert all(
        s.get("src") or s.get("type") == "application/json"
        for s in doc.find_all("script")
    )


def test_the_load_tests_table_judges_each_against_the_requirements(
    ui_people, ui_record, as_
):
    project = ui_people["project"]
    ui_record(
        project,
        "load-ok",
        days_ago=2,
        kind="load_test",
        name="Peak, passing",
        target_rps=12,
        achieved_rps="12.5",
        p95_latency_ms=1800,
        error_rate_pct="0.4",
        duration_seconds=600,
    )
    ui_record(
        project,
        "load-slow",
        days_ago=1,
        kind="load_test",
        name="Peak, slow",
        target_rps=12,
        achieved_rps=12,
        p95_latency_ms=3100,
        error_rate_pct="0.4",
        duration_seconds=90,
    )
    ui_record(project, "load-low", kind="load_test", name="Half", achieved_rps=6)
    doc = page(as_(ui_people["viewer"]).get(tab_url(project)))
    rows = table_rows(region(doc, "Load tests table").find("table"))
    assert rows == [
        [
            rows[0][0],
            "Half",
            "6 / —",
            "—",
            "—",
            "—",
            "Missed Below the peak volume of 12 requests per second",
        ],
        [
            rows[1][0],
            "Peak, slow",
            "12 / 12",
            "3100 ms",
            "0.4 %",
            "1 min 30 s",
            "Missed P95 latency 3100 ms, over the 2500 ms target",
        ],
        [rows[2][0], "Peak, passing", "12.5 / 12", "1800 ms", "0.4 %", "10 min", "Met"],
    ]


def test_the_runs_table_is_paginated_newest_first(ui_people, ui_record, as_):
    project = ui_people["project"]
    for n in range(53):
        ui_record(
            project, f"run-{n:02}", days_ago=60 - n, scores={"helpfulness": "0.9"}
        )
    client = as_(ui_people["viewer"])
    first = page(client.get(tab_url(project)))
    table = region(first, "Evaluation runs table").find("table")
    names = [row[1] for row in table_rows(table)]
    assert len(names) == 50 and names[0] == "run-52" and names[-1] == "run-03"
    assert "Evaluation runs (53)" in text(first)
    pager = first.find("nav", attrs={"aria-label": "Evaluation runs pages"})
    assert "Page 1 of 2" in text(pager)
    older = pager.find("a", rel="next")["href"]
    assert "runs_page=2" in older
    second = page(client.get(tab_url(project) + older))
    names = [
        row[1]
        for row in table_rows(region(second, "Evaluation runs table").find("table"))
    ]
    assert names == ["run-02", "run-01", "run-00"]
    # A page number that is not one shows the first page, not an error.
    assert client.get(tab_url(project, runs_page="x")).status_code == 200


def test_without_runs_the_tab_says_how_they_arrive(ui_people, as_):
    doc = page(as_(ui_people["viewer"]).get(tab_url(ui_people["project"])))
    empty = doc.find(class_="empty-state")
    assert "No evaluation runs or load tests yet" in text(empty)
    assert "push API" in text(empty) and "Langfuse" in text(empty)
    metrics = reverse("metrics:project", kwargs={"slug": ui_people["project"].slug})
    hrefs = {a["href"] for a in empty.find_all("a")}
    assert f"{metrics}#push-api" in hrefs and reverse("api:openapi-json") in hrefs
    assert doc.find(attrs={"data-chart": True}) is None
    assert doc.find("script", src="/static/js/charts.js") is None
    checks = text(doc.find("section", attrs={"aria-labelledby": "checks-heading"}))
    assert "Name the evaluation set step 6 judges" in checks


def test_each_page_reads_the_same_number_of_rows_whatever_the_history(
    history, ui_record, as_, django_assert_max_num_queries
):
    client = as_(history["viewer"])
    project = history["project"]
    urls = [tab_url(project), run_url(history["latest"]), compare_url(project)]
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        counts.append(len(few))
    for n in range(30):
        ui_record(
            project, f"more-{n}", days_ago=2, scores={"helpfulness": "0.9", "x": "0.5"}
        )
        ui_record(project, f"load-{n}", days_ago=2, kind="load_test", achieved_rps=12)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


# --- The Activity tab -------------------------------------------------------------------


def test_acceptances_and_plan_changes_read_as_sentences_in_the_activity(
    history, as_, monkeypatch
):
    project = history["project"]
    services.plan_save(
        project=project, dataset_name="golden-v2", tolerance=Decimal("0.05")
    )
    texts = [e.text for e in selectors.evaluations_activity(project)]
    assert "set the evaluation plan: “golden”, tolerance 0.02" in texts
    assert "changed the evaluation set step 6 judges to “golden-v2”" in texts
    assert "changed the regression tolerance from 0.02 to 0.05" in texts
    assert (
        "accepted the run “Nightly 1” on “golden” as the baseline: “First release.”"
        in texts
    )
    # Registered as a source, they show on the tab, with who did it, in step 6.
    monkeypatch.setattr(
        activity, "_sources", [*activity._sources, selectors.evaluations_activity]
    )
    doc = page(
        as_(history["viewer"]).get(
            reverse("projects:activity", kwargs={"slug": project.slug}) + "?step=6"
        )
    )
    entries = [text(li) for li in doc.find("ol", class_="activity").find_all("li")]
    assert any(
        "Leo" in e and "accepted the run “Nightly 1” on “golden” as the baseline" in e
        for e in entries
    ), entries


def test_with_load_tests_only_the_tab_still_says_how_evaluation_runs_arrive(
    ui_people, ui_record, as_
):
    project = ui_people["project"]
    ui_record(project, "load-1", kind="load_test", achieved_rps=12)
    doc = page(as_(ui_people["viewer"]).get(tab_url(project)))
    empty = [text(e) for e in doc.find_all(class_="empty-state")]
    assert any("No evaluation runs yet" in e and "push API" in e for e in empty)
    assert region(doc, "Load tests table") is not None
    assert region(doc, "Evaluation runs table") is None


def test_with_evaluation_runs_only_the_tab_asks_for_a_load_test(history, as_):
    doc = page(as_(history["viewer"]).get(tab_url(history["project"])))
    empty = text(doc.find(class_="empty-state"))
    assert "No load tests yet" in empty and "peak volume" in empty


def test_the_tab_says_when_langfuse_runs_were_read_and_why_a_read_failed(history, as_):
    from evaluations.models import DatasetSync
    from metrics import services as metric_services

    project, lead = history["project"], history["lead"]
    langfuse = metric_services.service_create(
        project=project,
        kind="langfuse",
        name="Langfuse EU",
        created_by=lead,
        credentials={"public_key": "pk-lf-1", "secret_key": "sk-lf-1"},
    )
    client = as_(lead)
    assert "Langfuse “Langfuse EU”: dataset runs are read every hour" in text(
        page(client.get(tab_url(project)))
    )

    DatasetSync.objects.create(
        service=langfuse,
        last_attempt_at="2026-12-01T10:00:00Z",
        last_error="401 from Langfuse: the credentials were rejected",
        runs_stored=4,
    )
    shown = text(page(client.get(tab_url(project))))
    assert (
        "that read failed (401 from Langfuse: the credentials were rejected); it is "
        "tried again within the hour."
    ) in shown
