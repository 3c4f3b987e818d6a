from __future__ import annotations

from typing import Any

from django import forms

# A library of a few hundred controls is tens of kilobytes.
MAX_BYTES = 1024 * 1024


class LibraryUploadForm(forms.Form):
    file = forms.FileField(
        label="Library file (YAML)",
        help_text="One framework at one version, in the shape of "
        "controls/libraries/schema.json. A version already imported is not replaced: "
        "a changed library needs a new version.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if not upload.name.lower().endswith((".yaml", ".yml")):
            self.add_error("file", "Upload a .yaml file.")
        elif upload.size > MAX_BYTES:
            self.add_error("file", "The file is larger than 1 MB.")
        else:
            try:
                cleaned["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text.")
        return cleaned
