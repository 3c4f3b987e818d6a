"""The push API's evaluation runs: a CI pipeline posts one run's summary (an offline
evaluation on an evaluation set, or a load test) with the project's push token.

The same token, throttle, body limit, JSON-only rule and timestamp window as the
event push (``metrics.api``), so a pipeline that can push events can push runs. A
summary is validated whole (422 naming the field) before anything is stored; the
caller's run id makes a resent summary a no-op that answers with the stored run.
docs/evaluations.md is the caller's reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from ninja import Router, Status
from ninja.decorators import decorate_view
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from core.numbers import as_float
from evaluations import selectors, services
from evaluations.models import EvaluationRun
from metrics.api import (
    Message,
    Moment,
    Name,
    TokenAuth,
    json_only,
    not_blank,
    storable,
    throttle,
)
from metrics.models import IngestToken
from projects.models import Project

MAX_SCORES = 100
MAX_COUNT = 1_000_000_000  # items in a set: far beyond any evaluation set
MAX_RATE = 999_999_999  # requests per second or milliseconds: what the columns hold
MAX_DURATION = 30 * 24 * 3600  # seconds: a month-long soak test is the most we expect

_SCORE_PLACES = Decimal("0.0001")
_RATE_PLACES = Decimal("0.001")

router = Router(tags=["evaluations"])


def _web_address(value: str) -> str:
    # A link people follow from Runway: javascript:, file: and the like are refused.
    try:
        URLValidator(schemes=["http", "https"])(value)
    except DjangoValidationError:
        raise ValueError("must be an http or https address") from None
    return value


# Text that must say something, as the push API's names: not blank, storable, and
# no longer than the column it goes to.
Text200 = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=200),
    AfterValidator(storable),
    AfterValidator(not_blank),
]
Text100 = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=100),
    AfterValidator(storable),
    AfterValidator(not_blank),
]
Commit = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=64),
    AfterValidator(storable),
    AfterValidator(not_blank),
]
Url = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=500),
    AfterValidator(storable),
    AfterValidator(_web_address),
]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Score = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Rate = Annotated[float, Field(strict=True, ge=0, le=MAX_RATE, allow_inf_nan=False)]

# What only a load test has: sent on an evaluation, it most likely means the caller
# forgot "kind": "load_test", which is better said than silently stored.
LOAD_TEST_FIELDS = (
    "target_rps",
    "duration_seconds",
    "p95_latency_ms",
    "error_rate_pct",
)


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200 = Field(description="The evaluation set, as your tool names it")
    version: Text100 | None = None
    items: Count | None = Field(default=None, description="Items in the set")


class RunIn(BaseModel):
    """One run's summary. Text fields, when given, must not be blank: leave a field
    out (or send null) when there is nothing to say."""

    model_config = ConfigDict(extra="forbid")

    # First: the checks of the fields below read it.
    kind: EvaluationRun.Kind = EvaluationRun.Kind.EVALUATION
    run_id: Text200 = Field(
        description="Your id for the run: a run id sent again is stored once"
    )
    ran_at: Moment
    name: Text200 | None = None
    dataset: Annotated[DatasetIn | None, Field(validate_default=True)] = None
    model: Text200 | None = None
    app_version: Text200 | None = Field(
        default=None, description="The prompt or app version evaluated"
    )
    commit: Commit | None = None
    url: Url | None = Field(
        default=None, description="The run in the tool or pipeline that made it"
    )
    scores: Annotated[
        dict[Name, Score],
        Field(
            max_length=MAX_SCORES,
            validate_default=True,
            description="Aggregate score per metric, 0–1",
        ),
    ] = Field(default_factory=dict)
    items_passed: Count | None = None
    items_failed: Count | None = None
    target_rps: Rate | None = None
    achieved_rps: Annotated[Rate | None, Field(validate_default=True)] = None
    duration_seconds: Annotated[
        int | None, Field(strict=True, ge=0, le=MAX_DURATION)
    ] = None
    p95_latency_ms: Rate | None = None
    error_rate_pct: Annotated[
        float | None, Field(strict=True, ge=0, le=100, allow_inf_nan=False)
    ] = None

    @field_validator("dataset")
    @classmethod
    def _evaluation_names_its_set(
        cls, value: DatasetIn | None, info: ValidationInfo
    ) -> DatasetIn | None:
        # Runs are compared with the baseline of their set: a run of no set
        # cannot be judged.
        if value is None and info.data.get("kind") == EvaluationRun.Kind.EVALUATION:
            raise ValueError("is required for an evaluation: name its evaluation set")
        return value

    @field_validator("scores", mode="before")
    @classmethod
    def _at_most_a_hundred(cls, value: Any) -> Any:
        # Counted before the scores are validated, so an oversized summary costs
        # little and says how many it sent.
        if isinstance(value, dict) and len(value) > MAX_SCORES:
            raise ValueError(
                f"at most {MAX_SCORES} metrics a run; this one has {len(value):,}"
            )
        return value

    @field_validator("scores")
    @classmethod
    def _scores_for_evaluations(
        cls, value: dict[str, float], info: ValidationInfo
    ) -> dict[str, float]:
        kind = info.data.get("kind")
        if kind == EvaluationRun.Kind.EVALUATION and not value:
            raise ValueError("an evaluation needs at least one score")
        if kind == EvaluationRun.Kind.LOAD_TEST and value:
            raise ValueError("scores belong to an evaluation, not a load test")
        return value

    @field_validator("items_passed", "items_failed")
    @classmethod
    def _within_the_set(cls, value: int | None, info: ValidationInfo) -> int | None:
        dataset = info.data.get("dataset")
        if value is None or dataset is None or dataset.items is None:
            return value
        counted = value + (
            (info.data.get("items_passed") or 0)
            if info.field_name == "items_failed"
            else 0
        )
        if counted > dataset.items:
            raise ValueError(
                "items_passed and items_failed together exceed the set's "
                f"{dataset.items:,} items"
            )
        return value

    @field_validator(*LOAD_TEST_FIELDS)
    @classmethod
    def _only_on_load_tests(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("kind") == EvaluationRun.Kind.EVALUATION:
            raise ValueError('is a load test\'s field: send "kind": "load_test"')
        return value

    @field_validator("achieved_rps")
    @classmethod
    def _load_test_says_what_it_reached(
        cls, value: float | None, info: ValidationInfo
    ) -> float | None:
        kind = info.data.get("kind")
        if value is None and kind == EvaluationRun.Kind.LOAD_TEST:
            raise ValueError("is required for a load test")
        if value is not None and kind == EvaluationRun.Kind.EVALUATION:
            raise ValueError('is a load test\'s field: send "kind": "load_test"')
        return value


class DatasetOut(BaseModel):
    name: str
    version: str
    items: int | None


class RunOut(BaseModel):
    """The run as Runway stored it, under the names it was sent with."""

    id: int = Field(description="Runway's id of the run")
    run_id: str
    duplicate: bool = Field(
        description="True when this run id was stored before: nothing was changed"
    )
    runway_url: str = Field(description="The run in Runway")
    kind: str
    ran_at: datetime
    received_at: datetime
    name: str
    dataset: DatasetOut
    model: str
    app_version: str
    commit: str
    url: str
    scores: dict[str, float]
    items_passed: int | None
    items_failed: int | None
    target_rps: float | None
    achieved_rps: float | None
    duration_seconds: int | None
    p95_latency_ms: float | None
    error_rate_pct: float | None


def _decimal(value: float | None, places: Decimal) -> Decimal | None:
    if value is None:
        return None
    # Through repr, so 0.1 is stored as 0.1 and not as the binary float's expansion.
    return Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP)


def summary_of(payload: RunIn) -> services.RunSummary:
    dataset = payload.dataset
    return services.RunSummary(
        kind=payload.kind,
        external_id=payload.run_id,
        ran_at=payload.ran_at,
        name=payload.name or "",
        dataset_name=dataset.name if dataset else "",
        dataset_version=(dataset.version or "") if dataset else "",
        item_count=dataset.items if dataset else None,
        items_passed=payload.items_passed,
        items_failed=payload.items_failed,
        model=payload.model or "",
        app_version=payload.app_version or "",
        commit=payload.commit or "",
        source_url=payload.url or "",
        scores={
            metric: _decimal(value, _SCORE_PLACES) or Decimal(0)
            for metric, value in payload.scores.items()
        },
        target_rps=_decimal(payload.target_rps, _RATE_PLACES),
        achieved_rps=_decimal(payload.achieved_rps, _RATE_PLACES),
        duration_seconds=payload.duration_seconds,
        p95_latency_ms=_decimal(payload.p95_latency_ms, _RATE_PLACES),
        error_rate_pct=_decimal(payload.error_rate_pct, _SCORE_PLACES),
    )


def _run_out(
    request: HttpRequest, project: Project, run: EvaluationRun, *, duplicate: bool
) -> RunOut:
    return RunOut(
        id=run.pk,
        run_id=run.external_id,
        duplicate=duplicate,
        runway_url=request.build_absolute_uri(
            reverse("evaluations:run", kwargs={"slug": project.slug, "pk": run.pk})
        ),
        kind=run.kind,
        ran_at=run.ran_at,
        received_at=run.received_at,
        name=run.name,
        dataset=DatasetOut(
            name=run.dataset_name, version=run.dataset_version, items=run.item_count
        ),
        model=run.model,
        app_version=run.app_version,
        commit=run.commit,
        url=run.source_url,
        scores={
            metric: float(value) for metric, value in selectors.scores_of(run).items()
        },
        items_passed=run.items_passed,
        items_failed=run.items_failed,
        target_rps=as_float(run.target_rps),
        achieved_rps=as_float(run.achieved_rps),
        duration_seconds=run.duration_seconds,
        p95_latency_ms=as_float(run.p95_latency_ms),
        error_rate_pct=as_float(run.error_rate_pct),
    )


def one_summary_a_body(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Say what is too large here: the push API's 413 speaks of batches of items."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 413:
            return JsonResponse(
                {
                    "detail": "The body is too large: send one run's summary, with "
                    f"at most {MAX_SCORES} scores."
                },
                status=413,
            )
        return response

    return wrapper


@router.post(
    "/runs",
    auth=TokenAuth(),
    throttle=[throttle],
    response={
        200: RunOut,
        201: RunOut,
        401: Message,
        403: Message,
        413: Message,
        415: Message,
        429: Message,
    },
    url_name="evaluation-runs",
    summary="Push an evaluation run or a load test",
)
@decorate_view(json_only, one_summary_a_body)
def run_push(request: HttpRequest, payload: RunIn) -> Status[RunOut] | Status[Message]:
    """Store one evaluation run (scores per metric on an evaluation set) or one load
    test for the token's project. 201 with the stored run the first time a run_id
    arrives; 200 with "duplicate": true and the run as first stored when it was seen
    before (nothing changes). A new evaluation run is compared with its set's
    baseline at once, and a regression opens the project's evaluation alert."""
    token: IngestToken = request.auth  # type: ignore[attr-defined]
    project = token.project
    if project.archived_at is not None:
        return Status(
            403,
            Message(
                detail=f"The project “{project.name}” is archived and takes no more "
                "runs: restore it in Runway, or stop sending with this token."
            ),
        )
    run, created = services.run_record(
        project=project,
        summary=summary_of(payload),
        origin=EvaluationRun.Origin.PUSH,
    )
    return Status(
        201 if created else 200, _run_out(request, project, run, duplicate=not created)
    )
