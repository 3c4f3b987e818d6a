"""Reading a rendered page the way a person (or a screen reader) does: by its text,
headings, labels and table cells, not by the shape of its markup."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, Tag


def page(response_or_html: Any) -> BeautifulSoup:
    """A response's body (or an HTML string) as a parsed document."""
    content = getattr(response_or_html, "content", response_or_html)
    if isinstance(content, bytes):
        content = content.decode()
    return BeautifulSoup(content, "html.parser")


def text(node: Tag | BeautifulSoup | None) -> str:
    """The node's visible words with whitespace collapsed ("" for no node)."""
    if node is None:
        return ""
    return " ".join(node.get_text(" ").split())


def table_rows(table: Tag) -> list[list[str]]:
    """The body rows of ``table``, each as the text of its cells."""
    body = table.find("tbody") or table
    return [
        [text(cell) for cell in row.find_all(["td", "th"])]
        for row in body.find_all("tr")
        if row.find("td")
    ]


def table_headers(table: Tag) -> list[str]:
    """The column headings of ``table``."""
    head = table.find("thead") or table
    return [text(th) for th in head.find_all("th")]
