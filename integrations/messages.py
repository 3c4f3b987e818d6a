"""The bodies Runway posts: Slack's and Teams' message shapes, and our own JSON for
signed webhooks. Pure: an event in, a JSON document out.

Every message says what happened in one line and links to the page in Runway; what a
channel's audience should not see stays behind that link. ``spend_detail`` is filled
only for channels whose project owner allowed spend figures (never a team's channel).

Names and titles are people's text: they must not turn into links, mentions or
formatting where a message is read. Slack's control characters are escaped; Teams gets
them in an Adaptive Card's TextRuns, which are never read as Markdown (see
``teams_payload``); the signed webhook carries them as they are, in JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

OPEN_LINK_LABEL = "Open in Runway"


@dataclass(frozen=True)
class Outgoing:
    delivery_id: str
    event: str
    occurred_at: datetime
    # The event's project: empty only in a test message to a team's channel.
    project_name: str
    project_url: str  # absolute
    title: str
    url: str  # absolute
    spend_detail: str = ""  # empty unless the channel may see spend figures
    team_name: str = ""  # the channel's team, for a team's channel


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as control characters in message text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _source(message: Outgoing) -> str:
    """Where the message comes from: "Runway · <team> · <project>"."""
    return " · ".join(
        part for part in ("Runway", message.team_name, message.project_name) if part
    )


def slack_payload(message: Outgoing) -> dict[str, Any]:
    """An incoming-webhook message: ``text`` for notifications and old clients,
    ``blocks`` for the message itself."""
    lines = [f"*{_slack_escape(message.title)}*"]
    if message.spend_detail:
        lines.append(_slack_escape(message.spend_detail))
    lines.append(f"<{message.url}|{OPEN_LINK_LABEL}>")
    return {
        "text": _slack_escape(message.title),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _slack_escape(_source(message)),
                    }
                ],
            },
        ],
    }


def _teams_text(text: str, **style: Any) -> dict[str, Any]:
    """A paragraph of plain text. A TextBlock's text is read as Markdown, and the
    clients do not agree on backslash escapes (mobile ones showed the backslashes or
    still made emphasis of escaped stars), so people's text goes in a TextRun, which
    no client reads as Markdown: "[x](https://evil)" stays those characters. A mention
    needs an entity in the card's ``msteams`` part, which Runway never sends."""
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, **style}],
    }


def teams_payload(message: Outgoing) -> dict[str, Any]:
    """A Teams workflow (incoming webhook) message carrying one Adaptive Card."""
    body: list[dict[str, Any]] = [_teams_text(message.title, weight="Bolder")]
    if message.spend_detail:
        body.append(_teams_text(message.spend_detail))
    body.append(_teams_text(_source(message), isSubtle=True, size="Small"))
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [
                        {
                            "type": "Action.OpenUrl",
                            "title": OPEN_LINK_LABEL,
                            "url": message.url,
                        }
                    ],
                },
            }
        ],
    }


def webhook_payload(message: Outgoing) -> dict[str, Any]:
    """Our own event document (docs/integrations.md): ``team`` is present for a team's
    channel, ``project`` for every event (not a team channel's test), ``spend_detail``
    only when the channel may see spend figures and the event has any."""
    payload: dict[str, Any] = {
        "id": message.delivery_id,
        "type": message.event,
        "occurred_at": message.occurred_at.isoformat(),
    }
    if message.team_name:
        payload["team"] = {"name": message.team_name}
    if message.project_name:
        payload["project"] = {"name": message.project_name, "url": message.project_url}
    payload |= {"title": message.title, "url": message.url}
    if message.spend_detail:
        payload["spend_detail"] = message.spend_detail
    return payload


BUILDERS = {
    "slack": slack_payload,
    "teams": teams_payload,
    "webhook": webhook_payload,
}


def body_for(kind: str, message: Outgoing) -> str:
    """The JSON text posted to a channel of ``kind``: compact, so that what is signed
    is exactly what is sent."""
    return json.dumps(
        BUILDERS[kind](message), ensure_ascii=False, separators=(",", ":")
    )
