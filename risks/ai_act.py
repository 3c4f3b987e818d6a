"""The EU AI Act risk tier of a project from a short questionnaire: pure rules, no
database.

The questions follow the Act (Regulation (EU) 2024/1689) in our own words: the
practices Article 5 prohibits, the safety components of Annex I products and the
Annex III areas that make a system high-risk (Article 6), the Article 6(3) exception
and its profiling override, and the Article 50 transparency triggers. The result is
guidance for the project team and its legal advisers, not legal advice: every reason
line names the article it rests on so that it can be checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PROHIBITED, HIGH, LIMITED, MINIMAL = "prohibited", "high", "limited", "minimal"
TIERS = (PROHIBITED, HIGH, LIMITED, MINIMAL)
TIER_LABELS = {
    PROHIBITED: "Prohibited",
    HIGH: "High-risk",
    LIMITED: "Limited risk",
    MINIMAL: "Minimal risk",
}

USERS = {
    "staff": "our staff",
    "customers": "customers",
    "public": "the general public",
}

# Article 5(1): (letter, what the practice is).
PROHIBITED_PRACTICES = {
    "manipulation": (
        "a",
        "Manipulative or deceptive techniques that distort people's behaviour and "
        "are likely to cause significant harm",
    ),
    "vulnerabilities": (
        "b",
        "Exploiting vulnerabilities of age, disability or a social or economic "
        "situation to distort behaviour and cause significant harm",
    ),
    "social_scoring": (
        "c",
        "Social scoring: rating people on their social behaviour or personal traits, "
        "leading to unjustified or unrelated detrimental treatment",
    ),
    "crime_prediction": (
        "d",
        "Predicting that a person will commit a crime from profiling or personality "
        "traits alone",
    ),
    "face_scraping": (
        "e",
        "Building facial recognition databases by untargeted scraping of facial "
        "images from the internet or CCTV",
    ),
    "emotion_at_work": (
        "f",
        "Recognising emotions at the workplace or in education (other than for "
        "medical or safety reasons)",
    ),
    "biometric_sensitive": (
        "g",
        "Biometric categorisation that infers race, political opinions, trade union "
        "membership, religion, sex life or sexual orientation",
    ),
    "realtime_biometric_police": (
        "h",
        "Real-time remote biometric identification in publicly accessible spaces for "
        "law enforcement",
    ),
}

# Annex III: (point, the area as the Act lists it, examples).
ANNEX_III_AREAS = {
    "biometrics": (
        1,
        "Biometrics",
        "remote biometric identification, biometric categorisation, emotion "
        "recognition",
    ),
    "critical_infrastructure": (
        2,
        "Critical infrastructure",
        "safety components in the management of digital infrastructure, road "
        "traffic, water, gas, heating or electricity",
    ),
    "education": (
        3,
        "Education and vocational training",
        "admission, evaluating learning outcomes, steering learning, proctoring tests",
    ),
    "employment": (
        4,
        "Employment and workers management",
        "recruiting and screening candidates, decisions on promotion or termination, "
        "allocating tasks, monitoring performance",
    ),
    "essential_services": (
        5,
        "Access to essential private and public services and benefits",
        "public benefits eligibility, credit scoring, life and health insurance "
        "risk and pricing, emergency call triage and dispatch",
    ),
    "law_enforcement": (
        6,
        "Law enforcement",
        "assessing the risk of becoming a victim, evaluating evidence, profiling in "
        "investigations",
    ),
    "migration": (
        7,
        "Migration, asylum and border control",
        "assessing security or health risks of people entering, examining "
        "applications for asylum, visas and residence permits",
    ),
    "justice_democracy": (
        8,
        "Administration of justice and democratic processes",
        "assisting judicial authorities in researching and interpreting facts and "
        "law, influencing the outcome of elections or voting behaviour",
    ),
}

# Article 6(3)(a)-(d): when an Annex III system is not high-risk.
EXCEPTIONS = {
    "narrow_procedural": ("a", "It performs only a narrow procedural task"),
    "improves_human_work": (
        "b",
        "It only improves the result of an activity a person has already completed",
    ),
    "detects_patterns": (
        "c",
        "It detects decision-making patterns or deviations from them, without "
        "replacing or influencing a completed human assessment without proper review",
    ),
    "preparatory": ("d", "It performs only a preparatory task to an assessment"),
}

# Article 50: (paragraph, the trigger, the duty it brings).
TRANSPARENCY = {
    "interacts": (
        "50(1)",
        "People interact with it directly",
        "people must be told they are dealing with an AI system unless it is obvious",
    ),
    "synthetic_content": (
        "50(2)",
        "It generates or manipulates synthetic audio, image, video or text",
        "the output must be marked as artificially generated in a machine-readable way",
    ),
    "emotion_biometric": (
        "50(3)",
        "It recognises emotions or categorises people from biometric data",
        "the people exposed to it must be informed",
    ),
    "deep_fake": (
        "50(4)",
        "It makes deep fakes, or text published to inform the public on matters of "
        "public interest",
        "the content must be disclosed as artificially generated or manipulated",
    ),
}


@dataclass(frozen=True)
class Answers:
    """The questionnaire's answers; codes are the keys of the tables above."""

    users: tuple[str, ...] = ()
    purpose: str = ""
    prohibited_practices: tuple[str, ...] = ()
    safety_component: bool = False
    annex_iii_area: str = ""  # "" for none of them
    exceptions: tuple[str, ...] = ()
    profiles_people: bool = False
    transparency: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The answers as JSON-ready data (lists for tuples)."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answers:
        """Answers from ``as_dict``'s data; unknown keys are ignored, missing ones
        take their default."""
        known = set(cls.__dataclass_fields__)
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in known:
                values[key] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


@dataclass(frozen=True)
class Classification:
    tier: str
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return TIER_LABELS[self.tier]


def _listed(words: list[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _context(answers: Answers) -> list[str]:
    users = [USERS[u] for u in USERS if u in answers.users]
    purpose = answers.purpose.strip()
    if not purpose and not users:
        return []
    line = "Art. 3(12), intended purpose: "
    line += f"“{purpose}”" if purpose else "not described"
    if users:
        line += f", used by {_listed(users)}"
    return [line + "."]


def classify(answers: Answers) -> Classification:
    """The tier the answers give, with the reasoning one article per line."""
    reasons = _context(answers)

    practices = [p for p in PROHIBITED_PRACTICES if p in answers.prohibited_practices]
    if practices:
        for code in practices:
            letter, what = PROHIBITED_PRACTICES[code]
            reasons.append(f"Art. 5(1)({letter}) prohibits it: {what.lower()}.")
        reasons.append(
            "Art. 5: a prohibited practice may not be placed on the market, put into "
            "service or used in the EU; the project must change course before anything "
            "else."
        )
        return Classification(PROHIBITED, reasons)

    high = False
    if answers.safety_component:
        high = True
        reasons.append(
            "Art. 6(1) and Annex I: it is a safety component of a product covered by "
            "EU harmonisation legislation (or such a product), so it is high-risk."
        )

    area = answers.annex_iii_area
    triggers = [t for t in TRANSPARENCY if t in answers.transparency]
    if not area and "emotion_biometric" in triggers:
        area = "biometrics"
        reasons.append(
            "Annex III point 1: emotion recognition and biometric categorisation are "
            "listed under biometrics, so the system is read as in that area."
        )
    if area:
        point, name, _ = ANNEX_III_AREAS[area]
        exceptions = [e for e in EXCEPTIONS if e in answers.exceptions]
        if exceptions and answers.profiles_people:
            high = True
            reasons.append(
                f"Art. 6(2) and Annex III point {point} ({name.lower()}): the area "
                "makes it high-risk."
            )
            reasons.append(
                "Art. 6(3), last subparagraph: the exception claimed does not apply, "
                "because an Annex III system that profiles natural persons is always "
                "high-risk."
            )
        elif exceptions:
            for code in exceptions:
                letter, what = EXCEPTIONS[code]
                reasons.append(f"Art. 6(3)({letter}): {what.lower()}.")
            reasons.append(
                f"Art. 6(3): although Annex III point {point} ({name.lower()}) lists "
                "its area, it is not high-risk as long as it poses no significant risk "
                "of harm to people's health, safety or fundamental rights."
            )
            reasons.append(
                "Art. 6(4) and 49(2): document this assessment before launch and "
                "register the system in the EU database; the authorities may ask for "
                "it."
            )
        else:
            high = True
            reasons.append(
                f"Art. 6(2) and Annex III point {point} ({name.lower()}): the area "
                "makes it high-risk."
            )

    for code in triggers:
        paragraph, what, duty = TRANSPARENCY[code]
        reasons.append(f"Art. {paragraph}: {what.lower()}, so {duty}.")

    if high:
        return Classification(HIGH, reasons)
    if triggers:
        return Classification(LIMITED, reasons)
    if not area:
        reasons.append(
            "Art. 6: it is not a safety component under Annex I and its use is not in "
            "an Annex III area, so it is not high-risk."
        )
    reasons.append(
        "Art. 50: nothing triggers a transparency duty, so it is minimal risk; Art. 4 "
        "(AI literacy of the people who use it) and voluntary codes of conduct "
        "(Art. 95) still apply."
    )
    return Classification(MINIMAL, reasons)
