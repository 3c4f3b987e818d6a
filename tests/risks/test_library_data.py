"""The seed library of AI risks: plain data checked without a database."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from projects import catalog_data
from risks import library_data
from risks.library_data import CATEGORIES, INDICATORS, LIBRARY, validate


def test_library_is_valid():
    validate()


def test_library_has_at_least_thirty_entries():
    assert len(LIBRARY) >= 30


def test_every_category_has_at_least_two_entries():
    counts = Counter(entry["category"] for entry in LIBRARY)
    assert {
        category: counts[category] for category in CATEGORIES if counts[category] < 2
    } == {}


def test_each_indicator_is_used():
    used = {entry["indicator"] for entry in LIBRARY}
    assert set(INDICATORS) <= used


def test_an_agent_only_entry_exists():
    assert any(entry["use_cases"] == ["agent"] for entry in LIBRARY)


def test_some_entries_are_limited_to_frameworks_but_most_are_not():
    limited = [entry for entry in LIBRARY if entry["frameworks"]]
    assert limited
    assert len(limited) < len(LIBRARY) / 2
    covered = {code for entry in limited for code in entry["frameworks"]}
    assert {"hipaa", "gdpr", "eu_ai_act", "pci_dss"} <= covered


def test_titles_are_unique():
    titles = Counter(entry["title"].strip().lower() for entry in LIBRARY)
    assert [title for title, count in titles.items() if count > 1] == []


def test_mitigations_exist_in_the_checklist_catalog():
    checklist_keys = {item["key"] for item in catalog_data.CHECKLIST}
    missing = {
        key
        for entry in LIBRARY
        for key in entry["mitigations"]
        if key not in checklist_keys
    }
    assert missing == set()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("key", "Prompt Injection", "kebab-case"),
        ("category", "misc", "bad category"),
        ("likelihood", 6, "likelihood"),
        ("impact", 0, "impact"),
        ("use_cases", ["robot"], "unknown use cases"),
        ("min_classification", "secret", "min_classification"),
        ("frameworks", ["sox"], "unknown framework"),
        ("mitigations", ["s3-no-such-item"], "unknown checklist item"),
        ("mitigations", [], "1-4 mitigations"),
        ("indicator", "cost_high", "bad indicator"),
        ("cause", "  ", "empty cause"),
    ],
)
def test_validate_rejects_a_bad_entry(monkeypatch, field, value, message):
    library = copy.deepcopy(LIBRARY)
    library[0][field] = value
    monkeypatch.setattr(library_data, "LIBRARY", library)
    with pytest.raises(AssertionError, match=message):
        validate()


def test_validate_rejects_a_duplicate_key(monkeypatch):
    library = copy.deepcopy(LIBRARY)
    library[1]["key"] = library[0]["key"]
    monkeypatch.setattr(library_data, "LIBRARY", library)
    with pytest.raises(AssertionError, match="duplicate key"):
        validate()


def test_validate_rejects_a_mitigation_that_does_not_apply_to_the_risk(monkeypatch):
    library = copy.deepcopy(LIBRARY)
    entry = next(
        e for e in library if not e["frameworks"] and not e["min_classification"]
    )
    entry["mitigations"] = ["s3-hipaa-baa"]
    monkeypatch.setattr(library_data, "LIBRARY", library)
    with pytest.raises(AssertionError, match="limited to"):
        validate()


def test_validate_rejects_a_thin_category(monkeypatch):
    library = [entry for entry in LIBRARY if entry["category"] != "bias"]
    library.append(next(entry for entry in LIBRARY if entry["category"] == "bias"))
    monkeypatch.setattr(library_data, "LIBRARY", library)
    with pytest.raises(AssertionError, match="bias"):
        validate()
