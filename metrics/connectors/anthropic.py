"""Anthropic organization usage and cost (Admin API, the "legacy" usage/cost reports), for
one Anthropic workspace.

Mapping (daily buckets, UTC midnight; ``config["workspace_id"]`` scopes both reports when
set, otherwise the whole organization counts):

- ``GET /v1/organizations/usage_report/messages`` (``bucket_width=1d``, ``group_by[]=model``,
  ``workspace_ids[]`` filter), per model per day:
  INPUT_TOKENS = ``uncached_input_tokens`` + ``cache_creation.ephemeral_5m_input_tokens`` +
  ``cache_creation.ephemeral_1h_input_tokens`` + ``cache_read_input_tokens`` — Anthropic splits
  the prompt into these disjoint parts, and their sum is every input token the model read (the
  same meaning as OpenAI's ``input_tokens``). OUTPUT_TOKENS = ``output_tokens``. Dimension =
  model. The report has no request count, so no REQUESTS.
- ``GET /v1/organizations/cost_report`` (``bucket_width=1d``), per day: the sum of the bucket's
  ``amount`` → COST_BILLED_USD, dimension "". Amounts are **decimal strings in cents** ("123.45"
  = $1.2345), so they are divided by 100 as Decimals. The cost report takes no workspace
  filter, so it is grouped by ``workspace_id`` and the other workspaces' lines are dropped here.
  Priority Tier costs never appear in this report (Anthropic's documented limitation). A day
  reported with no cost lines for the workspace is stored as $0.

Timestamps are RFC 3339; both reports page with ``has_more`` / ``next_page`` → ``page``.

``workspaces()`` lists the organization's workspaces (``GET /v1/organizations/workspaces``),
which a Runway project is mapped to: a mistyped id would otherwise sync $0.00, silently.
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
    floor_day,
    parse_day,
    parse_decimal,
    rfc3339,
)
from metrics.vocabulary import Bucket, Metric, Sample

PROVIDER = "Anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
USAGE_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
PAGE_LIMIT = 31  # the largest page both reports allow for daily buckets
WORKSPACES_PATH = "/v1/organizations/workspaces"
WORKSPACES_PAGE_LIMIT = 1000  # the list's largest page
# Far more workspaces than an organization has; past that, the list is refused rather
# than cut short, since a missing workspace would be refused on mapping.
MAX_WORKSPACE_PAGES = 10
CENTS_PER_USD = Decimal(100)
# With group_by[]=model a result always names its model; if one ever does not, its tokens
# still belong to the workspace, so they are kept under this name rather than dropped.
UNKNOWN_MODEL = "unknown"


class AnthropicConnector(Connector):
    """Credentials: ``admin_key`` (sk-ant-admin…, sent as ``x-api-key``). Config:
    ``workspace_id`` (wrkspc_…; one Anthropic workspace per Runway project). ``base_url``
    defaults to https://api.anthropic.com when empty."""

    kind: ClassVar[str] = "anthropic"

    def test(self) -> str:
        """Sum output tokens of the last 7 days (no grouping: one result per day)."""
        end = datetime.now(UTC)
        params = [
            *self._window(end - timedelta(days=7), end),
            *self._workspace_filter(),
        ]
        total = Decimal(0)
        for bucket in self._buckets(USAGE_PATH, params):
            for result in _results(bucket):
                total += parse_decimal(result.get("output_tokens")) or Decimal(0)
        return f"Connected: {int(total):,} output tokens in the last 7 days ({self._scope()})"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        start, end = floor_day(start), ceil_day(end)
        return self._usage_samples(start, end) + self._cost_samples(start, end)

    def _usage_samples(self, start: datetime, end: datetime) -> list[Sample]:
        params = [
            *self._window(start, end),
            ("group_by[]", "model"),
            *self._workspace_filter(),
        ]
        totals: dict[tuple[Metric, datetime, str], Decimal] = defaultdict(Decimal)
        for bucket in self._buckets(USAGE_PATH, params):
            day = _bucket_day(bucket, start, end)
            if day is None:
                continue
            for result in _results(bucket):
                model = result.get("model")
                model = model if isinstance(model, str) and model else UNKNOWN_MODEL
                input_tokens = _input_tokens(result)
                if input_tokens is not None:
                    totals[(Metric.INPUT_TOKENS, day, model)] += input_tokens
                output_tokens = parse_decimal(result.get("output_tokens"))
                if output_tokens is not None:
                    totals[(Metric.OUTPUT_TOKENS, day, model)] += output_tokens
        return [
            Sample(metric, day, Bucket.DAY, value, model)
            for (metric, day, model), value in totals.items()
        ]

    def _cost_samples(self, start: datetime, end: datetime) -> list[Sample]:
        workspace_id = self._workspace_id()
        params = self._window(start, end)
        if workspace_id:
            params.append(("group_by[]", "workspace_id"))
        totals: dict[datetime, Decimal] = {}
        for bucket in self._buckets(COST_PATH, params):
            day = _bucket_day(bucket, start, end)
            if day is None:
                continue
            results = [
                result
                for result in _results(bucket)
                if not workspace_id or result.get("workspace_id") == workspace_id
            ]
            known = [usd for result in results if (usd := _usd(result)) is not None]
            if results and not known:
                continue  # lines without amounts: unknown, not $0
            totals[day] = totals.get(day, Decimal(0)) + sum(known, Decimal(0))
        return [
            Sample(Metric.COST_BILLED_USD, day, Bucket.DAY, value)
            for day, value in totals.items()
        ]

    def _window(self, start: datetime, end: datetime) -> Params:
        return [
            ("starting_at", rfc3339(start)),
            ("ending_at", rfc3339(end)),
            ("bucket_width", "1d"),
            ("limit", str(PAGE_LIMIT)),
        ]

    def _workspace_id(self) -> str:
        return str(self.config.get("workspace_id") or "")

    def _workspace_filter(self) -> Params:
        workspace_id = self._workspace_id()
        return [("workspace_ids[]", workspace_id)] if workspace_id else []

    def _scope(self) -> str:
        workspace_id = self._workspace_id()
        return f"workspace {workspace_id}" if workspace_id else "whole organization"

    def workspaces(self) -> dict[str, str]:
        """The organization's live workspaces, id → name, in the order Anthropic lists
        them, every page: ``after_id`` = the previous page's ``last_id`` while ``has_more``.

        Archived workspaces are not asked for and are dropped if one comes anyway: they
        take no new requests. The organization's default workspace is not listed either
        (the list leaves it out unless ``include_default`` asks for it)."""
        http, url = self._http(), self._url(WORKSPACES_PATH)

        def request_page(after_id: str | None) -> object:
            params: Params = [
                ("limit", str(WORKSPACES_PAGE_LIMIT)),
                ("include_archived", "false"),
            ]
            if after_id:
                params.append(("after_id", after_id))
            return http.request("GET", url, params=params)

        stuck = (
            f"{PROVIDER} said more workspaces follow but gave no new place to "
            "continue from."
        )
        workspaces: dict[str, str] = {}
        for body in self.pages(
            request_page,
            cursor_of=lambda body: last_id_cursor(body, stuck),
            max_pages=MAX_WORKSPACE_PAGES,
            provider=PROVIDER,
            repeated=stuck,
            too_many=(
                f"{PROVIDER} listed more than "
                f"{MAX_WORKSPACE_PAGES * WORKSPACES_PAGE_LIMIT:,} workspaces; Runway "
                "stops there."
            ),
        ):
            for workspace in json_objects(body.get("data"), PROVIDER):
                workspace_id = workspace.get("id")
                if not isinstance(workspace_id, str) or not workspace_id:
                    continue
                if workspace.get("archived_at"):
                    continue
                name = workspace.get("name")
                workspaces[workspace_id] = name if isinstance(name, str) else ""
        return workspaces

    def _http(self) -> Http:
        admin_key = self.credentials.get("admin_key", "")
        if not admin_key:
            raise ConnectorError(f"{PROVIDER} needs an admin key.", permanent=True)
        return Http(
            self.client,
            PROVIDER,
            headers={"x-api-key": admin_key, "anthropic-version": API_VERSION},
        )

    def _url(self, path: str) -> str:
        return f"{(self.base_url or DEFAULT_BASE_URL).removesuffix('/v1')}{path}"

    def _buckets(self, path: str, params: Params) -> Iterator[dict[str, Any]]:
        return self.report_buckets(self._http(), self._url(path), params)


def _input_tokens(result: dict[str, Any]) -> Decimal | None:
    """Uncached + cache writes (5 min and 1 h) + cache reads; None parts are skipped, and
    None overall when no part was reported."""
    cache_creation = result.get("cache_creation")
    cache_creation = cache_creation if isinstance(cache_creation, dict) else {}
    parts = [
        parse_decimal(result.get("uncached_input_tokens")),
        parse_decimal(cache_creation.get("ephemeral_5m_input_tokens")),
        parse_decimal(cache_creation.get("ephemeral_1h_input_tokens")),
        parse_decimal(result.get("cache_read_input_tokens")),
    ]
    known = [part for part in parts if part is not None]
    return sum(known, Decimal(0)) if known else None


def _usd(result: dict[str, Any]) -> Decimal | None:
    currency = result.get("currency")
    if isinstance(currency, str) and currency.upper() != "USD":
        raise ConnectorError(
            f"{PROVIDER} reported a cost in {currency}; Runway keeps USD only."
        )
    cents = parse_decimal(result.get("amount"))
    return None if cents is None else cents / CENTS_PER_USD


def _results(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    return json_objects(bucket.get("results"), PROVIDER)


def _bucket_day(
    bucket: dict[str, Any], start: datetime, end: datetime
) -> datetime | None:
    """The bucket's UTC midnight, or None when it is missing or outside [start, end)."""
    day = parse_day(bucket.get("starting_at"))
    return day if day is not None and start <= day < end else None
