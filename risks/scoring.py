"""Risk scores on a 5 × 5 scale, their bands and the words for each level. Pure: no
database."""

from __future__ import annotations

from dataclasses import dataclass

SCALE = (1, 2, 3, 4, 5)

LIKELIHOOD = {
    1: "Rare",
    2: "Unlikely",
    3: "Possible",
    4: "Likely",
    5: "Almost certain",
}
IMPACT = {
    1: "Negligible",
    2: "Minor",
    3: "Moderate",
    4: "Major",
    5: "Severe",
}


def score(likelihood: int, impact: int) -> int:
    if likelihood not in SCALE or impact not in SCALE:
        raise ValueError("Likelihood and impact are each 1 to 5.")
    return likelihood * impact


@dataclass(frozen=True)
class Band:
    name: str  # low, medium, high, critical: also the CSS class suffix
    label: str


BANDS = (
    (4, Band("low", "Low")),
    (9, Band("medium", "Medium")),
    (14, Band("high", "High")),
    (25, Band("critical", "Critical")),
)


def band(value: int) -> Band:
    """Low up to 4, medium up to 9, high up to 14, critical from 15."""
    for upper, found in BANDS:
        if value <= upper:
            return found
    raise ValueError(f"A score is 1 to 25, not {value}.")


def needs_executive(residual: int, threshold: int) -> bool:
    """Accepting a risk whose residual score reaches the threshold takes an
    executive's sign-off; below it the owner's word is enough."""
    return residual >= threshold
