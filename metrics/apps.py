from __future__ import annotations

from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics"

    def ready(self) -> None:
        from projects.tabs import Tab, register_tab

        register_tab(Tab("metrics", "Metrics", "metrics:project", 50))
