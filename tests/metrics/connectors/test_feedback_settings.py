"""The feedback settings of the connect form: which kinds offer them, what is stored on
the service, and that a sync reads them back the same way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from metrics.connectors.feedback import FeedbackRule, normalise
from metrics.forms import ServiceForm
from metrics.models import ConnectedService
from metrics.vocabulary import Metric

FEEDBACK = [
    "feedback_names",
    "feedback_kind",
    "feedback_positive_labels",
    "feedback_negative_labels",
]
LANGFUSE = {
    "name": "Langfuse",
    "environment": "production",
    "interval_minutes": 60,
    "public_key": "pk-lf-1",
    "secret_key": "sk-lf-2",
}


@pytest.mark.parametrize("kind", ["langfuse", "langsmith"])
def test_kinds_that_read_scores_or_feedback_offer_the_settings(kind):
    form = ServiceForm(kind=kind)

    assert form.feedback_fields == FEEDBACK
    assert set(FEEDBACK) <= set(form.fields)
    # The help lists the defaults a sync uses.
    assert "user-feedback" in str(form.fields["feedback_names"].help_text)
    assert "👍" in str(form.fields["feedback_positive_labels"].help_text)


def test_langsmith_defaults_include_its_conventional_key():
    help_text = str(ServiceForm(kind="langsmith").fields["feedback_names"].help_text)
    assert "user_score" in help_text
    assert "user_score" not in str(
        ServiceForm(kind="langfuse").fields["feedback_names"].help_text
    )


@pytest.mark.parametrize("kind", ["helicone", "prometheus", "openai", "demo"])
def test_other_kinds_do_not(kind):
    form = ServiceForm(kind=kind)
    assert form.feedback_fields == []
    assert not set(FEEDBACK) & set(form.fields)


def test_empty_settings_store_nothing_so_the_defaults_apply():
    form = ServiceForm({**LANGFUSE, "feedback_kind": "any"}, kind="langfuse")
    assert form.is_valid(), form.errors

    _, config = form.split()
    assert config == {}


def test_settings_are_stored_as_lists_and_read_back_by_the_connector_rule():
    form = ServiceForm(
        {
            **LANGFUSE,
            "feedback_names": " csat-thumb , Rating Thumbs ,",
            "feedback_kind": "CATEGORICAL",
            "feedback_positive_labels": "great, 🙂",
            "feedback_negative_labels": "awful",
        },
        kind="langfuse",
    )
    assert form.is_valid(), form.errors

    _, config = form.split()
    assert config == {
        "feedback_names": ["csat-thumb", "Rating Thumbs"],
        "feedback_kind": "CATEGORICAL",
        "feedback_positive_labels": ["great", "🙂"],
        "feedback_negative_labels": ["awful"],
    }
    rule = FeedbackRule.from_config(config)
    assert rule.is_named("CSAT_thumb") and rule.is_named("rating-thumbs")
    assert not rule.is_named("user_feedback")
    assert rule.accepts("CATEGORICAL") and not rule.accepts("NUMERIC")
    assert rule.vote_of_label("Great") is Metric.FEEDBACK_POSITIVE
    assert rule.vote_of_label("good") is None  # the defaults were replaced


def test_an_unknown_kind_is_refused():
    form = ServiceForm({**LANGFUSE, "feedback_kind": "TEXT"}, kind="langfuse")
    assert not form.is_valid()
    assert "feedback_kind" in form.errors


def test_default_rule_recognises_common_names_and_labels_in_any_spelling():
    rule = FeedbackRule.from_config({})

    for name in ("user_feedback", "User-Feedback", "FEEDBACK", "thumbs up down"):
        assert rule.is_named(name), name
    assert not rule.is_named("feedback_quality")
    assert rule.vote_of_label("Thumbs-Up") is Metric.FEEDBACK_POSITIVE
    assert rule.vote_of_label("👍🏿") is Metric.FEEDBACK_POSITIVE
    assert rule.vote_of_label("negative") is Metric.FEEDBACK_NEGATIVE
    assert rule.vote_of_label("-1") is Metric.FEEDBACK_NEGATIVE
    assert rule.vote_of_label("0.5") is None
    assert rule.vote_of_label("neutral") is None
    assert normalise("Thumbs_Up ") == normalise("thumbs-up") == "thumbsup"


def test_an_older_single_name_config_still_names_the_feedback_score():
    rule = FeedbackRule.from_config(
        {"feedback_score_name": "is_helpful"}, legacy_key="feedback_score_name"
    )
    assert rule.is_named("is_helpful") and not rule.is_named("user_feedback")


@pytest.mark.django_db
def test_the_connect_page_groups_the_settings_and_saves_them(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people["lead"])
    url = reverse(
        "metrics:connect", kwargs={"slug": people["project"].slug, "kind": "langfuse"}
    )

    page = client.get(url).content.decode()
    assert "<legend>User feedback</legend>" in page
    assert 'name="feedback_names"' in page

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            url, {**LANGFUSE, "action": "save", "feedback_names": "thumbs_rating"}
        )
    assert response.status_code == 302
    assert ConnectedService.objects.get().config == {
        "feedback_names": ["thumbs_rating"]
    }
