"""Delivery of dossiers submitted on the portal to the agency's one-stop system, as the handler of the outbox
topic `dossiers.deliver` (enqueued by `services.submit_dossier`).

The handler may run more than once for one dossier (the outbox delivers at least once); the connector sends the
outbox key as the message id, and the receiver stores a dossier once. Without an integration serving the agency
the message waits (RetryLater): operators add one and it goes on its own.
"""

from __future__ import annotations

from django.utils import timezone

from dichvucong.core import calls, outbox
from dichvucong.core.calls import observe
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import connectors, links, national, selectors, services
from dichvucong.dossiers.models import AgencyIntegration, Dossier


def _record_error(integration: AgencyIntegration, error: str) -> None:
    # Shown to operators on the integration; cleared by the next successful delivery (services.record_delivery).
    AgencyIntegration.objects.filter(pk=integration.pk).update(last_error=error[:2000])


@outbox.handler(services.DELIVER_TOPIC)
def deliver_dossier(message: OutboxMessage) -> None:
    """Send one dossier to the one-stop system serving its agency (its own, or the nearest ancestor's)."""
    code = str(message.payload.get("dossier_code") or message.key)
    dossier = (
        Dossier.objects.select_related("agency")
        .prefetch_related("documents__document")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise outbox.PermanentFailure(f"dossier {code} does not exist")
    integration = selectors.integration_for_agency(dossier.agency_id)
    if integration is None:
        raise outbox.RetryLater(
            f"no active one-stop integration serves {dossier.agency.code} ({dossier.agency.name}) or an agency "
            "above it: operators add one in the back office (Hồ sơ › Kết nối hệ thống một cửa)"
        )
    try:
        connector = connectors.get_connector(integration.connector)
        body = national.dossier_to_national(dossier, links.document_urls(dossier))
        with observe(kind=calls.ONESTOP, integration_id=integration.pk, operation="dossier"):
            connector.deliver(integration, body, message.key)
    except connectors.UnknownConnector as exc:
        _record_error(integration, str(exc))
        raise outbox.RetryLater(str(exc)) from exc
    except (outbox.RetryLater, outbox.PermanentFailure) as exc:
        _record_error(integration, str(exc))
        raise
    services.record_delivery(code=code, at=timezone.now(), integration_id=integration.pk)
