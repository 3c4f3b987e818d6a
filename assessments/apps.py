from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from assessments.activity import assessments_activity
        from assessments.gates import gaps_owned, requirements_approved
        from projects.activity import register_source
        from projects.gates import register_check
        from projects.tabs import Tab, register_tab

        register_check({1}, requirements_approved)
        register_check({2}, gaps_owned)
        register_source(assessments_activity)
        register_tab(
            Tab("requirements", "Requirements", "assessments:requirements", 30)
        )
        register_tab(Tab("assessments", "Assessments", "assessments:project", 40))
