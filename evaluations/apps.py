from __future__ import annotations

from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "Evaluations"

    def ready(self) -> None:
        from evaluations.gates import (
            evaluation_quality_met,
            load_test_met,
            no_regression,
        )
        from evaluations.selectors import evaluations_activity
        from metrics.alert_pages import register_alert_page
        from metrics.models import Alert
        from projects.activity import register_source
        from projects.gates import register_check
        from projects.tabs import Tab, register_tab

        register_tab(Tab("evaluations", "Evaluations", "evaluations:project", 46))
        # Step 6 is judged on evaluations before production (step 7 on production).
        register_check({6}, evaluation_quality_met)
        register_check({6}, no_regression)
        register_check({6}, load_test_met)
        register_source(evaluations_activity)
        register_alert_page(Alert.Kind.EVALUATION, "evaluations:project")
