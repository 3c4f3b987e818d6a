"""The bodies posted to Slack, Teams and signed webhooks, and what they leave out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from integrations.messages import Outgoing, body_for

MESSAGE = Outgoing(
    delivery_id="d-1",
    event="alert.opened",
    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    project_name="Support <Copilot> & co",
    project_url="https://runway.example/projects/support/",
    title="Support Copilot: Budget forecast alert opened",
    url="https://runway.example/projects/support/dashboard/",
)


def test_slack_gets_text_and_blocks_with_a_link_back():
    payload = json.loads(body_for("slack", MESSAGE))
    assert payload["text"] == MESSAGE.title
    section = payload["blocks"][0]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert f"<{MESSAGE.url}|Open in Runway>" in section["text"]["text"]
    # Slack's control characters are escaped in names.
    assert (
        "Support &lt;Copilot&gt; &amp; co"
        in payload["blocks"][1]["elements"][0]["text"]
    )


def test_teams_gets_one_adaptive_card_with_an_open_button():
    payload = json.loads(body_for("teams", MESSAGE))
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    title = card["body"][0]
    assert title["type"] == "RichTextBlock"
    assert title["inlines"] == [
        {"type": "TextRun", "text": MESSAGE.title, "weight": "Bolder"}
    ]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Runway", "url": MESSAGE.url}
    ]


def test_the_webhook_document_names_the_event_project_and_page():
    payload = json.loads(body_for("webhook", MESSAGE))
    assert payload == {
        "id": "d-1",
        "type": "alert.opened",
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "project": {"name": MESSAGE.project_name, "url": MESSAGE.project_url},
        "title": MESSAGE.title,
        "url": MESSAGE.url,
    }


def test_spend_figures_appear_only_when_given():
    with_spend = Outgoing(**{**MESSAGE.__dict__, "spend_detail": "Forecast $1,200."})
    for kind in ("slack", "teams", "webhook"):
        assert "$1,200" not in body_for(kind, MESSAGE)
        assert "$1,200" in body_for(kind, with_spend)


HOSTILE = Outgoing(
    **{
        **MESSAGE.__dict__,
        "project_name": "<!channel> [x](https://evil)",
        "title": "<!channel> [x](https://evil): *Budget* _alert_ opened & more",
    }
)


def test_a_name_cannot_ping_a_slack_channel_or_make_a_link():
    payload = json.loads(body_for("slack", HOSTILE))
    for text in (
        payload["text"],
        payload["blocks"][0]["text"]["text"],
        payload["blocks"][1]["elements"][0]["text"],
    ):
        assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert payload["text"].endswith("&amp; more")


def _texts(node, path=()):
    """Every ``text`` in a card, with the types of the elements it sits in."""
    if isinstance(node, dict):
        types = (*path, node.get("type"))
        if "text" in node:
            yield types, node["text"]
        for value in node.values():
            yield from _texts(value, types)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item, path)


def test_a_name_cannot_make_a_link_a_mention_or_formatting_in_teams():
    """A TextBlock's text is Markdown ("[x](url)" is a link, "**x**" bold), and Teams'
    clients disagree about backslash escapes; a TextRun is never read as Markdown. So
    people's text goes only into TextRuns, as typed, and the card declares no mention
    entity that "<at>…</at>" could resolve to."""
    with_spend = Outgoing(**{**HOSTILE.__dict__, "spend_detail": "[$](https://e)"})
    card = json.loads(body_for("teams", with_spend))["attachments"][0]["content"]
    texts = list(_texts(card["body"]))
    assert texts and all(types[-1] == "TextRun" for types, _ in texts)
    assert all("TextBlock" not in types for types, _ in texts)
    shown = [text for _, text in texts]
    assert shown == [
        HOSTILE.title,
        "[$](https://e)",
        "Runway · <!channel> [x](https://evil)",
    ]
    assert "msteams" not in card
    # The only link is Runway's own button.
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Runway", "url": MESSAGE.url}
    ]


def test_a_team_channels_message_names_the_team_and_the_project():
    message = Outgoing(**{**MESSAGE.__dict__, "team_name": "Claims & Ops"})
    slack = json.loads(body_for("slack", message))
    assert slack["blocks"][1]["elements"][0]["text"] == (
        "Runway · Claims &amp; Ops · Support &lt;Copilot&gt; &amp; co"
    )
    card = json.loads(body_for("teams", message))["attachments"][0]["content"]
    assert card["body"][-1]["inlines"][0]["text"] == (
        "Runway · Claims & Ops · Support <Copilot> & co"
    )
    webhook = json.loads(body_for("webhook", message))
    assert webhook["team"] == {"name": "Claims & Ops"}
    assert webhook["project"]["name"] == MESSAGE.project_name
    # A test to a team's channel is about no project.
    test = Outgoing(**{**message.__dict__, "project_name": "", "project_url": ""})
    assert "project" not in json.loads(body_for("webhook", test))


def test_the_webhook_document_carries_names_as_they_are():
    payload = json.loads(body_for("webhook", HOSTILE))
    assert payload["title"] == HOSTILE.title
    assert payload["project"]["name"] == HOSTILE.project_name
