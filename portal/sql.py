"""The portfolio page's projects as one written-out statement, and the reads derived
from it: the page of rows, the headline totals, the facts the trends are keyed by,
the upcoming and stalled lists and the heat map's projects.

Why it is written out: the portfolio is rebuilt after every change to a project or
its metrics, and building the annotated queryset of
``portal.selectors.portfolio_projects`` and compiling the six reads derived from it
cost the ORM about a quarter of a rebuild, which broke the rebuilt page's budget
(≤ 3× its floor; bench/README.md, session 21). That queryset stays the plain form of
this statement (the read API uses it). ``tests/portal/test_portfolio_sql.py`` runs
both on the same projects, on SQLite and PostgreSQL, compares every column, filter,
sort and derived read, and fails when an at-risk signal registered in
``projects.risk`` has no twin in ``SIGNALS`` below.

Every read is ``SELECT … FROM (<the projects>) AS portfolio WHERE …``, where the
projects carry only the columns the read names (``Statement``). All values go as
parameters; the only text put together is this module's own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    FloatField,
)
from django.utils import timezone

from assessments.models import (
    GapAssessment,
    RequirementsDocument,
    RequirementsVersion,
)
from core.lookups import any_of_sql
from core.rows import Values
from metrics.dashboard import CountingServices
from metrics.models import Alert, DailyRollup
from metrics.vocabulary import Metric
from portal.models import User
from portal.trends import QUALITY_WINDOW_DAYS
from projects.models import (
    Framework,
    Membership,
    Project,
    ProjectRole,
    ProjectStep,
    Step,
    StepStatus,
    Team,
)
from projects.progress import LAUNCHED
from projects.risk import OWNER_FLAGS, signal_columns
from projects.roles import sees_all_projects
from projects.selectors import NOT_ASSESSED
from risks.models import Risk, RiskStatus

if TYPE_CHECKING:
    from portal.selectors import PortfolioFilters

MAX_PROJECTS = 1_000_000  # a bound no portfolio reaches (see ``totals``)


def _table(model: Any) -> str:
    return f'"{model._meta.db_table}"'


PROJECTS, TEAMS, STEPS = _table(Project), _table(Team), _table(ProjectStep)
STEP_NAMES, MEMBERS, ALERTS = _table(Step), _table(Membership), _table(Alert)
ROLLUPS, ASSESSMENTS, RISKS = _table(DailyRollup), _table(GapAssessment), _table(Risk)
DOCUMENTS, VERSIONS = _table(RequirementsDocument), _table(RequirementsVersion)
USERS, FRAMEWORKS = _table(User), _table(Framework)
PROJECT_FRAMEWORKS = _table(Project.frameworks.through)


@dataclass
class Sql:
    """Text with ``%s`` placeholders and their values, in order."""

    text: str
    params: list[Any] = field(default_factory=list)


def _date(day: date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _moment(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _any_of(column: str, ids: Sequence[int]) -> Sql:
    """``column`` is one of ``ids`` (``core.lookups.AnyOf``: one array on
    PostgreSQL); false for no ids."""
    if not ids:
        return Sql("1 = 0")
    return Sql(*any_of_sql(column, list(ids), connection.vendor))


# --- The at-risk signals (``projects.risk``), one twin per registered column ------
# Each reads the clock as its ORM form does, and names the project ``p``.


def _owner_says_at_risk() -> Sql:
    return Sql('p."status" IN (%s, %s)', list(OWNER_FLAGS))


def _has_open_alert() -> Sql:
    return Sql(
        f'EXISTS (SELECT 1 FROM {ALERTS} a WHERE a."project_id" = p."id"'
        ' AND a."status" = %s)',
        [Alert.Status.OPEN],
    )


_OPEN_MODEL_ALERT = (
    f'FROM {ALERTS} a WHERE a."project_id" = p."id" AND a."kind" = %s'
    ' AND a."status" = %s'
)


def _uses_unapproved_model() -> Sql:
    return Sql(
        f"EXISTS (SELECT 1 {_OPEN_MODEL_ALERT})",
        [Alert.Kind.MODEL, Alert.Status.OPEN],
    )


def _uses_unapproved_model_detail() -> Sql:
    return Sql(
        f'(SELECT a."message" {_OPEN_MODEL_ALERT}'
        ' ORDER BY a."opened_at" DESC, a."id" DESC LIMIT 1)',
        [Alert.Kind.MODEL, Alert.Status.OPEN],
    )


def _has_high_risk() -> Sql:
    return Sql(
        f'EXISTS (SELECT 1 FROM {RISKS} r WHERE r."project_id" = p."id"'
        ' AND r."status" IN (%s, %s)'
        ' AND r."residual_likelihood" * r."residual_impact" >= %s)',
        [
            RiskStatus.OPEN,
            RiskStatus.MITIGATED,
            settings.RUNWAY_RISK_ACCEPTANCE_THRESHOLD,
        ],
    )


def _has_overdue_step() -> Sql:
    return Sql(
        f'EXISTS (SELECT 1 FROM {STEPS} s WHERE s."project_id" = p."id"'
        ' AND s."due_date" < %s AND s."status" <> %s)',
        [_date(timezone.localdate()), StepStatus.DONE],
    )


def _stalled() -> Sql:
    quiet_since = timezone.now() - timedelta(days=settings.RUNWAY_STALLED_AFTER_DAYS)
    return Sql(
        f"EXISTS (SELECT 1 FROM {STEPS} s"
        f' INNER JOIN {STEP_NAMES} n ON n."id" = s."step_id"'
        ' WHERE s."project_id" = p."id" AND s."status" NOT IN (%s, %s)'
        ' AND COALESCE(s."last_activity_at", s."started_at") < %s'
        f" AND NOT EXISTS (SELECT 1 FROM {STEPS} e"
        f' INNER JOIN {STEP_NAMES} en ON en."id" = e."step_id"'
        ' WHERE e."project_id" = s."project_id" AND en."number" < n."number"'
        ' AND e."status" <> %s))',
        [
            StepStatus.DONE,
            StepStatus.NOT_STARTED,
            _moment(quiet_since),
            StepStatus.DONE,
        ],
    )


SIGNALS: dict[str, Callable[[], Sql]] = {
    "owner_says_at_risk": _owner_says_at_risk,
    "has_open_alert": _has_open_alert,
    "uses_unapproved_model": _uses_unapproved_model,
    "uses_unapproved_model_detail": _uses_unapproved_model_detail,
    "has_high_risk": _has_high_risk,
    "has_overdue_step": _has_overdue_step,
    "stalled": _stalled,
}

# --- The statement -----------------------------------------------------------------


def _of_current_step(expression: str) -> Sql:
    """``expression`` of the current step: the lowest-numbered one not done."""
    return Sql(
        f"(SELECT {expression} FROM {STEPS} s"
        f' INNER JOIN {STEP_NAMES} n ON n."id" = s."step_id"'
        ' WHERE s."project_id" = p."id" AND s."status" <> %s'
        ' ORDER BY n."number" LIMIT 1)',
        [StepStatus.DONE],
    )


def _member_name(role: ProjectRole) -> Sql:
    """``projects.selectors.member_name``: full name, else email."""
    return Sql(
        '(SELECT COALESCE(NULLIF(TRIM(u."first_name" || \' \' || u."last_name"),'
        " ''), u.\"email\")"
        f' FROM {MEMBERS} m INNER JOIN {USERS} u ON u."id" = m."user_id"'
        ' WHERE m."project_id" = p."id" AND m."role" = %s ORDER BY m."id" LIMIT 1)',
        [role],
    )


def _columns(today: date, counting: CountingServices) -> list[tuple[str, Sql]]:
    """(name, expression) of every column, in the order the statement selects them."""
    current_number = _of_current_step('n."number"')
    cost_services = _any_of('r."service_id"', counting.cost)
    quality_services = _any_of('r."service_id"', counting.quality)
    return [
        ("pk", Sql('p."id"')),
        ("name", Sql('p."name"')),
        ("slug", Sql('p."slug"')),
        ("status", Sql('p."status"')),
        ("ai_act_tier", Sql('p."ai_act_tier"')),
        ("target_launch_date", Sql('p."target_launch_date"')),
        ("team_name", Sql('t."name"')),
        (
            "current_step",
            # Launched only once step 7 is done; without step rows, at step 1.
            Sql(
                f"COALESCE({current_number.text}, CASE WHEN EXISTS (SELECT 1"
                f' FROM {STEPS} s INNER JOIN {STEP_NAMES} n ON n."id" = s."step_id"'
                ' WHERE s."project_id" = p."id" AND s."status" = %s'
                ' AND n."number" = 7) THEN %s ELSE 1 END)',
                [*current_number.params, StepStatus.DONE, LAUNCHED],
            ),
        ),
        (
            "current_activity",
            _of_current_step('COALESCE(s."last_activity_at", s."started_at")'),
        ),
        ("step_started_at", _of_current_step('s."started_at"')),
        *((column, SIGNALS[column]()) for column in signal_columns()),
        ("owner_name", _member_name(ProjectRole.OWNER)),
        ("lead_name", _member_name(ProjectRole.LEAD)),
        (
            "open_alerts",
            Sql(
                f'(SELECT COUNT(*) FROM {ALERTS} a WHERE a."project_id" = p."id"'
                ' AND a."status" = %s)',
                [Alert.Status.OPEN],
            ),
        ),
        (
            "readiness",
            Sql(
                f'(SELECT g."overall_readiness" FROM {ASSESSMENTS} g'
                ' WHERE g."project_id" = p."id"'
                ' ORDER BY g."created_at" DESC, g."id" DESC LIMIT 1)'
            ),
        ),
        ("budget", Sql('v."monthly_budget_usd"')),
        ("quality_target", Sql('v."quality_score_target"')),
        ("quality_name", Sql('v."quality_score_name"')),
        (
            # ``portal.selectors._spend_per_project``: the cost that counts.
            "spend_month_to_date",
            Sql(
                f'(SELECT SUM(r."value") FROM {ROLLUPS} r WHERE r."project_id" = p."id"'
                f' AND r."metric" IN (%s, %s) AND {cost_services.text}'
                ' AND r."day" >= %s AND r."day" <= %s)',
                [
                    Metric.COST_BILLED_USD,
                    Metric.COST_OBSERVED_USD,
                    *cost_services.params,
                    _date(today.replace(day=1)),
                    _date(today),
                ],
            ),
        ),
        (
            # ``portal.trends.quality_per_project`` of the approved score.
            "quality",
            Sql(
                f'(SELECT AVG(r."value") FROM {ROLLUPS} r WHERE r."project_id" = p."id"'
                f' AND r."metric" = %s AND r."dimension" = v."quality_score_name"'
                f' AND {quality_services.text} AND r."day" > %s AND r."day" <= %s)',
                [
                    Metric.QUALITY_SCORE,
                    *quality_services.params,
                    _date(today - timedelta(days=QUALITY_WINDOW_DAYS)),
                    _date(today),
                ],
            ),
        ),
    ]


def _decimal(places: int) -> DecimalField[Any, Any]:
    return DecimalField(max_digits=20, decimal_places=places)


# Each column's type, for the conversions the ORM applies to an annotation of it
# (SQLite returns dates, times, decimals and booleans as text and numbers). Columns
# of text, and counts, come back as they are.
_TYPES: dict[str, Field[Any, Any]] = {
    "target_launch_date": DateField(),
    "current_activity": DateTimeField(),
    "step_started_at": DateTimeField(),
    "readiness": _decimal(2),
    "budget": _decimal(2),
    "quality_target": _decimal(3),
    "spend_month_to_date": _decimal(6),
    "quality": _decimal(6),
    "budgets": _decimal(2),  # the totals' sum of budgets
    "mean_readiness": FloatField(),
}


@functools.cache
def _values(columns: tuple[str, ...]) -> Values:
    signals = set(signal_columns(details=False))
    return Values(
        {c: BooleanField() if c in signals else _TYPES.get(c) for c in columns}
    )


def _fetch(text: str, params: list[Any]) -> list[Any]:
    """The rows, each with its columns as attributes."""
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        values = _values(tuple(column[0] for column in cursor.description))
        return [SimpleNamespace(**values.convert(row)) for row in cursor.fetchall()]


def at_risk_condition() -> str:
    """True for a row of the statement where any signal holds."""
    return "(" + " OR ".join(signal_columns(details=False)) + ")"


@dataclass(frozen=True)
class Statement:
    """The visible projects through the filters, one row each with the columns the
    portfolio shows (``_columns``), and the conditions on the computed columns (the
    step, launched and at risk) that every read applies. Each read selects from the
    projects with only the columns it names, so that no read carries the
    subqueries of columns it does not use."""

    columns: list[tuple[str, Sql]]
    source: Sql  # the FROM and WHERE of the projects
    where: Sql

    def _projects(self, outer: str, *, every_column: bool = False) -> Sql:
        """The projects with the columns ``outer`` (the rest of the read) names."""
        named = set(re.findall(r"\w+", outer))
        chosen = [
            (name, sql) for name, sql in self.columns if every_column or name in named
        ]
        return Sql(
            "(SELECT "
            + ", ".join(f"{sql.text} AS {name}" for name, sql in chosen)
            + f" {self.source.text}) AS portfolio",
            [param for _, sql in chosen for param in sql.params] + self.source.params,
        )

    def select(
        self,
        *columns: str,  # "*": all of them
        where: str = "",
        params: Sequence[Any] = (),
        order_by: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Any]:
        """``columns`` of the projects where ``where`` also holds, ordered and sliced,
        each row with its columns as attributes, converted as the ORM would."""
        conditions = " AND ".join(c for c in (self.where.text, where) if c)
        rest = (f" WHERE {conditions}" if conditions else "") + (
            f" ORDER BY {order_by}" if order_by else ""
        )
        projects = self._projects(
            ", ".join(columns) + rest, every_column=columns == ("*",)
        )
        text = f"SELECT {', '.join(columns)} FROM {projects.text}{rest}"
        values = [*projects.params, *self.where.params, *params]
        if limit is not None:
            text += " LIMIT %s OFFSET %s"
            values += [limit, offset]
        return _fetch(text, values)

    def upcoming(self, today: date, until: date, limit: int) -> list[dict[str, Any]]:
        """Projects not launched whose target launch falls between the days."""
        rows = self.select(
            "name",
            "slug",
            "target_launch_date",
            "current_step",
            where="current_step < %s AND target_launch_date >= %s"
            " AND target_launch_date <= %s",
            params=[LAUNCHED, _date(today), _date(until)],
            order_by="target_launch_date ASC, name ASC",
            limit=limit,
        )
        return [vars(row) for row in rows]

    def stalled(self, limit: int) -> list[dict[str, Any]]:
        """Stalled projects, quietest first."""
        rows = self.select(
            "name",
            "slug",
            "current_step",
            "current_activity",
            where="stalled",
            order_by="current_activity ASC, name ASC",
            limit=limit,
        )
        return [vars(row) for row in rows]

    def least_ready(self, limit: int) -> list[dict[str, Any]]:
        """Assessed projects, least ready first."""
        rows = self.select(
            "pk",
            "name",
            "slug",
            where="readiness IS NOT NULL",
            order_by="readiness ASC, name ASC",
            limit=limit,
        )
        return [vars(row) for row in rows]

    def totals(self, **conditions: str) -> Any:
        """How many projects there are (``projects``) and how many meet each
        condition, the sum of their budgets (``budgets``) and their mean readiness
        (``mean_readiness``), in one pass."""
        counts = "".join(
            f", COUNT(CASE WHEN {condition} THEN 1 END) AS {name}"
            for name, condition in conditions.items()
        )
        # The LIMIT keeps the projects a subquery of their own: PostgreSQL would
        # otherwise pull it up into the aggregate and evaluate each project's
        # correlated subqueries once per condition that mentions them.
        where = f" WHERE {self.where.text}" if self.where.text else ""
        totals = f"COUNT(*) AS projects{counts}, SUM(budget) AS budgets," + (
            " AVG(readiness) AS mean_readiness"
        )
        projects = self._projects(totals + where)
        text = (
            f"SELECT {totals} FROM (SELECT * FROM {projects.text}{where}"
            " LIMIT %s) AS counted"
        )
        values = [*projects.params, *self.where.params, MAX_PROJECTS]
        (row,) = _fetch(text, values)
        return row


def portfolio_statement(
    user: User,
    filters: PortfolioFilters,
    today: date,
    counting: CountingServices,
) -> Statement:
    """The statement of ``portfolio_projects(user, filters, today, counting)``."""
    columns = _columns(today, counting)
    where: list[str] = ['p."archived_at" IS NULL']
    params: list[Any] = []
    if not sees_all_projects(user):
        where.append(
            f'EXISTS (SELECT 1 FROM {MEMBERS} m WHERE m."project_id" = p."id"'
            ' AND m."user_id" = %s)'
        )
        params.append(user.pk)
    if filters.team:
        where.append('t."slug" = %s')
        params.append(filters.team)
    if filters.framework:
        where.append(
            f"EXISTS (SELECT 1 FROM {PROJECT_FRAMEWORKS} pf INNER JOIN {FRAMEWORKS} f"
            ' ON f."id" = pf."framework_id" WHERE pf."project_id" = p."id"'
            ' AND f."code" = %s)'
        )
        params.append(filters.framework)
    if filters.status and filters.status != "launched":
        where.append('p."status" = %s')
        params.append(filters.status)
    if filters.ai_act_tier:
        where.append('p."ai_act_tier" = %s')
        params.append(
            "" if filters.ai_act_tier == NOT_ASSESSED else filters.ai_act_tier
        )
    source = Sql(
        f'FROM {PROJECTS} p INNER JOIN {TEAMS} t ON t."id" = p."team_id"'
        f' LEFT JOIN {DOCUMENTS} d ON d."project_id" = p."id"'
        f' LEFT JOIN {VERSIONS} v ON v."id" = d."approved_version_id"'
        " WHERE " + " AND ".join(where),
        params,
    )
    outer: list[str] = []
    outer_params: list[Any] = []
    if filters.status == "launched":
        outer.append("current_step = %s")
        outer_params.append(LAUNCHED)
    if filters.step:
        outer.append("current_step = %s")
        outer_params.append(filters.step)
    if filters.at_risk:
        outer.append(at_risk_condition())
    return Statement(columns, source, Sql(" AND ".join(outer), outer_params))


# Sort key in the URL -> the statement's columns; each has a descending twin with a
# leading "-". Days in the step grow as its start recedes, hence the reversed start.
SORTS = {
    "name": "name",
    "team": "team_name",
    "step": "current_step",
    "status": "status",
    "readiness": "readiness",
    "spend": "spend_month_to_date",
    "quality": "quality",
    "alerts": "open_alerts",
    "days": "-step_started_at",
    "launch": "target_launch_date",
}


def order_by(sort: str) -> str:
    """The ORDER BY of ``sort``: empty values last either way, then by name."""
    key = sort.removeprefix("-")
    column = SORTS.get(key, "name")
    descending = (sort.startswith("-") and key in SORTS) != column.startswith("-")
    direction = "DESC" if descending else "ASC"
    return f"{column.removeprefix('-')} {direction} NULLS LAST, name ASC, pk ASC"
