"""Outbox handlers that send the e-mail and SMS copies of dossier notices through the provider interface
(`dichvucong.core.messaging`). A provider that cannot take a message now is retried with back-off; sending twice
is possible if a worker dies after the provider accepted (at-least-once), which for a status notice is harmless.
"""

from __future__ import annotations

from dichvucong.core import messaging, outbox
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers.services import EMAIL_TOPIC, SMS_TOPIC

SMS_PURPOSE = "dossier_status"


@outbox.handler(EMAIL_TOPIC)
def send_email_copy(message: OutboxMessage) -> None:
    payload = message.payload
    try:
        messaging.send_email(to=payload["to"], subject=payload["subject"], body=payload["body"])
    except messaging.DeliveryFailed as exc:
        raise outbox.RetryLater(exc.detail) from exc


@outbox.handler(SMS_TOPIC)
def send_sms_copy(message: OutboxMessage) -> None:
    payload = message.payload
    try:
        messaging.send_sms(to=payload["to"], text=payload["text"][:300], purpose=SMS_PURPOSE)
    except ValueError as exc:  # not a national phone number: retrying will not help
        raise outbox.PermanentFailure(str(exc)) from exc
    except messaging.DeliveryFailed as exc:
        raise outbox.RetryLater(exc.detail) from exc
