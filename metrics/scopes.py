"""The provider projects (OpenAI) and workspaces (Anthropic) a Runway project may be
mapped to under an organisation-wide service, read from the provider's admin API.

A mapping names one of them by id; a mistyped id is not an error at the provider, it
is an empty report, so Runway would sync $0.00 for months without a word. The mapping
form therefore offers this list and checks the submitted id against it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from typing import TYPE_CHECKING

import httpx

from metrics.connectors import ConnectorError, outbound
from metrics.connectors.anthropic import AnthropicConnector
from metrics.connectors.openai import OpenAIConnector
from metrics.models import ConnectedService

if TYPE_CHECKING:
    from collections.abc import Mapping

Kind = ConnectedService.Kind

# A person waits for the list on the mapping form, so, as with "Test connection", the
# whole read (every page, retries included) has a hard deadline.
SCOPES_SECONDS = 10.0

# Per organisation-wide kind: the provider's name and what it calls the unit of usage
# a Runway project maps to.
PROVIDER_NOUNS: dict[str, tuple[str, str]] = {
    Kind.OPENAI: ("OpenAI", "project"),
    Kind.ANTHROPIC: ("Anthropic", "workspace"),
}


def http_client() -> httpx.Client:
    """The client the list is read with; tests replace its transport here, as the
    connector tests do."""
    return outbound.client(timeout=SCOPES_SECONDS)


def provider_scopes(org_service: ConnectedService) -> dict[str, str]:
    """The live projects or workspaces of ``org_service``'s organisation, id → name, as
    its admin key sees them now. Raises ConnectorError when the provider cannot be
    reached, rejects the key, or does not answer within ``SCOPES_SECONDS``."""
    if org_service.kind not in PROVIDER_NOUNS:
        raise ConnectorError(
            f"{org_service.get_kind_display()} has no projects or workspaces to map to.",
            permanent=True,
        )
    # Decrypted here, not in the worker thread, which must not touch the database.
    credentials = json.loads(org_service.credentials) if org_service.credentials else {}
    kind, base_url = org_service.kind, org_service.base_url

    def attempt() -> dict[str, str]:
        with http_client() as client:
            return _read(kind, base_url, credentials, client)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(attempt).result(timeout=SCOPES_SECONDS)
    except ConnectorError as exc:
        # Shown on the mapping form: never with a credential the provider echoed.
        raise exc.redacted(credentials) from None
    except FuturesTimeout:
        provider, noun = PROVIDER_NOUNS[kind]
        raise ConnectorError(
            f"{provider} did not list its {noun}s within {SCOPES_SECONDS:.0f} seconds."
        ) from None
    finally:
        pool.shutdown(wait=False)


def _read(
    kind: str, base_url: str, credentials: Mapping[str, str], client: httpx.Client
) -> dict[str, str]:
    if kind == Kind.OPENAI:
        return OpenAIConnector(
            base_url=base_url, credentials=credentials, config={}, client=client
        ).projects()
    return AnthropicConnector(
        base_url=base_url, credentials=credentials, config={}, client=client
    ).workspaces()
