from __future__ import annotations

from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "risks"
    verbose_name = "Risks"

    def ready(self) -> None:
        from projects.activity import register_source
        from projects.profile import on_profile_change
        from projects.risk import RiskSignal, register_signal
        from projects.tabs import Tab, register_tab
        from risks.activity import risks_activity
        from risks.selectors import high_residual_risk
        from risks.services import risks_suggest

        register_tab(Tab("risks", "Risks", "risks:register", 45))
        register_tab(Tab("ai_act", "AI Act", "risks:ai_act", 47))
        register_signal(
            RiskSignal(
                "has_high_risk",
                high_residual_risk,
                lambda p: "high residual risk not accepted",
                order=25,
            )
        )
        on_profile_change(lambda project: risks_suggest(project=project))
        register_source(risks_activity)
