"""Which scores (Langfuse) or feedback keys (LangSmith) are a user's thumbs up or down, and
which way each one points.

Teams record the same thumbs in many shapes: a BOOLEAN score named ``user_feedback``, a
NUMERIC 1/0 (or 1/-1) score named ``user-feedback`` or ``feedback``, a CATEGORICAL score
whose label is "thumbs_up", "good" or "👍". One rule, read from the service's config,
recognises all of them; the connect form shows the same defaults a sync uses.

Config keys on ``ConnectedService.config`` (all optional):

- ``feedback_names``: the score names / feedback keys that are feedback. Compared ignoring
  case, spaces, dashes, dots and underscores, so "User-Feedback" is "user_feedback".
  Default: ``DEFAULT_NAMES`` (LangSmith adds its conventional ``user_score``). Giving
  names replaces the defaults.
- ``feedback_kind``: ``any`` (default), ``BOOLEAN``, ``NUMERIC`` or ``CATEGORICAL``; a
  score of another kind is not feedback even when its name matches.
- ``feedback_positive_labels`` / ``feedback_negative_labels``: the categorical labels that
  are a vote up / down. Default: ``DEFAULT_POSITIVE_LABELS`` / ``DEFAULT_NEGATIVE_LABELS``.

Numbers (numeric and boolean scores, or a label that is a number) vote up for 1 and down
for 0 or -1 (thumbs are stored as 1/0 by most SDK examples and as 1/-1 by some); any other
number is not a vote. A score recognised as feedback is never also a quality score.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from metrics.connectors.parsing import parse_decimal
from metrics.vocabulary import Metric

ANY = "any"
BOOLEAN = "BOOLEAN"
NUMERIC = "NUMERIC"
CATEGORICAL = "CATEGORICAL"
KINDS: tuple[str, ...] = (ANY, BOOLEAN, NUMERIC, CATEGORICAL)

NAMES_KEY = "feedback_names"
KIND_KEY = "feedback_kind"
POSITIVE_KEY = "feedback_positive_labels"
NEGATIVE_KEY = "feedback_negative_labels"
CONFIG_KEYS: tuple[str, ...] = (NAMES_KEY, KIND_KEY, POSITIVE_KEY, NEGATIVE_KEY)

DEFAULT_NAMES: tuple[str, ...] = (
    "user_feedback",
    "user-feedback",
    "feedback",
    "thumbs",
    "thumbs_up_down",
    "thumbs_up",
)
# LangChain's chat UIs and LangSmith's own examples send thumbs as the key "user_score";
# a Langfuse "user_score" is as likely a 1-5 rating, so only LangSmith assumes it.
DEFAULT_NAMES_BY_KIND: dict[str, tuple[str, ...]] = {
    "langfuse": DEFAULT_NAMES,
    "langsmith": (*DEFAULT_NAMES, "user_score"),
}
DEFAULT_POSITIVE_LABELS: tuple[str, ...] = (
    "thumbs_up",
    "up",
    "positive",
    "good",
    "yes",
    "true",
    "like",
    "helpful",
    "👍",
)
DEFAULT_NEGATIVE_LABELS: tuple[str, ...] = (
    "thumbs_down",
    "down",
    "negative",
    "bad",
    "no",
    "false",
    "dislike",
    "unhelpful",
    "not_helpful",
    "👎",
)

_SEPARATORS = re.compile(r"[\s_\-.]+")
# Skin tones and emoji/text presentation selectors: "👍🏽" is still "👍".
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0e\ufe0f]")


def normalise(text: str) -> str:
    """The form names and labels are compared in: case, separators and emoji skin tones
    left out ("Thumbs-Up" = "thumbs_up" = "thumbsup", "👍🏽" = "👍")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SEPARATORS.sub("", _EMOJI_MODIFIERS.sub("", folded))


def as_list(value: object) -> list[str]:
    """A config value as a list of non-empty strings: a list as stored by the form, or a
    comma-separated string written by hand."""
    if isinstance(value, str):
        items: Iterable[object] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        return []
    return [text for item in items if (text := str(item).strip())]


def vote_of_number(value: Decimal) -> Metric | None:
    """1 is a vote up; 0 and -1 are votes down; anything else is not a vote."""
    if value == 1:
        return Metric.FEEDBACK_POSITIVE
    if value in (0, -1):
        return Metric.FEEDBACK_NEGATIVE
    return None


@dataclass(frozen=True)
class FeedbackRule:
    """Which names and kinds are feedback, and which labels point up or down."""

    names: frozenset[str]
    kind: str
    positive: frozenset[str]
    negative: frozenset[str]

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        *,
        default_names: Iterable[str] = DEFAULT_NAMES,
        legacy_key: str = "",
    ) -> FeedbackRule:
        """The rule a service's config asks for. ``legacy_key`` names the single-name key
        an older config may hold (Langfuse ``feedback_score_name``, LangSmith
        ``feedback_key``); it counts when ``feedback_names`` is not set."""
        names = as_list(config.get(NAMES_KEY))
        if not names and legacy_key:
            names = as_list(config.get(legacy_key))
        kind = str(config.get(KIND_KEY) or ANY).strip()
        kind = kind.upper() if kind.upper() in KINDS else ANY
        positive = as_list(config.get(POSITIVE_KEY)) or list(DEFAULT_POSITIVE_LABELS)
        negative = as_list(config.get(NEGATIVE_KEY)) or list(DEFAULT_NEGATIVE_LABELS)
        return cls(
            names=frozenset(normalise(n) for n in (names or default_names)),
            kind=kind,
            positive=frozenset(normalise(label) for label in positive),
            negative=frozenset(normalise(label) for label in negative),
        )

    def is_named(self, name: str) -> bool:
        return normalise(name) in self.names

    def accepts(self, kind: str) -> bool:
        return self.kind in (ANY, kind)

    def vote_of_label(self, label: object) -> Metric | None:
        """The vote a categorical label stands for; a numeric label votes as a number."""
        if not isinstance(label, str) or not label.strip():
            return None
        value = parse_decimal(label)
        if value is not None:
            return vote_of_number(value)
        key = normalise(label)
        if key in self.positive:
            return Metric.FEEDBACK_POSITIVE
        if key in self.negative:
            return Metric.FEEDBACK_NEGATIVE
        return None
