from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        import logging

        from integrations.queue_services import deliveries_queue_for
        from integrations.transport import HideChannelRequests
        from projects.notifications import channel_event

        # Lower apps announce project events without knowing this app exists.
        channel_event.connect(
            deliveries_queue_for, weak=False, dispatch_uid="integrations.channel_event"
        )
        logging.getLogger("httpx").addFilter(HideChannelRequests())
