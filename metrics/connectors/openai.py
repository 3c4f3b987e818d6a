"""OpenAI organization usage and costs (Admin API), for one OpenAI project.

Mapping (daily buckets, UTC midnight; ``project_ids`` filter on both endpoints when
``config["project_id"]`` is set, otherwise the whole organization counts):

- ``GET /v1/organization/usage/completions`` (``bucket_width=1d``, ``group_by=model``), per
  model per day: ``num_model_requests`` → REQUESTS, ``input_tokens`` → INPUT_TOKENS (this total
  already includes the cached, uncached and cache-write parts, which are its breakdown),
  ``output_tokens`` → OUTPUT_TOKENS. Dimension = model. Only the completions endpoint is read:
  embeddings, images, audio etc. are not requests or tokens of a chat model.
- ``GET /v1/organization/costs`` (``bucket_width=1d``), per day: the sum of the bucket's
  ``amount.value`` (USD, a float) → COST_BILLED_USD, dimension "". The costs endpoint has no
  model, so billed cost is for the whole project. A day OpenAI reports with no cost lines is a
  day that cost $0 and is stored as 0, so averages over days stay right.

Timestamps are Unix seconds; both endpoints page with ``has_more`` / ``next_page`` → ``page``.

``projects()`` lists the organization's projects (``GET /v1/organization/projects``), which a
Runway project is mapped to: a mistyped id would otherwise sync $0.00, silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.vocabulary import Bucket, Metric, Sample

PROVIDER = "OpenAI"
DEFAULT_BASE_URL = "https://api.openai.com"
USAGE_PATH = "/v1/organization/usage/completions"
COSTS_PATH = "/v1/organization/costs"
# The largest page each endpoint allows for daily buckets: fewer calls, same data.
USAGE_PAGE_LIMIT = 31
COSTS_PAGE_LIMIT = 180
MAX_PAGES = 1000
PROJECTS_PATH = "/v1/organization/projects"
PROJECTS_PAGE_LIMIT = 100  # the list's largest page
# 50 pages of 100: far more projects than an organization has; past that, the list is
# refused rather than cut short, since a missing project would be refused on mapping.
MAX_PROJECT_PAGES = 50
# With group_by=model a result always names its model; if one ever does not, its tokens
# still belong to the project, so they are kept under this name rather than dropped.
UNKNOWN_MODEL = "unknown"

USAGE_METRICS: tuple[tuple[Metric, str], ...] = (
    (Metric.REQUESTS, "num_model_requests"),
    (Metric.INPUT_TOKENS, "input_tokens"),
    (Metric.OUTPUT_TOKENS, "output_tokens"),
)

Params = list[tuple[str, str]]


class OpenAIConnector(Connector):
    """Credentials: ``admin_key`` (an organization Admin key, sent as Bearer). Config:
    ``project_id`` (proj_…; one OpenAI project per Runway project). ``base_url`` defaults
    to https://api.openai.com when empty."""

    kind: ClassVar[str] = "openai"

    def test(self) -> str:
        """Sum model requests of the last 7 days (no grouping: one bucket row per day)."""
        end = datetime.now(UTC)
        start = end - timedelta(days=7)
        total = Decimal(0)
        for bucket in self._buckets(
            USAGE_PATH, self._window(start, end, USAGE_PAGE_LIMIT)
        ):
            for result in _results(bucket):
                total += _decimal(result.get("num_model_requests")) or Decimal(0)
        return (
            f"Connected: {int(total):,} requests in the last 7 days ({self._scope()})"
        )

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        # OpenAI starts daily buckets at start_time, so it must be a midnight.
        start, end = _floor_day(start), _ceil_day(end)
        return self._usage_samples(start, end) + self._cost_samples(start, end)

    def _usage_samples(self, start: datetime, end: datetime) -> list[Sample]:
        params = [*self._window(start, end, USAGE_PAGE_LIMIT), ("group_by", "model")]
        totals: dict[tuple[Metric, datetime, str], Decimal] = defaultdict(Decimal)
        for bucket in self._buckets(USAGE_PATH, params):
            day = _bucket_day(bucket, start, end)
            if day is None:
                continue
            for result in _results(bucket):
                model = result.get("model")
                model = model if isinstance(model, str) and model else UNKNOWN_MODEL
                for metric, field in USAGE_METRICS:
                    value = _decimal(result.get(field))
                    if value is not None:
                        totals[(metric, day, model)] += value
        return [
            Sample(metric, day, Bucket.DAY, value, model)
            for (metric, day, model), value in totals.items()
        ]

    def _cost_samples(self, start: datetime, end: datetime) -> list[Sample]:
        totals: dict[datetime, Decimal] = {}
        for bucket in self._buckets(
            COSTS_PATH, self._window(start, end, COSTS_PAGE_LIMIT)
        ):
            day = _bucket_day(bucket, start, end)
            if day is None:
                continue
            results = _results(bucket)
            amounts = [_usd(result) for result in results]
            known = [amount for amount in amounts if amount is not None]
            if results and not known:
                continue  # lines without amounts: unknown, not $0
            totals[day] = totals.get(day, Decimal(0)) + sum(known, Decimal(0))
        return [
            Sample(Metric.COST_BILLED_USD, day, Bucket.DAY, value)
            for day, value in totals.items()
        ]

    def _window(self, start: datetime, end: datetime, limit: int) -> Params:
        params: Params = [
            ("start_time", str(int(start.timestamp()))),
            ("end_time", str(int(end.timestamp()))),
            ("bucket_width", "1d"),
            ("limit", str(limit)),
        ]
        project_id = str(self.config.get("project_id") or "")
        if project_id:
            params.append(("project_ids", project_id))
        return params

    def _scope(self) -> str:
        project_id = str(self.config.get("project_id") or "")
        return f"project {project_id}" if project_id else "whole organization"

    def projects(self) -> dict[str, str]:
        """The organization's live projects, id → name, in the order OpenAI lists them,
        every page: ``after`` = the previous page's ``last_id`` while ``has_more``.

        Archived projects are not asked for and are dropped if one comes anyway: they
        take no new requests, so no new Runway project is one of them."""
        http, url = self._http(), self._url(PROJECTS_PATH)
        projects: dict[str, str] = {}
        seen: set[str] = set()
        after: str | None = None
        for _ in range(MAX_PROJECT_PAGES):
            params: Params = [
                ("limit", str(PROJECTS_PAGE_LIMIT)),
                ("include_archived", "false"),
            ]
            if after:
                params.append(("after", after))
            body = http.request("GET", url, params=params)
            if not isinstance(body, dict):
                raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
            page = _list(body.get("data"))
            for project in page:
                project_id = project.get("id")
                if not isinstance(project_id, str) or not project_id:
                    continue
                if project.get("status") == "archived" or project.get("archived_at"):
                    continue
                name = project.get("name")
                projects[project_id] = name if isinstance(name, str) else ""
            if not body.get("has_more"):
                return projects
            last_id = body.get("last_id")
            if not isinstance(last_id, str) or not last_id:
                last_id = page[-1].get("id") if page else None
            if not isinstance(last_id, str) or not last_id or last_id in seen:
                raise ConnectorError(
                    f"{PROVIDER} said more projects follow but gave no new place to "
                    "continue from."
                )
            seen.add(last_id)
            after = last_id
        raise ConnectorError(
            f"{PROVIDER} listed more than {MAX_PROJECT_PAGES * PROJECTS_PAGE_LIMIT:,} "
            "projects; Runway stops there."
        )

    def _http(self) -> Http:
        admin_key = self.credentials.get("admin_key", "")
        if not admin_key:
            raise ConnectorError(f"{PROVIDER} needs an admin key.", permanent=True)
        return Http(
            self.client, PROVIDER, headers={"Authorization": f"Bearer {admin_key}"}
        )

    def _url(self, path: str) -> str:
        # An address given with /v1 (as in OpenAI's docs) must not end up as /v1/v1.
        return f"{(self.base_url or DEFAULT_BASE_URL).removesuffix('/v1')}{path}"

    def _buckets(self, path: str, params: Params) -> Iterator[dict[str, Any]]:
        """Every bucket of every page: ``next_page`` goes back as ``page`` while ``has_more``."""
        http, url = self._http(), self._url(path)
        seen: set[str] = set()
        page_token: str | None = None
        for _ in range(MAX_PAGES):
            body = http.request(
                "GET",
                url,
                params=[*params, ("page", page_token)] if page_token else params,
            )
            if not isinstance(body, dict):
                raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
            yield from _list(body.get("data"))
            page_token = body.get("next_page")
            if (
                not body.get("has_more")
                or not isinstance(page_token, str)
                or not page_token
            ):
                return
            if page_token in seen:
                raise ConnectorError(f"{PROVIDER} returned the same next_page twice.")
            seen.add(page_token)
        raise ConnectorError(f"{PROVIDER} returned more than {MAX_PAGES} pages.")


def _list(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
    return [item for item in value if isinstance(item, dict)]


def _results(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return _list(bucket.get("results"))


def _bucket_day(
    bucket: dict[str, Any], start: datetime, end: datetime
) -> datetime | None:
    """The bucket's UTC midnight, or None when it is missing or outside [start, end)."""
    start_time = bucket.get("start_time")
    if isinstance(start_time, bool) or not isinstance(start_time, int | float):
        return None
    day = _floor_day(datetime.fromtimestamp(start_time, tz=UTC))
    return day if start <= day < end else None


def _usd(result: dict[str, Any]) -> Decimal | None:
    amount = result.get("amount")
    if not isinstance(amount, dict):
        return None
    currency = amount.get("currency")
    if isinstance(currency, str) and currency.lower() != "usd":
        raise ConnectorError(
            f"{PROVIDER} reported a cost in {currency}; Runway keeps USD only."
        )
    return _decimal(amount.get("value"))


def _decimal(value: object) -> Decimal | None:
    """JSON numbers to Decimal (floats through str() so 0.06 stays 0.06); None, junk, NaN
    and infinities give None so the caller skips them."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _floor_day(moment: datetime) -> datetime:
    return _utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(moment: datetime) -> datetime:
    day = _floor_day(moment)
    return day if day == _utc(moment) else day + timedelta(days=1)
