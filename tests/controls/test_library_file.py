"""Reading a library file: what a valid one gives, and the errors a person fixing a
broken one reads (each names the file and the line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controls import library_file
from controls.library_file import LibraryError, read

VALID = """\
framework: hipaa
version: "2013"
released: "2013-01-25"
title: HIPAA Security Rule
source: https://example.org/hipaa
controls:
  - ref: "164.312(a)(1)"
    group: Technical safeguards
    title: Access control
    description: Only the people and programs that need ePHI reach it.
    items: [s3-authentication]
  - ref: "164.312(b)"
    group: Technical safeguards
    title: Audit controls
    description: Record and examine activity in systems that hold ePHI.
    evidence: true
    items:
      - s3-audit-logging
      - s6-load-test
"""


def test_a_valid_file_gives_its_controls_in_order_with_their_lines():
    parsed = read("hipaa.yaml", VALID)

    assert parsed.spec.framework == "hipaa"
    assert parsed.spec.version == "2013"
    assert [c.ref for c in parsed.spec.controls] == ["164.312(a)(1)", "164.312(b)"]
    assert parsed.spec.controls[0].evidence is False
    assert parsed.spec.controls[1].evidence is True
    assert parsed.spec.controls[1].items == ["s3-audit-logging", "s6-load-test"]
    assert parsed.control_lines == (7, 12)
    assert parsed.where(1) == "hipaa.yaml, line 12"


def test_broken_yaml_names_the_file_and_line():
    text = VALID.replace("    title: Audit controls", "    title: [Audit controls")

    with pytest.raises(LibraryError, match=r"^hipaa\.yaml, line 1[2-9]: "):
        read("hipaa.yaml", text)


def test_a_control_missing_a_field_names_the_line_it_starts_on():
    text = VALID.replace("    title: Audit controls\n", "")

    with pytest.raises(LibraryError) as error:
        read("hipaa.yaml", text)

    assert str(error.value).startswith("hipaa.yaml, line 12: controls.1.title: ")
    assert "Field required" in str(error.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    items: [s3-authentication]",
            "    items: []",
            "line 11: controls.0.items",
        ),
        (
            "    items: [s3-authentication]",
            "    items: [Encrypt!]",
            "line 11: controls.0.items.0",
        ),
        ("framework: hipaa", "framework: HIPAA Rule", "line 1: framework"),
        (
            "    evidence: true",
            "    evidence: sometimes",
            "line 16: controls.1.evidence",
        ),
        ("    evidence: true", "    evidnce: true", "line 16: controls.1.evidnce"),
        # A missing key has no line of its own: the mapping that lacks it is named.
        ('version: "2013"', "", "line 1: version"),
        ('version: "2013"', "version: 2013", "line 2: version"),
        ('released: "2013-01-25"', 'released: "January 2013"', "line 3: released"),
        (
            "source: https://example.org/hipaa",
            "source: javascript:alert(1)",
            "line 5: source",
        ),
    ],
)
def test_schema_errors_say_where_and_what(old, new, expected):
    with pytest.raises(LibraryError, match=rf"^lib\.yaml, {expected}"):
        read("lib.yaml", VALID.replace(old, new))


def test_a_key_that_is_a_list_is_refused_with_its_line():
    text = VALID.replace("    evidence: true\n", "    ? [evidence]\n    : true\n")

    with pytest.raises(
        LibraryError, match=r"^lib\.yaml, line 16: a key must be plain text"
    ):
        read("lib.yaml", text)


def test_a_reference_used_twice_is_refused_with_both_lines():
    text = VALID.replace('ref: "164.312(b)"', 'ref: "164.312(a)(1)"')

    with pytest.raises(
        LibraryError,
        match=r"line 12: control 164\.312\(a\)\(1\) appears twice \(first on line 7\)",
    ):
        read("lib.yaml", text)


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "42"])
def test_a_file_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(
        LibraryError, match=r"^lib\.yaml, line 1: a library is a mapping"
    ):
        read("lib.yaml", text)


def test_the_published_schema_is_the_one_the_reader_checks():
    shipped = Path(library_file.__file__).parent / "libraries" / "schema.json"

    assert json.loads(shipped.read_text()) == library_file.schema()


def test_every_shipped_library_reads_and_maps_every_control():
    files = sorted((Path(library_file.__file__).parent / "libraries").glob("*.yaml"))
    assert {read(f.name, f.read_text()).spec.framework for f in files} == {
        "hipaa",
        "soc2",
        "pci_dss",
        "gdpr",
        "eu_ai_act",
        "iso_42001",
        "nist_ai_rmf",
    }


def test_a_key_given_twice_is_refused_at_its_second_line():
    text = VALID.replace(
        "    title: Access control\n", "    title: Access control\n    title: Again\n"
    )

    with pytest.raises(
        LibraryError, match=r"^lib\.yaml, line 10: the key 'title' is given twice"
    ):
        read("lib.yaml", text)


def test_aliases_are_refused_so_a_file_cannot_refer_to_itself():
    with pytest.raises(
        LibraryError, match=r"^lib\.yaml, line 1: aliases \(\*name\) are not allowed"
    ):
        read("lib.yaml", "controls: &a [*a]\n")
