"""Connectors by kind, imported lazily on first use."""

from __future__ import annotations

from importlib import import_module

from metrics.connectors.base import Connector, ConnectorError

REGISTRY: dict[str, str] = {
    "demo": "metrics.connectors.demo.DemoConnector",
    "langfuse": "metrics.connectors.langfuse.LangfuseConnector",
    "openai": "metrics.connectors.openai.OpenAIConnector",
    "anthropic": "metrics.connectors.anthropic.AnthropicConnector",
    "helicone": "metrics.connectors.helicone.HeliconeConnector",
    "langsmith": "metrics.connectors.langsmith.LangSmithConnector",
    "prometheus": "metrics.connectors.prometheus.PrometheusConnector",
}


def connector_class(kind: str) -> type[Connector]:
    """The connector class for ``kind``; ConnectorError if Runway has none."""
    path = REGISTRY.get(kind)
    if path is None:
        raise ConnectorError(f"No connector for “{kind}”.", permanent=True)
    module, _, name = path.rpartition(".")
    try:
        cls: type[Connector] = getattr(import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConnectorError(
            f"The {kind} connector is not available yet.", permanent=True
        ) from exc
    return cls


__all__ = ["REGISTRY", "Connector", "ConnectorError", "connector_class"]
