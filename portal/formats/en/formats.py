"""One way to write a date everywhere Runway shows or reads one: ISO 8601.

Read by Django for the ``en`` locales (FORMAT_MODULE_PATH), so ``{{ day|date }}``,
``{{ moment }}`` and every form's date input use it without anyone passing a format.
``<input type="date">`` accepts only ``YYYY-MM-DD``: a form rendering a date any
other way opens blank, and saving it unchanged would erase the date."""

from __future__ import annotations

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "F Y"
# The first is what date inputs render; the others are read from typed text where a
# browser has no date picker.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
FIRST_DAY_OF_WEEK = 1  # Monday
