from __future__ import annotations

from django.urls import path

from metrics import dashboard_views, views

app_name = "metrics"
urlpatterns = [
    path("metrics/", views.index, name="index"),
    path("metrics/organisation/add/<str:kind>/", views.org_service_add, name="org_add"),
    path(
        "metrics/organisation/<int:pk>/replace-key/",
        views.org_service_replace_key,
        name="org_replace_key",
    ),
    path(
        "metrics/organisation/<int:pk>/remove/",
        views.org_service_remove,
        name="org_remove",
    ),
    path("projects/<slug:slug>/metrics/", views.project_metrics, name="project"),
    path(
        "projects/<slug:slug>/metrics/sources/",
        views.metric_sources,
        name="sources",
    ),
    path(
        "projects/<slug:slug>/metrics/services/<int:pk>/settings/",
        views.service_settings,
        name="service_settings",
    ),
    path(
        "projects/<slug:slug>/dashboard/",
        dashboard_views.project_dashboard_view,
        name="dashboard",
    ),
    path(
        "projects/<slug:slug>/dashboard/why/",
        dashboard_views.figure_why,
        name="why",
    ),
    path(
        "projects/<slug:slug>/dashboard/reconciliation/",
        dashboard_views.cost_reconciliation,
        name="reconciliation",
    ),
    path(
        "projects/<slug:slug>/dashboard/export.csv",
        dashboard_views.project_metrics_csv,
        name="project_csv",
    ),
    path(
        "projects/<slug:slug>/alerts/<int:pk>/acknowledge/",
        dashboard_views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path(
        "projects/<slug:slug>/metrics/connect/<str:kind>/",
        views.service_connect,
        name="connect",
    ),
    path(
        "projects/<slug:slug>/metrics/use-organisation/<str:kind>/",
        views.service_map,
        name="map",
    ),
    path(
        "projects/<slug:slug>/metrics/services/<int:pk>/replace-key/",
        views.service_replace_key,
        name="replace_key",
    ),
    path(
        "projects/<slug:slug>/metrics/services/<int:pk>/sync/",
        views.service_sync_now,
        name="sync",
    ),
    path(
        "projects/<slug:slug>/metrics/services/<int:pk>/status/",
        views.service_status,
        name="status",
    ),
    path(
        "projects/<slug:slug>/metrics/services/<int:pk>/remove/",
        views.service_remove,
        name="remove",
    ),
    path(
        "projects/<slug:slug>/metrics/tokens/",
        views.token_create,
        name="token_create",
    ),
    path(
        "projects/<slug:slug>/metrics/tokens/<int:pk>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
]
