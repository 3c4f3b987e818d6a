"""The URLs of the Evaluations tab's pages, and a region of a page by its label: shared
by tests/evaluations/test_tab_views.py and test_baseline_and_plan_views.py."""

from __future__ import annotations

from django.urls import reverse


def tab_url(project, **query):
    url = reverse("evaluations:project", kwargs={"slug": project.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def run_url(run, name="evaluations:run"):
    return reverse(name, kwargs={"slug": run.project.slug, "pk": run.pk})


def plan_url(project):
    return reverse("evaluations:plan", kwargs={"slug": project.slug})


def compare_url(project, **query):
    url = reverse("evaluations:compare", kwargs={"slug": project.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def region(doc, label):
    return doc.find(attrs={"role": "region", "aria-label": label})
