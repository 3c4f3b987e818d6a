from __future__ import annotations

from tests.projects.conftest import journey, people  # noqa: F401  (shared personas)
