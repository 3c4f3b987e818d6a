"""The bodies Runway posts: Slack's and Teams' message shapes, and our own JSON for
signed webhooks. Pure: an event in, a JSON document out.

Every message says what happened in one line and links to the page in Runway; what a
channel's audience should not see stays behind that link. ``spend_detail`` is filled
only for channels whose project owner allowed spend figures."""

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
    project_name: str
    project_url: str  # absolute
    title: str
    url: str  # absolute
    spend_detail: str = ""  # empty unless the channel may see spend figures


def _slack_escape(text: str) -> str:
    # Slack reads &, < and > as control characters in message text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# What Adaptive Cards' markdown (Teams) reads as formatting or links; each is
# backslash-escaped so that a name like "[x](https://evil)" shows as typed.
_TEAMS_MARKDOWN = frozenset("\\`*_~[]()<>#")


def _teams_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _TEAMS_MARKDOWN else c for c in text)


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
                        "text": f"Runway · {_slack_escape(message.project_name)}",
                    }
                ],
            },
        ],
    }


def teams_payload(message: Outgoing) -> dict[str, Any]:
    """A Teams workflow (incoming webhook) message carrying one Adaptive Card."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _teams_escape(message.title),
            "weight": "Bolder",
            "wrap": True,
        }
    ]
    if message.spend_detail:
        body.append(
            {
                "type": "TextBlock",
                "text": _teams_escape(message.spend_detail),
                "wrap": True,
            }
        )
    body.append(
        {
            "type": "TextBlock",
            "text": f"Runway · {_teams_escape(message.project_name)}",
            "isSubtle": True,
            "size": "Small",
            "wrap": True,
        }
    )
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
    """Our own event document (docs/integrations.md): ``spend_detail`` is present only
    when the channel may see spend figures and the event has any."""
    payload: dict[str, Any] = {
        "id": message.delivery_id,
        "type": message.event,
        "occurred_at": message.occurred_at.isoformat(),
        "project": {"name": message.project_name, "url": message.project_url},
        "title": message.title,
        "url": message.url,
    }
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
