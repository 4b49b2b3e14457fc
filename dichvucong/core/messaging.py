"""Sending SMS and e-mail through pluggable providers.

The core never knows which SMS provider it talks to (the Saleor plugin pattern): `settings.SMS_BACKEND` names a
class with `send(message)`, and `send_sms` is the one entry point for the rest of the portal. Backends here:

- `ConsoleSmsBackend` prints each message, for `make run` (the default);
- `FileSmsBackend` appends JSON lines to a file, for sandboxes and browser tests run in several processes;
- `MemorySmsBackend` keeps messages in `outbox`, for tests (like Django's locmem e-mail backend);
- `HttpSmsBackend` posts to a brand-name SMS gateway, for production.

E-mail already has Django's pluggable `EMAIL_BACKEND` (console, filebased, locmem, smtp), so `send_email` only
fixes the sender and the error type.

Callers that send in reaction to a database write should do it after the commit (through the outbox or
`transaction.on_commit`), so that a rolled-back operation sends nothing.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO, cast

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from dichvucong.core.errors import DomainError

DEFAULT_SMS_BACKEND = "dichvucong.core.messaging.ConsoleSmsBackend"
GATEWAY_TIMEOUT_SECONDS = 10

# National form only: normalising what people type is `dichvucong.accounts.identifiers.normalize_phone`'s job,
# and core does not depend on accounts. This only guards against a caller that forgot to.
_NATIONAL_PHONE_RE = re.compile(r"0[0-9]{9}")


class DeliveryFailed(DomainError):
    """A provider refused or could not take a message. `message` is for the user; `detail` is for the
    operators' logs and never holds the recipient or the text (an OTP)."""

    status = 502
    code = "delivery-failed"

    def __init__(self, detail: str, message: str | None = None) -> None:
        super().__init__(message or str(_("Không gửi được tin nhắn. Vui lòng thử lại sau ít phút.")))
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} ({self.detail})"


@dataclass(frozen=True)
class SmsMessage:
    """One SMS: `to` in the national form ("0912345678"), `purpose` a short tag ("otp", "dossier-status")
    that gateways and reports group by."""

    to: str
    text: str
    purpose: str
    sent_at: datetime = field(default_factory=timezone.now)

    def as_json(self) -> dict[str, str]:
        return {
            "to": self.to,
            "text": self.text,
            "purpose": self.purpose,
            "sent_at": self.sent_at.isoformat(),
        }


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


class ConsoleSmsBackend:
    """Prints one line per message, so that a developer running the portal can read the OTP."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: SmsMessage) -> None:
        stream = self.stream or sys.stdout  # looked up at send time, so that test capture sees it
        stream.write(f"[SMS {message.purpose}] to {message.to}: {message.text}\n")
        stream.flush()


class FileSmsBackend:
    """Appends one JSON line per message to `settings.SMS_FILE_PATH` (default var/messages/sms.jsonl).

    Several processes (web workers, task workers, a test driving a browser) may append at once: the file is
    opened with O_APPEND and each line goes out in one `write`, which the kernel appends whole on a local file
    system. The file holds one-time passwords, so it is readable by its owner only.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        configured = path or getattr(settings, "SMS_FILE_PATH", None)
        if configured:
            self.path = Path(configured)
        else:
            self.path = Path(getattr(settings, "VAR_DIR", "var")) / "messages" / "sms.jsonl"

    def send(self, message: SmsMessage) -> None:
        line = (json.dumps(message.as_json(), ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(fd, line)
            while written < len(
                line
            ):  # short writes do not happen on regular files, but do not lose the tail
                written += os.write(fd, line[written:])
        finally:
            os.close(fd)


outbox: list[SmsMessage] = []


class MemorySmsBackend:
    """Keeps every message in the module-level `outbox`; tests read and clear it."""

    def send(self, message: SmsMessage) -> None:
        outbox.append(message)


class HttpSmsBackend:
    """A generic brand-name SMS gateway: POST {"to": "+84…", "text": …, "purpose": …} as JSON to
    `settings.SMS_GATEWAY_URL` with `Authorization: Bearer settings.SMS_GATEWAY_TOKEN`. Any answer other than
    2xx, a timeout or a refused connection raises `DeliveryFailed`; retrying is the caller's (task's) job."""

    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        self.url: str = url or getattr(settings, "SMS_GATEWAY_URL", None) or ""
        self.token: str = token or getattr(settings, "SMS_GATEWAY_TOKEN", None) or ""
        if not self.url or not self.token:
            raise ImproperlyConfigured("HttpSmsBackend needs SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN")

    def send(self, message: SmsMessage) -> None:
        payload = {"to": "+84" + message.to[1:], "text": message.text, "purpose": message.purpose}
        try:
            response = requests.post(
                self.url,
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=GATEWAY_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"SMS gateway unreachable: {type(error).__name__}") from error
        if not 200 <= response.status_code < 300:
            # Not the body: gateways echo the recipient and the text (an OTP) back in their errors.
            raise DeliveryFailed(f"SMS gateway answered {response.status_code}")


def get_sms_backend() -> SmsBackend:
    """A new instance of the backend named by `settings.SMS_BACKEND` (a dotted path)."""
    backend_class = import_string(getattr(settings, "SMS_BACKEND", DEFAULT_SMS_BACKEND))
    return cast(SmsBackend, backend_class())


def send_sms(*, to: str, text: str, purpose: str) -> None:
    """Send one SMS through the configured backend. `to` must already be in the national form (use
    `dichvucong.accounts.identifiers.normalize_phone` on what the user typed). Raises `DeliveryFailed`."""
    if not _NATIONAL_PHONE_RE.fullmatch(to):
        raise ValueError("send_sms needs a phone number in the national form, such as 0912345678")
    get_sms_backend().send(SmsMessage(to=to, text=text, purpose=purpose, sent_at=timezone.now()))


def send_email(*, to: str, subject: str, body: str) -> None:
    """Send one plain-text e-mail from `settings.DEFAULT_FROM_EMAIL` through Django's `EMAIL_BACKEND`.
    Raises `DeliveryFailed` if the mail server refuses it or cannot be reached."""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except OSError as error:  # smtplib's errors and refused or dropped connections are all OSErrors
        raise DeliveryFailed(
            f"mail server: {type(error).__name__}",
            message=str(_("Không gửi được thư điện tử. Vui lòng thử lại sau ít phút.")),
        ) from error
