"""Build in-house or partner: a weighted score and the recommendation it gives (pure).

The five criteria of domain.md ("Build in-house or partner") are each scored 1–5 and
weighted 0–5. A score says how much of that criterion the team has (or, for timeline
pressure, how much pressure there is); the formula turns it into a *build tendency*
between 0 (points to a partner) and 1 (points to building in-house):

    t = (score − 1) / 4    when a high score favours building (expertise, DevOps, …)
    t = (5 − score) / 4    when a high score favours a partner (timeline pressure)

The build score is the weighted mean of the tendencies, on a 0–100 scale:

    build score = 100 × Σ(w · t) / Σ w

and the outcome follows from two thresholds:

    build score ≥ BUILD_AT (65)     → "build"
    build score ≤ PARTNER_AT (40)   → "partner"
    otherwise                       → "hybrid"

The comparison is done on exact fractions, so a score that lands exactly on a threshold
is never pushed to the wrong side by floating-point error; only the shown
``build_score`` is rounded (half up, to one decimal).

A criterion "pulls towards a partner" when t ≤ 0.25 (score 1–2, or timeline pressure
4–5) and "is strong" (pulls towards building) when t ≥ 0.75; a criterion weighted 0 is
left out of both, since it did not count. The sensitivity line (``Flip``) is the smallest
change to one criterion's score that would change the outcome.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Outcome = Literal["build", "hybrid", "partner"]

BUILD_AT = 65
PARTNER_AT = 40

MIN_SCORE, MAX_SCORE = 1, 5
MIN_WEIGHT, MAX_WEIGHT = 0, 5

# A tendency at or past these marks is called out in the reasoning sentence.
PULLS_TO_PARTNER_AT = Fraction(1, 4)
PULLS_TO_BUILD_AT = Fraction(3, 4)

LABELS: dict[Outcome, str] = {
    "build": "Build",
    "hybrid": "Hybrid",
    "partner": "Partner",
}


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    default_weight: int
    favours_build_when_high: bool
    # How the criterion reads inside the reasoning sentence ("DevOps capacity pulls …").
    short: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "ml_expertise", "Internal AI/ML expertise", 3, True, "in-house AI/ML expertise"
    ),
    Criterion(
        "devops", "DevOps and infrastructure capability", 2, True, "DevOps capacity"
    ),
    Criterion(
        "security",
        "Security and compliance knowledge for the industry",
        2,
        True,
        "security and compliance know-how",
    ),
    # High timeline pressure leaves no time to build a team and a platform: it favours a partner.
    Criterion("timeline", "Timeline pressure", 2, False, "timeline"),
    Criterion(
        "maintenance", "Long-term maintenance capacity", 1, True, "maintenance capacity"
    ),
)

DEFAULT_WEIGHTS: dict[str, int] = {c.key: c.default_weight for c in CRITERIA}


@dataclass(frozen=True)
class Flip:
    """The smallest single-criterion change of score that changes the outcome."""

    criterion: str
    label: str
    from_score: int
    to_score: int
    new_outcome: Outcome
    text: str


@dataclass(frozen=True)
class Recommendation:
    outcome: Outcome
    label: str
    build_score: float
    pulls_to_partner: list[str]
    pulls_to_build: list[str]
    reasoning: str
    flip: Flip | None


def _checked(
    values: Mapping[str, int], what: str, low: int, high: int
) -> dict[str, int]:
    """``values`` keyed exactly by the criteria keys, each an integer in [low, high]."""
    known = {c.key for c in CRITERIA}
    for key in values:
        if key not in known:
            raise ValueError(
                f"Unknown criterion {key!r} in {what}; expected one of {', '.join(DEFAULT_WEIGHTS)}."
            )
    checked: dict[str, int] = {}
    for criterion in CRITERIA:
        if criterion.key not in values:
            raise ValueError(
                f"Missing {what[:-1]} for {criterion.label!r} ({criterion.key})."
            )
        value = values[criterion.key]
        # bool is an int subclass, but True as a score is a caller's mistake.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"The {what[:-1]} for {criterion.label!r} ({criterion.key}) must be a whole number, got {value!r}."
            )
        if not low <= value <= high:
            raise ValueError(
                f"The {what[:-1]} for {criterion.label!r} ({criterion.key}) must be between {low} and {high}, got {value}."
            )
        checked[criterion.key] = value
    return checked


def _tendency(criterion: Criterion, score: int) -> Fraction:
    if criterion.favours_build_when_high:
        return Fraction(score - MIN_SCORE, MAX_SCORE - MIN_SCORE)
    return Fraction(MAX_SCORE - score, MAX_SCORE - MIN_SCORE)


def _build_score(scores: Mapping[str, int], weights: Mapping[str, int]) -> Fraction:
    total_weight = sum(weights[c.key] for c in CRITERIA)
    weighted = sum(
        (weights[c.key] * _tendency(c, scores[c.key]) for c in CRITERIA), Fraction(0)
    )
    return 100 * weighted / total_weight


def _outcome(build_score: Fraction) -> Outcome:
    if build_score >= BUILD_AT:
        return "build"
    if build_score <= PARTNER_AT:
        return "partner"
    return "hybrid"


def _round_half_up(value: Fraction, places: int = 1) -> float:
    # round() on a float rounds half to even and sees binary noise; do it exactly instead.
    scale = 10**places
    return float(Fraction(math.floor(value * scale + Fraction(1, 2)), scale))


def _join(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _reasoning(label: str, to_partner: Sequence[str], to_build: Sequence[str]) -> str:
    parts = []
    if to_partner:
        verb = "pulls" if len(to_partner) == 1 else "pull"
        parts.append(f"{_join(to_partner)} {verb} towards a partner")
    if to_build:
        verb = "is" if len(to_build) == 1 else "are"
        parts.append(f"{_join(to_build)} {verb} strong")
    if not parts:
        return f"{label} — no criterion pulls strongly either way."
    return f"{label} — {'; '.join(parts)}."


def _flip(
    scores: Mapping[str, int], weights: Mapping[str, int], outcome: Outcome
) -> Flip | None:
    """The smallest |to − from| over every criterion and target score that changes the
    outcome; ties go to the larger weight, then to criteria order, then (one criterion
    flipping both ways at the same distance) to the lower target score."""
    best: tuple[tuple[int, int, int, int], Flip] | None = None
    for index, criterion in enumerate(CRITERIA):
        current = scores[criterion.key]
        for target in range(MIN_SCORE, MAX_SCORE + 1):
            if target == current:
                continue
            new_outcome = _outcome(
                _build_score({**scores, criterion.key: target}, weights)
            )
            if new_outcome == outcome:
                continue
            rank = (abs(target - current), -weights[criterion.key], index, target)
            if best is not None and best[0] <= rank:
                continue
            verb = "Raising" if target > current else "Lowering"
            text = f"{verb} {criterion.label} from {current} to {target} would make it {LABELS[new_outcome]}."
            best = (
                rank,
                Flip(
                    criterion.key, criterion.label, current, target, new_outcome, text
                ),
            )
    return None if best is None else best[1]


def score_build_vs_partner(
    scores: Mapping[str, int], weights: Mapping[str, int] | None = None
) -> Recommendation:
    """Recommend build, hybrid or partner from 1–5 scores and 0–5 weights (see the module
    docstring for the formula). ``weights`` defaults to each criterion's default weight;
    when given, it must name every criterion, as ``scores`` must. Raises ``ValueError``
    naming the criterion for a missing or unknown key or an out-of-range value, and when
    every weight is 0 (there would be nothing to average)."""
    checked_scores = _checked(scores, "scores", MIN_SCORE, MAX_SCORE)
    checked_weights = _checked(
        DEFAULT_WEIGHTS if weights is None else weights,
        "weights",
        MIN_WEIGHT,
        MAX_WEIGHT,
    )
    if sum(checked_weights.values()) == 0:
        raise ValueError("At least one criterion needs a weight above 0.")

    build_score = _build_score(checked_scores, checked_weights)
    outcome = _outcome(build_score)
    label = LABELS[outcome]
    counted = [c for c in CRITERIA if checked_weights[c.key] > 0]
    to_partner = [
        c.short
        for c in counted
        if _tendency(c, checked_scores[c.key]) <= PULLS_TO_PARTNER_AT
    ]
    to_build = [
        c.short
        for c in counted
        if _tendency(c, checked_scores[c.key]) >= PULLS_TO_BUILD_AT
    ]
    return Recommendation(
        outcome=outcome,
        label=label,
        build_score=_round_half_up(build_score),
        pulls_to_partner=to_partner,
        pulls_to_build=to_build,
        reasoning=_reasoning(label, to_partner, to_build),
        flip=_flip(checked_scores, checked_weights, outcome),
    )
