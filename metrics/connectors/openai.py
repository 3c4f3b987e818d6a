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
from decimal import Decimal
from typing import Any, ClassVar

from metrics.connectors.base import (
    Connector,
    ConnectorError,
    Http,
    Params,
    json_objects,
    last_id_cursor,
)
from metrics.connectors.parsing import (
    ceil_day,
    epoch_seconds,
    floor_day,
    parse_decimal,
    parse_epoch_seconds,
)
from metrics.vocabulary import Bucket, Metric, Sample

PROVIDER = "OpenAI"
DEFAULT_BASE_URL = "https://api.openai.com"
USAGE_PATH = "/v1/organization/usage/completions"
COSTS_PATH = "/v1/organization/costs"
# The largest page each endpoint allows for daily buckets: fewer calls, same data.
USAGE_PAGE_LIMIT = 31
COSTS_PAGE_LIMIT = 180
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
                total += parse_decimal(result.get("num_model_requests")) or Decimal(0)
        return (
            f"Connected: {int(total):,} requests in the last 7 days ({self._scope()})"
        )

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        # OpenAI starts daily buckets at start_time, so it must be a midnight.
        start, end = floor_day(start), ceil_day(end)
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
                    value = parse_decimal(result.get(field))
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
            ("start_time", str(epoch_seconds(start))),
            ("end_time", str(epoch_seconds(end))),
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

        def request_page(after: str | None) -> object:
            params: Params = [
                ("limit", str(PROJECTS_PAGE_LIMIT)),
                ("include_archived", "false"),
            ]
            if after:
                params.append(("after", after))
            return http.request("GET", url, params=params)

        stuck = (
            f"{PROVIDER} said more projects follow but gave no new place to continue "
            "from."
        )
        projects: dict[str, str] = {}
        for body in self.pages(
            request_page,
            cursor_of=lambda body: last_id_cursor(body, stuck),
            max_pages=MAX_PROJECT_PAGES,
            provider=PROVIDER,
            repeated=stuck,
            too_many=(
                f"{PROVIDER} listed more than "
                f"{MAX_PROJECT_PAGES * PROJECTS_PAGE_LIMIT:,} projects; Runway stops "
                "there."
            ),
        ):
            for project in json_objects(body.get("data"), PROVIDER):
                project_id = project.get("id")
                if not isinstance(project_id, str) or not project_id:
                    continue
                if project.get("status") == "archived" or project.get("archived_at"):
                    continue
                name = project.get("name")
                projects[project_id] = name if isinstance(name, str) else ""
        return projects

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
        return self.report_buckets(self._http(), self._url(path), params)


def _results(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return json_objects(bucket.get("results"), PROVIDER)


def _bucket_day(
    bucket: dict[str, Any], start: datetime, end: datetime
) -> datetime | None:
    """The bucket's UTC midnight, or None when it is missing or outside [start, end)."""
    moment = parse_epoch_seconds(bucket.get("start_time"))
    if moment is None:
        return None
    day = floor_day(moment)
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
    return parse_decimal(amount.get("value"))
