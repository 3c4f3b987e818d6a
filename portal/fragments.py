"""Runway's cached fragments and the models each reads (``core.fragments``).

One declaration per fragment. A new column fed by a new model goes into its
fragment's ``reads`` here; ``tests/portal/test_fragment_map.py`` fails until it does.
The timeouts bound what no save announces: the clock (today ends, a step becomes
stalled after days without activity) and writes made around the models.
"""

from __future__ import annotations

from core.fragments import Fragment, Scope, declare

# What the projects' step facts, members and "at risk" read (projects.risk).
PROJECT_FACTS = frozenset(
    {
        "projects.Project",
        "projects.ProjectStep",
        "projects.Step",
        "projects.Team",
        "projects.Membership",
        "portal.User",
        "metrics.Alert",  # an open alert puts a project at risk
        "risks.Risk",  # so does a high residual risk nobody accepted
    }
)

# What the figures of a project's metrics read (metrics.dashboard).
METRIC_FIGURES = frozenset(
    {
        "metrics.DailyRollup",
        "metrics.ConnectedService",
        "metrics.MetricSource",
        "metrics.Alert",
        "assessments.RequirementsDocument",  # the approved version's targets
        "assessments.RequirementsVersion",
    }
)

PROJECTS_TABLE = Fragment(
    "projects-table",
    reads=PROJECT_FACTS | {"projects.Framework", "projects.Project_frameworks"},
    scope=Scope.ALL,
    timeout=300,
    why="A page of the projects table per filter, sort and viewer; the stalled flag "
    "moves with the clock, so a page is kept five minutes at most.",
)

PROJECT_OWNERS = Fragment(
    "project-owners",
    reads=frozenset({"projects.Project", "projects.Membership", "portal.User"}),
    scope=Scope.ALL,
    timeout=3600,
    why="The people who own a visible project, for the owner filter.",
)

PROJECT_MEMBERS = Fragment(
    "project-members",
    reads=frozenset({"projects.Membership", "portal.User"}),
    scope=Scope.PROJECT,
    timeout=3600,
    why="A project's members, for pickers and sign-off candidates.",
)

PROJECT_OVERVIEW = Fragment(
    "project-overview",
    reads=PROJECT_FACTS | {"projects.Framework", "projects.Project_frameworks"},
    scope=Scope.PROJECT,
    timeout=300,
    why="A project's header and Overview tab, per kind of viewer and day; the stalled "
    "and overdue reasons move with the clock.",
)

PROJECT_STEPPER = Fragment(
    "project-stepper",
    reads=frozenset(
        {
            "projects.Project",
            "projects.ProjectStep",
            "projects.Step",
            "projects.ChecklistItem",  # each step's progress
            "portal.User",  # each step's owner
        }
    ),
    scope=Scope.PROJECT,
    timeout=300,
    why="The Overview tab's stepper, per kind of viewer and day: apart from the "
    "overview so that a checklist tick rebuilds only this; stalled moves with the "
    "clock.",
)

PROJECT_DASHBOARD = Fragment(
    "project-dashboard",
    reads=METRIC_FIGURES
    | {"projects.Project", "metrics.SyncRun", "portal.User"},  # who acknowledged
    scope=Scope.PROJECT,
    timeout=600,
    why="A project's dashboard body per range; today's partial day moves with the "
    "clock, so ten minutes at most.",
)

# What a project's last evaluation reads (evaluations.summary), beside the approved
# quality target of the requirements.
LAST_EVALUATION = frozenset(
    {
        "evaluations.EvaluationRun",
        "evaluations.EvaluationScore",
        "evaluations.EvaluationPlan",
        "evaluations.BaselineAcceptance",
    }
)

PORTFOLIO = Fragment(
    "portfolio",
    reads=PROJECT_FACTS
    | METRIC_FIGURES
    | LAST_EVALUATION
    | {
        "projects.Framework",
        "projects.Project_frameworks",
        "assessments.GapAssessment",
        "assessments.CriterionScore",
        "assessments.AssessmentCriterion",
    },
    scope=Scope.ALL,
    timeout=300,
    why="The portfolio body (or its table) per kind of viewer, filters and page.",
)

PORTFOLIO_TRENDS = Fragment(
    "portfolio-trends",
    reads=METRIC_FIGURES,
    scope=Scope.ALL,
    timeout=300,
    why="Weeks of rollups for every project: this month's spend, quality, the weekly "
    "charts. The projects' teams and quality targets are part of its key, so that "
    "editing a project does not scan the rollups again.",
)

UNREAD_NOTIFICATIONS = Fragment(
    "unread-notifications",
    reads=frozenset({"projects.Notification"}),
    scope=Scope.USER,
    timeout=24 * 3600,
    why="The bell's count on every page, per person.",
)


def declare_all() -> None:
    declare(
        PROJECTS_TABLE,
        PROJECT_OWNERS,
        PROJECT_MEMBERS,
        PROJECT_OVERVIEW,
        PROJECT_STEPPER,
        PROJECT_DASHBOARD,
        PORTFOLIO,
        PORTFOLIO_TRENDS,
        UNREAD_NOTIFICATIONS,
    )
