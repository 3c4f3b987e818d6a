"""What the register's view tests share: URLs, a risk of the project's own, the form's
fields and reading the pages."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.db.models import Count
from django.urls import reverse

from projects.models import ChecklistItem
from risks import services
from risks.models import Risk, RiskCategory, RiskStatus, Treatment
from tests.html import page, table_rows, text

CSV_HEADER = [
    "Title",
    "Category",
    "Status",
    "Owner",
    "Cause",
    "Consequence",
    "Inherent likelihood",
    "Inherent impact",
    "Inherent score",
    "Residual likelihood",
    "Residual impact",
    "Residual score",
    "Treatment",
    "Review date",
    "Mitigations",
    "Indicator",
]


def url(project, name="register", **kwargs):
    return reverse(f"risks:{name}", kwargs={"slug": project.slug, **kwargs})


def suggestions_of(project):
    return Risk.objects.filter(project=project, status=RiskStatus.SUGGESTED)


def suggestion_with_mitigations(project):
    return (
        suggestions_of(project)
        .annotate(n=Count("mitigations"))
        .filter(n__gt=0)
        .order_by("title")
        .first()
    )


def items_of(project, count):
    return list(
        ChecklistItem.objects.filter(project=project, applicable=True).order_by(
            "step__number", "order", "id"
        )[:count]
    )


def own_risk(project, owner, **changes):
    fields = {
        "title": "Agent loops on the refund tool",
        "category": RiskCategory.AVAILABILITY,
        "owner": owner,
        "inherent_likelihood": 3,
        "inherent_impact": 4,
        "residual_likelihood": 2,
        "residual_impact": 3,
        **changes,
    }
    return services.risk_create(project=project, **fields)


def form_data(risk_or_none=None, **changes):
    """What the risk form posts: a plausible risk, with ``changes``."""
    data = {
        "title": "Answers quote another customer's claim",
        "category": RiskCategory.PRIVACY,
        "cause": "Retrieval ignores the tenant boundary.",
        "consequence": "A privacy breach to report.",
        "owner": "",
        "inherent_likelihood": "4",
        "inherent_impact": "5",
        "residual_likelihood": "2",
        "residual_impact": "5",
        "treatment": Treatment.MITIGATE,
        "review_date": "",
        "indicator": "",
        "mitigations": [],
    }
    if risk_or_none is not None:
        risk = risk_or_none
        data.update(
            title=risk.title,
            category=risk.category,
            cause=risk.cause,
            consequence=risk.consequence,
            owner=str(risk.owner_id or ""),
            inherent_likelihood=str(risk.inherent_likelihood),
            inherent_impact=str(risk.inherent_impact),
            residual_likelihood=str(risk.residual_likelihood),
            residual_impact=str(risk.residual_impact),
            treatment=risk.treatment,
            review_date=risk.review_date.isoformat() if risk.review_date else "",
            indicator=risk.indicator,
            status=risk.status,
            mitigations=[str(i.pk) for i in risk.mitigations.all()],
        )
    data.update(changes)
    return data


def flash(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(response, heading_id):
    return page(response).find(attrs={"aria-labelledby": heading_id})


def register_table(response):
    region = page(response).find(attrs={"aria-label": "Risk register table"})
    return region.find("table") if region else None


def register_row(response, title):
    table = register_table(response)
    assert table is not None, "no register table on the page"
    for row in table_rows(table):
        if row[0] == title:
            return row
    return None


def buttons(node):
    """What each button of ``node`` says (screen-reader text included)."""
    return [text(button) for button in node.find_all("button")]


def error_summary(response):
    return text(page(response).find(class_="error-summary"))


# The register page and its suggestions
