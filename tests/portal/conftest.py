from __future__ import annotations

from tests.projects.conftest import people  # noqa: F401  (shared personas)
