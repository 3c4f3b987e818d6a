from __future__ import annotations

import sys
import types

import pytest

from tests.projects.conftest import people  # noqa: F401  (shared personas)


class _NoPango(types.ModuleType):
    def __getattr__(self, name):
        raise OSError("cannot load library 'libpango-1.0-0'")


@pytest.fixture
def without_pango(monkeypatch):
    """WeasyPrint as on a server without Debian's pango: importing it fails."""
    monkeypatch.setitem(sys.modules, "weasyprint", _NoPango("weasyprint"))
