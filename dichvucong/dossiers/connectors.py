"""Connectors to agencies' one-stop systems (hệ thống thông tin một cửa điện tử), as plugins behind one interface
(the Saleor pattern): the delivery of a dossier knows `OneStopConnector.deliver` and nothing of the wire format.
Which connector an agency uses is `AgencyIntegration.connector`, a name looked up in `settings.ONESTOP_CONNECTORS`.

`SignedHttpConnector` is the portal's own protocol: the dossier as JSON in the national field names, POSTed to
``{endpoint_url}/dossiers`` and signed with the integration's Standard Webhooks secret (`core.signing`); the
message id (``webhook-id``) is the outbox key, stable across retries, so that the receiver stores a dossier once
however many times it comes.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from dichvucong.core import signing
from dichvucong.core.outbox import PermanentFailure, RetryLater

if TYPE_CHECKING:
    from dichvucong.dossiers.models import AgencyIntegration

# Statuses that say "not now" rather than "never": timeout, too early, too many requests, and every 5xx.
RETRY_STATUSES = frozenset({408, 425, 429})
ERROR_TEXT_CHARS = 500


class OneStopConnector(Protocol):
    """Delivers one dossier to an agency's one-stop system. Returns when the system has it (including when it
    says it had it already); raises `RetryLater` when it cannot take it now and `PermanentFailure` when it
    refuses it for good. Must be safe to call again with the same `message_id`."""

    def deliver(self, integration: AgencyIntegration, body: dict[str, Any], message_id: str) -> None: ...


class UnknownConnector(ImproperlyConfigured):
    """An integration names a connector that `ONESTOP_CONNECTORS` does not list."""


class SignedHttpConnector:
    """JSON over HTTP(S), signed in the Standard Webhooks scheme.

    2xx: delivered; 409: the system has this dossier already, delivered too. 408, 425, 429, 5xx, connection
    errors and timeouts: retry later. Any other 4xx: refused for good, with the system's answer kept for
    operators (`last_error`)."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self.session = session or requests.Session()

    def deliver(self, integration: AgencyIntegration, body: dict[str, Any], message_id: str) -> None:
        if not integration.endpoint_url:
            raise RetryLater(f"the one-stop integration {integration.key_id!r} has no endpoint address")
        url = integration.endpoint_url.rstrip("/") + "/dossiers"
        payload, headers = signing.signed_json(integration.secret, integration.key_id, message_id, body)
        try:
            response = self.session.post(
                url,
                data=payload,
                headers=headers,
                timeout=(settings.ONESTOP_CONNECT_TIMEOUT_SECONDS, settings.ONESTOP_READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise RetryLater(f"{url}: no answer in time ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            raise RetryLater(f"{url}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            return
        answer = f"{url} answered {status}: {_text(response)}"
        if status in RETRY_STATUSES or status >= 500:
            raise RetryLater(answer)
        raise PermanentFailure(answer)


def _text(response: requests.Response) -> str:
    return " ".join(response.text.split())[:ERROR_TEXT_CHARS] or response.reason or ""


@cache
def _connector_class(path: str) -> type[OneStopConnector]:
    cls: type[OneStopConnector] = import_string(path)
    return cls


def get_connector(name: str) -> OneStopConnector:
    """A connector instance for the name an integration gives (`AgencyIntegration.connector`)."""
    path = settings.ONESTOP_CONNECTORS.get(name)
    if path is None:
        known = ", ".join(sorted(settings.ONESTOP_CONNECTORS))
        raise UnknownConnector(f"unknown one-stop connector {name!r} (ONESTOP_CONNECTORS has: {known})")
    return _connector_class(path)()
