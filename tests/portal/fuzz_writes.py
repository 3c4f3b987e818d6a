"""What a request of the fuzz test (test_fuzz_every_view.py) wrote: row counts on
every database, and on PostgreSQL the row versions a request made."""

from __future__ import annotations

from django.apps import apps
from django.db import connection


class WriteWatch:
    """Which tables a request left different: rows added or removed (counts), and on
    PostgreSQL rows inserted or updated (a visible row version made by a transaction
    that started during the request).

    Every request runs in a savepoint that is rolled back, so the tables hold the same
    rows before each one: their counts are taken once. On PostgreSQL only the tables
    the statistics say were touched are looked at again (the statistics also count
    writes that a savepoint later undid, so they only say where to look)."""

    def __init__(
        self, ignored: dict[str, str], updates_ignored: dict[str, str]
    ) -> None:
        """``ignored``: tables any request may write (table → why);
        ``updates_ignored``: tables whose rows any request may update, not add or
        remove."""
        self.ignored = ignored
        self.updates_ignored = updates_ignored
        self.tables = sorted(
            {
                m._meta.db_table
                for m in apps.get_models(include_auto_created=True)
                if m._meta.managed and not m._meta.proxy
            }
        )
        self.postgres = connection.vendor == "postgresql"
        self.counts = self._counts(self.tables)

    def _counts(self, tables: list[str]) -> dict[str, int]:
        if not tables:
            return {}
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in tables)
            )
            row = cursor.fetchone()
        return dict(zip(tables, row, strict=True))

    _TOUCHED = (
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text, array_agg(relname),"
        " array_agg(n_tup_ins + n_tup_upd + n_tup_del)"
        " FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
    )

    def _touched(self) -> tuple[dict[str, int], int]:
        """Rows each table's statistics say this transaction wrote so far, and the
        first transaction id not yet given out (what a request's writes will have)."""
        with connection.cursor() as cursor:
            cursor.execute(self._TOUCHED)
            next_xid, tables, counts = cursor.fetchone()
        return dict(zip(tables, counts, strict=True)), int(next_xid) % 2**32

    def start(self) -> tuple[dict[str, int], int]:
        return self._touched() if self.postgres else ({}, 0)

    def written(self, started: tuple[dict[str, int], int]) -> dict[str, str]:
        """Table → what changed, for the tables not in ``ignored``."""
        if not self.postgres:
            now = self._counts(self.tables)
            return {
                t: f"{now[t] - self.counts[t]:+d} rows"
                for t in self.tables
                if now[t] != self.counts[t] and t not in self.ignored
            }
        before, first_xid = started
        after, _ = self._touched()
        candidates = [
            t
            for t in self.tables
            if after.get(t, 0) != before.get(t, 0) and t not in self.ignored
        ]
        changed: dict[str, str] = {}
        now = self._counts(candidates)
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in candidates:
                if now[table] != self.counts[table]:
                    changed[table] = f"{now[table] - self.counts[table]:+d} rows"
                    continue
                if table in self.updates_ignored:
                    continue
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qn(table)} WHERE xmin::text::bigint >= %s",
                    [first_xid],
                )
                rows = cursor.fetchone()[0]
                if rows:
                    changed[table] = f"{rows} rows inserted or updated"
        return changed
