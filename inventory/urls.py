from __future__ import annotations

from django.urls import path

from inventory.views import manage, project

app_name = "inventory"
urlpatterns = [
    path("projects/<slug:slug>/models/", project.project_models, name="project"),
    path(
        "projects/<slug:slug>/models/<int:pk>/remove/",
        project.model_remove,
        name="remove",
    ),
    path("manage/vendors/", manage.vendor_list, name="vendors"),
    path("manage/vendors/new/", manage.vendor_edit, name="vendor_new"),
    path("manage/vendors/<int:pk>/", manage.vendor_edit, name="vendor_edit"),
    path("manage/models/", manage.model_list, name="models"),
    path("manage/models/new/", manage.model_edit, name="model_new"),
    path("manage/models/<int:pk>/", manage.model_edit, name="model_edit"),
]
