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
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from metrics.connectors.base import Connector, ConnectorError, Http
from metrics.vocabulary import Bucket, Metric, Sample

PROVIDER = "Anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
USAGE_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
PAGE_LIMIT = 31  # the largest page both reports allow for daily buckets
MAX_PAGES = 1000
WORKSPACES_PATH = "/v1/organizations/workspaces"
WORKSPACES_PAGE_LIMIT = 1000  # the list's largest page
# Far more workspaces than an organization has; past that, the list is refused rather
# than cut short, since a missing workspace would be refused on mapping.
MAX_WORKSPACE_PAGES = 10
CENTS_PER_USD = Decimal(100)
# With group_by[]=model a result always names its model; if one ever does not, its tokens
# still belong to the workspace, so they are kept under this name rather than dropped.
UNKNOWN_MODEL = "unknown"

Params = list[tuple[str, str]]


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
            for result in _list(bucket.get("results")):
                total += _decimal(result.get("output_tokens")) or Decimal(0)
        return f"Connected: {int(total):,} output tokens in the last 7 days ({self._scope()})"

    def fetch(self, *, start: datetime, end: datetime) -> list[Sample]:
        """Daily samples for the days from the one containing ``start`` to the one
        containing the instant before ``end`` (today's partial day included)."""
        start, end = _floor_day(start), _ceil_day(end)
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
            for result in _list(bucket.get("results")):
                model = result.get("model")
                model = model if isinstance(model, str) and model else UNKNOWN_MODEL
                input_tokens = _input_tokens(result)
                if input_tokens is not None:
                    totals[(Metric.INPUT_TOKENS, day, model)] += input_tokens
                output_tokens = _decimal(result.get("output_tokens"))
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
                for result in _list(bucket.get("results"))
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
            ("starting_at", _rfc3339(start)),
            ("ending_at", _rfc3339(end)),
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
        workspaces: dict[str, str] = {}
        seen: set[str] = set()
        after_id: str | None = None
        for _ in range(MAX_WORKSPACE_PAGES):
            params: Params = [
                ("limit", str(WORKSPACES_PAGE_LIMIT)),
                ("include_archived", "false"),
            ]
            if after_id:
                params.append(("after_id", after_id))
            body = http.request("GET", url, params=params)
            if not isinstance(body, dict):
                raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
            page = _list(body.get("data"))
            for workspace in page:
                workspace_id = workspace.get("id")
                if not isinstance(workspace_id, str) or not workspace_id:
                    continue
                if workspace.get("archived_at"):
                    continue
                name = workspace.get("name")
                workspaces[workspace_id] = name if isinstance(name, str) else ""
            if not body.get("has_more"):
                return workspaces
            last_id = body.get("last_id")
            if not isinstance(last_id, str) or not last_id:
                last_id = page[-1].get("id") if page else None
            if not isinstance(last_id, str) or not last_id or last_id in seen:
                raise ConnectorError(
                    f"{PROVIDER} said more workspaces follow but gave no new place to "
                    "continue from."
                )
            seen.add(last_id)
            after_id = last_id
        raise ConnectorError(
            f"{PROVIDER} listed more than "
            f"{MAX_WORKSPACE_PAGES * WORKSPACES_PAGE_LIMIT:,} workspaces; Runway stops "
            "there."
        )

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


def _input_tokens(result: dict[str, Any]) -> Decimal | None:
    """Uncached + cache writes (5 min and 1 h) + cache reads; None parts are skipped, and
    None overall when no part was reported."""
    cache_creation = result.get("cache_creation")
    cache_creation = cache_creation if isinstance(cache_creation, dict) else {}
    parts = [
        _decimal(result.get("uncached_input_tokens")),
        _decimal(cache_creation.get("ephemeral_5m_input_tokens")),
        _decimal(cache_creation.get("ephemeral_1h_input_tokens")),
        _decimal(result.get("cache_read_input_tokens")),
    ]
    known = [part for part in parts if part is not None]
    return sum(known, Decimal(0)) if known else None


def _usd(result: dict[str, Any]) -> Decimal | None:
    currency = result.get("currency")
    if isinstance(currency, str) and currency.upper() != "USD":
        raise ConnectorError(
            f"{PROVIDER} reported a cost in {currency}; Runway keeps USD only."
        )
    cents = _decimal(result.get("amount"))
    return None if cents is None else cents / CENTS_PER_USD


def _list(value: object) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConnectorError(f"{PROVIDER} answered with an unexpected shape.")
    return [item for item in value if isinstance(item, dict)]


def _bucket_day(
    bucket: dict[str, Any], start: datetime, end: datetime
) -> datetime | None:
    """The bucket's UTC midnight, or None when it is missing or outside [start, end)."""
    value = bucket.get("starting_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    day = _floor_day(moment)
    return day if start <= day < end else None


def _decimal(value: object) -> Decimal | None:
    """Numbers and decimal strings to Decimal; None, junk, NaN and infinities give None so
    the caller skips them."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _rfc3339(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _floor_day(moment: datetime) -> datetime:
    return _utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(moment: datetime) -> datetime:
    day = _floor_day(moment)
    return day if day == _utc(moment) else day + timedelta(days=1)
