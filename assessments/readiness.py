"""Gap-assessment readiness: how close each area is to its target maturity (pure).

Each criterion of the gap assessment is rated on a maturity level from 0 (Prototype) to
4 (Production-grade) and given the level it must reach (its target). Then:

    criterion readiness = min(level, target) / target        (1 when target is 0)
    area readiness      = 100 × mean of its criteria's readiness
    overall readiness   = mean of the area readiness values

Going beyond the target earns nothing extra (hence the ``min``), so strength in one
criterion cannot hide a gap in another. Each area counts equally in the overall figure,
whatever its number of criteria, so an area split into many fine-grained criteria does
not outweigh one assessed in a few. Values are kept exact (fractions) and rounded half
up to one decimal only in the result.

A gap is a criterion whose level is below its target; its size is target − level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

LEVELS: dict[int, str] = {
    0: "Prototype",
    1: "Initial",
    2: "Developing",
    3: "Managed",
    4: "Production-grade",
}
MIN_LEVEL, MAX_LEVEL = min(LEVELS), max(LEVELS)

# The key that ``trend`` uses for the overall change, next to the area names.
OVERALL = "overall"


@dataclass(frozen=True)
class CriterionScore:
    area: str
    criterion: str
    level: int
    target: int

    def __post_init__(self) -> None:
        for name, value in (("level", self.level), ("target", self.target)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(
                    f"The {name} of {self.area!r} / {self.criterion!r} must be a whole number, got {value!r}."
                )
            if not MIN_LEVEL <= value <= MAX_LEVEL:
                raise ValueError(
                    f"The {name} of {self.area!r} / {self.criterion!r} must be between {MIN_LEVEL} and {MAX_LEVEL}, got {value}."
                )


@dataclass(frozen=True)
class Gap:
    area: str
    criterion: str
    level: int
    target: int
    size: int


@dataclass(frozen=True)
class Readiness:
    overall: float
    by_area: dict[str, float]
    gaps: list[Gap]


def _criterion_readiness(score: CriterionScore) -> Fraction:
    # A target of 0 asks for nothing, so the criterion is already met.
    if score.target == 0:
        return Fraction(1)
    return Fraction(min(score.level, score.target), score.target)


def _round_half_up(value: Fraction, places: int = 1) -> float:
    scale = 10**places
    return float(Fraction(math.floor(value * scale + Fraction(1, 2)), scale))


def readiness(scores: Sequence[CriterionScore]) -> Readiness:
    """Area and overall readiness (0–100, one decimal) and the gaps, largest first
    (ties keep input order). See the module docstring for the formula. Raises
    ``ValueError`` for an empty assessment."""
    if not scores:
        raise ValueError("A readiness needs at least one scored criterion.")

    per_area: dict[str, list[Fraction]] = {}  # dicts keep first-seen order
    for score in scores:
        per_area.setdefault(score.area, []).append(_criterion_readiness(score))
    by_area = {
        area: 100 * sum(values, Fraction(0)) / len(values)
        for area, values in per_area.items()
    }
    overall = sum(by_area.values(), Fraction(0)) / len(by_area)

    gaps = [
        Gap(s.area, s.criterion, s.level, s.target, s.target - s.level)
        for s in scores
        if s.level < s.target
    ]
    gaps.sort(key=lambda gap: -gap.size)  # sort is stable: equal sizes keep input order

    return Readiness(
        overall=_round_half_up(overall),
        by_area={area: _round_half_up(value) for area, value in by_area.items()},
        gaps=gaps,
    )


def _points(before: float, after: float) -> float:
    # Subtract the shown one-decimal values in decimal, so 66.7 − 33.3 is 33.4, not
    # 33.400000000000006, and the change agrees with the two figures on screen.
    return float(Decimal(str(after)) - Decimal(str(before)))


def trend(previous: Readiness | None, current: Readiness) -> dict[str, float | None]:
    """Change in points since ``previous``, for each area of ``current`` (in its order)
    and then for ``OVERALL`` ("overall"). An area with no previous value, or every
    entry when there is no previous readiness, is ``None``."""
    changes: dict[str, float | None] = {}
    for area, value in current.by_area.items():
        before = None if previous is None else previous.by_area.get(area)
        changes[area] = None if before is None else _points(before, value)
    changes[OVERALL] = (
        None if previous is None else _points(previous.overall, current.overall)
    )
    return changes
