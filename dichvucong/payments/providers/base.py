"""The interface every payment provider plugin implements (as Saleor's gateways: the platform never knows which
provider it talks to).

A plugin turns the provider's messages into `ProviderReport`s, after checking their signature; the platform
(`payments.services`) decides what a report does to an order: it checks the order, amount, currency and time,
applies the state machine, writes the ledger. A plugin never touches the database.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest, HttpResponse

from dichvucong.payments.models import PaymentOrder, Provider


class ReportedStatus(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"
    PENDING = "pending"  # not paid yet, or the provider does not know the order


@dataclass(frozen=True)
class ProviderReport:
    """What the provider says about one order, from a verified notification, return or status query."""

    order_reference: str
    status: ReportedStatus
    amount: int  # đồng
    currency: str = "VND"
    transaction_id: str = ""  # the provider's id of the payment (vnp_TransactionNo, transId)
    paid_at: datetime | None = None  # aware
    bank_code: str = ""
    message: str = ""  # the provider's own words (a result code and its meaning), for the trail
    raw: dict[str, str] = field(default_factory=dict)  # the message's fields, without the signature


class CallbackOutcome(enum.StrEnum):
    """What the platform did with a notification; each plugin answers the provider in its own words."""

    APPLIED = "applied"  # the order moved (paid or failed)
    DUPLICATE = "duplicate"  # already applied: nothing changed
    LATE = "late"  # money the order cannot keep: recorded for refund
    IGNORED = "ignored"  # a report that changes nothing (pending; a failure after a success)
    UNKNOWN_ORDER = "unknown_order"
    AMOUNT_MISMATCH = "amount_mismatch"  # amount or currency differ from the order's
    OUT_OF_WINDOW = "out_of_window"  # the payment time is before the order or in the future
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"
    ERROR = "error"  # our fault: the provider should send it again


class CallbackRejected(Exception):
    """The message is not signed by the provider (`BAD_SIGNATURE`) or cannot be read (`MALFORMED`)."""

    def __init__(self, outcome: CallbackOutcome, reason: str, *, order_reference: str = "") -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason
        self.order_reference = order_reference


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with an error; try again later."""


@dataclass(frozen=True)
class Checkout:
    """Where to send the payer to pay the order."""

    url: str


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    transaction_id: str = ""
    message: str = ""


class PaymentProvider(ABC):
    """A provider's protocol, configured with the portal's codes and secret at that provider."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    @abstractmethod
    def checkout(
        self,
        order: PaymentOrder,
        *,
        description: str,
        return_url: str,
        notify_url: str,
        client_ip: str,
        language: str,
    ) -> Checkout:
        """Start the payment at the provider (a signed redirect, or a server-to-server request that answers
        with a payment page's address). Raises ProviderUnavailable."""

    @abstractmethod
    def parse_notification(self, request: HttpRequest) -> ProviderReport:
        """Read and verify a server-to-server notification (IPN). Raises CallbackRejected."""

    @abstractmethod
    def acknowledge(self, outcome: CallbackOutcome) -> HttpResponse:
        """The answer the provider expects to a notification, for each outcome (whether it should retry)."""

    @abstractmethod
    def parse_return(self, request: HttpRequest) -> ProviderReport:
        """Read and verify the payer's browser coming back. Shown to the payer only: it never confirms a
        payment. Raises CallbackRejected."""

    @abstractmethod
    def query(self, order: PaymentOrder) -> ProviderReport:
        """Ask the provider for the order's status (server-to-server, signed). Raises ProviderUnavailable."""

    @abstractmethod
    def refund(
        self, order: PaymentOrder, *, amount: int, reference: str, reason: str, transaction_id: str = ""
    ) -> RefundResult:
        """Give `amount` of the order's payment `transaction_id` (by default the payment that paid it) back to the
        payer. Raises ProviderUnavailable."""
