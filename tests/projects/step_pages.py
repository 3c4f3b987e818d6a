"""What the step-page tests share: URLs, the first item of a step, signing in."""

from __future__ import annotations

from django.urls import reverse

from projects.models import ChecklistItem

HTMX = {"HTTP_HX_REQUEST": "true"}


def step_url(project, number=3):
    return reverse("projects:step", kwargs={"slug": project.slug, "number": number})


def state_url(item):
    return reverse(
        "projects:item_state", kwargs={"slug": item.project.slug, "pk": item.pk}
    )


def evidence_url(item):
    return reverse(
        "projects:evidence_add", kwargs={"slug": item.project.slug, "pk": item.pk}
    )


def first_item(project, number=3, **filters):
    return ChecklistItem.objects.filter(
        project=project, step__number=number, applicable=True, **filters
    ).first()


def head_target(item):
    """What the step page's tick asks for: the row's head only."""
    return {"HTTP_HX_TARGET": f"item-{item.pk}-head", **HTMX}


def signed_in(client, user):
    client.force_login(user)
    return client
