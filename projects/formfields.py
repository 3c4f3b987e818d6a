"""Form fields every app's forms share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.query import whole_number


class ModelIdsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several objects chosen by id (checkboxes of teams, people, frameworks).

    Each submitted value must be a whole number an id column holds
    (``core.query.whole_number``), or the field says it is not a valid value
    before any query: Django looks the ids up with ``pk__in``, which SQLite answers
    with an OverflowError, not an empty result, for an id of 30 digits."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for pk in value:
                if whole_number(str(pk)) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)
