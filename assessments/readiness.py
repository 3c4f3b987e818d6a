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

A criterion may be marked "not assessed yet" (its level is ``None``). That is not level
0: it counts in no average (neither its area's nor, through the area, the overall
figure), makes no gap, and is listed apart so the pages can say what was left out. An
area with no assessed criterion has no readiness at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    level: int | None  # None: not assessed yet
    target: int

    def __post_init__(self) -> None:
        for name, value in (("level", self.level), ("target", self.target)):
            if name == "level" and value is None:
                continue
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
    by_area: dict[str, float]  # only areas with at least one assessed criterion
    gaps: list[Gap]
    not_assessed: list[CriterionScore] = field(default_factory=list)


def _criterion_readiness(score: CriterionScore, level: int) -> Fraction:
    # A target of 0 asks for nothing, so the criterion is already met.
    if score.target == 0:
        return Fraction(1)
    return Fraction(min(level, score.target), score.target)


def _round_half_up(value: Fraction, places: int = 1) -> float:
    scale = 10**places
    return float(Fraction(math.floor(value * scale + Fraction(1, 2)), scale))


def readiness(scores: Sequence[CriterionScore]) -> Readiness:
    """Area and overall readiness (0–100, one decimal), the gaps, largest first (ties
    keep input order), and the criteria not assessed yet. See the module docstring for
    the formula. Raises ``ValueError`` when no criterion is assessed."""
    if not any(score.level is not None for score in scores):
        raise ValueError("A readiness needs at least one assessed criterion.")

    per_area: dict[str, list[Fraction]] = {}  # dicts keep first-seen order
    for score in scores:
        if score.level is not None:
            per_area.setdefault(score.area, []).append(
                _criterion_readiness(score, score.level)
            )
    by_area = {
        area: 100 * sum(values, Fraction(0)) / len(values)
        for area, values in per_area.items()
    }
    overall = sum(by_area.values(), Fraction(0)) / len(by_area)

    gaps = [
        Gap(s.area, s.criterion, s.level, s.target, s.target - s.level)
        for s in scores
        if s.level is not None and s.level < s.target
    ]
    gaps.sort(key=lambda gap: -gap.size)  # sort is stable: equal sizes keep input order

    return Readiness(
        overall=_round_half_up(overall),
        by_area={area: _round_half_up(value) for area, value in by_area.items()},
        gaps=gaps,
        not_assessed=[s for s in scores if s.level is None],
    )


@dataclass(frozen=True)
class AreaLevels:
    """An area's average level now and target, over its assessed criteria only; both
    None when none of them is assessed."""

    area: str
    now: float | None
    target: float | None
    not_assessed: int


def area_levels(scores: Sequence[CriterionScore]) -> list[AreaLevels]:
    """Average level now and target per area (two decimals), areas in first-seen
    order. Criteria not assessed yet are left out of both averages and counted."""
    now: dict[str, list[int]] = {}
    target: dict[str, list[int]] = {}
    skipped: dict[str, int] = {}
    for score in scores:
        now.setdefault(score.area, [])
        target.setdefault(score.area, [])
        skipped.setdefault(score.area, 0)
        if score.level is None:
            skipped[score.area] += 1
        else:
            now[score.area].append(score.level)
            target[score.area].append(score.target)
    return [
        AreaLevels(
            area,
            round(sum(now[area]) / len(now[area]), 2) if now[area] else None,
            round(sum(target[area]) / len(target[area]), 2) if target[area] else None,
            skipped[area],
        )
        for area in now
    ]


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
