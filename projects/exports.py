"""CSV downloads, streamed row by row so that a large export never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object whose write returns the line, for the csv writer."""

    def write(self, value: str) -> str:
        return value


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def neutralise(cell: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with a quote, so it is shown as
    text; plain numbers (a negative amount) are left as they are."""
    if cell.startswith(FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def csv_response(rows: Iterable[Sequence[str]], filename: str) -> StreamingHttpResponse:
    """Every cell is neutralised: names and notes come from users."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([neutralise(str(cell)) for cell in row]) for row in rows),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
