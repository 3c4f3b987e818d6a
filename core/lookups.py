"""``field__any_of=[...]``: membership in a list of ids sent as one array parameter.

``__in`` prepares every element on its own and writes a placeholder for each, which
for the portfolio's hundreds of project ids costs more than the query itself
(bench/README.md). PostgreSQL takes the list as one array (``= ANY(%s)``);
other databases get the plain ``IN`` list. The values are used as given, so pass
ints (ids), never user input of another type.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup


def any_of_sql(lhs: str, ids: list[Any], vendor: str) -> tuple[str, list[Any]]:
    """``lhs`` is one of ``ids``, as SQL for the database ``vendor`` and its
    parameters (one array on PostgreSQL); ``ids`` is not empty."""
    if vendor == "postgresql":
        return f"{lhs} = ANY(%s)", [list(ids)]
    return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs:
            raise EmptyResultSet
        sql, params = any_of_sql(lhs, self.rhs, connection.vendor)
        return sql, (*lhs_params, *params)


# Relations keep their own lookups (ForeignObject stops the search at itself).
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
